"""Functional pooling: max, average and adaptive, in one and two dimensions.

Arguments are checked in PyTorch's words and turned into a ``PoolSpec`` for the kernels in
``disttrain.core.ops.pool``; 1-d pooling runs as 2-d pooling over a height of one.
"""
from ..core.ops import pool as _pool

__all__ = ["max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
           "adaptive_avg_pool2d", "adaptive_max_pool1d", "adaptive_max_pool2d",
           "max_pool1d_with_indices", "max_pool2d_with_indices",
           "adaptive_max_pool2d_with_indices"]


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
    if input.dim() not in (3, 4) or 0 in input.shape[-3:]:    # an empty batch is fine
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
