"""The public math API (``disttrain.add``, ``disttrain.sum`` ...) and the Tensor methods.

Each function normalises PyTorch's argument forms and calls one Function; the same
function becomes the Tensor method, so ``x.sum(1)`` and ``disttrain.sum(x, 1)`` agree.
"""
import builtins
import math

import numpy as np

from . import dtype as _dt
from .autograd import grad_mode
from .grad_mode import state as _grad_state
from .tensor import Tensor
from .ops import elementwise as E, reduce as R, shape as S, index as I, linalg as L
from .ops import nn_ops as _nn_ops
from .ops._util import check_cast

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "remainder", "fmod", "neg", "rsub", "negative", "pow", "exp", "expm1", "log", "log2", "log10",
    "log1p", "sqrt", "rsqrt", "reciprocal", "square", "sin", "cos", "tan", "tanh", "sigmoid",
    "asin", "acos", "atan", "sinh", "cosh", "relu", "abs", "sign", "floor", "ceil", "trunc",
    "frac", "round", "clamp", "clip", "maximum", "minimum", "where", "eq", "ne", "lt", "le",
    "gt", "ge", "equal", "allclose", "isclose", "isnan", "isinf", "isfinite", "logical_and",
    "logical_or", "logical_xor", "logical_not", "bitwise_and", "bitwise_or", "bitwise_xor",
    "bitwise_not", "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin",
    "std", "var", "std_mean", "var_mean", "norm", "logsumexp", "cumsum", "cumprod", "all", "any",
    "reshape", "flatten", "squeeze", "unsqueeze", "transpose", "swapaxes", "permute", "t",
    "cat", "concat", "concatenate", "stack", "chunk", "split", "index_select", "gather",
    "scatter", "scatter_add", "masked_fill", "masked_select", "narrow", "flip", "matmul", "mm",
    "bmm", "dot", "mv", "outer", "clone", "numel", "is_tensor", "is_floating_point", "sort",
    "argsort", "topk", "nonzero", "unique", "tril", "triu", "diag", "einsum", "lerp", "addcmul",
    "addcdiv", "broadcast_to", "atan2", "hstack", "vstack", "movedim", "tile",
    "count_nonzero", "select", "argwhere", "index_add", "index_copy", "index_fill", "unbind",
    "unflatten", "roll", "softmax", "log_softmax",
]

_builtin_max, _builtin_min, _builtin_all, _builtin_any = builtins.max, builtins.min, \
    builtins.all, builtins.any


def _out(result, out, name):
    """Write ``result`` into ``out=`` the way PyTorch does (resize, copy, return ``out``)."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if _grad_state.enabled and (result.requires_grad or out.requires_grad):
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           f"differentiation, but one of the arguments requires grad.")
    check_cast(result.dtype, out.dtype)
    data = result._data
    if out._data.shape != data.shape:
        out._data = data.astype(out._data.dtype, copy=True)
    else:
        out._data[...] = data
    out._version[0] += 1
    return out


def _scalar_or_tensor(x, op):
    if isinstance(x, (Tensor, int, float, bool, np.number, np.bool_)):
        return x
    raise TypeError(f"{op}(): argument 'other' (position 2) must be Tensor, not "
                    f"{type(x).__name__}")


def _check_alpha(input, other, alpha):
    if isinstance(alpha, float) and not _builtin_any(
            isinstance(v, Tensor) and v.is_floating_point() or isinstance(v, float)
            for v in (input, other)):
        raise RuntimeError("For integral input tensors, argument alpha must not be a floating "
                           "point number.")


# ------------------------------------------------------------------- arithmetic
def add(input, other, *, alpha=1, out=None):
    """``input + alpha * other``, broadcasting, with PyTorch's type promotion."""
    if not isinstance(input, Tensor):
        input, other = other, input
    other = _scalar_or_tensor(other, "add")
    if alpha != 1:
        _check_alpha(input, other, alpha)
    return _out(E.Add.apply(input, other, alpha), out, "add")


