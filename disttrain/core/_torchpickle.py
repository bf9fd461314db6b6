"""The pickle inside PyTorch's ``torch.save`` files, written and read without PyTorch.

Writing: ``TorchPickler`` emits protocol-2 opcodes itself for the objects PyTorch's
``weights_only`` loader accepts (containers, numbers, strings, bytes, tensors, Parameters,
``Size``, dtypes, devices), naming PyTorch's globals (``torch._utils._rebuild_tensor_v2`` ...)
as PyTorch writes them. Python's own pickler cannot name globals of a package that is not
installed, and a hand-written emitter cannot write anything outside that set by accident.

Reading: ``RestrictedUnpickler`` resolves every global through an allow-list that maps
PyTorch's names to builders of disttrain objects, plus what the user allows with
``disttrain.serialization.add_safe_globals``. Every other global is refused with PyTorch's
error, so loading never runs code the file chooses.
"""
import _codecs
import collections
import io
import pickle
import struct

import numpy as np

from . import device as _device, dtype as _dt
from .tensor import Size, Tensor

__all__ = ["TorchPickler", "RestrictedUnpickler", "STORAGE_DTYPES", "NotTorchData",
           "safe_globals_registry"]

# PyTorch's legacy storage class names, by the numpy dtype of their elements (bfloat16 has
# no numpy dtype: its storage holds uint16 bit patterns, widened to float32 on load).
STORAGE_DTYPES = {
    "DoubleStorage": ("float64", np.float64), "FloatStorage": ("float32", np.float32),
    "HalfStorage": ("float16", np.float16), "BFloat16Storage": ("bfloat16", np.uint16),
    "LongStorage": ("int64", np.int64), "IntStorage": ("int32", np.int32),
    "ShortStorage": ("int16", np.int16), "CharStorage": ("int8", np.int8),
    "ByteStorage": ("uint8", np.uint8), "BoolStorage": ("bool", np.bool_),
    "ComplexFloatStorage": ("complex64", np.complex64),
    "ComplexDoubleStorage": ("complex128", np.complex128),
    "UntypedStorage": ("uint8", np.uint8),
}
_STORAGE_OF_DTYPE = {name: storage for storage, (name, _) in STORAGE_DTYPES.items()
                     if storage != "UntypedStorage"}

# user-allowed globals: "module.qualname" -> object
safe_globals_registry = {}


class NotTorchData(TypeError):
    """An object has no form in PyTorch's weights-only pickle."""


