"""More shape and indexing functions: splits and stacks by axis, ``atleast_*``, rotations,
diagonals and strided views (``diagonal``, ``as_strided``, ``unfold``), index grids
(``meshgrid``, ``tril_indices``), ``take``/``put``, ``scatter_reduce``, ``repeat_interleave``
and the ``*_copy``/``*_scatter`` forms.

Most are compositions of the differentiable ops in ``shaping``; the strided views share one
Function (``ops.strided.StridedView``).
"""
import builtins
import itertools

import numpy as np

from .. import dtype as _dt
from ..tensor import Tensor
from ..ops import index as I, shape as S
from ..ops.strided import StridedView
from ._common import array_module_of
from . import shaping as SH

__all__ = [
    "atleast_1d", "atleast_2d", "atleast_3d", "column_stack", "row_stack", "dstack",
    "tensor_split", "hsplit", "vsplit", "dsplit", "split_with_sizes", "unsafe_split",
    "unsafe_chunk", "unsafe_split_with_sizes", "fliplr", "flipud", "rot90", "moveaxis",
    "swapdims", "ravel", "diagonal", "diagflat", "block_diag", "as_strided",
    "repeat_interleave", "take", "take_along_dim", "meshgrid", "cartesian_prod",
    "combinations", "tril_indices", "triu_indices", "broadcast_tensors", "broadcast_shapes",
    "unravel_index", "masked_scatter", "put", "index_put", "scatter_reduce", "index_reduce",
    "select_scatter", "slice_scatter", "diagonal_scatter", "as_strided_scatter", "narrow_copy",
    "adjoint", "alias_copy", "expand_copy", "permute_copy", "select_copy", "slice_copy",
    "split_copy", "split_with_sizes_copy", "squeeze_copy", "t_copy", "transpose_copy",
    "unbind_copy", "unsqueeze_copy", "view_copy", "diagonal_copy", "as_strided_copy",
    "detach_copy", "unfold_copy",
]


class Diagonal(StridedView):
    node_name = "DiagonalBackward0"


class Unfold(StridedView):
    node_name = "UnfoldBackward0"


# ------------------------------------------------------------------- dims and stacks
def atleast_1d(*tensors):
    """Each tensor with at least one dimension (0-d becomes shape ``(1,)``)."""
    return _atleast(tensors, lambda x: x.reshape(1) if x.dim() == 0 else x)


def atleast_2d(*tensors):
    """Each tensor with at least two dimensions (new leading dims of size 1)."""
    return _atleast(tensors, lambda x: x.reshape((1,) * (2 - x.dim()) + tuple(x.shape))
                    if x.dim() < 2 else x)


def atleast_3d(*tensors):
    """Each tensor with at least three dimensions, placed as numpy's ``atleast_3d`` does."""
    def up(x):
        if x.dim() == 0:
            return x.reshape(1, 1, 1)
        if x.dim() == 1:
            return x.reshape(1, -1, 1)
        if x.dim() == 2:
            return x.unsqueeze(-1)
        return x
    return _atleast(tensors, up)


def _atleast(tensors, fn):
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        return tuple(fn(t) for t in tensors[0])
    if len(tensors) == 1:
        return fn(tensors[0])
    return tuple(fn(t) for t in tensors)


def column_stack(tensors):
    """Stack 0-d/1-d tensors as columns (and 2-d ones as they are) side by side."""
    return SH.cat([t.reshape(-1, 1) if t.dim() < 2 else t for t in tensors], 1)


def row_stack(tensors):
    """Alias of ``vstack``."""
    return SH.vstack(tensors)


def dstack(tensors):
    """Concatenate along the third dim after ``atleast_3d``."""
    return SH.cat(list(atleast_3d(*tensors)) if len(tensors) > 1 else
                  [atleast_3d(tensors[0])], 2)


