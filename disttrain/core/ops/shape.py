"""Shape ops: view/reshape, transpose/permute, expand/repeat, cat/stack/split, squeeze, flip."""
import numpy as np

from .. import dtype as _dt
from ..autograd import Function
from ..device import array_module, is_cuda_array
from ..tensor import Tensor
from .copies import Clone

__all__ = []


def infer_shape(shape, numel):
    """Resolve one ``-1`` in ``shape``; PyTorch's error when the sizes don't add up."""
    shape = tuple(int(s) for s in shape)
    neg = [i for i, s in enumerate(shape) if s == -1]
    if len(neg) > 1:
        raise RuntimeError("only one dimension can be inferred")
    for i, s in enumerate(shape):
        if s < -1:
            raise RuntimeError(f"invalid shape dimension {s} at index {i} of shape "
                               f"{list(shape)}")
    if neg:
        known = 1
        for s in shape:
            if s != -1:
                known *= s
        if known == 0 or numel % known:
            raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
        shape = shape[: neg[0]] + (numel // known,) + shape[neg[0] + 1:]
    n = 1
    for s in shape:
        n *= s
    if n != numel:
        raise RuntimeError(f"shape '{list(shape)}' is invalid for input of size {numel}")
    return shape


def _try_view(arr, shape):
    """``arr`` reshaped without copying, or None when its strides don't allow that."""
    if arr.flags.c_contiguous:
        return arr.reshape(shape)
    v = arr.view()
    try:
        v.shape = shape
    except AttributeError:
        return None
    return v


class ReshapeCopy(Function):
    """``reshape`` where no view can do: a copy. Its gradient is reshaped back, as is that of
    every op here that only changes the shape."""

    node_name = "UnsafeViewBackward0"

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape
        return x._data.reshape(shape)

    @staticmethod
    def backward(ctx, g):
        return g.reshape(ctx.in_shape), None


class View(ReshapeCopy):
    node_name = "ViewBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape
        v = _try_view(x._data, shape)
        if v is None:
            raise RuntimeError("view size is not compatible with input tensor's size and stride "
                               "(at least one dimension spans across two contiguous subspaces). "
                               "Use .reshape(...) instead.")
        return v


def view(x, shape):
    return View.apply(x, infer_shape(shape, x._data.size))


def reshape(x, shape):
    shape = infer_shape(shape, x._data.size)
    if _try_view(x._data, shape) is not None:
        return View.apply(x, shape)
    return ReshapeCopy.apply(x, shape)


class Transpose(Function):
    """Primitive: a view with two dims swapped."""
    node_name = "TransposeBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x, d0, d1):
        ctx.dims = (d0, d1)
        return array_module(x._data).swapaxes(x._data, d0, d1)

    @staticmethod
    def backward(ctx, g):
        return g.transpose(*ctx.dims), None, None


class T(Transpose):
    node_name = "TBackward0"


class Permute(Function):
    """Primitive: a view with the dims reordered."""
    node_name = "PermuteBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return x._data.transpose(dims)

    @staticmethod
    def backward(ctx, g):
        inv = [0] * len(ctx.dims)
        for i, p in enumerate(ctx.dims):
            inv[p] = i
        return g.permute(inv), None


def permute(x, dims):
    if len(dims) != x.dim():
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {x.dim()} is not equal to len(dims) = {len(dims)}")
    dims = tuple(x._dim(d) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return Permute.apply(x, dims)


class Expand(Function):
    """Primitive: a broadcast view to a larger shape."""
    node_name = "ExpandBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x, shape):
        ctx.in_shape = x._data.shape
        return array_module(x._data).broadcast_to(x._data, shape)

    @staticmethod
    def backward(ctx, g):
        from ._util import unbroadcast
        return unbroadcast(g, ctx.in_shape), None


def expand(x, sizes):
    sizes = tuple(int(s) for s in sizes)
    xs = x._data.shape
    if len(sizes) < len(xs):
        raise RuntimeError(f"expand({x.type()}{{{list(xs)}}}, size={list(sizes)}): the "
                           f"number of sizes provided ({len(sizes)}) must be greater or equal to "
                           f"the number of dimensions in the tensor ({len(xs)})")
    lead = len(sizes) - len(xs)
    out = []
    for i, s in enumerate(sizes):
        if i < lead:
            if s < 0:
                raise RuntimeError(f"The expanded size of the tensor ({s}) isn't allowed in a "
                                   f"leading, non-existing dimension {i}")
            out.append(s)
            continue
        cur = xs[i - lead]
        if s == -1:
            s = cur
        if cur != s and cur != 1:
            raise RuntimeError(f"The expanded size of the tensor ({s}) must match the existing "
                               f"size ({cur}) at non-singleton dimension {i}.  Target sizes: "
                               f"{list(sizes)}.  Tensor sizes: {list(xs)}")
        out.append(s)
    return Expand.apply(x, tuple(out))


class Repeat(Function):
    """Primitive: the tensor tiled ``reps`` times along each dim."""
    node_name = "RepeatBackward0"

    @staticmethod
    def forward(ctx, x, reps):
        if len(reps) < x._data.ndim:
            raise RuntimeError("Number of dimensions of repeat dims can not be smaller than "
                               "number of dimensions of tensor")
        xd = x._data.reshape((1,) * (len(reps) - x._data.ndim) + x._data.shape)
        ctx.in_shape, ctx.reps, ctx.padded = x._data.shape, reps, xd.shape
        return array_module(xd).tile(xd, reps)

    @staticmethod
    def backward(ctx, g):
        split = []
        for r, s in zip(ctx.reps, ctx.padded):
            split += [r, s]
        g = g.reshape(split).sum(dim=tuple(range(0, len(split), 2)))
        return g.reshape(ctx.in_shape), None


class Cat(Function):
    """Primitive: tensors joined along an existing dim."""
    node_name = "CatBackward0"

    @staticmethod
    def forward(ctx, dim, *tensors):
        arrays = [t._data for t in tensors]
        rt = _dt.result_type([t for t in tensors if t._data.size or t._data.ndim > 1] or
                             tensors[:1])
        arrays = [a if a.dtype == rt.np else a.astype(rt.np) for a in arrays]
        # PyTorch skips legacy empty 1-d tensors of size 0 in cat
        keep = [a for a in arrays if not (a.ndim == 1 and a.shape[0] == 0)] or arrays[:1]
        ctx.dim, ctx.sizes = dim, [a.shape[dim] if not (a.ndim == 1 and a.shape[0] == 0 and
                                                        len(keep) < len(arrays)) else 0
                                   for a in arrays]
        ctx.shapes = [a.shape for a in arrays]
        return array_module(keep[0]).concatenate(keep, axis=dim)

    @staticmethod
    def backward(ctx, g):
        out, start = [None], 0
        for t_needs, size, shape in zip(ctx.needs_input_grad[1:], ctx.sizes, ctx.shapes):
            if t_needs:
                if size == 0 and shape != g.shape:
                    out.append(g.new_zeros(shape))
                else:
                    out.append(g.narrow(ctx.dim, start, size))
            else:
                out.append(None)
            start += size
        return tuple(out)


def cat(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise ValueError("disttrain.cat(): expected a non-empty list of Tensors")
    for i, t in enumerate(tensors):
        if not isinstance(t, Tensor):
            raise TypeError(f"expected Tensor as element {i} in argument 0, but got "
                            f"{type(t).__name__}")
    ref = next((t for t in tensors if not (t.dim() == 1 and t.shape[0] == 0)), tensors[0])
    if ref.dim() == 0:
        raise RuntimeError("zero-dimensional tensor (at position 0) cannot be concatenated")
    d = ref._dim(dim)
    for i, t in enumerate(tensors):
        if t.dim() == 1 and t.shape[0] == 0:
            continue
        if t.dim() != ref.dim():
            raise RuntimeError(f"Tensors must have same number of dimensions: got {ref.dim()} "
                               f"and {t.dim()}")
        for k in range(ref.dim()):
            if k != d and t.shape[k] != ref.shape[k]:
                raise RuntimeError(f"Sizes of tensors must match except in dimension {d}. "
                                   f"Expected size {ref.shape[k]} but got size {t.shape[k]} for "
                                   f"tensor number {i} in the list.")
    return Cat.apply(d, *tensors)


class Stack(Function):
    """Primitive: tensors joined along a new dim."""
    node_name = "StackBackward0"

    @staticmethod
    def forward(ctx, dim, *tensors):
        rt = _dt.result_type(tensors)
        arrays = [t._data if t._data.dtype == rt.np else t._data.astype(rt.np) for t in tensors]
        ctx.dim = dim
        return array_module(arrays[0]).stack(arrays, axis=dim)

    @staticmethod
    def backward(ctx, g):
        return (None,) + tuple(g.select(ctx.dim, i) if need else None
                               for i, need in enumerate(ctx.needs_input_grad[1:]))


def stack(tensors, dim=0):
    tensors = list(tensors)
    if not tensors:
        raise RuntimeError("stack expects a non-empty TensorList")
    shape = tensors[0].shape
    for i, t in enumerate(tensors):
        if t.shape != shape:
            raise RuntimeError(f"stack expects each tensor to be equal size, but got "
                               f"{list(shape)} at entry 0 and {list(t.shape)} at entry {i}")
    d = tensors[0]._dim(dim, tensors[0].dim() + 1)
    return Stack.apply(d, *tensors)


class Split(Function):
    """Primitive: consecutive slices of ``sizes`` along a dim, one node for all parts."""
    node_name = "SplitWithSizesBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x, sizes, dim):
        ctx.dim, ctx.sizes, ctx.in_shape = dim, sizes, x._data.shape
        outs, start = [], 0
        idx = [slice(None)] * x._data.ndim
        for s in sizes:
            idx[dim] = slice(start, start + s)
            outs.append(x._data[tuple(idx)])
            start += s
        return tuple(outs)

    @staticmethod
    def backward(ctx, *grads):
        parts = []
        for g, s in zip(grads, ctx.sizes):
            if g is None:
                shape = list(ctx.in_shape)
                shape[ctx.dim] = s
                g = next(x for x in grads if x is not None).new_zeros(shape)
            parts.append(g)
        return cat(parts, ctx.dim), None, None


class SplitEqual(Split):
    """``split`` by one chunk size (and ``chunk``), which PyTorch records as its own node."""

    node_name = "SplitBackward0"


def split(x, split_size_or_sections, dim=0):
    d = x._dim(dim)
    n = x.shape[d]
    if isinstance(split_size_or_sections, int):
        s = split_size_or_sections
        if s <= 0 and not (s == 0 and n == 0):
            raise RuntimeError(f"split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        sizes = [s] * (n // s) + ([n % s] if n % s else []) if s else [0]
        return SplitEqual.apply(x, tuple(sizes), d)
    else:
        sizes = [int(v) for v in split_size_or_sections]
        if sum(sizes) != n:
            raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                               f"(input tensor's size at dimension {d}), but got "
                               f"split_sizes={sizes}")
    return Split.apply(x, tuple(sizes), d)


def chunk(x, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError("chunk expects `chunks` to be greater than 0, got: " + str(chunks))
    n = x.shape[x._dim(dim)]
    size = -(-n // chunks) if n else 0
    return split(x, size if size else 1, dim) if n else split(x, [0], dim)


class Unbind(Function):
    """The slices along ``dim``, all views; the gradient stacks theirs (zeros if unused)."""

    node_name = "UnbindBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim, ctx.in_shape = dim, x._data.shape
        lead = (slice(None),) * dim
        return tuple(x._data[lead + (i,)] for i in range(x._data.shape[dim]))

    @staticmethod
    def backward(ctx, *grads):
        like = next(g for g in grads if g is not None)
        parts = [g if g is not None else like.new_zeros(like.shape) for g in grads]
        return stack(parts, ctx.dim), None


class Squeeze(ReshapeCopy):
    """``squeeze()``: every size-1 dim."""

    node_name = "SqueezeBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x, dims):
        ctx.in_shape = x._data.shape
        shape = tuple(s for i, s in enumerate(x._data.shape) if not (i in dims and s == 1))
        return x._data.reshape(shape)


class SqueezeDim(Squeeze):
    node_name = "SqueezeBackward1"


class SqueezeDims(Squeeze):
    node_name = "SqueezeBackward2"


class Unsqueeze(Function):
    """Primitive: a view with a new dim of size 1."""
    node_name = "UnsqueezeBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x, dim):
        ctx.dim = dim
        return array_module(x._data).expand_dims(x._data, dim)

    @staticmethod
    def backward(ctx, g):
        return g.squeeze(ctx.dim), None


class Flip(Function):
    """Primitive: the order of entries reversed along dims."""
    node_name = "FlipBackward0"

    @staticmethod
    def forward(ctx, x, dims):
        ctx.dims = dims
        return array_module(x._data).flip(x._data, dims).copy()

    @staticmethod
    def backward(ctx, g):
        return g.flip(ctx.dims), None


class Contiguous(Clone):
    """A C-ordered copy; recorded as the clone it is, as PyTorch does."""

    node_name = "CloneBackward0"

    @staticmethod
    def forward(ctx, x):
        return array_module(x._data).ascontiguousarray(x._data)


def view_dtype(x, dtype):
    """The same bytes read as another dtype (not differentiable, as in PyTorch)."""
    d = x._data
    if dtype.np == d.dtype:
        v = d.view()
    else:
        ratio = max(dtype.itemsize, d.itemsize) // min(dtype.itemsize, d.itemsize)
        if dtype.itemsize > d.itemsize and (d.ndim == 0 or d.shape[-1] % ratio or
                                            d.strides[-1] != d.itemsize):
            from ._util import type_name
            raise RuntimeError(f"self.size(-1) must be divisible by {ratio} to view "
                               f"{type_name(d.dtype)} as {type_name(dtype.np)} (different "
                               f"element sizes), but got {d.shape[-1] if d.ndim else 1}")
        v = (d if d.ndim else d.reshape(1)).view(dtype.np)
    t = Tensor._make(v)
    t._version = x._version
    t._base = x._base if x._base is not None else x
    return t


def is_cuda(x):
    return is_cuda_array(x._data)


_ = np
