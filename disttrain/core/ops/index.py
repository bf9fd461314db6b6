"""Indexing: x[idx] and x[idx] = v, index_select, gather, scatter, masked_fill."""
import re

import numpy as np

from ..flags import alert_not_deterministic
from ..autograd import Function
from ..device import array_module
from ..tensor import Tensor
from ._util import broadcast_msg, c_type_name, unbroadcast

__all__ = []


_BAD_INDEX = ("only integers, slices (`:`), ellipsis (`...`), None and long or byte Variables "
              "are valid indices (got {})")


def convert_index(idx, x):
    """Turn a Python/Tensor index into one numpy understands, and say if it is basic."""
    if not isinstance(idx, tuple):
        idx = (idx,)
    out, basic = [], True
    for k in idx:
        if isinstance(k, Tensor):
            a = k._data
            if a.ndim == 0 and a.dtype.kind in "iu":
                out.append(int(a))      # a 0-d integer tensor indexes like an int (select)
                continue
            out.append(_index_array(a))
            basic = False
        elif isinstance(k, (list, np.ndarray)):
            out.append(array_module(x._data).asarray(_index_array(np.asarray(k))))
            basic = False
        elif isinstance(k, bool):
            out.append(k)
            basic = False
        elif k is None or k is Ellipsis or isinstance(k, (int, slice, np.integer)):
            out.append(k)
        else:
            raise IndexError(_BAD_INDEX.format(type(k).__name__))
    return tuple(out), basic


def _index_array(a):
    if a.dtype.kind == "f":
        raise IndexError("tensors used as indices must be long, int, byte or bool tensors")
    return a.astype(bool) if a.dtype == np.uint8 else a


def check_bounds(x, idx):
    """IndexError like PyTorch's for an integer index past the end of its dimension."""
    dim, n = 0, x.ndim
    consuming = sum(1 for k in idx if k is not None and k is not Ellipsis)
    if consuming > n:
        raise IndexError(f"too many indices for tensor of dimension {n}")
    for i, k in enumerate(idx):
        if k is None:
            continue
        if k is Ellipsis:
            dim = n - sum(1 for j in idx[i + 1:] if j is not None)
            continue
        if isinstance(k, (int, np.integer)):
            size = x.shape[dim]
            if not -size <= k < size:
                raise IndexError(f"index {k} is out of bounds for dimension {dim} with size "
                                 f"{size}")
        dim += 1


class GetItem(Function):
    """``x[idx]`` with an advanced (tensor, list or mask) index: a copy."""

    node_name = "IndexBackward0"

    @staticmethod
    def forward(ctx, x, idx):
        ctx.in_shape, ctx.idx = x._data.shape, idx
        try:
            return x._data[idx]
        except IndexError as e:
            raise IndexError(_index_msg(str(e), x._data.shape, idx)) from None

    @staticmethod
    def backward(ctx, g):
        return IndexAccumulate.apply(g, ctx.idx, ctx.in_shape), None


class Select(GetItem):
    """Basic indexing whose last step is an integer; a view."""

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
    """Basic indexing whose last step is a slice; a view."""

    node_name = "SliceBackward0"
    is_view = True


class UnsqueezeIndex(GetItem):
    """Basic indexing whose last step is ``None``; a view."""

    node_name = "UnsqueezeBackward0"
    is_view = True


class Alias(GetItem):
    """``x[...]`` or ``x[:, :]``: the whole tensor, a view."""

    node_name = "AliasBackward0"
    is_view = True


