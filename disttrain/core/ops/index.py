"""Indexing: x[idx] and x[idx] = v, index_select, gather, scatter, masked_fill."""
import numpy as np

from .. import dtype as _dt
from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor
from ._util import unbroadcast

__all__ = []


def convert_index(idx, x):
    """Turn a Python/Tensor index into one numpy understands, and say if it is basic."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out, basic = [], True
    for k in idx:
        if isinstance(k, Tensor):
            a = k._data
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            if a.dtype == np.uint8:
                a = a.astype(bool)
            out.append(a)
            basic = False
        elif isinstance(k, (list, np.ndarray)):
            a = np.asarray(k)
            if a.dtype.kind == "f":
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 "tensors")
            out.append(array_module(x._data).asarray(a))
            basic = False
        elif isinstance(k, bool):
            out.append(k)
            basic = False
        else:
            out.append(k)
    return tuple(out), basic


def check_bounds(x, idx):
    """IndexError like PyTorch's for an integer index past the end of its dimension."""
    dim = 0
    for k in idx:
        if k is None:
            continue
        if k is Ellipsis:
            dim = x.ndim - sum(1 for j in idx if j is not None and j is not Ellipsis and
                               not (hasattr(j, "dtype") and j.dtype == bool and j.ndim > 1)) + \
                dim - dim
            continue
        if isinstance(k, (int, np.integer)) and not isinstance(k, bool):
            if dim >= x.ndim:
                raise IndexError(f"too many indices for tensor of dimension {x.ndim}")
            size = x.shape[dim]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size "
                                 f"{size}")
        dim += 1


class GetItem(Function):
    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, idx):
        ctx.in_shape, ctx.idx = x._data.shape, idx
        try:
            return x._data[idx]
        except IndexError as e:
            raise IndexError(_index_msg(str(e), x)) from None

    @staticmethod
    def backward(ctx, g):
        return IndexAccumulate.apply(g, ctx.idx, ctx.in_shape), None


class Select(GetItem):
    node_name = "SelectBackward0"
    is_view = True

    @staticmethod
    def forward(ctx, x, idx):
        out = GetItem.forward(ctx, x, idx)
        if isinstance(out, np.generic):
            # numpy returns a scalar copy when every dim gets an int; '...' keeps a 0-d view
            out = x._data[tuple(idx) + (Ellipsis,)]
        return out


class Slice(GetItem):
    node_name = "SliceBackward0"
    is_view = True


def _index_msg(msg, x):
    if "out of bounds" in msg:
        return msg.replace("axis", "dimension")
    return msg


class IndexAccumulate(Function):
    """Zeros of ``shape`` with ``g`` added at ``idx`` (repeated indices accumulate)."""

    node_name = "IndexPutBackward0"

    @staticmethod
    def forward(ctx, g, idx, shape):
        ctx.idx = idx
        xp = array_module(g._data)
        z = xp.zeros(shape, g._data.dtype)
        if _is_basic(idx):
            z[idx] = g._data
        else:
            (np.add.at if xp is np else xp.add.at)(z, idx, g._data)
        return z

    @staticmethod
    def backward(ctx, gg):
        return gg[ctx.idx] if False else GetItem.apply(gg, ctx.idx), None, None


def _is_basic(idx):
    for k in idx if isinstance(idx, tuple) else (idx,):
        if not (k is None or k is Ellipsis or isinstance(k, (int, slice, np.integer))) or \
                isinstance(k, bool):
            return False
    return True


def getitem(x, index):
    idx, basic = convert_index(index, x)
    if basic:
        check_bounds(x, idx)
        cls = Select if all(isinstance(k, (int, np.integer)) for k in idx) else Slice
        return cls.apply(x, idx)
    return GetItem.apply(x, idx)


class SetItem(Function):
    """``x[idx] = v`` as a function of (x, v): the node an assignment leaves in the graph."""

    node_name = "CopySlices"

    @staticmethod
    def forward(ctx, x, idx, v):
        ctx.idx, ctx.v_shape = idx, (v._data.shape if isinstance(v, Tensor) else ())
        out = x._data.copy()
        _assign(out, idx, v)
        return out

    @staticmethod
    def backward(ctx, g):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = SetItem.apply(g, ctx.idx, 0.0)
        if ctx.needs_input_grad[2]:
            gv = unbroadcast(GetItem.apply(g, ctx.idx), ctx.v_shape)
        return gx, None, gv


def _assign(arr, idx, v):
    xp = array_module(arr)
    if isinstance(v, Tensor):
        v = v._data
        if v.dtype != arr.dtype:
            v = v.astype(arr.dtype)
        if array_module(v) is not xp:
            v = xp.asarray(v) if xp is not np else v.get()
    try:
        arr[idx] = v
    except ValueError as e:
        tshape = np.shape(arr[idx])
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(np.shape(v))} cannot "
                           f"be broadcast to indexing result of shape {list(tshape)}") from e


class IndexSelect(Function):
    node_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        if index._data.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        if index._data.dtype.kind not in "iu":
            raise RuntimeError("index_select(): Expected dtype int32/int64 for index")
        d = x._dim(dim)
        n = x._data.shape[d] if x._data.ndim else 1
        idx = index._data.reshape(-1)
        if idx.size and (idx.max() >= n or idx.min() < -n):
            raise IndexError(f"index out of range in self")
        ctx.d, ctx.idx, ctx.in_shape = d, idx, x._data.shape
        return array_module(x._data).take(x._data, idx, axis=d) if x._data.ndim else \
            x._data.reshape(1)[idx].reshape(())

    @staticmethod
    def backward(ctx, g):
        idx = [slice(None)] * len(ctx.in_shape)
        if not ctx.in_shape:
            return g.sum(), None, None
        idx[ctx.d] = ctx.idx
        return IndexAccumulate.apply(g, tuple(idx), ctx.in_shape), None, None


