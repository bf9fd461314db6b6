"""Functional 3-d convolution and pooling, Lp pooling, max-unpooling and fold/unfold.

They are compositions of differentiable ops: sliding windows are gathered with
``index_select`` (one per spatial dimension), 3-d convolution sums one 2-d convolution per
depth tap, and transposed 3-d convolution is a convolution of the stride-dilated input with
the flipped kernel. Max pooling picks the first maximum of a window on ties, as PyTorch does.
"""
import numpy as np

from ..core import creation as _c, dtype as _dt
from ..core.device import array_module
from ..core.tensor import Tensor

__all__ = ["conv3d", "conv_transpose3d", "max_pool3d", "max_pool3d_with_indices", "avg_pool3d",
           "adaptive_avg_pool3d", "adaptive_max_pool3d", "adaptive_max_pool3d_with_indices",
           "adaptive_max_pool1d_with_indices", "lp_pool1d", "lp_pool2d", "lp_pool3d",
           "max_unpool1d", "max_unpool2d", "max_unpool3d", "fold", "unfold", "conv_tbc"]


def _ntuple(v, n):
    if isinstance(v, (list, tuple)):
        return tuple(int(x) for x in v) if len(v) != 1 else (int(v[0]),) * n
    return (int(v),) * n


def _index(like, arr):
    return Tensor._make(array_module(like._data).asarray(np.asarray(arr, dtype=np.int64)))


def _windows(x, dims, kernel, stride, dilation):
    """Sliding windows over ``dims``: each dim d becomes its output size and a window axis of
    ``kernel[d]`` is appended at the end (in the order of ``dims``)."""
    for dim, k, s, d in zip(dims, kernel, stride, dilation):
        n = x.shape[dim]
        o = (n - d * (k - 1) - 1) // s + 1
        idx = (np.arange(o)[:, None] * s + np.arange(k)[None, :] * d).reshape(-1)
        shape = tuple(x.shape)
        x = x.index_select(dim, _index(x, idx)).reshape(*shape[:dim], o, k, *shape[dim + 1:])
        x = x.movedim(dim + 1, -1)
    return x


def _out_size(n, k, s, p, d, ceil_mode):
    span = d * (k - 1) + 1
    if ceil_mode:
        o = -(-(n + 2 * p - span) // s) + 1
        if (o - 1) * s >= n + p:        # the last window must start inside the input or pad
            o -= 1
    else:
        o = (n + 2 * p - span) // s + 1
    return o


def _pool_args(input, nd, kernel_size, stride, padding, dilation, op):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"non-empty {nd + 1}D or {nd + 2}D (batch mode) tensor expected for "
                           f"input")
    k = _ntuple(kernel_size, nd)
    s = k if stride is None or stride == () or stride == [] else _ntuple(stride, nd)
    p = _ntuple(padding, nd)
    d = _ntuple(dilation, nd)
    for i in range(nd):
        if p[i] > k[i] // 2:
            raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, "
                               f"but got padW = {p[-1]}, padH = {p[-2]}, kW = {k[-1]}, "
                               f"kH = {k[-2]}" if nd > 1 else
                               f"{op}: pad should be at most half of kernel size")
    return k, s, p, d


def _padded_windows(x, nd, k, s, p, d, ceil_mode, value):
    """Windows of ``x`` padded by ``p`` (and on the right as ceil_mode needs) with ``value``."""
    from ._resample import pad
    sizes = x.shape[-nd:]
    outs = [_out_size(sizes[i], k[i], s[i], p[i], d[i], ceil_mode) for i in range(nd)]
    if any(o < 1 for o in outs):
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, x.shape[1:]))}). Calculated "
                           f"output size: ({x.shape[1]}x{'x'.join(map(str, outs))}). Output "
                           f"size is too small")
    widths = []
    for i in reversed(range(nd)):
        need = (outs[i] - 1) * s[i] + d[i] * (k[i] - 1) + 1
        widths += [p[i], max(need - sizes[i] - p[i], p[i])]
    xp_ = pad(x, tuple(widths), value=value) if any(widths) else x
    dims = list(range(x.dim() - nd, x.dim()))
    w = _windows(xp_, dims, k, s, d)
    # trim to the output sizes (extra right padding may allow more windows than asked for)
    for i, dim in enumerate(dims):
        if w.shape[dim] != outs[i]:
            w = w.narrow(dim, 0, outs[i])
    return w, widths


