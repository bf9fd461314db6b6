"""Tensor: an array, its gradient and its link into the graph. The math lives in ops/."""
import numpy as np

from . import _names, dtype as _dt
from .hooks import RemovableHandle
from .device import (device_of, as_device, is_cuda_array, current_cuda_index,
                     device as _device_cls)

__all__ = ["Tensor", "Size"]

_new_object = object.__new__


def _init_fields(t, data, requires_grad):
    """Give a new tensor its array and a fresh autograd state (a leaf with no hooks)."""
    t._data = data
    t._requires_grad = requires_grad
    t._grad = t.grad_fn = t._base = t._acc = t._hooks = t._post_hooks = None
    t._output_nr = 0
    t._version = [0]


class Size(tuple):
    """A tensor's shape: a tuple that prints as ``disttrain.Size([2, 3])``."""

    def __repr__(self):
        return _names.qualified(f"Size({list(self)})")

    __str__ = __repr__

    def numel(self):
        n = 1
        for s in self:
            n *= s
        return n

    def __getitem__(self, i):
        r = tuple.__getitem__(self, i)
        return Size(r) if isinstance(i, slice) else r

    def __add__(self, other):
        return Size(tuple.__add__(self, tuple(other)))


class Tensor:
    """A multi-dimensional array with autograd, shaped like ``torch.Tensor``.

    ``Tensor(2, 3)`` makes an uninitialised float tensor of that size and ``Tensor([1, 2])``
    one from data, as PyTorch's legacy constructor does; prefer ``disttrain.tensor``.

    This class body holds the data, the autograd state, conversions and printing. Every other
    method (``__add__``, ``sum``, ``view``, ``add_`` ...) is bound onto the class by the method
    tables, and only there: ``core/methods.py`` (operators, arithmetic, comparisons, shapes,
    in-place forms; it imports the other two), ``core/methods_math.py`` (special functions,
    linear algebra, complex numbers) and ``core/more_methods.py`` (the ``functions.more_*``
    family, Tensor-only names, random fills, ``new_*``, memory layout and sharing). Each
    binds ``T.name = ...`` or lists the name in a per-topic loop, so
    ``grep -n "__add__" disttrain/core/*methods*.py`` finds a method.
    """

    __slots__ = ("_data", "_requires_grad", "_grad", "grad_fn", "_output_nr", "_version",
                 "_base", "_acc", "_hooks", "_post_hooks", "_view_chain", "_view_src",
                 "__weakref__", "__dict__")

    __array_priority__ = 1000    # numpy defers ``ndarray op Tensor`` to our reflected ops

    def __init__(self, *args, device=None):
        from .creation import _legacy_new
        _legacy_new(self, args, _dt.get_default_dtype(), device)

    @staticmethod
    def _wrap(data):
        """``_make`` for a numpy array that no tensor holds yet: the fast path of op outputs."""
        t = _new_object(Tensor)
        _init_fields(t, data, False)
        return t

    @classmethod
    def _make(cls, data, requires_grad=False):
        """Wrap an array without copying: the one constructor every op uses."""
        if type(data) is not np.ndarray and not is_cuda_array(data):
            data = np.asarray(data)
        t = _new_object(cls)
        _init_fields(t, data, requires_grad)
        return t

    # ------------------------------------------------------------ autograd state
    @property
    def requires_grad(self):
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, value):
        value = bool(value)
        if self.grad_fn is not None and not value:
            raise RuntimeError(
                "you can only change requires_grad flags of leaf variables. If you want to use a "
                "computed variable in a subgraph that doesn't require differentiation use "
                "var_no_grad = var.detach().")
        if value and not (self.dtype.is_floating_point or self.dtype.is_complex):
            raise RuntimeError("only Tensors of floating point dtype can require gradients")
        self._requires_grad = value

    def requires_grad_(self, requires_grad=True):
        self.requires_grad = requires_grad
        return self

    @property
    def is_leaf(self):
        return self.grad_fn is None

    def retain_grad(self):
        """Keep ``.grad`` for this non-leaf tensor after backward."""
        if self.grad_fn is None:
            if not self._requires_grad:
                raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
            return
        if self.__dict__.get("_retains"):
            return
        self._retains = True
        import weakref
        ref = weakref.ref(self)

        def keep(g):
            t = ref()
            if t is not None:
                t.grad = g.detach() if t.grad is None else (t.grad + g).detach()
        self.grad_fn._add_tensor_hook(self._output_nr, keep)

    @property
    def retains_grad(self):
        return bool(self.__dict__.get("_retains"))

    def register_hook(self, hook):
        """``hook(grad)`` runs when this tensor's gradient is computed; it may return a new one."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self.grad_fn is not None:
            return self.grad_fn._add_tensor_hook(self._output_nr, hook)
        if self._hooks is None:
            self._hooks = {}
        return RemovableHandle.register(self._hooks, hook)

    def register_post_accumulate_grad_hook(self, hook):
        """``hook(tensor)`` runs after a leaf's ``.grad`` has been accumulated."""
        if self.grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._post_hooks is None:
            self._post_hooks = {}
        return RemovableHandle.register(self._post_hooks, hook)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulate this tensor's gradient into the leaves (see ``autograd.backward``)."""
        from .engine import backward   # the engine builds on Tensor: import on use
        backward(self, gradient, retain_graph, create_graph, inputs=inputs)

    def detach(self):
        t = Tensor._make(self._data, False)
        t._version = self._version
        return t

    def detach_(self):
        if self._base is not None and self.grad_fn is not None:
            raise RuntimeError("Can't detach views in-place. Use detach() instead.")
        self.grad_fn, self._requires_grad = None, False
        return self

    @property
    def data(self):
        """The same memory, outside autograd (changes through it are not tracked)."""
        t = Tensor._make(self._data, False)
        return t

    @data.setter
    def data(self, value):
        if not isinstance(value, Tensor):
            raise TypeError(f"Variable data has to be a tensor, but got {type(value).__name__}")
        self._data = value._data

    @property
    def grad(self):
        if self.grad_fn is not None and self._grad is None and not self.__dict__.get("_retains"):
            import warnings
            warnings.warn(_NON_LEAF_GRAD_WARNING, UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value):
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad of "
                                f"type {type(value).__name__}")
            if value._data.shape != self._data.shape:
                raise RuntimeError(f"attempting to assign a gradient of size '{list(value.shape)}'"
                                   f" to a tensor of size '{list(self.shape)}'. Please ensure "
                                   f"that the gradient and the tensor are the same size")
            if value._data.dtype != self._data.dtype:
                raise RuntimeError(
                    f"attempting to assign a gradient with dtype '{_c_name(value.dtype)}' to a "
                    f"tensor with grad_dtype '{_TYPE_NAMES[self.dtype.name][:-6]}'. The gradient "
                    f"must match the tensor's grad_dtype (defaults to the tensor's dtype).")
            if value.device != self.device:
                raise RuntimeError(
                    f"attempting to assign a gradient with device type '{value.device.type}' to "
                    f"a tensor with device type '{self.device.type}'. Please ensure that the "
                    f"gradient and the tensor are on the same device")
        self._grad = value

    # ------------------------------------------------------------ metadata
    @property
    def shape(self):
        return Size(self._data.shape)

    def size(self, dim=None):
        if dim is None:
            return Size(self._data.shape)
        return self._data.shape[self._dim(dim)]

    @property
    def dtype(self):
        return _dt.from_numpy_dtype(self._data.dtype)

    @property
    def device(self):
        return device_of(self._data)

    @property
    def is_cuda(self):
        return is_cuda_array(self._data)

    @property
    def ndim(self):
        return self._data.ndim

    def dim(self):
        return self._data.ndim

    ndimension = dim

    def numel(self):
        return self._data.size

    nelement = numel

    def element_size(self):
        return self._data.itemsize

    @property
    def itemsize(self):
        return self._data.itemsize

    @property
    def nbytes(self):
        return self._data.nbytes

    def stride(self, dim=None):
        st = tuple(s // self._data.itemsize for s in self._data.strides)
        return st if dim is None else st[self._dim(dim)]

    def is_floating_point(self):
        return self.dtype.is_floating_point

    def is_complex(self):
        return self._data.dtype.kind == "c"

    def data_ptr(self):
        if is_cuda_array(self._data):
            return self._data.data.ptr
        return self._data.__array_interface__["data"][0]

    def get_device(self):
        return self._data.device.id if is_cuda_array(self._data) else -1

    def _dim(self, dim, ndim=None):
        """Normalise a possibly negative dim, with PyTorch's IndexError when out of range."""
        n = self._data.ndim if ndim is None else ndim
        lo, hi = (-n, n - 1) if n else (-1, 0)
        if not isinstance(dim, (int, np.integer)):
            raise TypeError(f"dim must be an int, got {type(dim).__name__}")
        if dim < lo or dim > hi:
            raise IndexError(f"Dimension out of range (expected to be in range of [{lo}, {hi}], "
                             f"but got {dim})")
        return dim + n if dim < 0 and n else (0 if dim < 0 else dim)

    def type(self, dtype=None, non_blocking=False):
        if dtype is None:
            name = _TYPE_NAMES[self.dtype.name]
            return _names.qualified(f"{'cuda.' if self.is_cuda else ''}{name}")
        if isinstance(dtype, str):
            for k, v in _TYPE_NAMES.items():
                if dtype.endswith("." + v):
                    return self.to(_dt.to_dtype(k))
            raise ValueError(f"invalid type: '{dtype}'")
        return self.to(getattr(dtype, "_dtype", dtype))

    # ------------------------------------------------------------ conversions
    def item(self):
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               f"to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        d = self._data
        return (d.get() if is_cuda_array(d) else d).tolist()

    def numpy(self, force=False):
        if self._requires_grad and not force:
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        if is_cuda_array(self._data):
            if not force:
                raise TypeError("can't convert cuda:0 device type tensor to numpy. Use "
                                "Tensor.cpu() to copy the tensor to host memory first.")
            return self._data.get()
        return self._data

    def __array__(self, dtype=None, copy=None):
        a = self.numpy(force=True) if self._requires_grad else self.numpy()
        return a if dtype is None else a.astype(dtype, copy=False)

    def to(self, *args, **kwargs):
        """Convert dtype and/or device: ``to(dtype)``, ``to(device)``, ``to(other)``,
        ``to(device, dtype)``; returns ``self`` when nothing changes."""
        dev, dtype = parse_to_args(args, kwargs)
        copy = kwargs.get("copy", False)
        from .ops.elementwise import Cast, ToDevice
        out = self
        dtype = _dt.to_dtype(dtype)
        if dev is not None:
            dev = as_device(dev)
            if dev.type == "cuda" and dev.index is None:
                dev = _device_cls("cuda", current_cuda_index())   # 'cuda' means the current GPU
            if dev != out.device:
                out = ToDevice.apply(out, dev)
        if dtype is not None and dtype.np != out._data.dtype:
            out = Cast.apply(out, dtype)
        if copy and out is self:
            out = self.clone()
        if kwargs.get("memory_format") is not None:
            from .tensor_extras import to_memory_format
            out = to_memory_format(out, kwargs["memory_format"])
        return out

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False):
        return self.to("cuda" if device is None else (device if not isinstance(device, int)
                                                      else f"cuda:{device}"))

    def float(self):
        return self.to(_dt.float32)

    def double(self):
        return self.to(_dt.float64)

    def half(self):
        return self.to(_dt.float16)

    def bfloat16(self):
        return self.to(_dt.bfloat16)

    def long(self):
        return self.to(_dt.int64)

    def int(self):
        return self.to(_dt.int32)

    def short(self):
        return self.to(_dt.int16)

    def char(self):
        return self.to(_dt.int8)

    def byte(self):
        return self.to(_dt.uint8)

    def bool(self):
        return self.to(_dt.bool)

    # ------------------------------------------------------------ Python protocol
    def __len__(self):
        if self._data.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    def __iter__(self):
        if self._data.ndim == 0:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    def __bool__(self):
        if self._data.size != 1:
            what = "no values" if self._data.size == 0 else "more than one value"
            raise RuntimeError(f"Boolean value of Tensor with {what} is ambiguous")
        return bool(self._data.reshape(()).item())

    def _scalar(self):
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __float__(self):
        return float(self._scalar())

    def __int__(self):
        return int(self._scalar())

    def __index__(self):
        if self.dtype.is_floating_point or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __complex__(self):
        return complex(self._scalar())

    def __format__(self, spec):
        if self._data.ndim == 0:
            return self.item().__format__(spec)
        return object.__format__(self, spec)

    __hash__ = object.__hash__

    def __repr__(self, *, tensor_contents=None):
        from .tensor_str import tensor_repr
        return tensor_repr(self)

    def __deepcopy__(self, memo):
        if not self.is_leaf:
            raise RuntimeError("Only Tensors created explicitly by the user (graph leaves) "
                               "support the deepcopy protocol at the moment.  If you were "
                               "attempting to deepcopy a module, this may be because of a "
                               "torch.nn.utils.weight_norm usage, see "
                               "https://github.com/pytorch/pytorch/pull/103001")
        if id(self) in memo:
            return memo[id(self)]
        new = type(self).__new__(type(self))
        Tensor._init_from(new, self._data.copy(), self._requires_grad)
        if self.grad is not None:
            new.grad = self.grad.__deepcopy__(memo)
        for k, v in self.__dict__.items():
            import copy
            new.__dict__[k] = copy.deepcopy(v, memo)
        memo[id(self)] = new
        return new

    _init_from = staticmethod(_init_fields)

    def __reduce_ex__(self, proto):
        # Pickling is for our own processes (DataLoader workers); ``save`` never pickles.
        return (_rebuild, (type(self), self.numpy(force=True) if self.is_cuda else self._data,
                           self._requires_grad, dict(self.__dict__)))

    def __getstate__(self):
        return None


