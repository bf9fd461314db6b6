"""Tensor's method tables, first part: operators, math methods and in-place ``_`` forms bound
from ``functions``. Importing it binds them all: it imports ``methods_math`` and
``more_methods`` at its end (see the ``Tensor`` docstring)."""
import numpy as np

from . import functions as F
from . import dtype as _dt
from .grad_mode import state as _grad_state
from .ops import elementwise as E, index as I, shape as S, linalg as L
from .ops._util import check_cast
from .views import check_inplace_view, rebase_view
from .tensor import Tensor

__all__ = ["apply_inplace"]


def apply_inplace(t, fn, *args):
    """Run ``fn(t, *args)`` and write the result into ``t``'s memory.

    When the graph is recorded, ``t`` takes the result's graph node (its old value is
    copied first so that formulas which need it stay correct), as PyTorch rebases
    a tensor modified in place.
    """
    recording = _grad_state.enabled and (t._requires_grad or any(
        isinstance(a, Tensor) and a._requires_grad for a in args))
    if recording:
        if t.grad_fn is None and t._requires_grad:
            raise RuntimeError("a leaf Variable that requires grad is being used in an in-place "
                               "operation.")
        check_inplace_view(t)
        old = Tensor._make(t._data.copy(), t._requires_grad)
        old.grad_fn, old._output_nr = t.grad_fn, t._output_nr
        res = fn(old, *args)
    else:
        res = fn(t, *args)
    check_cast(res.dtype, t.dtype)
    d = res._data
    if d is not t._data:
        if d.shape != t._data.shape:
            # the op already broadcast its operands, so the shapes are compatible here
            shape = np.broadcast_shapes(d.shape, t._data.shape)
            if shape != t._data.shape:
                raise RuntimeError(f"output with shape {list(t.shape)} doesn't match the "
                                   f"broadcast shape {list(shape)}")
        t._data[...] = d
    t._version[0] += 1
    if recording and not (t._base is not None and rebase_view(t, res)):
        t.grad_fn, t._output_nr, t._requires_grad = res.grad_fn, res._output_nr, True
    return t


def _rev(fn):
    return lambda self, other: fn(other, self)


def _shape_method(fn):
    def method(self, *shape):
        return fn(self, F._shape_args(shape))
    return method


_SCALARS = (int, float, bool, complex, np.number, np.bool_)


def _operator(fn, tensor_only=False):
    """A binary dunder: operands Python can't combine with a Tensor give NotImplemented, so
    Python raises its usual ``TypeError`` (or falls back to identity for ``==``/``!=``)."""
    def method(self, other):
        if not isinstance(other, Tensor):
            if isinstance(other, np.ndarray):
                other = Tensor._make(other)
            elif tensor_only or not isinstance(other, _SCALARS):
                return NotImplemented
        return fn(self, other)
    return method


def _rtruediv(self, other):
    return E.Mul.apply(E.Reciprocal.apply(self), other)


T = Tensor
T.add = lambda self, other, *, alpha=1: F.add(self, other, alpha=alpha)
T.sub = T.subtract = lambda self, other, *, alpha=1: F.sub(self, other, alpha=alpha)
T.mul = T.multiply = lambda self, other: F.mul(self, other)
T.div = T.divide = T.true_divide = \
    lambda self, other, *, rounding_mode=None: F.div(self, other, rounding_mode=rounding_mode)
T.floor_divide = lambda self, other: F.floor_divide(self, other)
T.remainder = lambda self, other: F.remainder(self, other)
T.fmod = F.fmod
T.pow = lambda self, e: F.pow(self, e)
T.matmul = F.matmul
T.rsub = lambda self, other, *, alpha=1: F.rsub(self, other, alpha=alpha)
# Operators call the Functions directly: they are the hot path of every model.
T.__add__ = T.__radd__ = _operator(E.Add.apply)
T.__sub__ = _operator(E.Sub.apply)
T.__rsub__ = _operator(E.Rsub.apply)
T.__mul__ = T.__rmul__ = _operator(E.Mul.apply)
T.__truediv__ = _operator(E.Div.apply)
T.__rtruediv__ = _operator(_rtruediv)
T.__floordiv__ = _operator(E.FloorDivide.apply)
T.__rfloordiv__ = _operator(_rev(E.FloorDivide.apply))
T.__mod__ = _operator(F.remainder)
T.__rmod__ = _operator(_rev(E.RemainderScalar.apply))
T.__pow__ = _operator(F.pow)
T.__rpow__ = _operator(_rev(E.RPow.apply))
T.__matmul__ = _operator(L.matmul, tensor_only=True)
T.__rmatmul__ = _operator(_rev(L.matmul), tensor_only=True)
T.__neg__ = T.neg = T.negative = F.neg
T.__pos__ = lambda self: self
T.__abs__ = T.abs = T.absolute = F.abs
T.eq, T.ne, T.not_equal, T.lt, T.less = F.eq, F.ne, F.ne, F.lt, F.lt
T.le, T.less_equal, T.gt, T.greater, T.ge, T.greater_equal = F.le, F.le, F.gt, F.gt, F.ge, F.ge
T.__eq__, T.__ne__ = _operator(E.Eq.apply), _operator(E.Ne.apply)
T.__lt__, T.__le__ = _operator(E.Lt.apply), _operator(E.Le.apply)
T.__gt__, T.__ge__ = _operator(E.Gt.apply), _operator(E.Ge.apply)
T.bitwise_and, T.bitwise_or, T.bitwise_xor = F.bitwise_and, F.bitwise_or, F.bitwise_xor
T.__and__ = T.__rand__ = _operator(E.BitwiseAnd.apply)
T.__or__ = T.__ror__ = _operator(E.BitwiseOr.apply)
T.__xor__ = T.__rxor__ = _operator(E.BitwiseXor.apply)
T.bitwise_not = F.bitwise_not


