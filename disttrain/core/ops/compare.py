"""Comparisons and the ops that select by them (maximum/minimum, clamp, where), and
the logical and bitwise ops."""
import numpy as np

from .. import dtype as _dt
from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor
from ._util import (apply_binary, binary_arrays, broadcast_msg, call_binary, float_array,
                    shape_of, type_name, unbroadcast)

__all__ = []


class Clamp(Function):
    """``clamp`` with Python-number bounds."""

    node_name = "ClampBackward1"

    @staticmethod
    def forward(ctx, x, min=None, max=None):
        if min is None and max is None:
            raise RuntimeError("disttrain.clamp: At least one of 'min' or 'max' must not be None")
        xd = x._data
        xp = array_module(xd)
        lo, hi = min, max
        if isinstance(lo, float) or isinstance(hi, float):
            xd = float_array(xd)
        y = xd
        # the bound first: on a tie (-0.0 against 0.0) numpy returns the second operand,
        # and PyTorch keeps x
        if lo is not None:
            y = xp.maximum(lo, y)
        if hi is not None:
            y = xp.minimum(hi, y)
        if y is xd:
            y = xd.copy()
        if ctx._recording:
            mask = xp.ones(xd.shape, bool)
            if lo is not None:
                mask &= xd >= lo
            if hi is not None:
                mask &= xd <= hi
            ctx.mask = Tensor._make(mask)
        return y.astype(xd.dtype, copy=False)

    @staticmethod
    def backward(ctx, g):
        return g * ctx.mask, None, None


class ClampTensor(Function):
    """``clamp`` with tensor bounds, which broadcast and receive gradients too."""

    node_name = "ClampBackward0"
    graph_inputs = (0, 1, 2)  # a missing bound shows as (None, 0), as in PyTorch

    @staticmethod
    def forward(ctx, x, min=None, max=None):
        ops = [v for v in (x, min, max) if v is not None]
        rt = _dt.result_type(ops).np
        xp = array_module(x._data)
        arrs = [None if v is None else xp.asarray(v._data if isinstance(v, Tensor) else v, rt)
                for v in (x, min, max)]
        xd, lo, hi = arrs
        try:
            shape = np.broadcast_shapes(*[a.shape for a in arrs if a is not None])
        except ValueError:
            shapes = [a.shape for a in arrs if a is not None]
            raise RuntimeError(broadcast_msg(*_first_clash(shapes))) from None
        y = xd if lo is None else xp.maximum(lo, xd)     # x second: it wins ties, as in
        y = y if hi is None else xp.minimum(hi, y)       # PyTorch (see Clamp)
        ctx.shapes = [shape_of(v) for v in (x, min, max)]
        if ctx._recording:
            ctx.save_for_backward(x, min, max)
        return xp.broadcast_to(y, shape).copy() if y.shape != shape or y is xd else y

    @staticmethod
    def backward(ctx, g):
        x, lo, hi = ctx.saved_tensors
        nx, nlo, nhi = ctx.needs_input_grad
        # y = min(max(x, lo), hi): the gradient goes to whichever operand y equals
        m = x if lo is None else _max_of(x, lo)
        inside = None if hi is None else m <= hi
        gm = g if inside is None else g * inside
        gx = glo = ghi = None
        if nx:
            gx = unbroadcast(gm if lo is None else gm * (x >= lo), ctx.shapes[0])
        if nlo:
            glo = unbroadcast(gm * (x < lo), ctx.shapes[1])
        if nhi:
            ghi = unbroadcast(g * ~inside, ctx.shapes[2])
        return gx, glo, ghi


def _max_of(a, b):
    return Maximum.apply(a, b)


def _first_clash(shapes):
    """The pair of shapes whose broadcast fails first, left to right (for the error message)."""
    acc = shapes[0]
    for s in shapes[1:]:
        try:
            acc = np.broadcast_shapes(acc, s)
        except ValueError:
            return acc, s
    return shapes[0], shapes[-1]