def sub(input, other, *, alpha=1, out=None):
    """``input - alpha * other``, broadcasting, with PyTorch's type promotion."""
    other = _scalar_or_tensor(other, "sub")
    if alpha != 1:
        _check_alpha(input, other, alpha)
    return _out(E.Sub.apply(input, other, alpha), out, "sub")


subtract = sub


def rsub(input, other, *, alpha=1):
    """``other - alpha * input``."""
    if not isinstance(other, Tensor):
        if alpha != 1:
            return E.Add.apply(input * -alpha, other)
        return E.Rsub.apply(input, other)
    return E.Sub.apply(other, input, alpha)


def mul(input, other, *, out=None):
    if not isinstance(input, Tensor):
        input, other = other, input
    return _out(E.Mul.apply(input, _scalar_or_tensor(other, "mul")), out, "mul")


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    if rounding_mode is None:
        return _out(E.Div.apply(input, _scalar_or_tensor(other, "div")), out, "div")
    if rounding_mode not in ("trunc", "floor"):
        raise RuntimeError(f"div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    other = _scalar_or_tensor(other, "div")
    return _out(E.DivMode.apply(input, other, rounding_mode), out, "div")


divide = true_divide = div


def floor_divide(input, other, *, out=None):
    return _out(E.FloorDivide.apply(input, other), out, "floor_divide")


def remainder(input, other, *, out=None):
    cls = E.Remainder if isinstance(other, Tensor) else E.RemainderScalar
    return _out(cls.apply(input, other), out, "remainder")


def fmod(input, other, *, out=None):
    cls = E.Fmod if isinstance(other, Tensor) else E.FmodScalar
    return _out(cls.apply(input, other), out, "fmod")


def neg(input, *, out=None):
    return _out(E.Neg.apply(input), out, "neg")


negative = neg


def pow(input, exponent, *, out=None):
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        return _out(E.PowScalar.apply(input, exponent), out, "pow")
    if not isinstance(input, Tensor):
        return _out(E.RPow.apply(input, exponent), out, "pow")
    return _out(E.Pow.apply(input, exponent), out, "pow")


def _unary_fn(cls):
    def fn(input, *, out=None):
        return _out(cls.apply(input), out, fn.__name__)
    return fn


exp, expm1, log, log2, log10, log1p = map(_unary_fn, (E.Exp, E.Expm1, E.Log, E.Log2, E.Log10,
                                                        E.Log1p))
sqrt, rsqrt, reciprocal, square = map(_unary_fn, (E.Sqrt, E.Rsqrt, E.Reciprocal, E.Square))
sin, cos, tan, tanh, sigmoid = map(_unary_fn, (E.Sin, E.Cos, E.Tan, E.Tanh, E.Sigmoid))
asin, acos, atan, sinh, cosh = map(_unary_fn, (E.Asin, E.Acos, E.Atan, E.Sinh, E.Cosh))
relu, abs, sign, floor, ceil, trunc, frac = map(_unary_fn, (E.Relu, E.Abs, E.Sign, E.Floor,
                                                            E.Ceil, E.Trunc, E.Frac))
for _f, _n in ((exp, "exp"), (expm1, "expm1"), (log, "log"), (log2, "log2"), (log10, "log10"),
               (log1p, "log1p"), (sqrt, "sqrt"), (rsqrt, "rsqrt"), (reciprocal, "reciprocal"),
               (square, "square"), (sin, "sin"), (cos, "cos"), (tan, "tan"), (tanh, "tanh"),
               (sigmoid, "sigmoid"), (asin, "asin"), (acos, "acos"), (atan, "atan"),
               (sinh, "sinh"), (cosh, "cosh"), (relu, "relu"), (abs, "abs"), (sign, "sign"),
               (floor, "floor"), (ceil, "ceil"), (trunc, "trunc"), (frac, "frac")):
    _f.__name__ = _f.__qualname__ = _n
    _f.__doc__ = f"Elementwise {_n} of ``input``."


def round(input, *, decimals=0, out=None):
    if decimals:
        return _out(E.RoundDecimals.apply(input, decimals), out, "round")
    return _out(E.Round.apply(input), out, "round")


def clamp(input, min=None, max=None, *, out=None):
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        return _out(E.ClampTensor.apply(input, min, max), out, "clamp")
    return _out(E.Clamp.apply(input, min, max), out, "clamp")


clip = clamp


def maximum(input, other, *, out=None):
    return _out(E.Maximum.apply(input, other), out, "maximum")


def minimum(input, other, *, out=None):
    return _out(E.Minimum.apply(input, other), out, "minimum")


def atan2(input, other, *, out=None):
    r = (input / other).atan()
    xp_fix = (other < 0).to(r.dtype) * ((input >= 0).to(r.dtype) * 2 - 1) * math.pi
    return _out(r + xp_fix, out, "atan2")


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return _out(E.Where.apply(condition, input, other), out, "where")


def _cmp(cls, name):
    def fn(input, other, *, out=None):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not "
                            f"{type(input).__name__}")
        return _out(cls.apply(input, other), out, name)
    fn.__name__ = name
    return fn


