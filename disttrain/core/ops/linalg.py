"""Matrix products: matmul with every broadcasting case, mm, bmm, mv, dot, outer, linear."""
import math

import numpy as np

from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor
from .shape import T
from ._util import broadcast_msg, c_type_name, unbroadcast, shape_str, type_name
from .complex_ops import conj_if_complex as _cj
from .. import dtype as _dt

__all__ = []


class Matmul(Function):
    """The general case: batched, broadcast, 1-d operands promoted and squeezed back."""

    node_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, a, b):
        ctx.shapes = (a._data.shape, b._data.shape)
        if ctx._recording:
            ctx.save_for_backward(a, b)
        ad, bd = a._data, b._data
        if bd.ndim == 2 and ad.ndim > 2:
            return _folded(ad, bd)
        return ad @ bd

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        sa, sb = ctx.shapes
        # a 1-d operand is a matrix with one row (a) or one column (b), squeezed afterwards
        a2 = a.unsqueeze(0) if len(sa) == 1 else a
        b2 = b.unsqueeze(-1) if len(sb) == 1 else b
        g2 = g
        if len(sa) == 1:
            g2 = g2.unsqueeze(-2)
        if len(sb) == 1:
            g2 = g2.unsqueeze(-1)
        ga = gb = None
        if ctx.needs_input_grad[0]:
            ga = unbroadcast(g2.matmul(_cj(b2).transpose(-1, -2)), a2.shape).reshape(sa)
        if ctx.needs_input_grad[1]:
            gb = unbroadcast(_cj(a2).transpose(-1, -2).matmul(g2), b2.shape).reshape(sb)
        return ga, gb


class Mm(Matmul):
    """Two matrices: the gradients are one product each, with no 1-d or batch handling."""

    node_name = "MmBackward0"

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        ga = Mm.apply(g, T.apply(_cj(b), 0, 1)) if na else None
        gb = Mm.apply(T.apply(_cj(a), 0, 1), g) if nb else None
        return ga, gb


class Mv(Matmul):
    node_name = "MvBackward0"


class Bmm(Matmul):
    node_name = "BmmBackward0"


class Dot(Matmul):
    """Primitive: the inner product of two 1-d tensors (Matmul's forward, a simpler backward)."""
    node_name = "DotBackward0"

    @staticmethod
    def backward(ctx, g):
        a, b = ctx.saved_tensors
        na, nb = ctx.needs_input_grad
        return (g * _cj(b) if na else None), (g * _cj(a) if nb else None)


def _folded(ad, bd):
    """``(..., k) @ (k, m)`` as one 2-d gemm on the leading dims folded into rows: numpy's
    batched matmul runs one small gemm per leading index (2-3x slower for sequence batches
    such as (32, 16, 256) @ (256, 1024)), and on views whose leading dims cannot merge (a
    transposed batch-first tensor) the one copy of the fold is cheaper still."""
    lead = ad.shape[:-1]
    y = ad.reshape(math.prod(lead), ad.shape[-1]) @ bd
    return y.reshape(*lead, bd.shape[-1])


def matmul(a, b):
    """Matrix product with PyTorch's rules for 1-d operands and broadcast batch dims."""
    if not (isinstance(a, Tensor) and isinstance(b, Tensor)):
        _not_tensors(a, b)
    sa, sb = a._data.shape, b._data.shape
    da, db = len(sa), len(sb)
    if da == 2 and db == 2:         # the common case first: straight to mm's checks
        _check_mm(a, b, sa[0], sa[1], sb[0], sb)
        return Mm.apply(a, b)
    if da == 0 or db == 0:
        raise RuntimeError(f"both arguments to matmul need to be at least 1D, but they are "
                           f"{da}D and {db}D")
    if da == 1 and db == 1:
        return dot(a, b)
    if da == 2 and db == 1:
        return mv(a, b)
    if db <= 2 or da <= 2:
        _check_folded(a, b, sa, sb)
    else:
        _check_batched(a, b, sa, sb)
    return Matmul.apply(a, b)


def _not_tensors(a, b):
    for name, t, pos in (("input", a, 0), ("other", b, 1)):
        if not isinstance(t, Tensor):
            raise TypeError(f"matmul(): argument '{name}' (position {pos + 1}) must be Tensor, "
                            f"not {type(t).__name__}")


def _check_folded(a, b, sa, sb):
    """Errors of the cases PyTorch computes as one mm/mv on folded batch dims."""
    if len(sb) <= 2:            # (..., n, k) @ (k[, m]): a's leading dims fold into rows
        rows, k, kb = (math.prod(sa[:-1]) if len(sa) > 1 else 1), sa[-1], sb[0]
        _check_mm(a, b, rows, k, kb, sb)
    else:                       # (k,) or (n, k) @ (..., k, m): computed as b.mT @ a.T
        rows, k, kb = math.prod(sb[:-2]) * sb[-1], sb[-2], sa[-1]
        _check_mm(b, a, rows, k, kb, sa[::-1])


