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

__all__ = [
    "add", "sub", "subtract", "mul", "multiply", "div", "divide", "true_divide", "floor_divide",
    "remainder", "fmod", "neg", "negative", "pow", "exp", "expm1", "log", "log2", "log10",
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
    "addcdiv", "mean", "broadcast_to", "atan2", "hstack", "vstack", "movedim", "tile",
    "count_nonzero", "select", "softmax", "log_softmax", "numel",
]

_builtin_max, _builtin_min, _builtin_all, _builtin_any = builtins.max, builtins.min, \
    builtins.all, builtins.any


def _out(result, out):
    """Write ``result`` into ``out=`` the way PyTorch does (resize, copy, return ``out``)."""
    if out is None:
        return result
    if not isinstance(out, Tensor):
        raise TypeError(f"out must be a Tensor, not {type(out).__name__}")
    if out.requires_grad and _grad_state.enabled and (result.requires_grad or out.requires_grad):
        raise RuntimeError("add(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    data = result._data
    if out._data.shape != data.shape:
        out._data = data.astype(out._data.dtype, copy=True)
    else:
        out._data[...] = data
    out._version[0] += 1
    return out


def _scalar_or_tensor(x):
    if isinstance(x, (Tensor, int, float, bool, np.number, np.bool_)):
        return x
    raise TypeError(f"unsupported operand type: {type(x).__name__}")


# ------------------------------------------------------------------- arithmetic
def add(input, other, *, alpha=1, out=None):
    if not isinstance(input, Tensor):
        input, other = other, input
    return _out(E.Add.apply(input, _scalar_or_tensor(other), alpha), out)


def sub(input, other, *, alpha=1, out=None):
    if not isinstance(input, Tensor):
        return _out(E.Rsub.apply(other, input) if alpha == 1 else
                    E.Add.apply(other * -alpha, input), out)
    return _out(E.Sub.apply(input, _scalar_or_tensor(other), alpha), out)


subtract = sub


def mul(input, other, *, out=None):
    if not isinstance(input, Tensor):
        input, other = other, input
    return _out(E.Mul.apply(input, _scalar_or_tensor(other)), out)


multiply = mul


def div(input, other, *, rounding_mode=None, out=None):
    return _out(E.Div.apply(input, _scalar_or_tensor(other), rounding_mode), out)


divide = true_divide = div


def floor_divide(input, other, *, out=None):
    return _out(E.FloorDivide.apply(input, other), out)


def remainder(input, other, *, out=None):
    return _out(E.Remainder.apply(input, other), out)


def fmod(input, other, *, out=None):
    return _out(input - (input / other).trunc() * other, out)


def neg(input, *, out=None):
    return _out(E.Neg.apply(input), out)


negative = neg


def pow(input, exponent, *, out=None):
    if isinstance(input, Tensor) and not isinstance(exponent, Tensor):
        return _out(E.PowScalar.apply(input, exponent), out)
    return _out(E.Pow.apply(input, exponent), out)


def _unary_fn(cls):
    def fn(input, *, out=None):
        return _out(cls.apply(input), out)
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
    return _out(E.Round.apply(input, decimals), out)


def clamp(input, min=None, max=None, *, out=None):
    return _out(E.Clamp.apply(input, min, max), out)


clip = clamp


def maximum(input, other, *, out=None):
    return _out(E.Maximum.apply(input, other), out)


def minimum(input, other, *, out=None):
    return _out(E.Minimum.apply(input, other), out)


def atan2(input, other, *, out=None):
    r = (input / other).atan()
    xp_fix = (other < 0).to(r.dtype) * ((input >= 0).to(r.dtype) * 2 - 1) * math.pi
    return _out(r + xp_fix, out)


def where(condition, input=None, other=None, *, out=None):
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    return _out(E.Where.apply(condition, input, other), out)


def _cmp(cls, name):
    def fn(input, other, *, out=None):
        if not isinstance(input, Tensor):
            raise TypeError(f"{name}(): argument 'input' must be Tensor, not "
                            f"{type(input).__name__}")
        return _out(cls.apply(input, other), out)
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
    return _out(cls.apply(input, dim, keepdim, _dt.to_dtype(dtype)), out)


def mean(input, dim=None, keepdim=False, *, dtype=None, axis=None, out=None):
    dim = _dim_arg(dim, axis)
    cls = R.MeanAll if dim is None else R.Mean
    return _out(cls.apply(input, dim, keepdim, _dt.to_dtype(dtype)), out)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    return R.Prod.apply(input, dim, keepdim, _dt.to_dtype(dtype))


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
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    if dim is None:
        return R.MaxAll.apply(input)
    v, i = R.MaxMinDim.apply(input, dim, keepdim)
    return _ValuesIndices(v, i, "max")


def min(input, dim=None, keepdim=False, *, out=None):
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    if dim is None:
        return R.MinAll.apply(input)
    v, i = R.MinDim.apply(input, dim, keepdim)
    return _ValuesIndices(v, i, "min")


def amax(input, dim=(), keepdim=False):
    if dim == () or dim is None:
        return R.MaxAll.apply(input) if not keepdim else input.max().reshape([1] * input.dim())
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    out = input
    for d in sorted((input._dim(d) for d in dims), reverse=True):
        out = R.MaxMinDim.apply(out, d, keepdim)[0]
    return out


def amin(input, dim=(), keepdim=False):
    return -amax(-input, dim, keepdim)


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
    return var(input, dim, unbiased, keepdim, correction=correction).sqrt()


def var_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return var(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def std_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
    return std(input, dim, unbiased, keepdim, correction=correction), mean(input, dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if p == "fro" or p == 2 or p is None:
        return input.mul(input).sum(dim, keepdim).sqrt() if not isinstance(p, str) or \
            dim is None or True else None
    if p == math.inf or p == "inf":
        return input.abs().amax(dim if dim is not None else (), keepdim)
    if p == -math.inf:
        return input.abs().amin(dim if dim is not None else (), keepdim)
    if p == 1:
        return input.abs().sum(dim, keepdim)
    if p == 0:
        return (input != 0).to(input.dtype).sum(dim, keepdim)
    return input.abs().pow(p).sum(dim, keepdim).pow(1.0 / p)


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
        dims = tuple(range(input.dim()))
    elif isinstance(dim, (tuple, list)):
        dims = tuple(input._dim(d) for d in dim)
    else:
        dims = (input._dim(dim),)
    return S.Squeeze.apply(input, dims)


def unsqueeze(input, dim):
    return S.Unsqueeze.apply(input, input._dim(dim, input.dim() + 1))


def transpose(input, dim0, dim1):
    if input.dim() == 0:
        return S.Transpose.apply(input, 0, 0) if False else input.view(())
    return S.Transpose.apply(input, input._dim(dim0), input._dim(dim1))


swapaxes = swapdims = transpose


def t(input):
    if input.dim() > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.dim()}D")
    if input.dim() < 2:
        return S.T.apply(input, 0, 0)
    return S.T.apply(input, 0, 1)


def permute(input, *dims):
    return S.permute(input, _shape_args(dims))


def movedim(input, source, destination):
    src = [source] if isinstance(source, int) else list(source)
    dst = [destination] if isinstance(destination, int) else list(destination)
    src = [input._dim(d) for d in src]
    dst = [input._dim(d) for d in dst]
    order = [d for d in range(input.dim()) if d not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return S.permute(input, tuple(order))


cat = concat = concatenate = S.cat
stack = S.stack
chunk = S.chunk
split = S.split


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
    if start < 0:
        start += n
    if start < 0 or start > n or start + length > n or length < 0:
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
    return I.Scatter.apply(input, dim, index, src if src is not None else value, reduce)


def scatter_add(input, dim, index, src):
    return I.Scatter.apply(input, dim, index, src, "add")


def masked_fill(input, mask, value):
    return I.MaskedFill.apply(input, mask, value)


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


def einsum(equation, *operands):
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    return _Einsum.apply(equation, *operands)


from .autograd import Function as _Function  # noqa: E402


class _Einsum(_Function):
    node_name = "EinsumBackward0"

    @staticmethod
    def forward(ctx, eq, *ops):
        ctx.eq = eq.replace(" ", "")
        if ctx._recording:
            ctx.save_for_backward(*ops)
        return _am(ops[0]).einsum(ctx.eq, *[o._data for o in ops])

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors
        lhs, _, out = ctx.eq.partition("->")
        ins = lhs.split(",")
        grads = [None]
        for i, (spec, need) in enumerate(zip(ins, ctx.needs_input_grad[1:])):
            if not need:
                grads.append(None)
                continue
            others = [o for j, o in enumerate(ops) if j != i]
            other_specs = [s for j, s in enumerate(ins) if j != i]
            # letters of the input that appear nowhere else get broadcast back by expand
            eq = ",".join([out] + other_specs) + "->" + "".join(
                c for c in spec if c in out or _builtin_any(c in s for s in other_specs))
            gi = einsum(eq, g, *others)
            if gi.shape != ops[i].shape:
                shape = [ops[i].shape[k] if c in eq.split("->")[1] else 1
                         for k, c in enumerate(spec)]
                gi = gi.reshape(shape).expand(ops[i].shape)
            grads.append(gi)
        return tuple(grads)


def softmax(input, dim, dtype=None):
    x = input if dtype is None else input.to(_dt.to_dtype(dtype))
    return (x - x.logsumexp(dim, keepdim=True)).exp()


def log_softmax(input, dim, dtype=None):
    x = input if dtype is None else input.to(_dt.to_dtype(dtype))
    return x - x.logsumexp(dim, keepdim=True)


matmul, mm, bmm, dot, mv, outer = L.matmul, L.mm, L.bmm, L.dot, L.mv, L.outer
inner = dot
ger = outer
_ = grad_mode