def _index_msg(msg, shape, idx):
    """numpy's indexing messages in PyTorch's words."""
    if "out of bounds" in msg:
        # only tensor indices reach numpy unchecked; PyTorch numbers them among themselves
        m = re.search(r"for axis (\d+)", msg)
        if m:
            pos = _tensor_position(shape, idx, int(m.group(1)))
            return msg.replace(m.group(0), f"for dimension {pos}")
        return msg
    if "too many indices" in msg:
        return f"too many indices for tensor of dimension {len(shape)}"
    if "boolean index did not match" in msg:
        return _mask_msg(shape, idx) or msg
    if "could not be broadcast" in msg:
        shapes = [list(np.shape(k)) for k in idx if hasattr(k, "dtype") and k.dtype != bool]
        return (f"shape mismatch: indexing tensors could not be broadcast together with shapes "
                f"{', '.join(str(s) for s in shapes)}")
    return msg


def _entries(shape, idx):
    """Each index entry that consumes dims, with the first dim it indexes: ``None`` consumes
    none, a mask as many as it has, and after an Ellipsis the entries count from the end."""
    dim = 0
    for i, k in enumerate(idx):
        if k is None:
            continue
        if k is Ellipsis:
            dim = len(shape) - sum(np.ndim(j) if getattr(j, "dtype", None) == bool else 1
                                   for j in idx[i + 1:] if j is not None)
            continue
        yield k, dim
        dim += k.ndim if getattr(k, "dtype", None) == bool else 1


def _tensor_position(shape, idx, axis):
    """Which tensor index (counting only tensor indices) covers dim ``axis``."""
    count = 0
    for k, dim in _entries(shape, idx):
        is_array = hasattr(k, "dtype")
        width = k.ndim if is_array and k.dtype == bool else 1
        if dim <= axis < dim + width:
            return count
        count += is_array
    return 0


def _mask_msg(shape, idx):
    for k, dim in _entries(shape, idx):
        if getattr(k, "dtype", None) == bool:
            for j, m in enumerate(k.shape):
                if dim + j < len(shape) and m != shape[dim + j]:
                    return (f"The shape of the mask {list(k.shape)} at index {j} does not match "
                            f"the shape of the indexed tensor {list(shape)} at index {dim + j}")
    return None


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
            if xp is not np:
                alert_not_deterministic("index_put_ with accumulate=True on CUDA")
            (np.add.at if xp is np else xp.add.at)(z, idx, g._data)
        return z

    @staticmethod
    def backward(ctx, gg):
        return GetItem.apply(gg, ctx.idx), None, None


def _is_basic(idx):
    for k in idx if isinstance(idx, tuple) else (idx,):
        if not (k is None or k is Ellipsis or isinstance(k, (int, slice, np.integer))) or \
                isinstance(k, bool):
            return False
    return True


_FULL = slice(None)


def getitem(x, index):
    idx, basic = convert_index(index, x)
    if basic:
        check_bounds(x, idx)
        # PyTorch names the node after the last indexing step that does something
        cls = Alias
        for k in reversed(idx):
            if k is None:
                cls = UnsqueezeIndex
            elif isinstance(k, slice):
                if k == _FULL:
                    continue
                cls = Slice
            elif k is Ellipsis:
                continue
            else:
                cls = Select
            break
        if cls is Alias and idx and isinstance(idx[0], slice) and len(idx) == 1:
            cls = Slice
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
        tshape, vshape = tuple(np.shape(arr[idx])), tuple(np.shape(v))
        if _is_basic(idx):
            raise RuntimeError(_expand_msg(vshape, tshape)) from None
        raise RuntimeError(f"shape mismatch: value tensor of shape {list(vshape)} cannot "
                           f"be broadcast to indexing result of shape {list(tshape)}") from e
    except IndexError as e:
        raise IndexError(_index_msg(str(e), arr.shape, idx)) from None


def _expand_msg(vshape, tshape):
    """PyTorch's message when a value can't be expanded to the slice it is copied into."""
    lead = len(tshape) - len(vshape)
    for k in range(max(lead, 0), len(tshape)):
        v = vshape[k - lead]
        if v != 1 and v != tshape[k]:
            return (f"The expanded size of the tensor ({tshape[k]}) must match the existing size "
                    f"({v}) at non-singleton dimension {k}.  Target sizes: {list(tshape)}.  "
                    f"Tensor sizes: {list(vshape)}")
    return (f"shape mismatch: value tensor of shape {list(vshape)} cannot be broadcast to "
            f"indexing result of shape {list(tshape)}")