eq, ne, lt, le, gt, ge = (_cmp(E.Eq, "eq"), _cmp(E.Ne, "ne"), _cmp(E.Lt, "lt"),
                          _cmp(E.Le, "le"), _cmp(E.Gt, "gt"), _cmp(E.Ge, "ge"))
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def equal(input, other):
    return input.shape == other.shape and bool((input._data == other._data).all())


def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    xp = np if not input.is_cuda else __import__("cupy")
    o = other._data if isinstance(other, Tensor) else other
    return Tensor._make(xp.isclose(input._data, o, rtol=rtol, atol=atol, equal_nan=equal_nan))


def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


def isnan(input):
    return input != input


def isinf(input):
    return Tensor._make(np.isinf(input._data)) if not input.is_cuda else input.abs() == math.inf


def isfinite(input):
    return Tensor._make(_am(input).isfinite(input._data))


def _am(t):
    from .device import array_module
    return array_module(t._data)


def logical_and(input, other):
    return E.Logical.apply("and", input, other)


def logical_or(input, other):
    return E.Logical.apply("or", input, other)


def logical_xor(input, other):
    return E.Logical.apply("xor", input, other)


def logical_not(input):
    return E.Logical.apply("not", input)


def bitwise_and(input, other):
    return E.BitwiseAnd.apply(input, other)


def bitwise_or(input, other):
    return E.BitwiseOr.apply(input, other)


def bitwise_xor(input, other):
    return E.BitwiseXor.apply(input, other)


def bitwise_not(input):
    return E.BitwiseNot.apply(input)


def lerp(input, end, weight):
    return input + (end - input) * weight


def addcmul(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 * tensor2


def addcdiv(input, tensor1, tensor2, *, value=1):
    return input + value * tensor1 / tensor2


# ------------------------------------------------------------------- reductions
def _dim_arg(dim, axis):
    return axis if dim is None else dim


def sum(input, dim=None, keepdim=False, *, dtype=None, axis=None, out=None):
    dim = _dim_arg(dim, axis)
    cls = R.SumAll if dim is None else R.Sum
    return _out(cls.apply(input, dim, keepdim, _dt.to_dtype(dtype)), out, "sum")


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, out=None):
    dim = _dim_arg(dim, axis)
    cls = R.MeanAll if dim is None else R.Mean
    return _out(cls.apply(input, dim, keepdim, _dt.to_dtype(dtype)), out, "mean")


def prod(input, dim=None, keepdim=False, *, dtype=None):
    cls = R.ProdAll if dim is None else R.Prod
    return cls.apply(input, dim, keepdim, _dt.to_dtype(dtype))


