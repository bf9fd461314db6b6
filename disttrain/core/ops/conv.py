"""Convolution (1-d and 2-d, grouped, strided, dilated, padded) via im2col and one batched matmul.

Three Functions form a closed set under differentiation, so ``create_graph=True`` works to
any order: ``Convolution`` (the forward), ``ConvInputGrad`` (its input gradient, which is also
the transposed convolution) and ``ConvWeightGrad`` (its weight gradient). Each one's backward
is written with the other two.

1-d convolutions run as 2-d ones with a height of 1: the arrays are reshaped, not copied.

The three kernels below choose their algorithm by shape, the same way for a forward and
its weight gradient (which reuses the forward's columns): depthwise convolutions by direct
multiply-adds (``_depthwise``), 3x3 stride-1 ones with many channels and tiles by Winograd
(``_winograd``), stride-1 ones on images at most ``BATCH_LAST_WIDTH`` wide with the batch
innermost in the columns, and the rest by im2col with the batch inside each column row.
"""
from collections import namedtuple

import numpy as np

from ..autograd import Function
from ..device import array_module
from ..grad_mode import state as _grad_state
from ..tensor import Tensor
from . import _depthwise as _dw
from . import _winograd as _wg

__all__ = ["ConvSpec", "Convolution", "ConvInputGrad", "ConvWeightGrad", "ConvTranspose"]

#: stride, dilation: (sh, sw); padding: ((top, bottom), (left, right)); nd: 1 or 2 spatial dims
ConvSpec = namedtuple("ConvSpec", "stride padding dilation groups nd")


def _as4d(arr, nd):
    return arr.reshape(arr.shape[:2] + (1,) + arr.shape[2:]) if nd == 1 else arr


def _windows(xp, xpad, kh, kw, oh, ow, spec):
    """A (C, KH, KW, N, OH, OW) view of the padded input: no copy."""
    sn, sc, sh, sw = xpad.strides
    (th, tw), (dh, dw) = spec.stride, spec.dilation
    return xp.lib.stride_tricks.as_strided(
        xpad, (xpad.shape[1], kh, kw, xpad.shape[0], oh, ow),
        (sc, sh * dh, sw * dw, sn, sh * th, sw * tw))


def _flat_windows(spec, wp, kw, weight=16):
    """Whether to use flat windows (see ``im2col``): stride 1, and the ``wp - ow`` wrap-around
    columns they add to every gemm cheap enough: at most ``ow / weight`` of them.

    The trade: plain windows copy (or add) ``ow``-long pieces, flat ones whole rows, but the
    gemm grows by ``wp / ow``. For the forward and weight gradient (``weight`` 16) the copy
    is cheap next to the gemm and flat windows only pay on large images (32x32 with padding
    1); for col2im (``weight`` 64 / output channels per group) the adds cost more, and flat
    windows pay unless the gemm is large and much wasted (a 4x4 image, 512 channels).
    """
    ow = wp - spec.dilation[1] * (kw - 1)
    return spec.stride == (1, 1) and (wp - ow) * weight <= ow


def im2col(x, kh, kw, spec):
    """Columns (G, C/G*KH*KW, N*L) of a 4-d input, the output size (OH, OW) and the row
    pitch of the columns: OW, or for stride 1 the padded width Wp.

    The columns are channel-major, the batch inside the column index, so that one gemm
    covers the whole batch (BLAS threads then have one large product to share instead of
    a small one per sample). Stride 1 uses "flat" windows: in the padded image flattened
    per channel, the window at kernel offset (i, j) is one contiguous run starting at
    ``i*dh*Wp + j*dw``, so the copy streams whole rows instead of OW-long pieces. The
    Wp - OW extra columns per output row are wrap-around values that callers drop (or
    multiply by zero gradients).
    """
    xp = array_module(x)
    n, c = x.shape[:2]
    (th, tw), (dh, dw) = spec.stride, spec.dilation
    rows = c // spec.groups * kh * kw
    (pl, pr) = spec.padding[1]
    if _flat_windows(spec, x.shape[3] + pl + pr, kw):
        xpad = _dw.row_padded(xp, x, spec.padding)
        hp, wp = xpad.shape[2] - 1, xpad.shape[3]
        oh, ow = hp - dh * (kh - 1), wp - dw * (kw - 1)
        sn, sc, sh, sw = xpad.strides
        win = xp.lib.stride_tricks.as_strided(
            xpad, (c, kh, kw, n, oh * wp), (sc, sh * dh, sw * dw, sn, sw))
        return xp.ascontiguousarray(win).reshape(spec.groups, rows, -1), (oh, ow), wp
    xpad = _dw.padded(xp, x, spec.padding)
    oh = (xpad.shape[2] - dh * (kh - 1) - 1) // th + 1
    ow = (xpad.shape[3] - dw * (kw - 1) - 1) // tw + 1
    cols = xp.ascontiguousarray(_windows(xp, xpad, kh, kw, oh, ow, spec))
    return cols.reshape(spec.groups, rows, -1), (oh, ow), ow


