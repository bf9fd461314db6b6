"""Functional convolution and pooling: argument checking in PyTorch's words, then one kernel.

The kernels live in ``disttrain.core.ops.conv`` and ``.pool``; this module turns PyTorch's
flexible arguments (ints or tuples, ``padding='same'``, unbatched inputs) into their specs.
Normalisation, padding/interpolation and attention are in sibling modules re-exported here.
"""
import warnings

from ..core.ops import conv as _conv, pool as _pool
from ._normfn import *  # noqa: F401,F403
from ._normfn import __all__ as _norm_all
from ._resample import *  # noqa: F401,F403
from ._resample import __all__ as _resample_all
from ._attention import *  # noqa: F401,F403
from ._attention import __all__ as _attention_all

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "max_pool1d",
           "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_max_pool1d", "adaptive_max_pool2d", "max_pool1d_with_indices",
           "max_pool2d_with_indices", "adaptive_max_pool2d_with_indices"]
__all__ += _norm_all + _resample_all + _attention_all


def _tuple(value, n, name, op_dims=None):
    """``value`` as an n-tuple of ints, or PyTorch's convolution error for a wrong length."""
    if isinstance(value, (list, tuple)):
        value = tuple(int(v) for v in value)
        if len(value) == 1:
            return value * n
        if len(value) != n:
            raise RuntimeError(f"expected {name} to be a single integer value or a list of "
                               f"{n} values to match the convolution dimensions, but got "
                               f"{name}={list(value)}")
        return value
    return (int(value),) * n


# ------------------------------------------------------------------------ convolution


def _check_rank(input, nd, op):
    if input.dim() not in (nd + 1, nd + 2):
        raise RuntimeError(f"Expected {nd + 1}D (unbatched) or {nd + 2}D (batched) input to "
                           f"{op}, but got input of size: {list(input.shape)}")