class IndexPut(SetItem):
    """``x[idx] = v`` with an advanced index."""

    node_name = "IndexPutBackward0"


class IndexSelect(Function):
    """Primitive: entries at ``index`` along one dim."""
    node_name = "IndexSelectBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        if index._data.ndim > 1:
            raise IndexError("index_select(): Index is supposed to be a vector")
        if index._data.dtype.kind not in "iu":
            raise RuntimeError("index_select(): Expected dtype int32 or int64 for index")
        d = x._dim(dim)
        n = x._data.shape[d] if x._data.ndim else 1
        idx = index._data.reshape(-1)
        if idx.size and (idx.max() >= n or idx.min() < 0):
            raise IndexError("index out of range in self")
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


def index_grid(index_arr, dim):
    """Full index tuple for gather/scatter/sort: positions of ``index`` with ``dim``
    replaced by its values."""
    xp = array_module(index_arr)
    grids = list(xp.indices(index_arr.shape, sparse=True))
    grids[dim] = index_arr
    return tuple(grids)


def _check_index(x, dim, index, name, src=None):
    """PyTorch's checks of a gather/scatter index: dtype, rank, sizes and bounds."""
    ia = index._data
    if ia.dtype != np.int64 and ia.dtype != np.int32:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")
    d = x._dim(dim)
    if index.dim() != x.dim() and not (index.dim() <= 1 and x.dim() <= 1):
        what = "input" if name == "gather" else "self"
        raise RuntimeError(f"Index tensor must have the same number of dimensions as {what} "
                           f"tensor")
    xs, ixs = x.shape, index.shape
    too_big = any(k != d and ixs[k] > xs[k] for k in range(index.dim()))
    if name == "gather" and too_big:
        k = next(k for k in range(index.dim()) if k != d and ixs[k] > xs[k])
        raise RuntimeError(f"Size does not match at dimension {k} expected index {list(ixs)} to "
                           f"be no larger than self {list(xs)} apart from dimension {d}")
    if name != "gather":
        src_small = isinstance(src, Tensor) and (src.dim() != index.dim() or any(
            ixs[k] > src.shape[k] for k in range(index.dim())))
        if too_big or src_small:
            tail = f" and to be no larger size than src {list(src.shape)}" if isinstance(
                src, Tensor) else ""
            raise RuntimeError(f"Expected index {list(ixs)} to be no larger than self "
                               f"{list(xs)} apart from dimension {d}{tail}")
    n = xs[d] if x.dim() else 1
    if ia.size:
        bad = (ia < 0) | (ia >= n)
        if bad.any():
            v = int(ia.reshape(-1)[bad.reshape(-1).argmax()])
            raise RuntimeError(f"index {v} is out of bounds for dimension {d} with size {n}")
    return d


def _grid_of(x, index, d):
    # 0-d operands index like 1-element vectors
    return index_grid(index._data.reshape(-1) if x.dim() == 0 else index._data, d)


class Gather(Function):
    """Primitive: ``x[..., index, ...]`` along one dim, element by element."""
    node_name = "GatherBackward0"

    @staticmethod
    def forward(ctx, x, dim, index):
        d = _check_index(x, dim, index, "gather")
        ctx.d, ctx.index, ctx.in_shape = d, index, x._data.shape
        xd = x._data.reshape(-1) if x.dim() == 0 else x._data
        return xd[_grid_of(x, index, d)].reshape(index._data.shape)

    @staticmethod
    def backward(ctx, g):
        if not ctx.in_shape:
            return g.sum(), None, None
        grid = index_grid(ctx.index._data, ctx.d)
        return IndexAccumulate.apply(g, grid, ctx.in_shape), None, None