def _batched(input, nd):
    return (input, True) if input.dim() == nd + 2 else (input.unsqueeze(0), False)


def _max_pool(input, nd, kernel_size, stride, padding, dilation, ceil_mode, op):
    k, s, p, d = _pool_args(input, nd, kernel_size, stride, padding, dilation, op)
    x, batched = _batched(input, nd)
    w, widths = _padded_windows(x, nd, k, s, p, d, ceil_mode, float("-inf"))
    flat = w.reshape(*w.shape[:x.dim()], -1)
    out, arg = flat.max(-1)
    # the flat input index of each window element (padding -1), gathered at the argmax;
    # float64 holds every index exactly
    sizes = tuple(x.shape[-nd:])
    pos = _c.arange(int(np.prod(sizes)), dtype=_dt.float64, device=x.device)
    pw, _ = _padded_windows(pos.reshape(1, 1, *sizes), nd, k, s, p, d, ceil_mode, -1.0)
    pw = pw.reshape(1, 1, *out.shape[2:], -1).expand(*out.shape, flat.shape[-1])
    idx = pw.gather(-1, arg.unsqueeze(-1)).squeeze(-1).long()
    if not batched:
        out, idx = out.squeeze(0), idx.squeeze(0)
    return out, idx


def max_pool3d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    """3-d max pooling; returns values and flat ``(d * H + h) * W + w`` indices."""
    return _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode, "max_pool3d")


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """3-d max pooling of (N, C, D, H, W) or (C, D, H, W).

    Example::

        >>> F.max_pool3d(disttrain.randn(1, 2, 4, 4, 4), 2).shape
        disttrain.Size([1, 2, 2, 2, 2])
    """
    out, idx = _max_pool(input, 3, kernel_size, stride, padding, dilation, ceil_mode,
                         "max_pool3d")
    return (out, idx) if return_indices else out


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """3-d average pooling; the divisor counts the padding (``count_include_pad``) but never
    the extra positions ``ceil_mode`` adds, as in PyTorch."""
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    k, s, p, d = _pool_args(input, 3, kernel_size, stride, padding, 1, "avg_pool3d")
    x, batched = _batched(input, 3)
    w, widths = _padded_windows(x, 3, k, s, p, d, ceil_mode, 0.0)
    total = w.reshape(*w.shape[:5], -1).sum(-1)
    if divisor_override is not None:
        out = total / divisor_override
    else:
        sizes = tuple(x.shape[-3:])
        ones = _c.ones(1, 1, *sizes, dtype=x.dtype, device=x.device)
        from ._resample import pad
        if count_include_pad:       # the padded region counts, the ceil overflow does not
            inner = tuple(v for i in reversed(range(3)) for v in (p[i], p[i]))
            ones = pad(ones, inner, value=1.0)
            rest = tuple(w_ - p_ for w_, p_ in zip(widths, inner))
            ones = pad(ones, rest, value=0.0)
        else:
            ones = pad(ones, tuple(widths), value=0.0)
        cnt = _windows(ones, [2, 3, 4], k, s, d)
        cnt = cnt.narrow(2, 0, total.shape[2]).narrow(3, 0, total.shape[3]) \
            .narrow(4, 0, total.shape[4])
        out = total / cnt.reshape(*cnt.shape[:5], -1).sum(-1)
    return out if batched else out.squeeze(0)