class Maximum(Function):
    """Primitive: elementwise max (``_greater``) or min; ties split the gradient in half."""
    node_name = "MaximumBackward0"
    _greater = True

    @classmethod
    def forward(cls, ctx, a, b):
        ctx.shapes = (shape_of(a), shape_of(b))
        if ctx._recording:
            ctx.save_for_backward(a, b)
        xp = array_module((a if isinstance(a, Tensor) else b)._data)
        return apply_binary(xp.maximum if cls._greater else xp.minimum, a, b)

    @classmethod
    def backward(cls, ctx, g):
        a, b = ctx.saved_tensors
        wins = (a > b) if cls._greater else (a < b)
        # ties split the gradient evenly, as PyTorch does
        share = wins.to(g.dtype) + (a == b).to(g.dtype) * 0.5
        na, nb = ctx.needs_input_grad
        ga = unbroadcast(g * share, ctx.shapes[0]) if na else None
        gb = unbroadcast(g * (1 - share), ctx.shapes[1]) if nb else None
        return ga, gb


class Minimum(Maximum):
    node_name = "MinimumBackward0"
    _greater = False


class Where(Function):
    """Primitive: ``cond ? a : b`` with broadcasting."""
    node_name = "WhereBackward0"
    graph_inputs = (1, 2)  # the two branches; the condition is no input

    @staticmethod
    def forward(ctx, cond, a, b):
        cd = cond._data
        if cd.dtype != np.bool_:
            raise RuntimeError(f"where expected condition to be a boolean tensor, but got a "
                               f"tensor with dtype {type_name(cd.dtype)}")
        xp = array_module(cd)
        if isinstance(a, Tensor) or isinstance(b, Tensor):
            ad, bd = binary_arrays(a, b)
        else:
            rt = _dt.result_type((a, b)).np
            ad, bd = xp.asarray(a, rt), xp.asarray(b, rt)
        ctx.cond = cond
        ctx.shapes = (shape_of(a), shape_of(b))
        try:
            return xp.where(cd, ad, bd)
        except ValueError:
            shapes = [cd.shape, np.shape(ad), np.shape(bd)]
            raise RuntimeError(broadcast_msg(*_first_clash(shapes))) from None

    @staticmethod
    def backward(ctx, g):
        na, nb = ctx.needs_input_grad[1:]
        c = ctx.cond
        ga = unbroadcast(g * c, ctx.shapes[0]) if na else None
        gb = unbroadcast(g * ~c, ctx.shapes[1]) if nb else None
        return None, ga, gb


def _compare(name, fn):
    def forward(ctx, a, b):
        return apply_binary(fn, a, b)
    return type(name, (Function,), {"differentiable": False, "forward": staticmethod(forward)})


Eq = _compare("Eq", lambda x, y: x == y)
Ne = _compare("Ne", lambda x, y: x != y)
def _ordered(op, fn):
    """An ordering comparison: complex numbers have no order (PyTorch's error)."""
    def run(x, y):
        for v in (x, y):
            d = getattr(v, "dtype", None)
            if d is not None and d.kind == "c":
                raise NotImplementedError(f"\"{op}_cpu\" not implemented for '{type_name(d)}'")
        return fn(x, y)
    return run


Lt = _compare("Lt", _ordered("lt", lambda x, y: x < y))
Le = _compare("Le", _ordered("le", lambda x, y: x <= y))
Gt = _compare("Gt", _ordered("gt", lambda x, y: x > y))
Ge = _compare("Ge", _ordered("ge", lambda x, y: x >= y))


def _bitwise(name, fn):
    def forward(ctx, a, b):
        ad, bd = binary_arrays(a, b)
        for v in (ad, bd):
            if getattr(v, "dtype", None) is not None and v.dtype.kind == "f":
                raise NotImplementedError(f"\"{name}_cpu\" not implemented for "
                                          f"'{type_name(v.dtype)}'")
        return call_binary(fn, ad, bd)
    return type(name.title(), (Function,), {"differentiable": False,
                                            "forward": staticmethod(forward)})


BitwiseAnd = _bitwise("bitwise_and", lambda x, y: x & y)
BitwiseOr = _bitwise("bitwise_or", lambda x, y: x | y)
BitwiseXor = _bitwise("bitwise_xor", lambda x, y: x ^ y)


class BitwiseNot(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, x):
        if x._data.dtype.kind == "f":
            raise NotImplementedError(f"\"bitwise_not_cpu\" not implemented for "
                                      f"'{type_name(x._data.dtype)}'")
        return ~x._data


class Logical(Function):
    differentiable = False

    @staticmethod
    def forward(ctx, kind, a, b=None):
        xp = array_module(a._data)
        ad = a._data
        bd = b._data if isinstance(b, Tensor) else b
        if kind == "not":
            return xp.logical_not(ad)
        fn = {"and": xp.logical_and, "or": xp.logical_or, "xor": xp.logical_xor}[kind]
        return call_binary(fn, ad, bd)