# ------------------------------------------------------------------- splits
def tensor_split(input, indices_or_sections, dim=0):
    """Split into ``n`` nearly equal parts (the first ``size % n`` one longer), or at the
    given indices; every part is a view."""
    d = input._dim(dim)
    n = input.shape[d]
    if isinstance(indices_or_sections, Tensor):
        v = indices_or_sections
        if v.dim() > 1 or v.dtype.is_floating_point:
            raise RuntimeError("tensor_split expected tensor_indices_or_sections to have a 0 or 1 "
                               "dimension and be of integral type")
        indices_or_sections = v.item() if v.dim() == 0 else v.tolist()
    if isinstance(indices_or_sections, (int, np.integer)):
        k = int(indices_or_sections)
        if k <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {k}")
        q, r = divmod(n, k)
        bounds = [i * q + builtins.min(i, r) for i in range(k + 1)]
    else:
        bounds = [0] + [int(i) for i in indices_or_sections] + [n]
    out = []
    for a, b in zip(bounds[:-1], bounds[1:]):
        a, b = builtins.min(builtins.max(a if a >= 0 else a + n, 0), n), \
            builtins.min(builtins.max(b if b >= 0 else b + n, 0), n)
        out.append(input.narrow(d, a, builtins.max(b - a, 0)))
    return tuple(out)


def _axis_split(input, sections, dim, name, need):
    if input.dim() < need:
        raise RuntimeError(f"torch.{name} requires a tensor with at least {need} dimension, "
                           f"but got a tensor with {input.dim()} dimensions!")
    if isinstance(sections, (int, np.integer)) and input.shape[dim] % sections:
        raise RuntimeError(f"torch.{name} attempted to split along dimension {dim}, but the size "
                           f"of the dimension {input.shape[dim]} is not divisible by the "
                           f"split_size {sections}!")
    return tensor_split(input, sections, dim)


def hsplit(input, sections):
    """Split along dim 1 (dim 0 for 1-d tensors)."""
    return _axis_split(input, sections, 0 if input.dim() == 1 else 1, "hsplit", 1)


def vsplit(input, sections):
    """Split along dim 0 of a tensor with at least 2 dims."""
    return _axis_split(input, sections, 0, "vsplit", 2)


def dsplit(input, sections):
    """Split along dim 2 of a tensor with at least 3 dims."""
    return _axis_split(input, sections, 2, "dsplit", 3)


def split_with_sizes(input, split_sizes, dim=0):
    """Split into parts of the given sizes along ``dim``; they must add up to its size."""
    d = input._dim(dim)
    if builtins.sum(split_sizes) != input.shape[d]:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to "
                           f"{input.shape[d]} (input tensor's size at dimension {d}), but got "
                           f"split_sizes={list(split_sizes)}")
    return SH.split(input, list(split_sizes), d)


unsafe_split = SH.split
unsafe_chunk = SH.chunk
unsafe_split_with_sizes = split_with_sizes


# ------------------------------------------------------------------- flips and moves
def fliplr(input):
    """Reverse the order of columns (dim 1)."""
    if input.dim() < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return SH.flip(input, [1])


def flipud(input):
    """Reverse the order of rows (dim 0)."""
    if input.dim() < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return SH.flip(input, [0])


def rot90(input, k=1, dims=(0, 1)):
    """Rotate by 90 degrees ``k`` times in the plane of ``dims``, from the first toward the
    second."""
    dims = list(dims)
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.dim() < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.dim()}")
    d0, d1 = input._dim(dims[0]), input._dim(dims[1])
    if d0 == d1:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {d0} and "
                           f"dim1 = {d1}")
    k %= 4
    if k == 1:
        return SH.flip(input, [d1]).transpose(d0, d1)
    if k == 2:
        return SH.flip(input, [d0, d1])
    if k == 3:
        return SH.flip(input, [d0]).transpose(d0, d1)
    return input.clone()


moveaxis = SH.movedim
swapdims = SH.swapaxes


def ravel(input):
    """The elements as a 1-d tensor (a view when the memory allows)."""
    return input.reshape(-1)


def adjoint(input):
    """The last two dims swapped (the conjugate transpose of a real tensor); a view."""
    if input.dim() < 2:
        raise RuntimeError("tensor.adjoint() is only supported on matrices or batches of "
                           "matrices. Got 1-D tensor." if input.dim() == 1 else
                           "tensor.adjoint() is only supported on matrices or batches of "
                           "matrices. Got 0-D tensor.")
    return input.transpose(-2, -1)


# ------------------------------------------------------------------- diagonals, strides
def _eye_coefs(ndim, dims):
    return [tuple(1 if k in dims else 0 for k in range(ndim))]