def _grid(index_arr, dim):
    """Full index tuple for gather/scatter: positions of ``index`` with ``dim`` replaced."""
    xp = array_module(index_arr)
    grids = list(xp.indices(index_arr.shape, sparse=True))
    grids[dim] = index_arr
    return tuple(grids)


def _check_index(x, dim, index, name):
    if index._data.dtype != np.int64:
        raise RuntimeError(f"{name}(): Expected dtype int64 for index")
    if index.dim() != x.dim() and not (index.dim() <= 1 and x.dim() <= 1):
        raise RuntimeError(f"Index tensor must have the same number of dimensions as input "
                           f"tensor")
    d = x._dim(dim)
    for k in range(index.dim()):
        if k != d and index.shape[k] > x.shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(index.shape)} to be smaller than self "
                               f"{list(x.shape)} apart from dimension {d}")
    ia = index._data
    n = x.shape[d] if x.dim() else 1
    if ia.size and (ia.max() >= n or ia.min() < -n):
        raise RuntimeError(f"index {int(ia.max() if ia.max() >= n else ia.min())} is out of "
                           f"bounds for dimension {d} with size {n}")
    return d


class Gather(Function):
    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        d = _check_index(x, dim, index, "gather")
        ctx.d, ctx.index, ctx.in_shape = d, index, x._data.shape
        return x._data[_grid(index._data, d)]

    @staticmethod
    def backward(ctx, g):
        return IndexAccumulate.apply(g, _grid(ctx.index._data, ctx.d), ctx.in_shape), None, None


class Scatter(Function):
    node_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce=None):
        d = _check_index(x, dim, index, "scatter")
        ctx.d, ctx.index, ctx.reduce = d, index, reduce
        grid = _grid(index._data, d)
        out = x._data.copy()
        xp = array_module(out)
        if isinstance(src, Tensor):
            sv = src._data[tuple(slice(0, s) for s in index._data.shape)]
            if sv.dtype != out.dtype:
                sv = sv.astype(out.dtype)
        else:
            sv = src
        if reduce in ("add", "sum"):
            (np.add.at if xp is np else xp.add.at)(out, grid, sv)
        elif reduce in ("multiply", "prod"):
            (np.multiply.at if xp is np else xp.multiply.at)(out, grid, sv)
        elif reduce is None:
            out[grid] = sv
        else:
            raise RuntimeError(f"reduce argument must be either add or multiply, got {reduce}")
        ctx.src_shape = src._data.shape if isinstance(src, Tensor) else None
        return out

    @staticmethod
    def backward(ctx, g):
        grid = _grid(ctx.index._data, ctx.d)
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = g if ctx.reduce in ("add", "sum") else SetItem.apply(g, grid, 0.0)
        if ctx.needs_input_grad[3]:
            picked = GetItem.apply(g, grid)
            if picked.shape != ctx.src_shape:
                picked = _pad_to(picked, ctx.src_shape)
            gs = picked
        return gx, None, None, gs, None


def _pad_to(t, shape):
    z = t.new_zeros(shape)
    return SetItem.apply(z, tuple(slice(0, s) for s in t.shape), t)


class MaskedFill(Function):
    node_name = "MaskedFillBackward0"

    @staticmethod
    def forward(ctx, x, mask, value):
        md = mask._data
        if md.dtype != np.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with "
                               f"dtype {_dt.from_numpy_dtype(md.dtype)}")
        v = value._data if isinstance(value, Tensor) else value
        if isinstance(value, Tensor) and value.dim() != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.dim()} dimension(s).")
        ctx.mask = mask
        xd = x._data
        try:
            out = array_module(xd).where(md, xd.dtype.type(v) if not hasattr(v, "dtype")
                                         else v.astype(xd.dtype), xd)
        except ValueError:
            raise RuntimeError(f"The size of tensor a ({xd.shape}) must match the size of "
                               f"tensor b ({md.shape})") from None
        if out.shape != xd.shape:
            raise RuntimeError(f"masked_fill: the mask of shape {list(md.shape)} cannot be "
                               f"broadcast to the tensor of shape {list(xd.shape)}")
        return out

    @staticmethod
    def backward(ctx, g):
        gx = g.masked_fill(ctx.mask, 0.0) if ctx.needs_input_grad[0] else None
        gv = None
        if ctx.needs_input_grad[2]:
            gv = (g * ctx.mask).sum()
        return gx, None, gv


class MaskedSelect(Function):
    node_name = "MaskedSelectBackward0"

    @staticmethod
    def forward(ctx, x, mask):
        xp = array_module(x._data)
        shape = np.broadcast_shapes(x._data.shape, mask._data.shape)
        m = xp.broadcast_to(mask._data, shape)
        ctx.in_shape, ctx.m = x._data.shape, m
        return xp.broadcast_to(x._data, shape)[m]

    @staticmethod
    def backward(ctx, g):
        full = IndexAccumulate.apply(g, (ctx.m,), ctx.m.shape)
        return unbroadcast(full, ctx.in_shape), None
