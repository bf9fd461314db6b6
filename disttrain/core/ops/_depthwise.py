"""Depthwise convolutions (one input channel per group, one output channel per group) by
direct multiply-adds.

im2col would copy the input KH*KW times and then run G gemms of a single row each, which
BLAS does poorly; here each kernel offset is one multiply-add of a strided window of the
padded input with a per-channel weight, and the weight gradient one fused multiply-sum per
offset.
"""
__all__ = ["is_depthwise", "depthwise_forward", "depthwise_input_grad",
           "depthwise_weight_grad"]


def is_depthwise(w_shape, spec):
    """A grouped convolution with one input and one output channel per group."""
    return spec.groups > 1 and w_shape[0] == spec.groups and w_shape[1] == 1


def _window(arr, i, j, oh, ow, spec):
    (th, tw), (dh, dw) = spec.stride, spec.dilation
    return arr[:, :, i * dh:i * dh + th * (oh - 1) + 1:th, j * dw:j * dw + tw * (ow - 1) + 1:tw]


def padded(xp, x, padding):
    """``x`` zero-padded by ((top, bottom), (left, right)); ``x`` itself without padding."""
    (pt, pb), (pl, pr) = padding
    if not (pt or pb or pl or pr):
        return x
    n, c, h, w = x.shape
    out = xp.zeros((n, c, h + pt + pb, w + pl + pr), x.dtype)
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out


def _out_size(size, k, stride, dilation):
    return (size - dilation * (k - 1) - 1) // stride + 1


def row_padded(xp, x, padding):
    """``x`` zero-padded, plus a spare zero row so flat windows never leave their channel."""
    (pt, pb), (pl, pr) = padding
    n, c, h, w = x.shape
    out = xp.zeros((n, c, h + pt + pb + 1, w + pl + pr), x.dtype)
    out[:, :, pt:pt + h, pl:pl + w] = x
    return out


def _flat_padded(xp, x, padding):
    """``row_padded`` flattened per (sample, channel), and its row width: at stride 1 the
    window at offset (i, j) is one contiguous run (see ``conv.im2col``)."""
    out = row_padded(xp, x, padding)
    return out.reshape(out.shape[0], out.shape[1], -1), out.shape[3]


def _runs(spec, kh, kw, wp):
    dh, dw = spec.dilation
    return [(i, j, i * dh * wp + j * dw) for i in range(kh) for j in range(kw)]


def _with_pitch(xp, gy, pitch):
    """(N, C, OH, OW) -> (N, C, OH*pitch) with zeros in the extra columns."""
    n, c, oh, ow = gy.shape
    if pitch == ow:
        return xp.ascontiguousarray(gy).reshape(n, c, -1)
    out = xp.zeros((n, c, oh, pitch), gy.dtype)
    out[..., :ow] = gy
    return out.reshape(n, c, -1)


def depthwise_forward(xp, x, w, spec):
    """(N, C, H, W) input, (C, 1, KH, KW) weight: the (N, C, OH, OW) output."""
    n, c = x.shape[:2]
    kh, kw = w.shape[2:]
    if spec.stride == (1, 1):
        flat, wp = _flat_padded(xp, x, spec.padding)
        hp = flat.shape[2] // wp - 1
        oh, ow = hp - spec.dilation[0] * (kh - 1), wp - spec.dilation[1] * (kw - 1)
        out = xp.zeros((n, c, oh * wp), x.dtype)
        tmp = xp.empty_like(out)
        for i, j, start in _runs(spec, kh, kw, wp):
            xp.multiply(flat[:, :, start:start + oh * wp], w[:, 0, i, j].reshape(1, c, 1),
                        out=tmp)
            out += tmp
        return xp.ascontiguousarray(out.reshape(n, c, oh, wp)[..., :ow])
    xpad = padded(xp, x, spec.padding)
    oh = _out_size(xpad.shape[2], kh, spec.stride[0], spec.dilation[0])
    ow = _out_size(xpad.shape[3], kw, spec.stride[1], spec.dilation[1])
    out = xp.zeros((n, c, oh, ow), x.dtype)
    tmp = xp.empty_like(out)
    for i in range(kh):
        for j in range(kw):
            xp.multiply(_window(xpad, i, j, oh, ow, spec), w[:, 0, i, j].reshape(1, c, 1, 1),
                        out=tmp)
            out += tmp
    return out


def depthwise_input_grad(xp, gy, w, in_shape, spec):
    """The adjoint in the input: each offset adds ``gy * w`` into its window."""
    n, c, oh, ow = gy.shape
    kh, kw = w.shape[2:]
    (pt, pb), (pl, pr) = spec.padding
    h, wd = in_shape[2], in_shape[3]
    if spec.stride == (1, 1):
        hp, wp = h + pt + pb, wd + pl + pr
        g = _with_pitch(xp, gy, wp)
        gx = xp.zeros((n, c, (hp + 1) * wp), gy.dtype)
        tmp = xp.empty_like(g)
        for i, j, start in _runs(spec, kh, kw, wp):
            xp.multiply(g, w[:, 0, i, j].reshape(1, c, 1), out=tmp)
            gx[:, :, start:start + oh * wp] += tmp
        gx = gx.reshape(n, c, hp + 1, wp)[:, :, pt:pt + h, pl:pl + wd]
        return xp.ascontiguousarray(gx)
    gx = xp.zeros((n, c, h + pt + pb, wd + pl + pr), gy.dtype)
    tmp = xp.empty_like(gy)
    for i in range(kh):
        for j in range(kw):
            xp.multiply(gy, w[:, 0, i, j].reshape(1, c, 1, 1), out=tmp)
            _window(gx, i, j, oh, ow, spec)[...] += tmp
    if pt or pb or pl or pr:
        gx = xp.ascontiguousarray(gx[:, :, pt:pt + h, pl:pl + wd])
    return gx


def depthwise_weight_grad(xp, x, gy, w_shape, spec):
    """The adjoint in the weight: per offset, the sum over batch and space of gy * window."""
    c, _, kh, kw = w_shape
    oh, ow = gy.shape[2:]
    if spec.stride == (1, 1):
        flat, wp = _flat_padded(xp, x, spec.padding)
        g = _with_pitch(xp, gy, wp)
        gw = xp.empty(w_shape, gy.dtype)
        for i, j, start in _runs(spec, kh, kw, wp):
            gw[:, 0, i, j] = xp.einsum("ncl,ncl->c", g, flat[:, :, start:start + oh * wp])
        return gw
    xpad = padded(xp, x, spec.padding)
    gw = xp.empty(w_shape, gy.dtype)
    for i in range(kh):
        for j in range(kw):
            gw[:, 0, i, j] = xp.einsum("nchw,nchw->c", gy, _window(xpad, i, j, oh, ow, spec))
    return gw