class _ValuesIndices(tuple):
    """The (values, indices) pair returned by max/min/sort/topk along a dim."""

    def __new__(cls, values, indices, name):
        t = tuple.__new__(cls, (values, indices))
        t._name = name
        return t

    @property
    def values(self):
        return self[0]

    @property
    def indices(self):
        return self[1]

    def __repr__(self):
        return f"torch.return_types.{self._name}(\nvalues={self[0]!r},\nindices={self[1]!r})" \
            .replace("torch.", "disttrain.")


def max(input, dim=None, keepdim=False, *, out=None):
    """The largest element, ``maximum(input, other)`` for a tensor ``dim``, or (values,
    indices) along ``dim``."""
    return _extreme(input, dim, keepdim, out, "max", maximum, R.MaxAll, R.MaxMinDim)


def min(input, dim=None, keepdim=False, *, out=None):
    """The smallest element, ``minimum(input, other)`` for a tensor ``dim``, or (values,
    indices) along ``dim``."""
    return _extreme(input, dim, keepdim, out, "min", minimum, R.MinAll, R.MinDim)


def _extreme(input, dim, keepdim, out, name, pairwise, all_cls, dim_cls):
    """max/min: PyTorch's three forms, told apart by ``dim``."""
    if isinstance(dim, Tensor):
        return pairwise(input, dim, out=out)
    if dim is None:
        return _out(all_cls.apply(input), out, name)
    return _values_indices(dim_cls.apply(input, dim, keepdim), out, name)


def _values_indices(pair, out, name):
    v, i = pair
    if out is not None:
        v, i = _out(v, out[0], name), _out(i, out[1], name)
    return _ValuesIndices(v, i, name)


def amax(input, dim=(), keepdim=False):
    """The largest values over ``dim`` (all dims by default); ties share the gradient."""
    return R.Amax.apply(input, dim, keepdim)


def amin(input, dim=(), keepdim=False):
    """The smallest values over ``dim`` (all dims by default); ties share the gradient."""
    return R.Amin.apply(input, dim, keepdim)


def argmax(input, dim=None, keepdim=False):
    return R.ArgMax.apply(input, dim, keepdim)


def argmin(input, dim=None, keepdim=False):
    return R.ArgMin.apply(input, dim, keepdim)


def _correction(unbiased, correction):
    if correction is not None:
        return correction
    return 1 if unbiased is None or unbiased else 0


def var(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):          # var(x, False): the old positional ``unbiased``
        dim, unbiased = None, dim
    return R.Var.apply(input, dim, _correction(unbiased, correction), keepdim)