def _adaptive_bounds(n, o):
    starts = [(i * n) // o for i in range(o)]
    ends = [-(-((i + 1) * n) // o) for i in range(o)]
    return starts, ends


def _adaptive(input, nd, output_size, reduce_max, op):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"{op}(): Expected {nd + 1}D or {nd + 2}D tensor, but got: "
                           f"{list(input.shape)}")
    x, batched = _batched(input, nd)
    sizes = tuple(x.shape[-nd:])
    if isinstance(output_size, (list, tuple)):
        outs = tuple(sizes[i] if v is None else int(v) for i, v in enumerate(output_size))
    else:
        outs = (int(output_size),) * nd
    # one bin per output position: pad each bin to the largest bin width with a filler that
    # cannot win (max) or count (mean), then reduce
    fill = float("-inf") if reduce_max else 0.0
    pos = _c.arange(int(np.prod(sizes)), dtype=_dt.float64, device=x.device)
    pos = pos.reshape(1, 1, *sizes)
    cnt = _c.ones(1, 1, *sizes, dtype=x.dtype, device=x.device)
    vals, poss, cnts = x, pos, cnt
    for i in range(nd):
        dim = 2 + i
        st, en = _adaptive_bounds(sizes[i], outs[i])
        width = max(e - s for s, e in zip(st, en))
        idx = np.array([[min(s + j, e - 1) for j in range(width)] for s, e in zip(st, en)])
        valid = np.array([[s + j < e for j in range(width)] for s, e in zip(st, en)])
        sel = _index(x, idx.reshape(-1))
        vshape = [1] * (vals.dim() + 1)
        vshape[dim], vshape[dim + 1] = outs[i], width
        vmask = Tensor._make(array_module(x._data).asarray(valid)).reshape(vshape)

        def gather(t, filler):
            shape = tuple(t.shape)
            t = t.index_select(dim, sel).reshape(*shape[:dim], outs[i], width, *shape[dim + 1:])
            t = t.masked_fill(~vmask, filler)
            return t.movedim(dim + 1, -1)
        vals, poss, cnts = gather(vals, fill), gather(poss, -1.0), gather(cnts, 0.0)
    flat = vals.reshape(*vals.shape[:nd + 2], -1)
    if reduce_max:
        out, arg = flat.max(-1)
        p = poss.reshape(*poss.shape[:nd + 2], -1).expand(*out.shape, flat.shape[-1])
        idx = p.gather(-1, arg.unsqueeze(-1)).squeeze(-1).long()
        return (out, idx) if batched else (out.squeeze(0), idx.squeeze(0))
    out = flat.sum(-1) / cnts.reshape(*cnts.shape[:nd + 2], -1).sum(-1)
    return out if batched else out.squeeze(0)


def adaptive_avg_pool3d(input, output_size):
    """Average pooling of (N, C, D, H, W) to a fixed output size."""
    return _adaptive(input, 3, output_size, False, "adaptive_avg_pool3d")


def adaptive_max_pool3d_with_indices(input, output_size, return_indices=True):
    """Adaptive 3-d max pooling: values and flat argmax indices."""
    return _adaptive(input, 3, output_size, True, "adaptive_max_pool3d")


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """Max pooling of (N, C, D, H, W) to a fixed output size."""
    out, idx = _adaptive(input, 3, output_size, True, "adaptive_max_pool3d")
    return (out, idx) if return_indices else out


def adaptive_max_pool1d_with_indices(input, output_size, return_indices=True):
    """Adaptive 1-d max pooling: values and argmax indices."""
    from ._poolfn import adaptive_max_pool1d
    return adaptive_max_pool1d(input, output_size, True)


def _lp_pool(input, nd, norm_type, kernel_size, stride, ceil_mode):
    from ._poolfn import avg_pool1d, avg_pool2d
    k = _ntuple(kernel_size, nd)
    pool = {1: avg_pool1d, 2: avg_pool2d, 3: avg_pool3d}[nd]
    s = stride if stride is not None else k
    out = pool(input.pow(norm_type), k, s, 0, ceil_mode)
    # sign(x)·relu(|x|)·(kernel area), then the p-th root (PyTorch's formula)
    return (out.sign() * out.abs().relu()).mul(int(np.prod(k))).pow(1.0 / norm_type)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(Σ x^p)^(1/p) over windows of (N, C, L)."""
    return _lp_pool(input, 1, norm_type, kernel_size, stride, ceil_mode)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(Σ x^p)^(1/p) over windows of (N, C, H, W)."""
    return _lp_pool(input, 2, norm_type, kernel_size, stride, ceil_mode)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """(Σ x^p)^(1/p) over windows of (N, C, D, H, W)."""
    return _lp_pool(input, 3, norm_type, kernel_size, stride, ceil_mode)


def _max_unpool(input, indices, nd, kernel_size, stride, padding, output_size):
    k = _ntuple(kernel_size, nd)
    s = k if stride is None else _ntuple(stride, nd)
    p = _ntuple(padding, nd)
    x, batched = _batched(input, nd)
    idx = indices if batched else indices.unsqueeze(0)
    default = tuple((x.shape[2 + i] - 1) * s[i] - 2 * p[i] + k[i] for i in range(nd))
    if output_size is None:
        size = default
    else:
        size = tuple(int(v) for v in output_size)[-nd:]
        for i in range(nd):
            lo, hi = default[i] - s[i], default[i] + s[i]
            if not lo < size[i] < hi:
                raise ValueError(f"invalid output_size \"{output_size}\" (dim {i} must "
                                 f"be between {lo} and {hi})")
    n, c = x.shape[:2]
    flat = int(np.prod(size))
    if idx.numel() and (int(idx.max()) >= flat or int(idx.min()) < 0):
        raise RuntimeError(f"Found an invalid max index: {int(idx.max())} (output volumes are "
                           f"of size {'x'.join(map(str, size))}")
    out = _c.zeros(n, c, flat, dtype=x.dtype, device=x.device)
    out = out.scatter(2, idx.reshape(n, c, -1), x.reshape(n, c, -1)).reshape(n, c, *size)
    return out if batched else out.squeeze(0)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool1d: each value goes back to its argmax, zeros elsewhere."""
    return _max_unpool(input, indices, 1, kernel_size, stride, padding, output_size)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool2d: each value goes back to its argmax, zeros elsewhere."""
    return _max_unpool(input, indices, 2, kernel_size, stride, padding, output_size)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """The partial inverse of max_pool3d: each value goes back to its argmax, zeros elsewhere."""
    return _max_unpool(input, indices, 3, kernel_size, stride, padding, output_size)


def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding blocks of (N, C, H, W) as columns: (N, C·kh·kw, L) (im2col)."""
    if input.dim() not in (3, 4):
        raise RuntimeError(f"Expected 3D or 4D (batch mode) tensor with possibly 0 batch size "
                           f"and other non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    from ._resample import pad
    k, d = _ntuple(kernel_size, 2), _ntuple(dilation, 2)
    p, s = _ntuple(padding, 2), _ntuple(stride, 2)
    x, batched = (input, True) if input.dim() == 4 else (input.unsqueeze(0), False)
    if any(p):
        x = pad(x, (p[1], p[1], p[0], p[0]))
    w = _windows(x, [2, 3], k, s, d)              # (N, C, oh, ow, kh, kw)
    n, c, oh, ow = w.shape[:4]
    out = w.permute(0, 1, 4, 5, 2, 3).reshape(n, c * k[0] * k[1], oh * ow)
    return out if batched else out.squeeze(0)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """Sum columns (N, C·kh·kw, L) back into (N, C, H, W): the adjoint of :func:`unfold`."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2D or 3D (batch mode) tensor for input with possibly 0 "
                           f"batch size and non-zero dimensions for input, but got: "
                           f"{list(input.shape)}")
    size, k = _ntuple(output_size, 2), _ntuple(kernel_size, 2)
    d, p, s = _ntuple(dilation, 2), _ntuple(padding, 2), _ntuple(stride, 2)
    x, batched = (input, True) if input.dim() == 3 else (input.unsqueeze(0), False)
    n, ck, L = x.shape
    kk = k[0] * k[1]
    if ck % kk:
        raise RuntimeError(f"Expected size of input's dimension 1 to be divisible by the "
                           f"product of kernel_size, but got input.size(1)={ck} and "
                           f"kernel_size=({k[0]}, {k[1]}).")
    hp, wp = size[0] + 2 * p[0], size[1] + 2 * p[1]
    oh = (hp - d[0] * (k[0] - 1) - 1) // s[0] + 1
    ow = (wp - d[1] * (k[1] - 1) - 1) // s[1] + 1
    if oh * ow != L:
        raise RuntimeError(f"Given output_size=({size[0]}, {size[1]}), kernel_size=({k[0]}, "
                           f"{k[1]}), dilation=({d[0]}, {d[1]}), padding=({p[0]}, {p[1]}), "
                           f"stride=({s[0]}, {s[1]}), expected size of input's dimension 2 to "
                           f"match the calculated number of sliding blocks {oh} * {ow} = "
                           f"{oh * ow}, but got input.size(2)={L}.")
    c = ck // kk
    # the padded-output position of every (kernel tap, block): one index_add does the sums
    ki, kj = np.meshgrid(np.arange(k[0]), np.arange(k[1]), indexing="ij")
    bi, bj = np.meshgrid(np.arange(oh), np.arange(ow), indexing="ij")
    rows = ki.reshape(-1, 1) * d[0] + bi.reshape(1, -1) * s[0]
    cols = kj.reshape(-1, 1) * d[1] + bj.reshape(1, -1) * s[1]
    target = _index(x, (rows * wp + cols).reshape(-1))
    out = _c.zeros(n, c, hp * wp, dtype=x.dtype, device=x.device)
    out = out.index_add(2, target, x.reshape(n, c, kk * L)).reshape(n, c, hp, wp)
    out = out[:, :, p[0]:p[0] + size[0], p[1]:p[1] + size[1]]
    return out if batched else out.squeeze(0)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """3-d convolution of (N, C, D, H, W) or (C, D, H, W) with an (O, C/groups, kD, kH, kW)
    kernel; ``padding`` may be an int, a triple, ``'valid'`` or ``'same'``.

    Example::

        >>> F.conv3d(disttrain.randn(1, 2, 5, 5, 5), disttrain.randn(4, 2, 3, 3, 3)).shape
        disttrain.Size([1, 4, 3, 3, 3])
    """
    from ._spatial import _conv_padding, _check_common
    from ._spatial import conv2d
    from ._resample import pad as _pad
    if input.dim() not in (4, 5):
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to conv3d, but got "
                           f"input of size: {list(input.shape)}")
    x, batched = _batched(input, 3)
    s, d = _ntuple(stride, 3), _ntuple(dilation, 3)
    k = tuple(weight.shape[2:])
    pads = _conv_padding(padding, 3, k, d, s)
    _check_common(s, d, groups)
    if x.shape[1] != weight.shape[1] * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(x.shape)} to have {weight.shape[1] * groups} "
                           f"channels, but got {x.shape[1]} channels instead")
    widths = tuple(v for i in reversed(range(3)) for v in pads[i])
    if any(widths):
        x = _pad(x, widths)
    n, c, dd = x.shape[:3]
    od = (dd - d[0] * (k[0] - 1) - 1) // s[0] + 1
    if od < 1:
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, x.shape[2:]))}). Kernel size: "
                           f"({' x '.join(str(d[i] * (k[i] - 1) + 1) for i in range(3))}). "
                           f"Kernel size can't be greater than actual input size")
    acc = None
    for i in range(k[0]):
        xs = x.narrow(2, i * d[0], s[0] * (od - 1) + 1)[:, :, ::s[0]]
        xs = xs.transpose(1, 2).reshape(n * od, c, *x.shape[3:])
        y = conv2d(xs, weight[:, :, i], None, s[1:], 0, d[1:], groups)
        acc = y if acc is None else acc + y
    o = weight.shape[0]
    out = acc.reshape(n, od, o, *acc.shape[2:]).transpose(1, 2)
    if bias is not None:
        out = out + bias.reshape(1, o, 1, 1, 1)
    return out if batched else out.squeeze(0)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """Transposed 3-d convolution (the gradient of :func:`conv3d` w.r.t. its input), with an
    (C_in, C_out/groups, kD, kH, kW) kernel."""
    from ._resample import pad as _pad
    if input.dim() not in (4, 5):
        raise RuntimeError(f"Expected 4D (unbatched) or 5D (batched) input to "
                           f"conv_transpose3d, but got input of size: {list(input.shape)}")
    x, batched = _batched(input, 3)
    s, p = _ntuple(stride, 3), _ntuple(padding, 3)
    op, d = _ntuple(output_padding, 3), _ntuple(dilation, 3)
    for i in range(3):
        if op[i] >= s[i] and op[i] >= d[i]:
            raise RuntimeError("output padding must be smaller than either stride or dilation, "
                               f"but got output_padding_depth: {op[0]} output_padding_height: "
                               f"{op[1]} output_padding_width: {op[2]} stride_depth: {s[0]} "
                               f"stride_height: {s[1]} stride_width: {s[2]} dilation_depth: "
                               f"{d[0]} dilation_height: {d[1]} dilation_width: {d[2]}")
    k = tuple(weight.shape[2:])
    # 1. stride-dilate the input (s - 1 zeros between neighbours)
    for i in range(3):
        if s[i] > 1:
            dim = 2 + i
            shape = tuple(x.shape)
            z = _c.zeros(*shape[:dim + 1], s[i] - 1, *shape[dim + 1:], dtype=x.dtype,
                         device=x.device)
            x = _cat([x.unsqueeze(dim + 1), z], dim + 1)
            x = x.reshape(*shape[:dim], shape[dim] * s[i], *shape[dim + 1:])
            x = x.narrow(dim, 0, (shape[dim] - 1) * s[i] + 1)
    # 2. pad by dilation·(k - 1) - padding (crop where negative), output_padding on the right
    widths = []
    for i in reversed(range(3)):
        e = d[i] * (k[i] - 1) - p[i]
        widths += [e, e + op[i]]
    x = _pad(x, tuple(max(w, 0) for w in widths))
    for i in range(3):
        lo, hi = widths[2 * (2 - i)], widths[2 * (2 - i) + 1]
        if lo < 0 or hi < 0:
            dim = 2 + i
            start = -min(lo, 0)
            x = x.narrow(dim, start, x.shape[dim] - start + min(hi, 0))
    # 3. the kernel as a forward convolution's: (C_out, C_in/groups, k...), flipped
    cin, cog = weight.shape[:2]
    w = weight.reshape(groups, cin // groups, cog, *k).transpose(1, 2)
    w = w.reshape(groups * cog, cin // groups, *k).flip([2, 3, 4])
    out = conv3d(x, w, bias, 1, 0, d, groups)
    return out if batched else out.squeeze(0)


def _cat(ts, dim):
    from ..core import functions as _fn
    return _fn.cat(ts, dim)


def conv_tbc(input, weight, bias, pad=0):
    """1-d convolution of time-batch-channel input (T, B, C) with a (K, C, O) kernel:
    (T + 2·pad - K + 1, B, O)."""
    from ._spatial import conv1d
    if input.dim() != 3:
        raise RuntimeError("Input must have 3 dims: time, batch, in_channel")
    if weight.dim() != 3:
        raise RuntimeError("Weight tensor must have 3 dims: kernel_width, in_channels, "
                           "out_channels.")
    if bias.dim() != 1:
        raise RuntimeError("Bias must be 1-D")
    out = conv1d(input.permute(1, 2, 0), weight.permute(2, 1, 0), bias, padding=pad)
    return out.permute(2, 0, 1)