# ------------------------------------------------------------------------------- writing
class TorchPickler:
    """Emits the protocol-2 pickle of ``obj`` as ``torch.save`` writes it.

    ``storage_key(tensor)`` returns ``(key, dtype_name, numel)`` for a tensor's storage
    record; the zip writer stores the bytes under ``data/<key>``.
    """

    def __init__(self, storage_key):
        self._storage_key = storage_key
        self._out = io.BytesIO()
        self._memo = {}             # id(obj) -> memo index, for objects pickled twice
        self._keep = []             # keeps memoised objects alive so ids stay unique

    def dumps(self, obj):
        self._out.write(b"\x80\x02")
        self._save(obj)
        self._out.write(b".")
        return self._out.getvalue()

    # --- opcodes
    def _w(self, b):
        self._out.write(b)

    def _global(self, module, name):
        self._w(b"c" + module.encode() + b"\n" + name.encode() + b"\n")

    def _put(self, obj):
        i = len(self._memo)
        self._memo[id(obj)] = i
        self._keep.append(obj)
        self._w(b"q" + bytes([i]) if i < 256 else b"r" + struct.pack("<I", i))

    def _get(self, obj):
        i = self._memo[id(obj)]
        self._w(b"h" + bytes([i]) if i < 256 else b"j" + struct.pack("<I", i))

    def _tuple(self, items):
        if not items:
            self._w(b")")
            return
        if len(items) <= 3:
            for v in items:
                self._save(v)
            self._w(b"\x85\x86\x87"[len(items) - 1:len(items)])
            return
        self._w(b"(")
        for v in items:
            self._save(v)
        self._w(b"t")

    # --- values
    def _save(self, obj):
        if obj is None:
            self._w(b"N")
        elif obj is True or obj is False:
            self._w(b"\x88" if obj else b"\x89")
        elif isinstance(obj, (bool, np.bool_)):
            self._save(bool(obj))
        elif isinstance(obj, (int, np.integer)):
            self._int(int(obj))
        elif isinstance(obj, (float, np.floating)):
            self._w(b"G" + struct.pack(">d", float(obj)))
        elif isinstance(obj, str):
            raw = obj.encode("utf-8", "surrogatepass")
            self._w(b"X" + struct.pack("<I", len(raw)) + raw)
        elif id(obj) in self._memo:
            self._get(obj)
        elif isinstance(obj, Tensor):
            self._tensor(obj)
        elif isinstance(obj, _dt.dtype):
            self._global("torch", obj.name)
        elif isinstance(obj, Size):
            self._global("torch", "Size")
            self._tuple(tuple(int(s) for s in obj))
            self._w(b"\x85R")
        elif isinstance(obj, _device.device):
            self._global("torch", "device")
            self._tuple((str(obj),))
            self._w(b"R")
        elif type(obj) is bytes:
            # protocol 2 spells bytes as _codecs.encode(latin-1 text), as PyTorch writes them
            self._global("_codecs", "encode")
            self._tuple((obj.decode("latin-1"), "latin1"))
            self._w(b"R")
        elif isinstance(obj, complex):
            self._global("__builtin__", "complex")
            self._tuple((obj.real, obj.imag))
            self._w(b"R")
        elif isinstance(obj, tuple) and type(obj) is tuple:
            self._tuple(obj)
        elif type(obj) is list:
            self._w(b"]")
            self._put(obj)
            self._items(obj, b"a", b"e", lambda v: self._save(v))
        elif type(obj) in (dict, collections.OrderedDict):
            self._dict(obj)
        elif type(obj) is set:
            self._global("__builtin__", "set")
            self._w(b"]")
            for v in obj:
                self._save(v)
                self._w(b"a")
            self._w(b"\x85R")
        else:
            raise NotTorchData(f"{type(obj).__module__}.{type(obj).__qualname__}")

    def _int(self, v):
        if 0 <= v < 256:
            self._w(b"K" + bytes([v]))
        elif 0 <= v < 65536:
            self._w(b"M" + struct.pack("<H", v))
        elif -2 ** 31 <= v < 2 ** 31:
            self._w(b"J" + struct.pack("<i", v))
        else:
            raw = v.to_bytes((v.bit_length() + 8) // 8, "little", signed=True)
            self._w(b"\x8a" + bytes([len(raw)]) + raw)

    def _items(self, items, one, many, save_one):
        items = list(items)
        for i in range(0, len(items), 1000):          # pickle batches appends by 1000
            chunk = items[i:i + 1000]
            if len(chunk) == 1:
                save_one(chunk[0])
                self._w(one)
            else:
                self._w(b"(")
                for v in chunk:
                    save_one(v)
                self._w(many)

    def _dict(self, d):
        ordered = type(d) is collections.OrderedDict
        if ordered:
            self._global("collections", "OrderedDict")
            self._w(b")R")
        else:
            self._w(b"}")
        self._put(d)

        def pair(kv):
            self._save(kv[0])
            self._save(kv[1])
        self._items(d.items(), b"s", b"u", pair)
        meta = getattr(d, "_metadata", None) if ordered else None
        if meta is not None:          # a state_dict's per-module versions, as PyTorch keeps
            self._w(b"}")
            self._save("_metadata")
            self._save(meta)
            self._w(b"sb")

    def _tensor(self, t):
        from ..nn.parameter import Parameter
        if isinstance(t, Parameter):
            self._global("torch._utils", "_rebuild_parameter")
            self._plain_tensor(t)
            self._save(bool(t.requires_grad))
            self._global("collections", "OrderedDict")
            self._w(b")R\x87R")
        else:
            self._plain_tensor(t)
        self._put(t)

    def _plain_tensor(self, t):
        key, dtype_name, numel = self._storage_key(t)
        if dtype_name not in _STORAGE_OF_DTYPE:
            raise NotTorchData(f"tensor of dtype {dtype_name}")
        self._global("torch._utils", "_rebuild_tensor_v2")
        self._w(b"((")
        self._save("storage")
        self._global("torch", _STORAGE_OF_DTYPE[dtype_name])
        self._save(str(key))
        self._save(str(t.device))
        self._save(numel)
        self._w(b"tQ")
        shape = tuple(int(s) for s in t.shape)
        strides, acc = [], 1
        for s in reversed(shape):           # the storage holds the tensor's elements in order
            strides.append(acc)
            acc *= max(s, 1)
        self._save(0)
        self._tuple(shape)
        self._tuple(tuple(reversed(strides)))
        self._save(bool(t.requires_grad) and not _is_parameter(t))
        self._global("collections", "OrderedDict")
        self._w(b")Rt")
        self._w(b"R")


def _is_parameter(t):
    return type(t).__name__ == "Parameter"


# ------------------------------------------------------------------------------- reading
class _Storage:
    """A storage record as the pickle refers to it: a flat array and its saved device."""

    __slots__ = ("array", "dtype_name", "location")

    def __init__(self, array, dtype_name, location):
        self.array, self.dtype_name, self.location = array, dtype_name, location


class RestrictedUnpickler(pickle.Unpickler):
    """Reads a ``data.pkl`` record, resolving globals through the allow-list only.

    Args:
        data (bytes): the pickle.
        load_storage (callable): ``(key, dtype_name, numpy_dtype, numel, location)`` to a
            ``_Storage``, called once per storage record.
        make_tensor (callable): ``(storage, offset, size, stride, requires_grad)`` to a Tensor.
        weights_only (bool): when False, globals outside the allow-list are imported (only
            for files the user trusts).
    """

    def __init__(self, data, load_storage, make_tensor, weights_only=True):
        super().__init__(io.BytesIO(data))
        self._load_storage = load_storage
        self._make_tensor = make_tensor
        self._weights_only = weights_only
        self._storages = {}

    def persistent_load(self, pid):
        if not (isinstance(pid, tuple) and len(pid) == 5 and pid[0] == "storage"
                and isinstance(pid[1], _StorageType)):
            raise pickle.UnpicklingError(f"unknown persistent id {pid!r}")
        _, stype, key, location, numel = pid
        if not isinstance(numel, int) or numel < 0:
            raise pickle.UnpicklingError(f"storage {key!r} has a bad element count {numel!r}")
        if key not in self._storages:
            self._storages[key] = self._load_storage(str(key), stype.dtype_name, stype.np,
                                                     numel, str(location))
        return self._storages[key]

    def find_class(self, module, name):
        module = {"__builtin__": "builtins", "copy_reg": "copyreg"}.get(module, module)
        full = f"{module}.{name}"
        found = self._allowed(full)
        if found is not None:
            return found
        if full in safe_globals_registry:
            return safe_globals_registry[full]
        if not self._weights_only:
            if module == "torch" or module.startswith("torch."):
                raise pickle.UnpicklingError(
                    f"Unsupported global: the file pickles {full}, a PyTorch object that "
                    f"disttrain cannot rebuild (a whole model saved with torch.save(model)); "
                    f"save model.state_dict() in PyTorch and load that instead")
            return super().find_class(module, name)
        raise pickle.UnpicklingError(_unsupported_global(full))

    def _allowed(self, full):
        if full.startswith("torch.") and full.endswith("Storage"):
            short = full.rsplit(".", 1)[1]
            if short in STORAGE_DTYPES:
                return _StorageType(short)
        return _allowed_globals(self).get(full)


class _StorageType:
    """Stands for a legacy storage class (``torch.FloatStorage``) inside a persistent id."""

    def __init__(self, name):
        self.name = name
        self.dtype_name, self.np = STORAGE_DTYPES[name]

    def __call__(self, *args):
        raise pickle.UnpicklingError(f"torch.{self.name} cannot be constructed while loading")


def _allowed_globals(up):
    from ..nn.parameter import Parameter

    def rebuild_tensor_v2(storage, storage_offset, size, stride, requires_grad=False,
                          backward_hooks=None, metadata=None):
        return up._make_tensor(storage, storage_offset, size, stride, requires_grad)

    def rebuild_tensor(storage, storage_offset, size, stride):
        return up._make_tensor(storage, storage_offset, size, stride, False)

    def rebuild_parameter(data, requires_grad, backward_hooks, state=None):
        _need_tensor(data, "_rebuild_parameter")
        return Parameter(data, bool(requires_grad))

    def rebuild_from_type_v2(func, new_type, args, state):
        t = func(*args)
        if new_type is Parameter and not isinstance(t, Parameter):
            t = Parameter(t, t.requires_grad)
        elif new_type not in (Tensor, Parameter):
            raise pickle.UnpicklingError(f"tensor subclass {new_type!r} is not supported")
        return t

    def parameter(data=None, requires_grad=True):
        return Parameter(data, bool(requires_grad))

    def make_size(dims=()):
        return Size(tuple(int(d) for d in dims))

    def make_device(spec, index=None):
        return _device.device(spec if index is None else f"{spec}:{index}")

    def encode(text, encoding="latin1"):
        if encoding not in ("latin1", "latin-1"):
            raise pickle.UnpicklingError(f"_codecs.encode with encoding {encoding!r}")
        return _codecs.encode(text, encoding)

    table = {
        "collections.OrderedDict": collections.OrderedDict,
        "collections.Counter": collections.Counter,
        "torch._utils._rebuild_tensor_v2": rebuild_tensor_v2,
        "torch._utils._rebuild_tensor": rebuild_tensor,
        "torch._utils._rebuild_parameter": rebuild_parameter,
        "torch._utils._rebuild_parameter_with_state": rebuild_parameter,
        "torch._tensor._rebuild_from_type_v2": rebuild_from_type_v2,
        "torch.nn.parameter.Parameter": parameter,
        "torch.Tensor": Tensor,
        "torch.Size": make_size,
        "torch.device": make_device,
        "_codecs.encode": encode,
        "builtins.set": set,
        "builtins.bytearray": bytearray,
        "builtins.complex": complex,
    }
    for name, d in _dt._BY_NAME.items():
        table[f"torch.{name}"] = d
    return table


def _need_tensor(x, what):
    if not isinstance(x, Tensor):
        raise pickle.UnpicklingError(f"{what} expects a tensor, got {type(x).__name__}")


def _unsupported_global(full):
    return (
        "Weights only load failed. This file can still be loaded, to do so you have two "
        "options, do those steps only if you trust the source of the checkpoint. \n\t(1) "
        "Re-running `disttrain.load` with `weights_only` set to `False` will likely succeed, "
        "but it can result in arbitrary code execution. Do it only if you got the file from "
        "a trusted source.\n\t(2) Alternatively, to load with `weights_only=True` please "
        "check the recommended steps in the following error message.\n\tWeightsUnpickler "
        f"error: Unsupported global: GLOBAL {full} was not an allowed global by default. "
        f"Please use `disttrain.serialization.add_safe_globals([{full}])` or the "
        f"`disttrain.serialization.safe_globals([{full}])` context manager to allowlist "
        "this global if you trust this class/function.")
