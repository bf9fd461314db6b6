"""Functional convolution: argument checking in PyTorch's words, then one kernel.

The kernels live in ``disttrain.core.ops.conv``; this module turns PyTorch's flexible
arguments (ints or tuples, ``padding='same'``, unbatched inputs) into their spec. The
spatial and sequence layers' other functional forms (pooling, normalisation, padding and
interpolation, attention) live in sibling modules and are re-exported here, so that
``functional`` takes them all with one import.
"""
import warnings

from ..core.ops import conv as _conv
from ._poolfn import *  # noqa: F401,F403
from ._poolfn import __all__ as _pool_all
from ._normfn import *  # noqa: F401,F403
from ._normfn import __all__ as _norm_all
from ._resample import *  # noqa: F401,F403
from ._resample import __all__ as _resample_all
from ._attention import *  # noqa: F401,F403
from ._attention import __all__ as _attention_all

__all__ = ["conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d"]
__all__ += _pool_all + _norm_all + _resample_all + _attention_all


def _tuple(value, n, name):
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