def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal of the ``dim1``/``dim2`` planes, as the last dim of a view."""
    d1, d2 = input._dim(dim1), input._dim(dim2)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    n = input.dim()
    shape = input.shape
    if offset >= 0:
        length = builtins.max(0, builtins.min(shape[d1], shape[d2] - offset))
    else:
        length = builtins.max(0, builtins.min(shape[d1] + offset, shape[d2]))
    start = [0] * n
    if length:
        start[d2 if offset >= 0 else d1] = builtins.abs(offset)
    rest = [k for k in range(n) if k not in (d1, d2)]
    size = [shape[k] for k in rest] + [length]
    coefs = [tuple(1 if j == k else 0 for j in range(n)) for k in rest] + \
        [tuple(1 if j in (d1, d2) else 0 for j in range(n))]
    return Diagonal.apply(input, tuple(size), tuple(coefs), tuple(start))


def unfold(input, dimension, size, step):
    """Every window of ``size`` elements along ``dimension``, ``step`` apart, as a new last
    dim; a view (overlapping windows share memory)."""
    n = input.dim()
    d = input._dim(dimension) if n else 0
    length = input.shape[d] if n else 1
    if size > length:
        raise RuntimeError(f"maximum size for tensor at dimension {d} is {length} but size is "
                           f"{size}")
    if step <= 0:
        raise RuntimeError(f"step is {step} but must be > 0")
    if n == 0:
        return input.reshape(1)
    sizes = list(input.shape)
    sizes[d] = (length - size) // step + 1
    coefs = [tuple((step if j == d else 1) if j == k else 0 for j in range(n))
             for k in range(n)]
    coefs.append(tuple(1 if j == d else 0 for j in range(n)))
    return Unfold.apply(input, tuple(sizes + [size]), tuple(coefs), (0,) * n)


def as_strided(input, size, stride, storage_offset=None):
    """A view of ``input``'s memory with the given sizes and strides (in elements).

    disttrain supports it on contiguous tensors, whose memory is exactly their elements; the
    offset is counted from the tensor's first element plus its own ``storage_offset()``.
    """
    if not input.is_contiguous():
        raise RuntimeError("as_strided: disttrain supports it only on contiguous tensors; call "
                           ".contiguous() first")
    size, stride = tuple(int(s) for s in size), tuple(int(s) for s in stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape")
    if builtins.any(s < 0 for s in stride):
        raise RuntimeError("as_strided: Negative strides are not supported at the moment, got "
                           f"strides: {list(stride)}")
    own = input.storage_offset()
    off = own if storage_offset is None else int(storage_offset)
    flat = input.reshape(-1)
    start = off - own
    reach = start + builtins.sum((s - 1) * st for s, st in zip(size, stride)) \
        if builtins.all(size) else start
    if start < 0 or (builtins.all(size) and reach >= flat.numel()):
        raise RuntimeError(f"setStorage: sizes {list(size)}, strides {list(stride)}, storage "
                           f"offset {off} reach outside the {flat.numel()} elements the tensor "
                           f"holds")
    return StridedView.apply(flat, size, tuple((st,) for st in stride), (start,))


def _norm_dim(d, n):
    if d < -n or d >= n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {d})")
    return d + n if d < 0 else d


def diagflat(input, offset=0):
    """A 2-d tensor with the flattened ``input`` on its ``offset`` diagonal."""
    return SH.diag(input.reshape(-1), offset)


def block_diag(*tensors):
    """The tensors (0-, 1- or 2-d) as blocks on the diagonal of one 2-d tensor."""
    mats = []
    for i, t in enumerate(tensors):
        if t.dim() > 2:
            raise RuntimeError(f"torch.block_diag: Input tensors must have 2 or fewer "
                               f"dimensions. Input {i} has {t.dim()} dimensions")
        mats.append(t.reshape(1, -1) if t.dim() < 2 else t)
    if not mats:
        return Tensor._make(np.zeros((1, 0), _dt.get_default_dtype().np))
    dtype = mats[0].dtype
    for m in mats[1:]:
        dtype = _dt.promote_types(dtype, m.dtype)
    rows = builtins.sum(m.shape[0] for m in mats)
    cols = builtins.sum(m.shape[1] for m in mats)
    out = mats[0].new_zeros((rows, cols), dtype=dtype)
    r = c = 0
    for m in mats:
        out = _put_block(out, m.to(dtype), r, c)
        r, c = r + m.shape[0], c + m.shape[1]
    return out


def _put_block(out, m, r, c):
    xp = array_module_of(out)
    rows = xp.arange(r, r + m.shape[0]).reshape(-1, 1)
    cols = xp.arange(c, c + m.shape[1]).reshape(1, -1)
    return I.IndexPut.apply(out, (rows, cols), m)


# ------------------------------------------------------------------- repeat, take, put
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Repeat each element (each slice along ``dim``) ``repeats`` times, keeping their order.

    With a tensor alone, ``repeat_interleave(repeats)`` gives ``i`` repeated ``repeats[i]``
    times.
    """
    if repeats is None:
        r = input
        xp = array_module_of(r)
        # repeat counts on the host: cupy's repeat takes them only as Python ints or lists
        return Tensor._make(xp.asarray(np.repeat(np.arange(r.shape[0], dtype=np.int64),
                                                 _host(r._data))))
    if dim is None:
        input, dim = input.reshape(-1), 0
    d = input._dim(dim)
    xp = array_module_of(input)
    n = input.shape[d]
    if isinstance(repeats, Tensor):
        if repeats.dim() > 1:
            raise RuntimeError("repeats must be 0-dim or 1-dim tensor")
        reps = repeats._data.reshape(-1)
    else:
        reps = xp.asarray([int(repeats)])
    if reps.size == 1:
        reps = xp.full((n,), int(reps[0]))
    if reps.size != n:
        raise RuntimeError("repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {reps.size} and input.size({d}) = {n}")
    if (reps < 0).any():
        raise RuntimeError("repeats can not be negative")
    idx = xp.asarray(np.repeat(np.arange(n, dtype=np.int64), _host(reps)))
    return SH.index_select(input, d, Tensor._make(idx))