def _check_mm(mat, other, rows, k, kb, other_shape):
    """The size and dtype errors of ``mat (rows x k) @ other`` (``kb`` rows, shape
    ``other_shape`` as the message prints it), a matrix or a vector, in PyTorch's words."""
    vec = other._data.ndim == 1
    if k != kb:
        if vec:
            raise RuntimeError(f"size mismatch, got input ({rows}), mat ({rows}x{k}), vec ({kb})")
        raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({rows}x{k} and "
                           f"{shape_str(other_shape)})")
    if mat._data.dtype != other._data.dtype:
        if vec:
            v, m = type_name(other._data.dtype), type_name(mat._data.dtype)
            raise RuntimeError(f"addmv input tensors must have the same dtype, but got {v}, {m}, "
                               f"and {v}")
        raise RuntimeError(f"expected m1 and m2 to have the same dtype, but got: "
                           f"{c_type_name(mat._data.dtype)} != {c_type_name(other._data.dtype)}")


def _check_batched(a, b, sa, sb):
    try:
        batch = np.broadcast_shapes(sa[:-2], sb[:-2])
    except ValueError:
        raise RuntimeError(broadcast_msg(sa[:-2], sb[:-2])) from None
    n = math.prod(batch)
    _check_bmm(a, b, n, n)


def _check_bmm(a, b, na, nb):
    """The size and dtype errors of a batched product of ``na`` and ``nb`` matrices."""
    sa, sb = a._data.shape, b._data.shape
    if na != nb or sa[-1] != sb[-2]:
        raise RuntimeError(f"Expected size for first two dimensions of batch2 tensor to be: "
                           f"[{na}, {sa[-1]}] but got: [{nb}, {sb[-2]}].")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"expected scalar type {type_name(a._data.dtype)} but found "
                           f"{type_name(b._data.dtype)}")


def mm(a, b):
    """``a @ b`` for two matrices."""
    if a.dim() != 2:
        raise RuntimeError("self must be a matrix")
    if b.dim() != 2:
        raise RuntimeError("mat2 must be a matrix")
    _check_mm(a, b, a.shape[0], a.shape[1], b.shape[0], b.shape)
    return Mm.apply(a, b)


def mv(a, v):
    """``a @ v`` for a matrix and a vector."""
    if a.dim() != 2 or v.dim() != 1:
        raise RuntimeError(f"vector + matrix @ vector expected, got 1, {a.dim()}, {v.dim()}")
    _check_mm(a, v, a.shape[0], a.shape[1], v.shape[0], v.shape)
    return Mv.apply(a, v)


def dot(a, b):
    """The inner product of two vectors."""
    if a.dim() != 1 or b.dim() != 1:
        raise RuntimeError(f"1D tensors expected, but got {a.dim()}D and {b.dim()}D tensors")
    if a.shape[0] != b.shape[0]:
        raise RuntimeError(f"inconsistent tensor size, expected tensor [{a.shape[0]}] and src "
                           f"[{b.shape[0]}] to have the same number of elements, but got "
                           f"{a.shape[0]} and {b.shape[0]} elements respectively")
    if a._data.dtype != b._data.dtype:
        raise RuntimeError(f"dot : expected both vectors to have same dtype, but found "
                           f"{type_name(a._data.dtype)} and {type_name(b._data.dtype)}")
    return Dot.apply(a, b)


def bmm(a, b):
    """Batched ``a @ b`` for two 3-d tensors with the same batch size."""
    if a.dim() != 3:
        raise RuntimeError("batch1 must be a 3D tensor")
    if b.dim() != 3:
        raise RuntimeError("batch2 must be a 3D tensor")
    _check_bmm(a, b, a.shape[0], b.shape[0])
    return Bmm.apply(a, b)


def outer(a, b):
    """The outer product of two vectors."""
    for name, t in (("self", a), ("vec2", b)):
        if t.dim() != 1:
            raise RuntimeError(f"outer: Expected 1-D argument {name}, but got {t.dim()}-D")
    return a.unsqueeze(1) * b.unsqueeze(0)