def _invert(self):
    if self._data.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return E.BitwiseNot.apply(self)


T.__invert__ = _invert
T.__hash__ = object.__hash__

for _name in ("exp", "expm1", "log", "log2", "log10", "log1p", "sqrt", "rsqrt", "reciprocal",
              "square", "sin", "cos", "tan", "tanh", "sigmoid", "asin", "acos", "atan", "sinh",
              "cosh", "relu", "sign", "floor", "ceil", "trunc", "frac", "round", "clamp", "clip",
              "maximum", "minimum", "logical_and", "logical_or", "logical_xor", "logical_not",
              "sum", "mean", "prod", "max", "min", "amax", "amin", "argmax", "argmin", "std",
              "var", "norm", "logsumexp", "cumsum", "cumprod", "all", "any", "flatten",
              "squeeze", "unsqueeze", "transpose", "swapaxes", "t", "chunk", "split",
              "index_select", "gather", "scatter", "scatter_add", "masked_fill",
              "masked_select", "narrow", "select", "flip", "mm", "bmm", "dot", "mv", "outer",
              "clone", "sort", "argsort", "topk", "nonzero", "unique", "tril", "triu", "diag",
              "lerp", "addcmul", "addcdiv", "isnan", "isinf", "isfinite", "equal", "allclose",
              "isclose", "movedim", "atan2", "count_nonzero", "index_add", "index_copy",
              "index_fill", "unbind", "unflatten", "roll", "softmax", "log_softmax"):
    setattr(T, _name, getattr(F, _name))

T.where = lambda self, condition, other: F.where(condition, self, other)
T.reshape = _shape_method(F.reshape)
T.view = lambda self, *shape: S.view_dtype(self, shape[0]) if len(shape) == 1 and isinstance(
    shape[0], _dt.dtype) else S.view(self, F._shape_args(shape))
T.expand = _shape_method(S.expand)
T.repeat = _shape_method(lambda self, r: S.Repeat.apply(self, r))
T.tile = lambda self, *dims: F.tile(self, F._shape_args(dims))
T.permute = lambda self, *dims: S.permute(self, F._shape_args(dims))
T.view_as = lambda self, other: self.view(other.shape)
T.reshape_as = lambda self, other: self.reshape(other.shape)
T.expand_as = lambda self, other: self.expand(other.shape)
T.type_as = lambda self, other: self.to(other.dtype)
from . import tensor_extras  # noqa: E402,F401  (layouts and sharing; bound in more_methods)
T.T = property(lambda self: self.permute(*reversed(range(self.dim()))))
T.mT = property(lambda self: self.transpose(-2, -1))
T.H = T.T
T.sum_to_size = lambda self, *size: __import__(
    "disttrain.core.ops._util", fromlist=["unbroadcast"]).unbroadcast(self, F._shape_args(size))
T.__getitem__ = I.getitem


def _setitem(self, index, value):
    idx, basic = I.convert_index(index, self)
    if basic:
        I.check_bounds(self._data, idx)
    if not isinstance(value, Tensor) and not isinstance(value, (int, float, bool, np.number)):
        from .creation import tensor as _tensor
        value = _tensor(value, dtype=self.dtype, device=self.device)
    if _grad_state.enabled and (self._requires_grad or getattr(value, "_requires_grad", False)):
        if basic and self.grad_fn is None and self._requires_grad:
            # PyTorch writes through a view of ``self``, hence its wording
            raise RuntimeError("a view of a leaf Variable that requires grad is being used in "
                               "an in-place operation.")
        cls = I.SetItem if basic else I.IndexPut
        apply_inplace(self, lambda x, v: cls.apply(x, idx, v), value)
    else:
        _setitem_fast(self, idx, value)


def _setitem_fast(self, idx, value):
    I._assign(self._data, idx, value)
    self._version[0] += 1