def take(input, index):
    """The elements of the flattened ``input`` at ``index``, shaped as ``index``."""
    n = input.numel()
    idx = index._data
    if idx.size and (int(idx.max()) >= n or int(idx.min()) < -n):
        bad = int(idx.max()) if int(idx.max()) >= n else int(idx.min())
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         f"elements.")
    return I.GetItem.apply(input.reshape(-1), (idx % n if n else idx,))


def take_along_dim(input, indices, dim=None):
    """``gather`` with ``indices`` broadcast against ``input`` (flattened when ``dim`` is
    None)."""
    if dim is None:
        return take(input, indices.reshape(-1))
    d = input._dim(dim)
    shape_i = list(indices.shape)
    shape_x = list(input.shape)
    shape_i[d] = shape_x[d] = 1
    b = np.broadcast_shapes(tuple(shape_x), tuple(shape_i))
    xs, is_ = list(b), list(b)
    xs[d], is_[d] = input.shape[d], indices.shape[d]
    return SH.gather(input.expand(*xs), d, indices.expand(*is_))


def put(input, index, source, accumulate=False):
    """``input`` (flattened) with ``source`` written (or added) at ``index``."""
    flat = input.reshape(-1)
    n = flat.numel()
    idx = index._data.reshape(-1) % n if n else index._data.reshape(-1)
    src = source.reshape(-1)
    if accumulate:
        out = flat + I.IndexAccumulate.apply(src, (idx,), (n,))
    else:
        out = I.IndexPut.apply(flat, (idx,), src)
    return out.reshape(input.shape)


def index_put(input, indices, values, accumulate=False):
    """``input`` with ``values`` written at ``input[indices]`` (added when ``accumulate``)."""
    idx = tuple(i._data if isinstance(i, Tensor) else i for i in indices)
    if accumulate:
        return input + I.IndexAccumulate.apply(
            values.expand(*I.GetItem.apply(input.detach(), idx).shape), idx,
            tuple(input.shape))
    return I.IndexPut.apply(input, idx, values)


def masked_scatter(input, mask, source):
    """``input`` with the positions where ``mask`` is true filled, in order, from ``source``."""
    if mask.dtype is not _dt.bool:
        raise RuntimeError(f"masked_scatter_ only supports boolean masks, but got mask with "
                           f"dtype {mask.dtype}")
    shape = np.broadcast_shapes(tuple(input.shape), tuple(mask.shape))
    xp = array_module_of(input)
    m = xp.broadcast_to(mask._data, shape)
    k = int(m.sum())
    if k > source.numel():
        raise RuntimeError("masked_scatter: expected source to have at least as many elements "
                           "as ones in mask")
    pos = xp.nonzero(m)
    return I.IndexPut.apply(input.expand(*shape), pos, source.reshape(-1)[:k])