class Scatter(Function):
    """``scatter`` of a tensor ``src``; ``reduce`` 'add'/'multiply' accumulate instead."""

    node_name = "ScatterBackward0"

    @staticmethod
    def forward(ctx, x, dim, index, src, reduce=None):
        d = _check_index(x, dim, index, "scatter", src)
        if reduce not in (None, "add", "multiply"):
            raise RuntimeError("reduce argument must be either add or multiply.")
        ctx.d, ctx.index, ctx.reduce = d, index, reduce
        grid = index_grid(index._data, d)
        out = x._data.copy()
        xp = array_module(out)
        if isinstance(src, Tensor):
            if src._data.dtype != out.dtype:
                raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
            sv = src._data[tuple(slice(0, s) for s in index._data.shape)]
        else:
            sv = src
        if reduce == "add":
            if xp is not np:
                alert_not_deterministic("scatter_add_cuda_kernel")
            (np.add.at if xp is np else xp.add.at)(out, grid, sv)
        elif reduce == "multiply":
            (np.multiply.at if xp is np else xp.multiply.at)(out, grid, sv)
        else:
            out[grid] = sv
        ctx.src_shape = src._data.shape if isinstance(src, Tensor) else None
        return out

    @staticmethod
    def backward(ctx, g):
        if ctx.reduce == "multiply":
            raise RuntimeError("the derivative for 'scatter' with reduce='multiply' is not "
                               "implemented")
        grid = index_grid(ctx.index._data, ctx.d)
        gx = gs = None
        if ctx.needs_input_grad[0]:
            gx = g if ctx.reduce == "add" else SetItem.apply(g, grid, 0.0)
        if len(ctx.needs_input_grad) > 3 and ctx.needs_input_grad[3]:
            picked = GetItem.apply(g, grid)
            if picked.shape != ctx.src_shape:
                picked = _pad_to(picked, ctx.src_shape)
            gs = picked
        return gx, None, None, gs, None


class ScatterValue(Scatter):
    node_name = "ScatterBackward1"


class ScatterAdd(Scatter):
    node_name = "ScatterAddBackward0"


def _pad_to(t, shape):
    z = t.new_zeros(shape)
    return SetItem.apply(z, tuple(slice(0, s) for s in t.shape), t)


class MaskedFill(Function):
    """``masked_fill`` with a Python-number value."""

    node_name = "MaskedFillBackward0"
    graph_inputs = (0,)  # the mask is no input of PyTorch's node

    @staticmethod
    def forward(ctx, x, mask, value):
        md = mask._data
        if md.dtype != np.bool_:
            raise RuntimeError(f"masked_fill_ only supports boolean masks, but got mask with "
                               f"dtype {c_type_name(md.dtype)}")
        if isinstance(value, Tensor) and value.dim() != 0:
            raise RuntimeError(f"masked_fill_ only supports a 0-dimensional value tensor, but "
                               f"got tensor with {value.dim()} dimension(s).")
        xd = x._data
        xp = array_module(xd)
        v = value._data.astype(xd.dtype) if isinstance(value, Tensor) else xd.dtype.type(value)
        try:
            out = xp.where(md, v, xd)
        except ValueError:
            raise RuntimeError(broadcast_msg(md.shape, xd.shape)) from None
        ctx.mask, ctx.in_shape = mask, xd.shape
        return out

    @staticmethod
    def backward(ctx, g):
        gx = gv = None
        if ctx.needs_input_grad[0]:
            gx = unbroadcast(g.masked_fill(ctx.mask, 0.0), ctx.in_shape)
        if ctx.needs_input_grad[2]:
            gv = (g * ctx.mask).sum()
        return gx, None, gv


class MaskedFillTensor(MaskedFill):
    """``masked_fill`` with a 0-d tensor value (which receives a gradient)."""

    node_name = "MaskedFillBackward1"
    graph_inputs = (0, 2)


class MaskedSelect(Function):
    """Primitive: the entries where a (broadcast) mask is True, as a 1-d tensor."""
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
