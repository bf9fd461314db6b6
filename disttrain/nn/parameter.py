"""Parameter and Buffer: tensors a Module registers when they are assigned as attributes."""
from ..core.tensor import Tensor
from ..core import creation as _creation

__all__ = ["Parameter", "UninitializedParameter", "UninitializedBuffer", "Buffer",
           "is_lazy"]


def _share(dst, src, requires_grad):
    """Make ``dst`` a new leaf over ``src``'s memory (and version counter), as PyTorch does."""
    Tensor._init_from(dst, src._data, requires_grad)
    dst._version = src._version
    return dst


class Parameter(Tensor):
    """A Tensor that is a module parameter: assigning one to a Module attribute registers it.

    Args:
        data (Tensor): the values; the parameter shares their memory. Default: an empty tensor.
        requires_grad (bool): whether autograd records operations on it. Default: ``True``.

    Example::

        >>> p = nn.Parameter(disttrain.ones(2))
        >>> p
        Parameter containing:
        tensor([1., 1.], requires_grad=True)
    """

    def __new__(cls, data=None, requires_grad=True):
        if data is None:
            data = _creation.empty(0)
        if not isinstance(data, Tensor):
            raise TypeError(f"Parameter(): argument 'data' (position 1) must be Tensor, not "
                            f"{type(data).__name__}")
        if requires_grad and not data.dtype.is_floating_point:
            raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                               "gradients")
        return _share(object.__new__(cls), data, bool(requires_grad))

    def __init__(self, data=None, requires_grad=True):
        pass   # everything happened in __new__; Tensor.__init__ would reinitialise

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.data.clone(), self.requires_grad)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        return (_rebuild_parameter, (type(self), self.detach().cpu()._data if self.is_cuda
                                     else self._data, self.requires_grad, dict(self.__dict__)))


def _rebuild_parameter(cls, data, requires_grad, state):
    p = cls(Tensor._make(data), requires_grad)
    p.__dict__.update(state)
    return p


class Buffer(Tensor):
    """Marks a tensor to be registered as a buffer when assigned to a Module attribute.

    Args:
        data (Tensor): the buffer's values (shared, not copied).
        persistent (bool): whether it is part of ``state_dict``. Default: ``True``.
    """

    def __new__(cls, data=None, *, persistent=True):
        if data is None:
            data = _creation.empty(0)
        t = _share(object.__new__(cls), data, data.requires_grad)
        t.persistent = persistent
        return t

    def __init__(self, data=None, *, persistent=True):
        pass


class _Uninitialized:
    """Mixin for the placeholders lazy modules hold until the first input fixes their shape."""

    _is_lazy = True

    def materialize(self, shape, device=None, dtype=None):
        """Give the placeholder real (uninitialised) memory of ``shape`` and become a Tensor."""
        data = _creation.empty(*shape, dtype=dtype or self.dtype, device=device or self.device)
        self._data = data._data
        self.__class__ = self.cls_to_become
        return self

    @property
    def shape(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. "
                           "This error usually happens in `load_state_dict` when trying to "
                           "load an uninitialized parameter into an initialized one. Call "
                           "`forward` to initialize the parameters before accessing their "
                           "attributes.")

    def numel(self):
        raise RuntimeError("Can't access the shape of an uninitialized parameter or buffer. "
                           "Call `forward` to initialize the parameters before accessing "
                           "their attributes.")

    def __repr__(self):
        return f"<{type(self).__name__}>"

    def __deepcopy__(self, memo):
        if id(self) in memo:
            return memo[id(self)]
        result = type(self)(self.requires_grad, dtype=self.dtype)
        memo[id(self)] = result
        return result

    def __reduce_ex__(self, proto):
        return (type(self), (self.requires_grad,))


class UninitializedParameter(_Uninitialized, Parameter):
    """A parameter whose shape is not known yet (see ``LazyLinear``)."""

    cls_to_become = Parameter

    def __new__(cls, requires_grad=True, device=None, dtype=None):
        data = _creation.empty(0, dtype=dtype, device=device)
        return _share(object.__new__(cls), data, requires_grad)

    def __init__(self, requires_grad=True, device=None, dtype=None):
        pass


class UninitializedBuffer(_Uninitialized, Tensor):
    """A buffer whose shape is not known yet."""

    cls_to_become = Tensor

    def __new__(cls, requires_grad=False, device=None, dtype=None):
        data = _creation.empty(0, dtype=dtype, device=device)
        return _share(object.__new__(cls), data, requires_grad)

    def __init__(self, requires_grad=False, device=None, dtype=None):
        pass


def is_lazy(param):
    """Whether ``param`` is a placeholder that a lazy module has not materialised yet."""
    return isinstance(param, _Uninitialized)