def einsum(equation, *operands):
    """Einstein summation over the operands, e.g. ``einsum("bij,bjk->bik", a, b)``."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    eq = equation.replace(" ", "")
    if "." in eq:
        raise NotImplementedError("einsum: '...' in the equation is not supported")
    lhs, arrow, out = eq.partition("->")
    if not arrow:       # implicit output: the letters used once, in alphabetical order
        letters = lhs.replace(",", "")
        out = "".join(sorted(c for c in set(letters) if letters.count(c) == 1))
    return Einsum.apply(f"{lhs}->{out}", *operands)


class Einsum(Function):
    """Primitive: one einsum contraction; each gradient is the einsum with that operand left out."""
    node_name = "EinsumBackward0"

    @staticmethod
    def forward(ctx, eq, *ops):
        ctx.eq = eq
        if ctx._recording:
            ctx.save_for_backward(*ops)
        return array_module(ops[0]._data).einsum(eq, *[o._data for o in ops])

    @staticmethod
    def backward(ctx, g):
        ops = ctx.saved_tensors
        lhs, _, out = ctx.eq.partition("->")
        specs = lhs.split(",")
        grads = [None]
        for i, need in enumerate(ctx.needs_input_grad[1:]):
            grads.append(_einsum_grad(g, out, ops, specs, i) if need else None)
        return tuple(grads)


def _einsum_grad(g, out, ops, specs, i):
    """d(einsum)/d(operand i): the output gradient contracted with the other operands."""
    spec, x = specs[i], ops[i]
    size = {c: x.shape[k] for k, c in enumerate(spec)}
    uniq = "".join(dict.fromkeys(spec))
    others = [s for j, s in enumerate(specs) if j != i]
    avail = "".join(c for c in uniq if c in out or any(c in s for s in others))
    gi = einsum(",".join([out] + others) + "->" + avail, g,
                *[o for j, o in enumerate(ops) if j != i])
    if avail != uniq:   # letters summed within this operand alone: broadcast back
        gi = gi.reshape([size[c] if c in avail else 1 for c in uniq])
        gi = gi.expand([size[c] for c in uniq])
    if uniq != spec:    # repeated letters (a diagonal): embed with identity matrices
        free = [c for c in "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
                if c not in ",".join(specs) + out]
        target, eyes, eye_specs = "", [], []
        for c in spec:
            if c in target:
                f = free.pop()
                eyes.append(Tensor._make(array_module(x._data).eye(size[c], dtype=x._data.dtype)))
                eye_specs.append(c + f)
                target += f
            else:
                target += c
        gi = einsum(",".join([uniq] + eye_specs) + "->" + target, gi, *eyes)
    return gi


def _x_wt(xd, wd):
    """``x @ w.T``. For a short batch against a wide weight (at most 64 rows, at least 128
    outputs) OpenBLAS runs ``w @ x.T`` faster, its transpose copied back being small
    (MNIST's 32 x 9216 @ 9216 x 128 with OpenBLAS's SkylakeX kernels 1.43 -> 1.08 ms, a
    64-row VAE layer 0.53 -> 0.44 ms; with its Haswell kernels, chosen on AMD Zen 4 by
    ``core/_blas.py``, 0.88 -> 0.84 ms and even); from 256 rows the plain orientation is
    faster (measured on one core)."""
    if xd.ndim == 2 and xd.shape[0] <= 64 and wd.shape[0] >= 128 and xd.shape[1] >= 128 \
            and array_module(xd) is np:
        return np.ascontiguousarray((wd @ xd.T).T)
    return xd @ wd.T


class Linear(Function):
    """``x @ w.T + b`` fused: one matmul and one add, the hot path of every MLP."""

    node_name = "AddmmBackward0"

    @staticmethod
    def forward(ctx, x, w, b=None):
        xd, wd = x._data, w._data
        if xd.shape[-1] != wd.shape[1]:
            flat = (int(np.prod(xd.shape[:-1])), xd.shape[-1])
            raise RuntimeError(f"mat1 and mat2 shapes cannot be multiplied ({shape_str(flat)} and "
                               f"{shape_str(wd.shape[::-1])})")
        if xd.dtype != wd.dtype:
            raise RuntimeError(f"mat1 and mat2 must have the same dtype, but got "
                               f"{_dt.from_numpy_dtype(xd.dtype).name.title()} and "
                               f"{_dt.from_numpy_dtype(wd.dtype).name.title()}")
        if ctx._recording:
            ctx.save_for_backward(x, w)
        y = _folded(xd, wd.T) if xd.ndim > 2 else _x_wt(xd, wd)
        if b is not None:
            y += b._data
        return y

    @staticmethod
    def backward(ctx, g):
        x, w = ctx.saved_tensors
        gx = gw = gb = None
        if ctx.needs_input_grad[0]:
            gx = g.matmul(w)
        if ctx.needs_input_grad[1]:
            if g.dim() == 2:
                gw = g.t().mm(x)
            else:
                gw = g.reshape(-1, g.shape[-1]).t().mm(x.reshape(-1, x.shape[-1]))
        if len(ctx.needs_input_grad) > 2 and ctx.needs_input_grad[2]:
            gb = g.sum(0) if g.dim() == 2 else g.reshape(-1, g.shape[-1]).sum(0)
        return gx, gw, gb
