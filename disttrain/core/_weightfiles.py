"""Flat dicts of named tensors in the two formats other tools share weights in:
``.safetensors`` (Hugging Face's format, through the ``safetensors`` package's numpy API) and
numpy's ``.npz``. Both hold only arrays, so loading them runs no code.
"""
import collections
import io
import os

import numpy as np

from ._torchzip import ZIP_ERRORS
from ._atomicfile import atomic_write
from .device import is_cuda_array
from .tensor import Tensor

__all__ = ["save_safetensors", "load_safetensors", "save_npz", "npz_dict"]

_ST_DTYPES = {"F64": np.float64, "F32": np.float32, "F16": np.float16, "I64": np.int64,
              "I32": np.int32, "I16": np.int16, "I8": np.int8, "U8": np.uint8,
              "BOOL": np.bool_, "BF16": np.uint16}


def _name_of(f):
    return os.fspath(f) if isinstance(f, (str, os.PathLike)) else getattr(
        f, "name", "<file object>")


def _flat_arrays(tensors, what):
    """The host numpy arrays of a flat ``{name: tensor}`` dict, in its order."""
    if not isinstance(tensors, dict):
        raise TypeError(f"{what}: expected a dict of name to tensor (such as a state_dict), "
                        f"got {type(tensors).__name__}")
    out = {}
    for k, v in tensors.items():
        if not isinstance(k, str):
            raise TypeError(f"{what}: keys must be strings, got {k!r}")
        if not isinstance(v, Tensor):
            raise TypeError(f"{what}: the value of {k!r} is a {type(v).__name__}, not a tensor "
                            f"(these files hold only tensors)")
        arr = v.detach()._data
        out[k] = np.ascontiguousarray(arr.get() if is_cuda_array(arr) else arr)
    return out


def _safetensors():
    try:
        import safetensors
        import safetensors.numpy
    except ImportError:
        raise ImportError("reading and writing .safetensors files needs the safetensors "
                          "package: pip install 'disttrain[safetensors]'") from None
    return safetensors


def save_safetensors(tensors, f, metadata=None):
    """Save a flat dict of tensors (a ``state_dict``) as a ``.safetensors`` file.

    The file is what ``safetensors.torch.load_file`` and Hugging Face's tools read.

    Args:
        tensors (dict of str to Tensor): the tensors, e.g. ``model.state_dict()``.
        f (str, os.PathLike or file object): where to write (a path is written atomically).
        metadata (dict of str to str, optional): free-text header entries.
    """
    st = _safetensors()
    arrays = _flat_arrays(tensors, "save_safetensors")
    data = st.numpy.save(arrays, metadata=metadata)
    if isinstance(f, (str, os.PathLike)):
        atomic_write(os.fspath(f), lambda fh: fh.write(data))
    else:
        f.write(data)


def load_safetensors(f, device="cpu", name=None):
    """Load a ``.safetensors`` file as an ``OrderedDict`` of tensors (bfloat16 entries widen
    exactly to float32, disttrain's storage for bfloat16).

    Args:
        f (str, os.PathLike or file object): the file.
        device (str or device): where the tensors go. Default: ``"cpu"``.
    """
    st = _safetensors()
    name = name or _name_of(f)
    if isinstance(f, (str, os.PathLike)):
        with open(f, "rb") as fh:
            raw = fh.read()
    else:
        raw = f.read()
    try:
        entries = st.deserialize(raw)
    except Exception as e:          # the package raises its own SafetensorError types
        raise RuntimeError(f"{name}: corrupt .safetensors file ({e})") from None
    out = collections.OrderedDict()
    for key, e in entries:
        if e["dtype"] not in _ST_DTYPES:
            raise RuntimeError(f"{name}: tensor {key!r} has dtype {e['dtype']}, which "
                               f"disttrain does not hold")
        arr = np.frombuffer(bytearray(e["data"]), dtype=_ST_DTYPES[e["dtype"]])
        if e["dtype"] == "BF16":
            arr = (arr.astype(np.uint32) << 16).view(np.float32)
        out[key] = _placed(Tensor._make(arr.reshape(e["shape"])), device)
    return out


def _placed(t, device):
    return t if str(device) == "cpu" else t.to(device)


def save_npz(tensors, f):
    """Save a flat dict of tensors as numpy's ``.npz`` (``numpy.load`` reads it, without
    pickles).

    Args:
        tensors (dict of str to Tensor): the tensors, e.g. ``model.state_dict()``.
        f (str, os.PathLike or file object): where to write (a path is written atomically and
            kept as named: no ``.npz`` is appended).
    """
    arrays = _flat_arrays(tensors, "save_npz")
    if isinstance(f, (str, os.PathLike)):
        atomic_write(os.fspath(f), lambda fh: np.savez(fh, **arrays))
    else:
        np.savez(f, **arrays)


def npz_dict(z, name, place):
    """The arrays of an open ``.npz`` archive as an ``OrderedDict`` of tensors, each record's
    CRC checked and pickled (object) arrays refused."""
    out = collections.OrderedDict()
    for member in z.namelist():
        try:
            raw = z.read(member)
        except ZIP_ERRORS as e:
            raise RuntimeError(f"{name}: corrupt file (record {member}: {e})") from None
        try:
            arr = np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
        except ValueError as e:
            raise RuntimeError(f"{name}: record {member} of the .npz cannot be read without "
                               f"unpickling ({e})") from None
        out[member[:-len(".npy")]] = place(Tensor._make(np.array(arr)), "cpu")
    return out
