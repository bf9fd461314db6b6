"""Shapes and indexing: reshape/view forms, transpose/permute, cat/stack/split, narrow and
select, gather/scatter, masked and index_* ops, triangles and diagonals.
"""
import builtins

from ..tensor import Tensor
from ..ops import index as I, select as SEL, shape as S
from ._common import array_module_of, write_out

__all__ = [
    "reshape", "flatten", "squeeze", "unsqueeze", "transpose", "swapaxes", "permute", "t",
    "cat", "concat", "concatenate", "stack", "chunk", "split", "index_select", "gather",
    "scatter", "scatter_add", "masked_fill", "masked_select", "narrow", "flip", "tril", "triu",
    "diag", "broadcast_to", "hstack", "vstack", "movedim", "tile", "select", "index_add",
    "index_copy", "index_fill", "unbind", "unflatten", "roll",
]


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
    return write_out(S.cat(tensors, dim), out, "cat")


def stack(tensors, dim=0, *, out=None):
    """Join same-shaped tensors along a new dim."""
    return write_out(S.stack(tensors, dim), out, "stack")


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
    # a shift that wraps to 0 still returns a new tensor, never an alias of the input
    return input.clone() if out is input else out


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
    mask = array_module_of(input).zeros(input.shape, bool)
    mask[grid] = True
    return masked_fill(input, Tensor._make(mask), value)


def masked_select(input, mask):
    return I.MaskedSelect.apply(input, mask)


def tril(input, diagonal=0):
    """The lower triangle of the last two dims (on and below ``diagonal``); zeros above."""
    return SEL.Tril.apply(input, diagonal)


def triu(input, diagonal=0):
    """The upper triangle of the last two dims (on and above ``diagonal``); zeros below."""
    return SEL.Triu.apply(input, diagonal)


def diag(input, diagonal=0):
    xp = array_module_of(input)
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