_REDUCES = ("sum", "prod", "mean", "amax", "amin")


def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """``input`` with each ``src`` element combined by ``reduce`` ('sum', 'prod', 'mean',
    'amax', 'amin') into the slot ``index`` names along ``dim``."""
    if reduce not in _REDUCES:
        raise RuntimeError(f"reduce argument must be either sum, prod, mean, amax or amin, got "
                           f"{reduce}")
    d = input._dim(dim)
    if src.dtype is not input.dtype:
        raise RuntimeError("scatter(): Expected self.dtype to be equal to src.dtype")
    I._check_index(input, d, index, "scatter_reduce", src)
    grid = I._grid_of(input, index, d)
    xp = array_module_of(input)
    # the src elements at the index's positions (src may be larger than index)
    src_sel = src[tuple(slice(0, s) for s in index.shape)] if src.dim() else src
    hit = xp.zeros(input.shape, bool)
    hit[grid] = True
    hit_t = Tensor._make(hit)
    if reduce == "sum":
        base = input if include_self else input.masked_fill(hit_t, 0)
        return base + I.IndexAccumulate.apply(src_sel, grid, tuple(input.shape))
    if reduce == "mean":
        ones = xp.ones(index.shape, input._data.dtype)
        cnt = xp.zeros(input.shape, input._data.dtype)
        xp.add.at(cnt, grid, ones) if xp is not np else np.add.at(cnt, grid, ones)
        base = input if include_self else input.masked_fill(hit_t, 0)
        total = base + I.IndexAccumulate.apply(src_sel, grid, tuple(input.shape))
        cnt = cnt + (1 if include_self else 0)
        cnt = xp.where(cnt == 0, 1, cnt)
        out = total / Tensor._make(cnt)
        if not input.dtype.is_floating_point:
            out = out.floor().to(input.dtype)
        return out
    # prod/amax/amin: one row per target slot holding its contributions (padded with the
    # reduction's identity), reduced along the row; untouched slots keep ``input``. Memory is
    # (slots hit) x (largest number of contributions to one slot).
    flat_pos = np.ravel_multi_index(tuple(np.asarray(_host(g)) for g in grid), input.shape) \
        .reshape(-1) if index.numel() else np.zeros(0, np.int64)
    if flat_pos.size == 0:
        return input.clone()
    slots, inverse, counts = np.unique(flat_pos, return_inverse=True, return_counts=True)
    order = np.argsort(inverse, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    col = np.empty(flat_pos.size, np.int64)
    col[order] = np.arange(flat_pos.size) - np.repeat(starts, counts)
    off = 1 if include_self else 0
    k, width = slots.size, int(counts.max()) + off
    if input.dtype.is_floating_point:
        fill = {"prod": 1.0, "amax": -np.inf, "amin": np.inf}[reduce]
    else:
        info = np.iinfo(input._data.dtype)
        fill = {"prod": 1, "amax": int(info.min), "amin": int(info.max)}[reduce]
    flat_in = input.reshape(-1)
    table = flat_in.new_full((k, width), fill)
    rows_src = xp.asarray(inverse.reshape(-1))
    table = I.IndexPut.apply(table, (rows_src, xp.asarray(col + off)),
                             src_sel.reshape(-1).to(input.dtype))
    slots_x = xp.asarray(slots)
    if include_self:
        table = I.IndexPut.apply(table, (xp.arange(k), xp.zeros(k, np.int64)),
                                 I.GetItem.apply(flat_in, (slots_x,)))
    red = {"prod": lambda t: t.prod(1), "amax": lambda t: t.amax(1),
           "amin": lambda t: t.amin(1)}[reduce](table)
    return I.IndexPut.apply(flat_in, (slots_x,), red).reshape(input.shape)


def _host(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else a


def index_reduce(input, dim, index, source, reduce, *, include_self=True):
    """``scatter_reduce`` of whole slices: slice ``i`` of ``source`` along ``dim`` combines
    into slice ``index[i]`` of ``input``."""
    if reduce not in ("prod", "mean", "amax", "amin"):
        raise RuntimeError(f"index_reduce(): Expected reduce to be one of prod, mean, amax or "
                           f"amin but got {reduce}.")
    d = input._dim(dim)
    if source.dtype is not input.dtype:
        from ..ops._util import type_name
        raise RuntimeError(f"index_reduce_(): self ({type_name(input.dtype.np)}) and source "
                           f"({type_name(source.dtype.np)}) must have the same scalar type")
    shape = [1] * source.dim()
    shape[d] = -1
    idx = index.reshape(shape).expand(*source.shape)
    return scatter_reduce(input, d, idx, source, reduce, include_self=include_self)


# ------------------------------------------------------------------- grids and indices
def meshgrid(*tensors, indexing=None):
    """Coordinate grids of 1-d tensors: ``indexing='ij'`` (matrix, the default) or ``'xy'``
    (Cartesian: the first two dims swapped)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing is None:
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    for t in tensors:
        if t.dim() > 1:
            raise RuntimeError(f"torch.meshgrid: Expected 0D or 1D tensor in the tensor list but "
                               f"got: {t}")
    ts = [t.reshape(-1) for t in tensors]
    swap = indexing == "xy" and len(ts) >= 2
    if swap:
        ts[0], ts[1] = ts[1], ts[0]
    shape = tuple(t.shape[0] for t in ts)
    n = len(ts)
    out = [t.reshape([-1 if i == k else 1 for i in range(n)]).expand(*shape)
           for k, t in enumerate(ts)]
    if swap:
        out[0], out[1] = out[1], out[0]
    return tuple(out)


def cartesian_prod(*tensors):
    """Every combination of one element from each 1-d tensor, as rows (1-d for one input)."""
    if len(tensors) == 1:
        return tensors[0]
    grids = meshgrid(*tensors, indexing="ij")
    return SH.stack([g.reshape(-1) for g in grids], 1)


def combinations(input, r=2, with_replacement=False):
    """The length-``r`` combinations of a 1-d tensor's elements, as rows."""
    if input.dim() != 1:
        raise RuntimeError(f"Expect a 1D vector, but got shape {list(input.shape)}")
    if r < 0:
        raise RuntimeError(f"Expect a non-negative number, but got {r}")
    if r == 0:
        return input.new_zeros(0)
    make = itertools.combinations_with_replacement if with_replacement else \
        itertools.combinations
    combos = list(make(range(input.shape[0]), r))
    if not combos:
        return input.new_zeros((0, r))
    idx = array_module_of(input).asarray(np.asarray(combos, dtype=np.int64))
    return I.GetItem.apply(input, (idx,))


def _tri_indices(row, col, offset, upper, dtype, device):
    r, c = np.indices((row, col)) if row and col else (np.zeros((0,), np.int64),) * 2
    keep = (c - r >= offset) if upper else (c - r <= offset)
    arr = np.stack([r[keep], c[keep]]).astype(np.int64) if row and col else \
        np.zeros((2, 0), np.int64)
    from ..creation import tensor
    return tensor(arr, dtype=dtype or _dt.int64, device=device)


def tril_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) indices of the lower triangle of a ``row x col`` matrix, as 2 x N."""
    return _tri_indices(row, col, offset, False, dtype, device)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, layout=None):
    """The (row, column) indices of the upper triangle of a ``row x col`` matrix, as 2 x N."""
    return _tri_indices(row, col, offset, True, dtype, device)


def broadcast_shapes(*shapes):
    """The shape tensors of these shapes broadcast to, as a ``Size``."""
    from ..tensor import Size
    norm = [(s,) if isinstance(s, (int, np.integer)) else tuple(s) for s in shapes]
    out = ()
    for i, shp in enumerate(norm):
        n = builtins.max(len(out), len(shp))
        a, b = (1,) * (n - len(out)) + out, (1,) * (n - len(shp)) + shp
        for k in range(n):
            if b[k] != a[k] and b[k] != 1 and a[k] != 1:
                raise RuntimeError(f"Attempting to broadcast a dimension of length {b[k]} at "
                                   f"{k - n}! Mismatching argument at index {i} had {shp}; but "
                                   f"expected shape should be broadcastable to {list(out)}")
        out = tuple(y if x == 1 else x for x, y in zip(a, b))
    return Size(out)


def broadcast_tensors(*tensors):
    """The tensors expanded (as views) to their common broadcast shape."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    shape = broadcast_shapes(*[t.shape for t in tensors])
    return tuple(t.expand(*shape) for t in tensors)


def unravel_index(indices, shape):
    """The coordinates in a tensor of ``shape`` of flat ``indices``, one tensor per dim."""
    if not isinstance(indices, Tensor):
        from ..creation import tensor
        indices = tensor(indices)
    if indices.dtype.is_floating_point or indices.dtype is _dt.bool:
        raise TypeError(f"expected 'indices' to be integer dtype, but got {indices.dtype}")
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    n = int(np.prod(shape, dtype=np.int64))
    d = indices._data
    xp = array_module_of(indices)
    coords = xp.unravel_index(d % n if n else d, shape)
    return tuple(Tensor._make(xp.asarray(c, dtype=np.int64)) for c in coords)


# ------------------------------------------------------------------- *_scatter and *_copy
def select_scatter(input, src, dim, index):
    """``input`` with ``src`` written into ``input.select(dim, index)``."""
    d = input._dim(dim)
    idx = (slice(None),) * d + (index,)
    return I.IndexPut.apply(input, _advanced(idx, input), src)


def slice_scatter(input, src, dim=0, start=None, end=None, step=1):
    """``input`` with ``src`` written into the slice ``start:end:step`` of ``dim``."""
    d = input._dim(dim)
    idx = (slice(None),) * d + (slice(start, end, step),)
    return I.IndexPut.apply(input, _advanced(idx, input), src)


def _advanced(idx, input):
    # a basic index as integer arrays, so IndexPut writes through it on a copy of ``input``
    xp = array_module_of(input)
    ar = xp.arange(input.numel(), dtype=np.int64).reshape(input.shape)[idx]
    return xp.unravel_index(ar, tuple(input.shape))


def diagonal_scatter(input, src, offset=0, dim1=0, dim2=1):
    """``input`` with ``src`` written into ``input.diagonal(offset, dim1, dim2)``."""
    xp = array_module_of(input)
    ar = Tensor._make(xp.arange(input.numel(), dtype=np.int64).reshape(input.shape))
    pos = diagonal(ar, offset, dim1, dim2)._data
    if tuple(pos.shape) != tuple(src.shape):
        raise RuntimeError(f"expected src to have a size equal to the slice of self. src size = "
                           f"{list(src.shape)}, slice size = {list(pos.shape)}")
    return I.IndexPut.apply(input, xp.unravel_index(pos, tuple(input.shape)), src)


def as_strided_scatter(input, src, size, stride, storage_offset=None):
    """``input`` with ``src`` written into ``input.as_strided(size, stride, offset)``."""
    xp = array_module_of(input)
    ar = Tensor._make(xp.arange(input.numel(), dtype=np.int64).reshape(input.shape))
    pos = as_strided(ar, size, stride, storage_offset)._data
    return I.IndexPut.apply(input, xp.unravel_index(pos, tuple(input.shape)), src)


def narrow_copy(input, dim, start, length):
    """``narrow`` as a new tensor rather than a view."""
    return input.narrow(dim, start, length).clone()


def _copy_of(fn):
    def copy(input, *args, **kwargs):
        out = fn(input, *args, **kwargs)
        if isinstance(out, (tuple, list)):
            return type(out)(o.clone() for o in out) if isinstance(out, list) else \
                tuple(o.clone() for o in out)
        return out.clone()
    copy.__doc__ = f"``{fn.__name__}`` as new tensors rather than views."
    return copy


alias_copy = _copy_of(lambda x: x)
expand_copy = _copy_of(lambda x, size, implicit=False: S.expand(x, tuple(size)))
permute_copy = _copy_of(lambda x, dims: S.permute(x, tuple(dims)))
select_copy = _copy_of(SH.select)
slice_copy = _copy_of(lambda x, dim=0, start=None, end=None, step=1: x[
    (slice(None),) * x._dim(dim) + (slice(start, end, step),)])
split_copy = _copy_of(SH.split)
split_with_sizes_copy = _copy_of(split_with_sizes)
squeeze_copy = _copy_of(SH.squeeze)
t_copy = _copy_of(SH.t)
transpose_copy = _copy_of(SH.transpose)
unbind_copy = _copy_of(SH.unbind)
unsqueeze_copy = _copy_of(SH.unsqueeze)
view_copy = _copy_of(lambda x, size: x.view(size) if isinstance(size, _dt.dtype) else
                     x.view(*size) if isinstance(size, (tuple, list)) else x.view(size))
diagonal_copy = _copy_of(diagonal)
as_strided_copy = _copy_of(as_strided)
detach_copy = _copy_of(lambda x: x.detach())
unfold_copy = _copy_of(unfold)