def _conv_padding(padding, nd, kernel, dilation, stride):
    """((top, bottom), (left, right)) from an int, a tuple, 'same' or 'valid'."""
    if isinstance(padding, str):
        if padding == "valid":
            pads = ((0, 0),) * nd
        elif padding == "same":
            if any(s != 1 for s in stride):
                raise RuntimeError("padding='same' is not supported for strided convolutions")
            pads = []
            for k, d in zip(kernel, dilation):
                total = d * (k - 1)
                pads.append((total // 2, total - total // 2))
                if total % 2:
                    warnings.warn("Using padding='same' with even kernel lengths and odd "
                                  "dilation may require a zero-padded copy of the input be "
                                  "created")
            pads = tuple(pads)
        else:
            raise RuntimeError(f"Invalid padding string: '{padding}'")
    else:
        pads = tuple((p, p) for p in _tuple(padding, nd, "padding"))
        if any(p < 0 for p, _ in pads):
            raise RuntimeError("negative padding is not supported")
    return pads


def _spec(nd, stride, pads, dilation, groups):
    if nd == 1:   # 1-d runs as 2-d over a height of one
        return _conv.ConvSpec((1,) + stride, ((0, 0),) + pads, (1,) + dilation, groups, 1)
    return _conv.ConvSpec(stride, pads, dilation, groups, 2)


def _check_common(stride, dilation, groups):
    if groups <= 0:
        raise RuntimeError("non-positive groups is not supported")
    if any(s <= 0 for s in stride):
        raise RuntimeError("non-positive stride is not supported")
    if any(d <= 0 for d in dilation):
        raise RuntimeError(f"dilation should be greater than zero, but got {list(dilation)}")


def _check_dtypes(input, weight, bias):
    if input.dtype != weight.dtype:
        raise RuntimeError(f"expected scalar type {_tname(input, 'title')} but found "
                           f"{_tname(weight, 'title')}")
    if bias is not None and bias.dtype != input.dtype:
        raise RuntimeError(f"Input type ({_tname(input)}) and bias type ({_tname(bias)}) should "
                           f"be the same")


def _tname(t, case="lower"):
    """PyTorch's C++ scalar-type names: Float/float, Double/double..."""
    name = {"float32": "float", "float64": "double", "float16": "half"}.get(t.dtype.name,
                                                                          t.dtype.name)
    return name.title() if case == "title" else name


def _convnd(input, weight, bias, stride, padding, dilation, groups, nd, op):
    _check_rank(input, nd, op)
    batched = input.dim() == nd + 2
    x = input if batched else input.unsqueeze(0)
    if weight.dim() != nd + 2:
        kd = weight.dim() - 2
        raise RuntimeError(f"expected stride to be a single integer value or a list of {kd} "
                           f"values to match the convolution dimensions, but got "
                           f"stride={list(_tuple(stride, nd, 'stride'))}")
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    kernel = tuple(weight.shape[2:])
    pads = _conv_padding(padding, nd, kernel, dilation, stride)
    _check_common(stride, dilation, groups)
    o, cg = weight.shape[:2]
    if o % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(weight.shape)}] "
                           f"instead")
    if x.shape[1] != cg * groups:
        raise RuntimeError(f"Given groups={groups}, weight of size {list(weight.shape)}, "
                           f"expected input{list(x.shape)} to have {cg * groups} channels, but "
                           f"got {x.shape[1]} channels instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != o):
        raise RuntimeError(f"Given weight of size {list(weight.shape)}, expected bias to be "
                           f"1-dimensional with {o} elements, but got bias of size "
                           f"{list(bias.shape)} instead")
    _check_dtypes(x, weight, bias)
    padded = [x.shape[2 + i] + sum(pads[i]) for i in range(nd)]
    eff = [dilation[i] * (kernel[i] - 1) + 1 for i in range(nd)]
    if any(p < k for p, k in zip(padded, eff)):
        raise RuntimeError(f"Calculated padded input size per channel: "
                           f"({' x '.join(map(str, padded))}). Kernel size: "
                           f"({' x '.join(map(str, eff))}). Kernel size can't be greater than "
                           f"actual input size")
    out = _conv.Convolution.apply(x, weight, bias, _spec(nd, stride, pads, dilation, groups))
    return out if batched else out.squeeze(0)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """1-d convolution (cross-correlation) over an input of shape (N, C_in, L) or (C_in, L).

    Args:
        input (Tensor): (N, C_in, L) or (C_in, L).
        weight (Tensor): (C_out, C_in / groups, K).
        bias (Tensor, optional): (C_out,).
        stride, padding, dilation: an int or a 1-tuple; ``padding`` may be 'same' or 'valid'.
        groups (int): split the channels into this many independent convolutions.

    Example::

        >>> F.conv1d(disttrain.randn(2, 4, 9), disttrain.randn(6, 4, 3)).shape
        disttrain.Size([2, 6, 7])
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 1, "conv1d")


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """2-d convolution (cross-correlation) over an input of shape (N, C_in, H, W) or (C_in, H, W).

    Args:
        input (Tensor): (N, C_in, H, W) or (C_in, H, W).
        weight (Tensor): (C_out, C_in / groups, kH, kW).
        bias (Tensor, optional): (C_out,).
        stride, padding, dilation: an int or a pair; ``padding`` may be 'same' or 'valid'.
        groups (int): split the channels into this many independent convolutions.

    Example::

        >>> F.conv2d(disttrain.randn(1, 16, 12, 12), disttrain.randn(33, 16, 3, 3)).shape
        disttrain.Size([1, 33, 10, 10])
    """
    return _convnd(input, weight, bias, stride, padding, dilation, groups, 2, "conv2d")


def _conv_transposend(input, weight, bias, stride, padding, output_padding, groups, dilation,
                      nd, op):
    _check_rank(input, nd, op)
    batched = input.dim() == nd + 2
    x = input if batched else input.unsqueeze(0)
    stride = _tuple(stride, nd, "stride")
    dilation = _tuple(dilation, nd, "dilation")
    pad = _tuple(padding, nd, "padding")
    opad = _tuple(output_padding, nd, "output_padding")
    _check_common(stride, dilation, groups)
    if any(p < 0 for p in pad):
        raise RuntimeError("negative padding is not supported")
    cin, cg = weight.shape[:2]
    if cin % groups:
        raise RuntimeError(f"Given groups={groups}, expected weight to be divisible by {groups} "
                           f"at dimension 0, but got weight of size [{list(weight.shape)}] "
                           f"instead")
    if x.shape[1] != cin:
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"input{list(x.shape)} to have {cin} channels, but got {x.shape[1]} "
                           f"channels instead")
    if bias is not None and (bias.dim() != 1 or bias.shape[0] != cg * groups):
        raise RuntimeError(f"Given transposed=1, weight of size {list(weight.shape)}, expected "
                           f"bias to be 1-dimensional with {cg * groups} elements, but got bias "
                           f"of size {list(bias.shape)} instead")
    if any(op_ >= s and op_ >= d for op_, s, d in zip(opad, stride, dilation)):
        names = ("height", "width") if nd == 2 else ("width",)
        parts = [f"output_padding_{n}: {v}" for n, v in zip(names, opad)]
        parts += [f"stride_{n}: {v}" for n, v in zip(names, stride)]
        parts += [f"dilation_{n}: {v}" for n, v in zip(names, dilation)]
        raise RuntimeError("output padding must be smaller than either stride or dilation, but "
                           "got " + " ".join(parts))
    _check_dtypes(x, weight, bias)
    kernel = weight.shape[2:]
    size = [(x.shape[2 + i] - 1) * stride[i] - 2 * pad[i] + dilation[i] * (kernel[i] - 1)
            + opad[i] + 1 for i in range(nd)]
    if any(s <= 0 for s in size):
        raise RuntimeError(f"Given input size per channel: "
                           f"({' x '.join(str(s) for s in x.shape[2:])}). Calculated output size "
                           f"per channel: ({' x '.join(map(str, size))}). Output size is too "
                           f"small")
    spec = _spec(nd, stride, tuple((p, p) for p in pad), dilation, groups)
    out_shape = (x.shape[0], cg * groups) + tuple(size)
    out = _conv.ConvTranspose.apply(x, weight, bias, out_shape, spec)
    return out if batched else out.squeeze(0)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """1-d transposed convolution; ``weight`` is (C_in, C_out / groups, K)."""
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, 1, "conv_transpose1d")


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                     dilation=1):
    """2-d transposed convolution (the gradient of conv2d w.r.t. its input).

    Args:
        input (Tensor): (N, C_in, H, W) or (C_in, H, W).
        weight (Tensor): (C_in, C_out / groups, kH, kW).
        bias (Tensor, optional): (C_out,).
        stride, padding, output_padding, dilation: an int or a pair.
        groups (int): number of blocked connections from input to output channels.

    Example::

        >>> F.conv_transpose2d(disttrain.randn(1, 4, 3, 3), disttrain.randn(4, 2, 3, 3),
        ...                    stride=2).shape
        disttrain.Size([1, 2, 7, 7])
    """
    return _conv_transposend(input, weight, bias, stride, padding, output_padding, groups,
                             dilation, 2, "conv_transpose2d")


# ---------------------------------------------------------------------------- pooling


def _pool_tuple(value, name, op):
    if isinstance(value, (list, tuple)):
        if len(value) == 1:
            return (int(value[0]),) * 2
        if len(value) != 2:
            raise RuntimeError(f"{op}: {name} must either be a single int, or a tuple of two "
                               f"ints")
        return tuple(int(v) for v in value)
    return (int(value),) * 2


def _pool_spec(input, kernel_size, stride, padding, dilation, ceil_mode, op):
    k = _pool_tuple(kernel_size, "kernel_size", op)
    s = k if stride is None or (isinstance(stride, (list, tuple)) and len(stride) == 0) else \
        _pool_tuple(stride, "stride", op)
    p = _pool_tuple(padding, "padding", op)
    d = _pool_tuple(dilation, "dilation", op)
    if any(v <= 0 for v in k):
        raise RuntimeError(f"kernel size should be greater than zero, but got kH: {k[0]} kW: "
                           f"{k[1]}")
    if any(v <= 0 for v in s):
        raise RuntimeError("stride should not be zero")
    if any(v <= 0 for v in d):
        raise RuntimeError(f"dilation should be greater than zero, but got dilationH: {d[0]} "
                           f"dilationW: {d[1]}")
    for i in range(2):
        if p[i] > (d[i] * (k[i] - 1) + 1) // 2:
            raise RuntimeError(f"pad should be at most half of effective kernel size, but got "
                               f"pad={p[i]}, kernel_size={k[i]} and dilation={d[i]}")
    if p[0] > k[0] // 2 or p[1] > k[1] // 2:
        raise RuntimeError(f"pad should be smaller than or equal to half of kernel size, but got "
                           f"padW = {p[1]}, padH = {p[0]}, kW = {k[1]}, kH = {k[0]}")
    spec = _pool.PoolSpec(k, s, p, d, bool(ceil_mode))
    shape = input.shape
    out = [_pool.pool_out_size(shape[-2 + i], k[i], s[i], p[i], d[i], ceil_mode)
           for i in range(2)]
    if out[0] < 1 or out[1] < 1:
        raise RuntimeError(f"Given input size: ({'x'.join(map(str, shape[-3:]))}). Calculated "
                           f"output size: ({shape[-3]}x{out[0]}x{out[1]}). Output size is too "
                           f"small")
    return spec


def _batched4(input, op_msg):
    if input.dim() not in (3, 4) or input.numel() == 0:
        raise RuntimeError(op_msg)
    return (input, True) if input.dim() == 4 else (input.unsqueeze(0), False)


def _unbatch(result, batched, dim=0):
    if batched:
        return result
    if isinstance(result, tuple):
        return tuple(r.squeeze(dim) for r in result)
    return result.squeeze(dim)


def _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, with_indices):
    x, batched = _batched4(input, "non-empty 3D or 4D (batch mode) tensor expected for input")
    spec = _pool_spec(x, kernel_size, stride, padding, dilation, ceil_mode, "max_pool2d")
    return _unbatch(_pool.MaxPool2d.apply(x, spec, with_indices), batched)


def max_pool2d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    """Max pooling over (N, C, H, W) or (C, H, W); returns values and flat ``h * W + w`` indices."""
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """2-d max pooling.

    Args:
        input (Tensor): (N, C, H, W) or (C, H, W).
        kernel_size (int or tuple): window size.
        stride (int or tuple, optional): default ``kernel_size``.
        padding (int or tuple): implicit -inf padding on both sides, at most half the kernel.
        dilation (int or tuple): spacing between window elements.
        ceil_mode (bool): round the output size up instead of down.
        return_indices (bool): also return the argmax indices (for ``MaxUnpool2d``).

    Example::

        >>> F.max_pool2d(disttrain.randn(1, 6, 30, 30), (2, 2)).shape
        disttrain.Size([1, 6, 15, 15])
    """
    return _max_pool2d(input, kernel_size, stride, padding, dilation, ceil_mode,
                       bool(return_indices))


def _as_2d_pool(input, op):
    if input.dim() not in (2, 3):
        raise RuntimeError(f"{op}: Expected 2D or 3D (batch mode) tensor with optional 0 dim "
                           f"batch size for input, but got:{list(input.shape)}")
    return input.unsqueeze(-2)


def _one(v, default=None):
    if v is None:
        return default
    return (1, int(v[0] if isinstance(v, (list, tuple)) else v))


def _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, with_indices):
    x = _as_2d_pool(input, "max_pool1d")
    k, p = _one(kernel_size), _one(padding)
    d = _one(dilation)
    s = _one(stride) if stride is not None and stride != () else k
    if p[1] > (d[1] * (k[1] - 1) + 1) // 2:
        raise RuntimeError(f"max_pool1d() padding should be at most half of kernel size, but got "
                           f"padding={p[1]} and kernel_size={k[1]}")
    n = _pool.pool_out_size(x.shape[-1], k[1], s[1], p[1], d[1], ceil_mode)
    if n < 1:
        raise RuntimeError(f"max_pool1d() Invalid computed output size: {n}")
    spec = _pool.PoolSpec(k, s, (0, p[1]), d, bool(ceil_mode))
    x4, batched = (x, True) if x.dim() == 4 else (x.unsqueeze(0), False)
    out = _unbatch(_pool.MaxPool2d.apply(x4, spec, with_indices), batched)
    return _unbatch(out, False, -2)


def max_pool1d_with_indices(input, kernel_size, stride=None, padding=0, dilation=1,
                            ceil_mode=False, return_indices=True):
    """1-d max pooling over (N, C, L) or (C, L), with indices into L."""
    return _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode, True)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """1-d max pooling over (N, C, L) or (C, L); arguments as ``max_pool2d`` with ints."""
    return _max_pool1d(input, kernel_size, stride, padding, dilation, ceil_mode,
                       bool(return_indices))


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """2-d average pooling.

    Args:
        input (Tensor): (N, C, H, W) or (C, H, W).
        kernel_size, stride (default ``kernel_size``), padding: an int or a pair.
        ceil_mode (bool): round the output size up.
        count_include_pad (bool): count the zero padding in the divisor.
        divisor_override (int, optional): divide by this instead.

    Example::

        >>> F.avg_pool2d(disttrain.ones(1, 1, 4, 4), 2)
        tensor([[[[1., 1.],
                  [1., 1.]]]])
    """
    if input.dim() not in (3, 4):
        raise IndexError(f"Dimension out of range (expected to be in range of "
                         f"[{-max(input.dim(), 1)}, {max(input.dim(), 1) - 1}], but got -3)")
    x, batched = (input, True) if input.dim() == 4 else (input.unsqueeze(0), False)
    spec = _pool_spec(x, kernel_size, stride, padding, 1, ceil_mode, "avg_pool2d")
    if divisor_override is not None and divisor_override == 0:
        raise RuntimeError("divisor must be not zero")
    out = _pool.AvgPool2d.apply(x, spec, bool(count_include_pad), divisor_override)
    return out if batched else out.squeeze(0)


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    """1-d average pooling over (N, C, L) or (C, L)."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for "
                           f"avg_pool1d)")
    k, p = _one(kernel_size), (0, _one(padding)[1])
    s = _one(stride) if stride is not None and stride != () else k
    return avg_pool2d(input.unsqueeze(-2), k, s, p, ceil_mode, count_include_pad).squeeze(-2)