def _channel_major(xp, gy, pitch):
    """(N, O, OH, OW) -> (O, N*OH*pitch), zeros in the extra ``pitch - OW`` columns."""
    n, o, oh, ow = gy.shape
    out = xp.zeros((o, n, oh, pitch), gy.dtype) if pitch != ow else \
        xp.empty((o, n, oh, ow), gy.dtype)
    out[..., :ow] = gy.transpose(1, 0, 2, 3)
    return out.reshape(o, -1)


def conv_forward(x, w, spec, keep_cols=False):
    """The convolution of 4-d arrays; with ``keep_cols`` also the columns, for the weight grad."""
    xp = array_module(x)
    if _dw.is_depthwise(w.shape, spec):
        out = _dw.depthwise_forward(xp, x, w, spec)
        return (out, None) if keep_cols else out
    out_hw = _out_hw(x.shape, w.shape, spec)
    if _wg.applies(w.shape, spec, x.shape[0], out_hw, x.dtype):
        res = _wg.forward(xp, x, w, spec.padding, keep_cols)
        return (res[0], (res[1], None)) if keep_cols else res
    n = x.shape[0]
    o, _, kh, kw = w.shape
    g = spec.groups
    if _batch_last(xp, w.shape, spec, out_hw[1]):
        cols, (oh, ow) = _im2col_batch_last(xp, x, kh, kw, spec)
        out = (w.reshape(o, -1) @ cols).reshape(o, oh, ow, n)
        out = xp.ascontiguousarray(out.transpose(3, 0, 1, 2))
        return (out, (cols, None)) if keep_cols else out
    cols, (oh, ow), pitch = im2col(x, kh, kw, spec)
    out = w.reshape(g, o // g, -1) @ cols           # (G, O/G, N*OH*pitch): one gemm per group
    out = out.reshape(o, n, oh, pitch)[..., :ow]
    out = xp.ascontiguousarray(out.swapaxes(0, 1))
    return (out, (cols, pitch)) if keep_cols else out


def _out_hw(x_shape, w_shape, spec):
    (pt, pb), (pl, pr) = spec.padding
    (th, tw), (dh, dw) = spec.stride, spec.dilation
    return ((x_shape[2] + pt + pb - dh * (w_shape[2] - 1) - 1) // th + 1,
            (x_shape[3] + pl + pr - dw * (w_shape[3] - 1) - 1) // tw + 1)


def conv_input_grad(gy, w, in_shape, spec):
    """The adjoint of ``conv_forward`` in its input (col2im): the transposed convolution."""
    xp = array_module(gy)
    if _dw.is_depthwise(w.shape, spec):
        return _dw.depthwise_input_grad(xp, gy, w, in_shape, spec)
    n, o, oh, ow = gy.shape
    _, cg, kh, kw = w.shape
    g, c = spec.groups, spec.groups * cg
    (pt, pb), (pl, pr) = spec.padding
    (th, tw), (dh, dw) = spec.stride, spec.dilation
    h, wd = in_shape[2], in_shape[3]
    hp, wp = h + pt + pb, wd + pl + pr
    if (th, tw) == (1, 1) and _batch_last(xp, w.shape, spec, ow) and o >= c:
        return _col2im_batch_last(xp, gy, w, (hp, wp), spec, in_shape)
    if (th, tw) == (1, 1) and _as_forward(spec, kh, kw) and (
            o // g <= cg and 2 * (o // g) <= n * oh * ow or
            _wg.applies(w.shape, spec, n, in_shape[2:], gy.dtype)):
        return _input_grad_by_forward(gy, w, spec)
    step = _images_per_col2im(xp, n, c * kh * kw * oh * wp * gy.itemsize)
    if step < n:
        # large columns: a few images at a time, so col2im's adds read the columns the
        # gemm has just written from the cache
        gx = xp.empty(in_shape, gy.dtype)
        for i in range(0, n, step):
            part = gy[i:i + step]
            gx[i:i + step] = conv_input_grad(part, w, (len(part),) + tuple(in_shape[1:]), spec)
        return gx
    wt = w.reshape(g, o // g, -1).transpose(0, 2, 1)
    if _flat_windows(spec, wp, kw, o / g / 64):
        # Flat windows (see im2col): each kernel offset adds one contiguous run per channel.
        cols = wt @ _channel_major(xp, gy, wp).reshape(g, o // g, -1)
        cols = cols.reshape(c, kh, kw, n, oh * wp)
        gx = xp.zeros((c, n, (hp + 1) * wp), gy.dtype)
        for i in range(kh):
            for j in range(kw):
                start = i * dh * wp + j * dw
                gx[:, :, start:start + oh * wp] += cols[:, i, j]
        gx = gx.reshape(c, n, hp + 1, wp)[:, :, pt:pt + h, pl:pl + wd]
        return xp.ascontiguousarray(gx.swapaxes(0, 1))
    if (th, tw) != (1, 1):
        pitch = ow + (kw - 1) * dw // tw
        if g == 1 and xp is np and ow <= BATCH_LAST_WIDTH:
            # small images: the batch innermost, so each kernel offset adds rows of
            # OH*pitch*N values (see _col2im_phases)
            gyl = xp.zeros((o, oh, pitch, n), gy.dtype)
            gyl[:, :, :ow] = gy.transpose(1, 2, 3, 0)
            cols = w.reshape(o, -1).T @ gyl.reshape(o, -1)
            return _col2im_phases(xp, cols.reshape(c, kh, kw, 1, -1), (n, c, h, wd),
                                  (oh, ow, pitch), spec, batch_inner=n)
        cols = wt @ _channel_major(xp, gy, pitch).reshape(g, o // g, -1)
        return _col2im_phases(xp, cols.reshape(c, kh, kw, n, oh * pitch), (n, c, h, wd),
                              (oh, ow, pitch), spec)
    cols = wt @ _channel_major(xp, gy, ow).reshape(g, o // g, -1)
    cols = cols.reshape(c, kh, kw, n, oh, ow)
    gx = xp.zeros((c, n, hp, wp), gy.dtype)
    # One add per kernel offset: the windows overlap when stride < kernel.
    for i in range(kh):
        for j in range(kw):
            gx[:, :, i * dh:i * dh + oh, j * dw:j * dw + ow] += cols[:, i, j]
    return xp.ascontiguousarray(gx[:, :, pt:pt + h, pl:pl + wd].swapaxes(0, 1))


#: col2im's columns per run of images at most about this size (MNIST's 32x64x24x24 input
#: gradient: 13.4 -> 11.0 ms in runs of 4 images against one run of 32)
COL2IM_BYTES = 3 << 20


def _images_per_col2im(xp, n, col_bytes):
    """How many images share one gemm and col2im: all of them when their columns
    (``col_bytes`` each) fit twice ``COL2IM_BYTES`` or on a device (one large product is
    best there), else as many as fit ``COL2IM_BYTES``, at least one."""
    if xp is not np or n * col_bytes <= 2 * COL2IM_BYTES:
        return max(n, 1)
    return max(1, COL2IM_BYTES // col_bytes)


#: the widest output (columns) whose stride-1 im2col and col2im run with the batch
#: innermost (see ``_im2col_batch_last``)
BATCH_LAST_WIDTH = 8


def _batch_last(xp, w_shape, spec, out_w):
    """Whether a forward convolution (and so its weight gradient) builds its columns
    batch-innermost: ungrouped, on the host (a device has no per-row cost to save), with
    outputs at most ``BATCH_LAST_WIDTH`` wide at stride 1; strided, where a row of the
    columns is only ``N`` long, at most half that and with a kernel wider than its stride
    (measured: DCGAN's 4x4 stride-2 layer on 8x8 images 1.00 -> 0.85 ms; no gain at 8
    columns or for 1x1 kernels)."""
    if xp is not np or spec.groups != 1:
        return False
    if spec.stride == (1, 1):
        return out_w <= BATCH_LAST_WIDTH
    return out_w <= BATCH_LAST_WIDTH // 2 and w_shape[3] > spec.stride[1]


def _im2col_batch_last(xp, x, kh, kw, spec):
    """Columns (C*KH*KW, OH*OW*N) with the batch innermost, and (OH, OW): the input goes
    once into a padded (C, Hp, Wp, N) copy, from which each kernel offset's window is
    rows of ``OW*N`` contiguous values at stride 1 (``N`` strided) instead of ``OW``
    (ResNet's 512 channels of 4x4 forward: 7.4 -> 6.8 ms; LeNet's second layer: 0.76 ->
    0.50 ms)."""
    n, c, h, wd = x.shape
    (pt, pb), (pl, pr) = spec.padding
    (th, tw), (dh, dw) = spec.stride, spec.dilation
    hp, wp = h + pt + pb, wd + pl + pr
    xt = xp.zeros((c, hp, wp, n), x.dtype)
    xt[:, pt:pt + h, pl:pl + wd] = x.transpose(1, 2, 3, 0)
    oh = (hp - dh * (kh - 1) - 1) // th + 1
    ow = (wp - dw * (kw - 1) - 1) // tw + 1
    sc, sh, sw, sn = xt.strides
    win = xp.lib.stride_tricks.as_strided(xt, (c, kh, kw, oh, ow, n),
                                          (sc, sh * dh, sw * dw, sh * th, sw * tw, sn))
    return xp.ascontiguousarray(win).reshape(c * kh * kw, -1), (oh, ow)


def _col2im_batch_last(xp, gy, w, padded_hw, spec, in_shape):
    """Stride-1 col2im for small images (at most 8 columns out), with the batch as the
    innermost axis: each kernel offset's add then runs over rows of ``OW*N`` values
    instead of ``OW``, where numpy's per-row cost dominates (ResNet's 512 channels of 4x4:
    9.1 -> 7.4 ms; LeNet's 16 -> 6 channels of 8x8: 1.14 -> 1.01 ms). The price is a
    transposing copy of ``gy`` in and of the result out, which loses to the other ways
    on wider images and, where ``O < C``, to the input gradient by a forward convolution
    (its gemm has the longer inner dimension)."""
    n, o, oh, ow = gy.shape
    _, c, kh, kw = w.shape
    hp, wp = padded_hw
    (pt, _), (pl, _) = spec.padding
    dh, dw = spec.dilation
    gyl = xp.ascontiguousarray(gy.transpose(1, 2, 3, 0)).reshape(o, -1)    # (O, OH*OW*N)
    cols = (w.reshape(o, -1).T @ gyl).reshape(c, kh, kw, oh, ow * n)
    gx = xp.zeros((c, hp, wp * n), gy.dtype)
    for i in range(kh):
        for j in range(kw):
            gx[:, i * dh:i * dh + oh, j * dw * n:(j * dw + ow) * n] += cols[:, i, j]
    gx = gx.reshape(c, hp, wp, n)[:, pt:pt + in_shape[2], pl:pl + in_shape[3]]
    return xp.ascontiguousarray(gx.transpose(3, 0, 1, 2))


def _as_forward(spec, kh, kw):
    """Whether a stride-1 input gradient can run as a forward convolution: the padding it
    needs, ``dilation*(k-1) - padding`` on each side, is not negative."""
    (pt, pb), (pl, pr) = spec.padding
    dh, dw = spec.dilation
    return min(pt, pb) <= dh * (kh - 1) and min(pl, pr) <= dw * (kw - 1)


def _input_grad_by_forward(gy, w, spec):
    """The stride-1 input gradient as a forward convolution of ``gy`` (zero-padded by
    ``dilation*(k-1) - padding``) with the flipped kernel, its in and out channels swapped
    per group. Same gemm, but im2col's copy of ``gy`` replaces col2im's ``kh*kw`` adds into
    overlapping windows, which run in short rows on small images (about 2 ms of a 9 ms
    256-channel 8x8 layer), and the gemm's inner dimension is the long ``O/G*KH*KW``. The
    price is a permuting copy of the weight, and columns of ``gy`` ``(O/G) / (C/G)`` times
    the size of col2im's: the caller takes this way only where the weight is at most half
    the size of the columns (not for 512 channels on 4x4 images) and O/G <= C/G (not for
    LeNet's 1 -> 6 or 6 -> 16 channels)."""
    o, cg, kh, kw = w.shape
    g = spec.groups
    (pt, pb), (pl, pr) = spec.padding
    dh, dw = spec.dilation
    wf = w.reshape(g, o // g, cg, kh, kw).transpose(0, 2, 1, 3, 4)[..., ::-1, ::-1]
    wf = wf.reshape(g * cg, o // g, kh, kw)
    pads = ((dh * (kh - 1) - pt, dh * (kh - 1) - pb), (dw * (kw - 1) - pl, dw * (kw - 1) - pr))
    return conv_forward(gy, wf, ConvSpec((1, 1), pads, spec.dilation, g, 2))


def _col2im_phases(xp, cols, out_shape, sizes, spec, batch_inner=1):
    """col2im for strides above 1, one output phase at a time.

    Kernel row ``i`` lands on padded rows ``i*dh + th*k``: all in phase ``(i*dh) % th``, at
    phase row ``(i*dh) // th + k``. So each phase is summed in its own dense buffer, and
    written once into its rows and columns of the output. The columns come with a row pitch
    wider than ``ow`` by the largest column offset, their extra columns zero (see
    ``_channel_major``): then a kernel offset's contribution is one contiguous run per
    channel and sample, as in ``im2col``'s flat windows, instead of ``oh`` short rows (or a
    strided add per offset, several times slower).

    ``batch_inner``: 1 for columns (C, KH, KW, N, OH*pitch); N for columns with the batch
    innermost, (C, KH, KW, 1, OH*pitch*N), where an offset's run is ``OH*pitch*N`` long
    per channel instead of ``OH*pitch`` per channel and sample (DCGAN's 4x4 and 8x8
    transposed convolutions: 1.32 -> 1.13 and 1.31 -> 1.21 ms).
    """
    c, kh, kw, n, _ = cols.shape
    unit = batch_inner
    oh, ow, pitch = sizes
    (th, tw), (dh, dw) = spec.stride, spec.dilation
    (pt, _), (pl, _) = spec.padding
    h, wd = out_shape[2], out_shape[3]
    out = xp.zeros(out_shape, cols.dtype)
    for py in range(th):
        taps_i = [i for i in range(kh) if (i * dh) % th == py]
        rows = _phase_span(py, th, pt, h)
        if not taps_i or rows is None:
            continue
        m0, m1, r0 = rows
        hb = max(m1, max(i * dh // th for i in taps_i) + oh) + 1
        for px in range(tw):
            taps_j = [j for j in range(kw) if (j * dw) % tw == px]
            span = _phase_span(px, tw, pl, wd)
            if not taps_j or span is None:
                continue
            k0, k1, c0 = span
            k1 = min(k1, pitch)         # columns past every window stay zero
            if k1 <= k0:
                continue
            buf = xp.zeros((c, n, hb * pitch * unit), cols.dtype)
            for i in taps_i:
                for j in taps_j:
                    start = (i * dh // th * pitch + j * dw // tw) * unit
                    buf[:, :, start:start + oh * pitch * unit] += cols[:, i, j]
            if unit == 1:
                phase = buf.reshape(c, n, hb, pitch)[:, :, m0:m1, k0:k1].swapaxes(0, 1)
            else:
                phase = buf.reshape(c, hb, pitch, unit)[:, m0:m1, k0:k1].transpose(3, 0, 1, 2)
            out[:, :, r0:r0 + th * (m1 - m0):th, c0:c0 + tw * (k1 - k0):tw] = phase
    return out


def _phase_span(p, stride, pad, size):
    """Phase rows ``m`` with padded row ``p + stride*m`` inside the unpadded ``[pad, pad+size)``:
    ``(m0, m1, first unpadded row)``, or None when there are none."""
    m0 = max(0, -(-(pad - p) // stride))
    m1 = -(-(pad + size - p) // stride)
    if m1 <= m0:
        return None
    return m0, m1, p + stride * m0 - pad


def conv_weight_grad(x, gy, w_shape, spec, cols=None):
    """The adjoint of ``conv_forward`` in its weight: gy @ cols^T over the whole batch.

    ``cols`` is ``(columns, pitch)`` from the forward, or None to rebuild them.
    """
    xp = array_module(gy)
    if _dw.is_depthwise(w_shape, spec):
        return _dw.depthwise_weight_grad(xp, x, gy, w_shape, spec)
    if _wg.applies(w_shape, spec, gy.shape[0], gy.shape[2:], gy.dtype):
        return _wg.weight_grad(xp, x, gy, w_shape, spec.padding,
                               cols[0] if cols is not None else None)
    o = w_shape[0]
    g = spec.groups
    if _batch_last(xp, w_shape, spec, gy.shape[3]):
        cols = cols[0] if cols is not None else \
            _im2col_batch_last(xp, x, w_shape[2], w_shape[3], spec)[0]
        cols = cols.reshape(1, cols.shape[0], -1)
        gyc = xp.ascontiguousarray(gy.transpose(1, 2, 3, 0)).reshape(1, o, -1)
    else:
        cols, pitch = cols if cols is not None else \
            im2col(x, w_shape[2], w_shape[3], spec)[::2]
        gyc = _channel_major(xp, gy, pitch).reshape(g, o // g, -1)
    chunks = _k_chunks(cols.shape[1] * (o // g), gyc.shape[2])
    if chunks:
        # a tiny product over a very long K (a first layer: 1 or 3 input channels, a large
        # batch of images): OpenBLAS runs it 3x slower than K cut into chunks, one batched
        # gemm over them and a sum of the small partial products
        kc = gyc.shape[2] // chunks
        parts = (gyc.reshape(g, o // g, chunks, kc).transpose(0, 2, 1, 3)
                 @ cols.reshape(g, -1, chunks, kc).transpose(0, 2, 3, 1))
        return parts.sum(1).reshape(w_shape)
    if gyc.shape[2] < 1024:
        # a short product (deep layers, small images): its transposing copy would cost more
        # than this orientation loses
        return (gyc @ cols.transpose(0, 2, 1)).reshape(w_shape)
    # cols @ gy^T then transposed: OpenBLAS runs this orientation of the long-K product
    # faster than gy @ cols^T
    gw = cols @ gyc.transpose(0, 2, 1)                  # (G, C/G*KH*KW, O/G)
    return _transposed(xp, gw).reshape(w_shape)


def _k_chunks(out_size, k):
    """How many chunks to cut the inner dimension of a weight-gradient gemm into: 32 (or
    16, 8, whichever divides ``k``) where the product is at most 1024 values and ``k`` at
    least 8192 long; else 0 (a plain gemm is as fast)."""
    if out_size > 1024 or k < 8192:
        return 0
    return next((c for c in (32, 16, 8) if k % c == 0), 0)


def _transposed(xp, a):
    """A contiguous copy of (G, M, N) ``a`` as (G, N, M). A whole-array transposing copy of a
    large matrix reads with a stride of a full row and misses the cache on every element;
    copying 16 rows at a time keeps the columns being written in cache (about 3x faster for
    a 4608 x 512 weight gradient, on numpy; a device copies it whole)."""
    g, m, n = a.shape
    if xp is not np or m * n < (1 << 16):
        return xp.ascontiguousarray(a.transpose(0, 2, 1))
    out = np.empty((g, n, m), a.dtype)
    for i in range(0, m, 16):
        out[:, :, i:i + 16] = a[:, i:i + 16].transpose(0, 2, 1)
    return out


def _bias_axes(nd):
    return (0, 2) if nd == 1 else (0, 2, 3)


def _add_bias(out, b):
    out += b.reshape((-1,) + (1,) * (out.ndim - 2))
    return out


class Convolution(Function):
    """``y = conv(x, w) + b``: im2col, one batched gemm, bias added in place."""

    node_name = "ConvolutionBackward0"

    @staticmethod
    def forward(ctx, x, w, b, spec):
        nd = spec.nd
        ctx._spec = spec
        keep = ctx._recording and ctx.needs_input_grad[1]
        res = conv_forward(_as4d(x._data, nd), _as4d(w._data, nd), spec, keep)
        out, ctx.cols = res if keep else (res, None)
        if ctx._recording:
            ctx.save_for_backward(x, w)
        if nd == 1:
            out = out.reshape(out.shape[:2] + out.shape[3:])
        return out if b is None else _add_bias(out, b._data)

    @staticmethod
    def backward(ctx, gy):
        x, w = ctx.saved_tensors
        spec, needs = ctx._spec, ctx.needs_input_grad
        gx = gw = gb = None
        if needs[0]:
            gx = ConvInputGrad.apply(gy, w, None, tuple(x.shape), spec)
        if needs[1]:
            gw = ConvWeightGrad.apply(x, gy, tuple(w.shape), spec, ctx.cols)
        ctx.cols = None     # the columns are the largest saved array: free them now
        if needs[2]:
            gb = gy.sum(_bias_axes(spec.nd))
        return gx, gw, gb, None


class ConvInputGrad(Function):
    """``x = conv_transpose(gy, w) + b``: the input gradient of a convolution.

    ``in_shape`` is the shape of the convolution's input (the output here).
    """

    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, gy, w, b, in_shape, spec):
        nd = spec.nd
        ctx._spec = spec
        if ctx._recording:
            ctx.save_for_backward(gy, w)
        shape4 = in_shape[:2] + (1,) + in_shape[2:] if nd == 1 else in_shape
        gx = conv_input_grad(_as4d(gy._data, nd), _as4d(w._data, nd), shape4, spec)
        gx = gx.reshape(in_shape)
        return gx if b is None else _add_bias(gx, b._data)

    @staticmethod
    def backward(ctx, ggx):
        gy, w = ctx.saved_tensors
        spec, needs = ctx._spec, ctx.needs_input_grad
        d_gy = d_w = d_b = None
        if needs[0] and needs[1] and not _grad_state.enabled:
            # Both gradients im2col ``ggx`` alike: build its columns once (the Functions
            # below are only needed when this backward is itself differentiated).
            nd = spec.nd
            out, cols = conv_forward(_as4d(ggx._data, nd), _as4d(w._data, nd), spec, True)
            w4 = _as4d(w._data, nd).shape
            gw = conv_weight_grad(_as4d(ggx._data, nd), _as4d(gy._data, nd), w4, spec, cols)
            d_gy = Tensor._make(out.reshape(gy.shape))
            d_w = Tensor._make(gw.reshape(w.shape))
            d_b = ggx.sum(_bias_axes(nd)) if needs[2] else None
            return d_gy, d_w, d_b, None, None
        if needs[0]:
            d_gy = Convolution.apply(ggx, w, None, spec)
        if needs[1]:
            d_w = ConvWeightGrad.apply(ggx, gy, tuple(w.shape), spec, None)
        if needs[2]:
            d_b = ggx.sum(_bias_axes(spec.nd))
        return d_gy, d_w, d_b, None, None


class ConvTranspose(ConvInputGrad):
    """The transposed convolution as a layer: the same kernel, under the name users see."""

    node_name = "ConvolutionBackward0"


class ConvWeightGrad(Function):
    """``gw = sum_n gy[n] @ cols(x[n])^T``: the weight gradient of a convolution."""

    node_name = "ConvolutionBackwardBackward0"

    @staticmethod
    def forward(ctx, x, gy, w_shape, spec, cols=None):
        nd = spec.nd
        ctx._spec = spec
        if ctx._recording:
            ctx.save_for_backward(x, gy)
        shape4 = w_shape[:2] + (1,) + w_shape[2:] if nd == 1 else w_shape
        gw = conv_weight_grad(_as4d(x._data, nd), _as4d(gy._data, nd), shape4, spec, cols)
        return gw.reshape(w_shape)

    @staticmethod
    def backward(ctx, ggw):
        x, gy = ctx.saved_tensors
        spec, needs = ctx._spec, ctx.needs_input_grad
        d_x = d_gy = None
        if needs[0]:
            d_x = ConvInputGrad.apply(gy, ggw, None, tuple(x.shape), spec)
        if needs[1]:
            d_gy = Convolution.apply(x, ggw, None, spec)
        return d_x, d_gy, None, None, None