def parse_to_args(args, kwargs):
    """The ``(device, dtype)`` that ``.to(...)`` asks for, from ``to(dtype)``, ``to(device)``,
    ``to(tensor)``, ``to(device, dtype)`` and the ``device=``/``dtype=`` keywords; either may be
    None, and neither is converted (a device may still be a string or an int)."""
    device, dtype = kwargs.get("device"), kwargs.get("dtype")
    for a in args:
        if isinstance(a, _dt.dtype):
            dtype = a
        elif isinstance(a, Tensor):
            device, dtype = a.device, a.dtype
        elif a is not None:
            device = a
    return device, dtype


def _rebuild(cls, data, requires_grad, state):
    t = cls.__new__(cls)
    Tensor._init_from(t, data, requires_grad)
    t.__dict__.update(state)
    return t


_NON_LEAF_GRAD_WARNING = (
    "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. Its .grad "
    "attribute won't be populated during autograd.backward(). If you indeed want the .grad "
    "field to be populated for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor. "
    "If you access the non-leaf Tensor by mistake, make sure you access the leaf Tensor "
    "instead. See github.com/pytorch/pytorch/pull/30531 for more information.")


def _c_name(dt):
    """The element-type name PyTorch's messages use ('float', 'double', 'long int', ...)."""
    return {"float32": "float", "float64": "double", "float16": "c10::Half", "int64": "long int",
            "int32": "int", "int16": "short int", "int8": "signed char",
            "uint8": "unsigned char", "bool": "bool", "bfloat16": "c10::BFloat16"}[dt.name]


_TYPE_NAMES = {"float32": "FloatTensor", "float64": "DoubleTensor", "float16": "HalfTensor",
               "bfloat16": "BFloat16Tensor", "int64": "LongTensor", "int32": "IntTensor",
               "int16": "ShortTensor", "int8": "CharTensor", "uint8": "ByteTensor",
               "bool": "BoolTensor", "complex64": "ComplexFloatTensor",
               "complex128": "ComplexDoubleTensor"}

