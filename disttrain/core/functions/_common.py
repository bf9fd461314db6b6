"""What the function modules share: ``out=`` handling and the (values, indices) result."""
from ..device import array_module
from ..grad_mode import state as _grad_state
from ..tensor import Tensor
from ..ops._util import check_cast

__all__ = ["write_out", "array_module_of", "ValuesIndices", "values_indices"]


def write_out(result, out, name):
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


def array_module_of(t):
    """numpy or cupy, whichever holds ``t``'s data."""
    return array_module(t._data)


class ValuesIndices(tuple):
    """The (values, indices) pair returned by max/min/sort/topk along a dim."""

    def __new__(cls, values, indices, name):
        cls = RETURN_TYPES.get(name, cls)     # the named class (``return_types.max`` ...)
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


def values_indices(pair, out, name):
    v, i = pair
    if out is not None:
        v, i = write_out(v, out[0], name), write_out(i, out[1], name)
    return ValuesIndices(v, i, name)


# one class per op name, as PyTorch's ``torch.return_types.max`` ...: results of that op are
# instances of it (see ``disttrain.return_types``)
RETURN_TYPES = {n: type(n, (ValuesIndices,), {"__module__": "disttrain.return_types"})
                for n in ("max", "min", "sort", "topk", "kthvalue", "median", "nanmedian",
                          "mode", "cummax", "cummin")}