def std(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    return R.Std.apply(input, dim, _correction(unbiased, correction), keepdim)


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm of ``input`` over ``dim`` (all elements by default).

    Args:
        p (float or str): the order; ``'fro'`` (default) is the 2-norm, ``inf``/``-inf`` the
            largest/smallest absolute value, 0 the count of non-zeros.
        dim (int or tuple of ints, optional): the dims to reduce.
        keepdim (bool): keep the reduced dims with size 1.
        dtype (disttrain.dtype, optional): cast the input to this dtype first.
    """
    if dtype is not None:
        input = input.to(_dt.to_dtype(dtype))
    if p is None or p == "fro":
        p = 2
    elif isinstance(p, str):
        raise RuntimeError(f"norm(): unsupported norm type '{p}'")
    return R.Norm.apply(input, float(p), dim, keepdim)


def logsumexp(input, dim, keepdim=False):
    return R.LogSumExp.apply(input, dim, keepdim)


def cumsum(input, dim, *, dtype=None):
    return R.Cumsum.apply(input, dim, _dt.to_dtype(dtype))


def cumprod(input, dim, *, dtype=None):
    return R.Cumprod.apply(input, dim, _dt.to_dtype(dtype))


def all(input, dim=None, keepdim=False):
    return R.AllAny.apply(input, "all", dim, keepdim)


def any(input, dim=None, keepdim=False):
    return R.AllAny.apply(input, "any", dim, keepdim)


def count_nonzero(input, dim=None):
    return (input != 0).sum(dim)


# ------------------------------------------------------------------- shapes
def _shape_args(shape):
    if len(shape) == 1 and isinstance(shape[0], (tuple, list)):
        return tuple(shape[0])
    return tuple(int(s) for s in shape)


def reshape(input, shape):
    return S.reshape(input, tuple(shape))


def flatten(input, start_dim=0, end_dim=-1):
    if input.dim() == 0:
        return input.reshape(1)
    s, e = input._dim(start_dim), input._dim(end_dim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape
    n = 1
    for k in shape[s:e + 1]:
        n *= k
    return S.reshape(input, tuple(shape[:s]) + (n,) + tuple(shape[e + 1:]))


def squeeze(input, dim=None):
    if dim is None:
        return S.Squeeze.apply(input, tuple(range(input.dim())))
    if isinstance(dim, (tuple, list)):
        return S.SqueezeDims.apply(input, tuple(input._dim(d) for d in dim))
    return S.SqueezeDim.apply(input, (input._dim(dim),))


def unsqueeze(input, dim):
    return S.Unsqueeze.apply(input, input._dim(dim, input.dim() + 1))


def transpose(input, dim0, dim1):
    if input.dim() == 0:
        return input.view(())
    return S.Transpose.apply(input, input._dim(dim0), input._dim(dim1))


swapaxes = swapdims = transpose


def t(input, _name="t"):
    if input.dim() > 2:
        raise RuntimeError(f"{_name}() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.dim()}D")
    if input.dim() < 2:
        return S.T.apply(input, 0, 0)
    return S.T.apply(input, 0, 1)


def permute(input, *dims):
    return S.permute(input, _shape_args(dims))


def movedim(input, source, destination):
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    if len(src) != len(dst):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source ({src} dims) "
                           f"should contain the same number of dims as destination ({dst} dims)")
    src = [input._dim(d) for d in src]
    dst = [input._dim(d) for d in dst]
    order = [d for d in range(input.dim()) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return S.permute(input, tuple(order))


def cat(tensors, dim=0, *, out=None):
    """Join tensors along an existing dim; all other sizes must match."""
    return _out(S.cat(tensors, dim), out, "cat")


def stack(tensors, dim=0, *, out=None):
    """Join same-shaped tensors along a new dim."""
    return _out(S.stack(tensors, dim), out, "stack")


concat = concatenate = cat
chunk = S.chunk
split = S.split


def unbind(input, dim=0):
    """The slices of ``input`` along ``dim``, as a tuple."""
    return S.Unbind.apply(input, input._dim(dim))


def unflatten(input, dim, sizes):
    """Split dim ``dim`` into ``sizes`` (one of them may be -1)."""
    d = input._dim(dim)
    shape = tuple(input.shape)
    sizes = [int(s) for s in sizes]
    try:
        inner = S.infer_shape(sizes, shape[d])
    except RuntimeError:
        raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the size of "
                           f"dim {d} ({shape[d]}) in the input tensor") from None
    return S.view(input, shape[:d] + inner + shape[d + 1:])


def roll(input, shifts, dims=None):
    """Rotate elements along ``dims`` by ``shifts`` (flattened first when ``dims`` is None)."""
    if dims is None:
        return roll(input.flatten(), shifts, 0).view(input.shape)
    shifts = (shifts,) if isinstance(shifts, int) else tuple(shifts)
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    out = input
    for k, d in zip(shifts, dims):
        d = out._dim(d)
        n = out.shape[d]
        k = k % n if n else 0
        if k:
            out = cat([out.narrow(d, n - k, k), out.narrow(d, 0, n - k)], d)
    return out


def hstack(tensors):
    tensors = list(tensors)
    return cat(tensors, 0 if tensors[0].dim() == 1 else 1)


def vstack(tensors):
    return cat([x.reshape(1, -1) if x.dim() < 2 else x for x in tensors], 0)


def broadcast_to(input, size):
    return S.expand(input, tuple(size))


def tile(input, dims):
    dims = tuple(dims)
    if len(dims) < input.dim():
        dims = (1,) * (input.dim() - len(dims)) + dims
    return S.Repeat.apply(input, dims)


def narrow(input, dim, start, length):
    d = input._dim(dim)
    n = input.shape[d]
    if isinstance(start, Tensor):
        start = int(start.item())
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    if start < 0:
        start += n
    if length < 0:
        raise RuntimeError("narrow(): length must be non-negative.")
    if start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    idx = (slice(None),) * d + (slice(start, start + length),)
    return I.Slice.apply(input, idx)


def select(input, dim, index):
    d = input._dim(dim)
    n = input.shape[d]
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(input.shape)} at dimension {d}")
    return I.Select.apply(input, (slice(None),) * d + (index,))


def flip(input, dims):
    dims = (dims,) if isinstance(dims, int) else tuple(dims)
    return S.Flip.apply(input, tuple(input._dim(d) for d in dims))


def index_select(input, dim, index):
    return I.IndexSelect.apply(input, dim, index)


def gather(input, dim, index, *, sparse_grad=False):
    return I.Gather.apply(input, dim, index)


def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    src = src if src is not None else value
    cls = I.Scatter if isinstance(src, Tensor) else I.ScatterValue
    return cls.apply(input, dim, index, src, reduce)


def scatter_add(input, dim, index, src):
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add(): argument 'src' (position 3) must be Tensor, not "
                        f"{type(src).__name__}")
    return I.ScatterAdd.apply(input, dim, index, src, "add")


def masked_fill(input, mask, value):
    cls = I.MaskedFillTensor if isinstance(value, Tensor) else I.MaskedFill
    return cls.apply(input, mask, value)


def argwhere(input):
    """The indices of the non-zero elements, one row each."""
    return nonzero(input)


def _index_grid(input, dim, index, name):
    """The numpy index of the slices ``index`` picks along ``dim``."""
    d = input._dim(dim)
    ia = index._data
    if ia.ndim > 1:
        raise IndexError(f"{name}(): Index is supposed to be a vector")
    if ia.dtype.kind not in "iu":
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    n = input.shape[d] if input.dim() else 1
    if ia.size and (ia.min() < -n or ia.max() >= n):
        raise IndexError("index out of range in self")
    return (slice(None),) * d + (ia.reshape(-1),)


def index_add(input, dim, index, source, *, alpha=1):
    """``input`` with ``alpha * source[i]`` added to slice ``index[i]`` along ``dim``
    (repeated indices accumulate)."""
    grid = _index_grid(input, dim, index, "index_add")
    src = source if alpha == 1 else source * alpha
    return input + I.IndexAccumulate.apply(src, grid, tuple(input.shape))


def index_copy(input, dim, index, source):
    """``input`` with slice ``index[i]`` along ``dim`` replaced by ``source[i]``."""
    return I.IndexPut.apply(input, _index_grid(input, dim, index, "index_copy"), source)


def index_fill(input, dim, index, value):
    """``input`` with the slices ``index`` along ``dim`` set to ``value``."""
    grid = _index_grid(input, dim, index, "index_fill")
    mask = _am(input).zeros(input.shape, bool)
    mask[grid] = True
    return masked_fill(input, Tensor._make(mask), value)


def masked_select(input, mask):
    return I.MaskedSelect.apply(input, mask)


def clone(input, *, memory_format=None):
    return E.Clone.apply(input)


def numel(input):
    return input.numel()


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


def tril(input, diagonal=0):
    mask = Tensor._make(_am(input).tril(_am(input).ones(input.shape[-2:], bool), diagonal))
    return input.masked_fill(~mask, 0) if input.dtype != _dt.bool else input & mask


def triu(input, diagonal=0):
    mask = Tensor._make(_am(input).triu(_am(input).ones(input.shape[-2:], bool), diagonal))
    return input.masked_fill(~mask, 0) if input.dtype != _dt.bool else input & mask


def diag(input, diagonal=0):
    xp = _am(input)
    if input.dim() == 1:
        n = input.shape[0] + builtins.abs(diagonal)
        z = input.new_zeros((n, n))
        r = xp.arange(input.shape[0])
        rows, cols = (r, r + diagonal) if diagonal >= 0 else (r - diagonal, r)
        return I.SetItem.apply(z, (rows, cols), input)
    rows = xp.arange(builtins.max(0, builtins.min(input.shape[0], input.shape[1] - diagonal)
                                  if diagonal >= 0 else
                                  builtins.min(input.shape[0] + diagonal, input.shape[1])))
    idx = (rows, rows + diagonal) if diagonal >= 0 else (rows - diagonal, rows)
    return I.GetItem.apply(input, idx)


# ------------------------------------------------------------------- sorting, misc
def sort(input, dim=-1, descending=False, stable=False):
    xp = _am(input)
    d = input._dim(dim) if input.dim() else 0
    key = input._data
    if input.dim() == 0:
        return _ValuesIndices(input.clone(), Tensor._make(xp.zeros((), np.int64)), "sort")
    idx = xp.argsort(-key if descending and key.dtype.kind != "b" else key, axis=d,
                     kind="stable")
    if descending and key.dtype.kind == "b":
        idx = xp.flip(xp.argsort(key, axis=d, kind="stable"), d)
    idx_t = Tensor._make(idx.astype(np.int64))
    return _ValuesIndices(gather(input, d, idx_t), idx_t, "sort")


def argsort(input, dim=-1, descending=False, stable=False):
    return sort(input, dim, descending, stable)[1]


def topk(input, k, dim=-1, largest=True, sorted=True):
    d = input._dim(dim)
    if k > input.shape[d] or k < 0:
        raise RuntimeError("selected index k out of range")
    v, i = sort(input, d, descending=largest)
    return _ValuesIndices(v.narrow(d, 0, k), i.narrow(d, 0, k), "topk")


def nonzero(input, *, as_tuple=False):
    xp = _am(input)
    nz = xp.nonzero(input._data)
    if as_tuple:
        if input.dim() == 0:
            return (Tensor._make(xp.zeros(int(bool(input)), np.int64)),)
        return tuple(Tensor._make(a.astype(np.int64)) for a in nz)
    if input.dim() == 0:
        return Tensor._make(xp.zeros((int(bool(input)), 0), np.int64))
    return Tensor._make(xp.stack(nz, axis=1).astype(np.int64))


def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    xp = _am(input)
    res = xp.unique(input._data.reshape(-1) if dim is None else input._data,
                    return_inverse=return_inverse, return_counts=return_counts, axis=dim)
    if not isinstance(res, tuple):
        return Tensor._make(res)
    out = [Tensor._make(res[0])]
    k = 1
    if return_inverse:
        out.append(Tensor._make(res[k].reshape(input.shape).astype(np.int64)))
        k += 1
    if return_counts:
        out.append(Tensor._make(res[k].astype(np.int64)))
    return tuple(out)


def softmax(input, dim, dtype=None):
    x = input if dtype is None else input.to(_dt.to_dtype(dtype))
    return _nn_ops.Softmax.apply(x, x._dim(dim))


def log_softmax(input, dim, dtype=None):
    x = input if dtype is None else input.to(_dt.to_dtype(dtype))
    return _nn_ops.LogSoftmax.apply(x, x._dim(dim))


def matmul(input, other, *, out=None):
    """Matrix product with broadcasting; 1-d operands are vectors (see ``Tensor.__matmul__``)."""
    return _out(L.matmul(input, other), out, "matmul")


def mm(input, mat2, *, out=None):
    """The product of two matrices."""
    return _out(L.mm(input, mat2), out, "mm")


def bmm(input, mat2, *, out=None):
    """Batched matrix product of two 3-d tensors."""
    return _out(L.bmm(input, mat2), out, "bmm")


dot, mv, outer, einsum = L.dot, L.mv, L.outer, L.einsum
inner = dot
ger = outer
_ = grad_mode