def _adaptive_size(output_size, shape, n, op):
    if isinstance(output_size, (list, tuple)):
        if len(output_size) != n:
            raise RuntimeError(f"{op}: output_size must be {n}")
        return tuple(shape[-n + i] if v is None else int(v) for i, v in enumerate(output_size))
    return (int(output_size),) * n


def adaptive_avg_pool2d(input, output_size):
    """Average pooling to a fixed output size (H_out, W_out); ``None`` keeps the input's size.

    Example::

        >>> F.adaptive_avg_pool2d(disttrain.randn(1, 64, 8, 9), (5, 7)).shape
        disttrain.Size([1, 64, 5, 7])
    """
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_avg_pool2d(): Expected 3D or 4D tensor, but got "
                           f"{list(input.shape)}")
    size = _adaptive_size(output_size, input.shape, 2, "adaptive_avg_pool2d")
    x, batched = (input, True) if input.dim() == 4 else (input.unsqueeze(0), False)
    out = _pool.AdaptiveAvgPool2d.apply(x, size)
    return out if batched else out.squeeze(0)


def adaptive_avg_pool1d(input, output_size):
    """Average pooling of (N, C, L) or (C, L) to length ``output_size``."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"Expected 2 to 3 dimensions, but got {input.dim()}-dimensional "
                           f"tensor for argument #1 'self' (while checking arguments for "
                           f"adaptive_avg_pool1d)")
    size = _adaptive_size(output_size, input.shape, 1, "adaptive_avg_pool1d")
    return adaptive_avg_pool2d(input.unsqueeze(-2), (1, size[0])).squeeze(-2)


def adaptive_max_pool2d_with_indices(input, output_size, return_indices=True):
    if input.dim() not in (3, 4):
        raise RuntimeError(f"adaptive_max_pool2d(): Expected 3D or 4D tensor, but got: "
                           f"{list(input.shape)}")
    size = _adaptive_size(output_size, input.shape, 2, "adaptive_max_pool2d")
    x, batched = (input, True) if input.dim() == 4 else (input.unsqueeze(0), False)
    out, idx = _pool.AdaptiveMaxPool2d.apply(x, size)
    return (out, idx) if batched else (out.squeeze(0), idx.squeeze(0))


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """Max pooling to a fixed output size; with ``return_indices`` also the flat argmax indices.

    Example::

        >>> F.adaptive_max_pool2d(disttrain.randn(1, 64, 8, 9), 3).shape
        disttrain.Size([1, 64, 3, 3])
    """
    out, idx = adaptive_max_pool2d_with_indices(input, output_size)
    return (out, idx) if return_indices else out


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """Max pooling of (N, C, L) or (C, L) to length ``output_size``."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"adaptive_max_pool1d(): Expected 2D or 3D tensor, but got: "
                           f"{list(input.shape)}")
    size = _adaptive_size(output_size, input.shape, 1, "adaptive_max_pool1d")
    out, idx = adaptive_max_pool2d_with_indices(input.unsqueeze(-2), (1, size[0]))
    out, idx = out.squeeze(-2), idx.squeeze(-2)
    return (out, idx) if return_indices else out