T.__setitem__ = _setitem


# ------------------------------------------------------------------- in-place forms
def _inplace(fn):
    def method(self, *args, **kwargs):
        return apply_inplace(self, lambda x, *a: fn(x, *a, **kwargs), *args)
    return method


for _name, _fn in (("add_", F.add), ("sub_", F.sub), ("subtract_", F.sub), ("mul_", F.mul),
                   ("multiply_", F.mul), ("div_", F.div), ("divide_", F.div),
                   ("true_divide_", F.div), ("pow_", F.pow), ("neg_", F.neg),
                   ("abs_", F.abs), ("exp_", F.exp), ("log_", F.log), ("sqrt_", F.sqrt),
                   ("rsqrt_", F.rsqrt), ("sin_", F.sin), ("cos_", F.cos), ("tanh_", F.tanh),
                   ("sigmoid_", F.sigmoid), ("relu_", F.relu), ("floor_", F.floor),
                   ("ceil_", F.ceil), ("round_", F.round), ("trunc_", F.trunc),
                   ("sign_", F.sign), ("reciprocal_", F.reciprocal), ("square_", F.square),
                   ("clamp_", F.clamp), ("clip_", F.clamp), ("masked_fill_", F.masked_fill),
                   ("scatter_", F.scatter), ("scatter_add_", F.scatter_add),
                   ("remainder_", F.remainder), ("floor_divide_", F.floor_divide),
                   ("lerp_", F.lerp), ("addcmul_", F.addcmul), ("addcdiv_", F.addcdiv),
                   ("log1p_", F.log1p), ("expm1_", F.expm1), ("fmod_", F.fmod),
                   ("maximum_", F.maximum), ("minimum_", F.minimum),
                   ("index_add_", F.index_add), ("index_copy_", F.index_copy),
                   ("index_fill_", F.index_fill)):
    setattr(T, _name, _inplace(_fn))

T.__iadd__ = lambda self, o: self.add_(o)
T.__isub__ = lambda self, o: self.sub_(o)
T.__imul__ = lambda self, o: self.mul_(o)
T.__itruediv__ = lambda self, o: self.div_(o)
T.__ipow__ = lambda self, o: self.pow_(o)
T.__imod__ = lambda self, o: self.remainder_(o)
T.__ifloordiv__ = lambda self, o: self.floor_divide_(o)
T.__iand__ = lambda self, o: apply_inplace(self, F.bitwise_and, o)
T.__ior__ = lambda self, o: apply_inplace(self, F.bitwise_or, o)
T.__ixor__ = lambda self, o: apply_inplace(self, F.bitwise_xor, o)


def _fill_(self, value, _cls=None):
    if isinstance(value, Tensor) and value.dim() != 0:
        raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                           f"{value.dim()} dimensions.")
    if _grad_state.enabled and (self._requires_grad or getattr(value, "_requires_grad", False)):
        cls = _cls or (E.FillTensor if isinstance(value, Tensor) else E.Fill)
        return apply_inplace(self, cls.apply, value)
    self._data[...] = value._data if isinstance(value, Tensor) else value
    self._version[0] += 1
    return self


def _zero_(self):
    return _fill_(self, 0, E.Zero)


def _copy_(self, src, non_blocking=False):
    if not isinstance(src, Tensor):
        raise TypeError(f"copy_(): argument 'other' (position 1) must be Tensor, not "
                        f"{type(src).__name__}")
    try:
        np.broadcast_shapes(src._data.shape, self._data.shape)
    except ValueError:
        raise RuntimeError(E._broadcast_msg(self._data.shape, src._data.shape)) from None
    if _grad_state.enabled and (self._requires_grad or src._requires_grad):
        return apply_inplace(self, E.Copy.apply, src)
    from .device import move_array
    self._data[...] = move_array(src._data, self.device)
    self._version[0] += 1
    return self


T.fill_ = _fill_
T.zero_ = _zero_
T.copy_ = _copy_


def _shape_inplace(fn):
    def method(self, *args):
        if self._requires_grad and _grad_state.enabled:
            raise RuntimeError("in-place shape change on a tensor that requires grad is not "
                               "supported; use the out-of-place form")
        self._data = fn(self.detach(), *args)._data
        return self
    return method


T.t_ = _shape_inplace(lambda x: F.t(x, "t_"))
T.transpose_ = _shape_inplace(F.transpose)
T.unsqueeze_ = _shape_inplace(F.unsqueeze)
T.squeeze_ = _shape_inplace(F.squeeze)
T.resize_ = _shape_inplace(lambda self, *s: Tensor._make(
    np.resize(self._data, F._shape_args(s))))

from . import methods_math  # noqa: E402,F401  (special and linalg methods)
from . import more_methods as _more_methods  # noqa: E402,F401  (more methods and _ forms)
