"""Tensor factories: tensor, zeros, ones, arange, rand, ... and the ``*_like``/``new_*`` forms."""
import builtins
import math

import numpy as np

from . import dtype as _dt
from .device import (as_device, module_for, move_array, array_module, cuda_context, CPU,
                     default_device)
from .random import _gen
from .tensor import Tensor, Size

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "empty", "full", "eye",
           "arange", "linspace", "logspace", "zeros_like", "ones_like", "empty_like",
           "full_like", "rand", "randn", "randint", "randperm", "normal", "rand_like",
           "randn_like", "randint_like", "bernoulli", "multinomial", "scalar_tensor",
           "FloatTensor", "DoubleTensor", "HalfTensor", "LongTensor", "IntTensor",
           "ShortTensor", "CharTensor", "ByteTensor", "BoolTensor"]


def _finish(arr, dtype, device, requires_grad):
    """Put a freshly made host array on ``device`` with ``dtype``, as a Tensor."""
    dtype = _dt.to_dtype(dtype)
    if dtype is not None and arr.dtype != dtype.np:
        arr = arr.astype(dtype.np)
    dev = as_device(device) if device is not None else default_device()
    if dev is not None and dev.type != "cpu":
        arr = move_array(arr, dev)
    t = Tensor._make(arr, False)
    if requires_grad:
        _require_grad(t)
    return t


def _require_grad(t):
    if not (t.dtype.is_floating_point or t.dtype.is_complex):
        raise RuntimeError("Only Tensors of floating point and complex dtype can require "
                           "gradients")
    t._requires_grad = True
    return t


def _infer(data, dtype=None):
    """A host array for ``data`` with PyTorch's inferred dtype (float list -> float32).

    With ``dtype`` given, Python numbers convert straight to it (a float64 tensor keeps
    every digit of a Python float).
    """
    if isinstance(data, Tensor):
        return data._data
    if isinstance(data, np.ndarray):
        return data
    if isinstance(data, (np.number, np.bool_)):
        return np.asarray(data)
    if isinstance(data, (list, tuple)) and data and builtins.any(isinstance(x, Tensor)
                                                                  for x in _flat_first(data)):
        data = _tensors_to_lists(data)
    try:
        arr = np.asarray(data)
    except ValueError:
        raise ValueError(_ragged_message(data)) from None
    if arr.dtype == object:
        leaf = _bad_leaf(data)
        if isinstance(leaf, int):
            raise ValueError("Overflow when unpacking long long")
        raise RuntimeError(f"Could not infer dtype of {type(leaf).__name__}")
    if arr.dtype.kind in "US":
        raise TypeError("new(): invalid data type 'str'")
    if arr.dtype == np.uint64:
        raise ValueError("Overflow when unpacking long long")
    if dtype is not None:
        return np.asarray(data, dtype=dtype.np)
    if arr.dtype.kind == "f":
        return arr.astype(_dt.get_default_dtype().np, copy=False)
    if arr.dtype.kind in "iu":
        return arr.astype(np.int64, copy=False)
    if arr.dtype.kind == "c":
        return arr.astype(_dt.default_complex_dtype().np, copy=False)
    return arr


def _ragged_message(data):
    """PyTorch's message for nested sequences of unequal lengths."""
    def walk(x, dim, want):
        if not isinstance(x, (list, tuple)):
            return None
        if want is not None and len(want) > dim and len(x) != want[dim]:
            return f"expected sequence of length {want[dim]} at dim {dim} (got {len(x)})"
        for item in x:
            r = walk(item, dim + 1, want)
            if r:
                return r
        return None
    shape, x = [], data
    while isinstance(x, (list, tuple)) and x:
        shape.append(len(x))
        x = x[0]
    return walk(data, 0, shape) or "expected a sequence of equal-length sequences"


def _bad_leaf(data):
    """The first element numpy could not type (None, a dict, a huge int, ...)."""
    if isinstance(data, (list, tuple)):
        for x in data:
            leaf = _bad_leaf(x)
            if leaf is not None:
                return leaf
        return None
    if isinstance(data, (bool, float, np.number, np.bool_)):
        return None
    if isinstance(data, int) and -2 ** 63 <= data < 2 ** 63:
        return None
    return data


def _flat_first(data):
    while isinstance(data, (list, tuple)) and data:
        yield data[0]
        data = data[0]


def _first_leaf(data):
    while isinstance(data, (list, tuple)) and data:
        data = data[0]
    return data


def _tensors_to_lists(data):
    if isinstance(data, Tensor):
        if data.numel() != 1 and data.dim() > 0:
            return data.tolist()
        return data.item()
    if isinstance(data, (list, tuple)):
        return [_tensors_to_lists(x) for x in data]
    return data


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of ``data`` (list, tuple, number, numpy array or Tensor).

    Example::

        >>> disttrain.tensor([5.5, 3])
        tensor([5.5000, 3.0000])
    """
    dtype = _dt.to_dtype(dtype)
    if isinstance(data, Tensor):
        import warnings
        warnings.warn("To copy construct from a tensor, it is recommended to use "
                      "sourceTensor.detach().clone() or sourceTensor.detach().clone()"
                      ".requires_grad_(True), rather than disttrain.tensor(sourceTensor).",
                      UserWarning, stacklevel=2)
    arr = _infer(data, dtype)
    if isinstance(data, Tensor) and data.is_cuda:
        arr = data._data.copy()
        t = Tensor._make(arr).to(device=device, dtype=dtype)
        return _require_grad(t) if requires_grad else t
    arr = np.array(arr, copy=True)
    return _finish(arr, dtype, device, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like ``tensor`` but shares memory with a numpy array or Tensor when it can."""
    if isinstance(data, Tensor):
        return data.to(device=device if device is not None else default_device(),
                       dtype=_dt.to_dtype(dtype))
    if isinstance(data, np.ndarray):
        return _finish(data, dtype, device, False)
    return _finish(_infer(data, _dt.to_dtype(dtype)), dtype, device, False)


def from_numpy(ndarray):
    """A tensor sharing ``ndarray``'s memory: changes to one show in the other."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(ndarray).__name__})")
    try:
        _dt.from_numpy_dtype(ndarray.dtype)
    except TypeError:
        raise TypeError(f"can't convert np.ndarray of type numpy.{ndarray.dtype.type.__name__}. "
                        f"The only supported types are: float64, float32, float16, int64, "
                        f"int32, int16, int8, uint8, and bool.") from None
    return Tensor._make(ndarray, False)


def _size(size, fn="zeros"):
    """A tuple of non-negative ints from ``f(2, 3)``, ``f((2, 3))`` or ``f([2, 3])``."""
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        size = tuple(size[0])
    out = []
    for s in size:
        if isinstance(s, Tensor):
            s = s.item()
        if not isinstance(s, (int, np.integer)) or isinstance(s, bool):
            raise TypeError(f"{fn}(): argument 'size' (position 1) must be tuple of ints, not "
                            f"{type(s).__name__}")
        out.append(int(s))
    for s in out:
        if s < 0:
            raise RuntimeError(f"Trying to create tensor with negative dimension {s}: {out}")
    return tuple(out)


def _to_out(t, out):
    """Write ``t`` into ``out`` (resized to ``t``'s shape, as PyTorch does) and return it."""
    if out is None:
        return t
    if out._data.shape != t._data.shape:
        out._data = array_module(out._data).empty(t._data.shape, out._data.dtype)
    out._data[...] = move_array(t._data, out.device)
    out._version[0] += 1
    return out


def _fill(size, value, dtype, device, requires_grad, fn="zeros"):
    dtype = _dt.to_dtype(dtype) or _dt.get_default_dtype()
    dev = as_device(device) if device is not None else default_device()
    xp = module_for(dev)
    shape = _size(size, fn)
    with cuda_context(dev):
        arr = xp.full(shape, value, dtype=dtype.np)
    t = Tensor._make(arr, False)
    if requires_grad:
        _require_grad(t)
    return t


def zeros(*size, out=None, dtype=None, device=None, requires_grad=False, layout=None):
    """A tensor of zeros of the given size, e.g. ``zeros(2, 3)`` or ``zeros((2, 3))``."""
    return _to_out(_fill(size, 0, dtype, device, requires_grad, "zeros"), out)


def ones(*size, out=None, dtype=None, device=None, requires_grad=False, layout=None):
    """A tensor of ones of the given size."""
    return _to_out(_fill(size, 1, dtype, device, requires_grad, "ones"), out)


def empty(*size, out=None, dtype=None, device=None, requires_grad=False, layout=None,
          pin_memory=False, memory_format=None):
    """An "uninitialised" tensor; here zero-filled so that programs are reproducible."""
    return _to_out(_fill(size, 0, dtype, device, requires_grad, "empty"), out)


def full(size, fill_value, *, out=None, dtype=None, device=None, requires_grad=False):
    """A tensor of ``size`` filled with ``fill_value`` (dtype inferred from the value)."""
    if not isinstance(size, (tuple, list)):
        raise TypeError(f"full(): argument 'size' (position 1) must be tuple of ints, not "
                        f"{type(size).__name__}")
    if dtype is None:
        dtype = _dt.scalar_dtype(fill_value)
    return _to_out(_fill((size,), fill_value, dtype, device, requires_grad, "full"), out)


def scalar_tensor(s, dtype=None, device=None, requires_grad=False):
    return full((), s, dtype=dtype or _dt.get_default_dtype(), device=device,
                requires_grad=requires_grad)


def eye(n, m=None, *, out=None, dtype=None, device=None, requires_grad=False):
    """The ``n`` x ``m`` identity matrix (``m`` defaults to ``n``)."""
    for name, v in (("n", n), ("m", m)):
        if v is not None and v < 0:
            raise RuntimeError(f"{name} must be greater or equal to 0, got {v}")
    arr = np.eye(n, n if m is None else m, dtype=(_dt.to_dtype(dtype) or
                                                  _dt.get_default_dtype()).np)
    return _to_out(_finish(arr, None, device, requires_grad), out)


def arange(start, end=None, step=1, *, out=None, dtype=None, device=None, requires_grad=False):
    """Values from ``start`` to ``end`` (exclusive) by ``step``; int64 when all are ints."""
    if end is None:
        start, end = 0, start
    vals = [v.item() if isinstance(v, Tensor) else v for v in (start, end, step)]
    start, end, step = vals
    if not builtins.all(math.isfinite(v) for v in (start, end)):
        raise RuntimeError(f"unsupported range: {start} -> {end}")
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if (end - start) * step < 0:
        raise RuntimeError("upper bound and lower bound inconsistent with step sign")
    if dtype is None:
        is_int = builtins.all(isinstance(v, (int, np.integer)) for v in vals)
        dtype = _dt.int64 if is_int else _dt.get_default_dtype()
    dtype = _dt.to_dtype(dtype)
    n = builtins.max(0, math.ceil((end - start) / step))
    arr = (start + np.arange(n, dtype=np.float64) * step) if dtype.is_floating_point else \
        np.arange(start, end, step)[:n]
    return _to_out(_finish(arr.astype(dtype.np), None, device, requires_grad), out)


def linspace(start, end, steps, *, out=None, dtype=None, device=None, requires_grad=False):
    """``steps`` evenly spaced values from ``start`` to ``end`` inclusive."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    arr = np.linspace(start, end, steps, dtype=np.float64)
    return _to_out(_finish(arr, dtype or _dt.get_default_dtype(), device, requires_grad), out)


def logspace(start, end, steps, base=10.0, *, out=None, dtype=None, device=None,
             requires_grad=False):
    """``base ** linspace(start, end, steps)``."""
    if steps < 0:
        raise RuntimeError("number of steps must be non-negative")
    arr = np.logspace(start, end, steps, base=base, dtype=np.float64)
    return _to_out(_finish(arr, dtype or _dt.get_default_dtype(), device, requires_grad), out)


def _like(fn):
    def like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None,
             layout=None):
        return fn(input.shape, dtype=dtype or input.dtype,
                  device=device if device is not None else input.device,
                  requires_grad=requires_grad)
    like.__name__ = f"{fn.__name__}_like"
    like.__doc__ = f"``{fn.__name__}`` with ``input``'s size, dtype and device."
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False,
              memory_format=None):
    """``full`` with ``input``'s size, dtype and device."""
    return full(tuple(input.shape), fill_value, dtype=dtype or input.dtype,
                device=device if device is not None else input.device,
                requires_grad=requires_grad)


# ------------------------------------------------------------------- random
_TORCH_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                "uint8": "Byte", "bool": "Bool"}


def _random(sample, size, dtype, device, requires_grad, generator, kernel=None, fn="rand"):
    dtype = _dt.to_dtype(dtype) or _dt.get_default_dtype()
    if dtype.is_complex and fn in ("rand", "randn"):
        # PyTorch's complex samples: independent parts, each of variance 1/2 for randn
        shape = _size(size, fn) + (2,)
        parts = np.asarray(sample(_gen(generator), shape, dtype.to_real()),
                           dtype=np.float64) * (0.5 ** 0.5 if fn == "randn" else 1.0)
        parts = parts.astype(dtype.to_real().np)
        arr = np.ascontiguousarray(parts).view(dtype.np)[..., 0]
        return _finish(arr, None, device, requires_grad)
    if kernel is not None and not dtype.is_floating_point:
        raise NotImplementedError(f"\"{kernel}\" not implemented for "
                                  f"'{_TORCH_NAMES[dtype.name]}'")
    arr = np.asarray(sample(_gen(generator), _size(size, fn), dtype))
    if arr.dtype != dtype.np:
        arr = arr.astype(dtype.np)
    return _finish(arr, None, device, requires_grad)


def _uniform01(g, shape, dtype):
    if dtype.np == np.float32:
        return g.random(shape, dtype=np.float32)
    arr = g.random(shape).astype(dtype.np)
    # rounding to a narrower float can reach 1.0; rand's range is [0, 1)
    return np.minimum(arr, np.nextafter(dtype.np.type(1), dtype.np.type(0)))


def rand(*size, generator=None, out=None, dtype=None, device=None, requires_grad=False):
    """Uniform samples from [0, 1)."""
    return _to_out(_random(_uniform01, size, dtype, device, requires_grad, generator,
                           "check_uniform_bounds", "rand"), out)


def randn(*size, generator=None, out=None, dtype=None, device=None, requires_grad=False):
    """Samples from the standard normal distribution."""
    return _to_out(_random(lambda g, s, d: g.standard_normal(s), size, dtype, device,
                           requires_grad, generator, "normal_kernel_cpu", "randn"), out)


def randint(low, high=None, size=None, *, generator=None, out=None, dtype=None, device=None,
            requires_grad=False):
    """Integers drawn uniformly from [low, high): ``randint(high, size)`` or
    ``randint(low, high, size)``."""
    if size is None:
        if isinstance(high, (tuple, list)):
            low, high, size = 0, low, high
        else:
            raise TypeError("randint() received an invalid combination of arguments - expected "
                            "(int high, tuple of ints size) or (int low, int high, tuple of ints "
                            "size)")
    if high is None:
        low, high = 0, low
    if high <= low:
        raise RuntimeError(f"random_ expects 'from' to be less than 'to', but got from={low} "
                           f">= to={high}")
    return _to_out(_random(lambda g, s, d: g.integers(low, high, s), (size,),
                           dtype or _dt.int64, device, requires_grad, generator, fn="randint"),
                   out)


def randperm(n, *, generator=None, out=None, dtype=None, device=None, requires_grad=False):
    """A random permutation of ``0 .. n-1``."""
    return _to_out(_random(lambda g, s, d: g.permutation(n), ((),), dtype or _dt.int64,
                           device, requires_grad, generator), out)


def _host(x):
    return x.get() if hasattr(x, "get") and not isinstance(x, np.ndarray) else x


def normal(mean=0.0, std=1.0, size=None, *, generator=None, out=None, dtype=None, device=None,
           requires_grad=False):
    """Normal samples: tensors ``mean``/``std`` broadcast, or scalars with a ``size``."""
    g = _gen(generator)
    if isinstance(mean, Tensor) or isinstance(std, Tensor):
        m = _host(mean._data) if isinstance(mean, Tensor) else mean
        s = _host(std._data) if isinstance(std, Tensor) else std
        if isinstance(std, Tensor):
            if (s < 0).any():
                raise RuntimeError("normal expects all elements of std >= 0.0")
        elif std < 0:
            raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        ref = mean if isinstance(mean, Tensor) else std
        arr = g.standard_normal(shape) * np.asarray(s) + np.asarray(m)
        return _to_out(_finish(arr.astype(ref._data.dtype), None, ref.device, requires_grad),
                       out)
    if size is None:
        raise TypeError("normal() received an invalid combination of arguments - with float "
                        "mean and std, a size is required")
    if std < 0:
        raise RuntimeError(f"normal expects std >= 0.0, but found std {std:g}")
    return _to_out(_random(lambda gen, shp, d: gen.normal(mean, std, shp), (size,), dtype,
                           device, requires_grad, generator, fn="normal"), out)


def rand_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return rand(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad)


def randn_like(input, *, dtype=None, device=None, requires_grad=False, memory_format=None):
    return randn(input.shape, dtype=dtype or input.dtype, device=device or input.device,
                 requires_grad=requires_grad)


def randint_like(input, low=0, high=None, *, dtype=None, device=None, requires_grad=False):
    return randint(low, high, input.shape, dtype=dtype or input.dtype,
                   device=device or input.device)


def bernoulli(input, p=None, *, generator=None):
    probs = input._data if p is None else np.full(input.shape, p)
    host = probs.get() if hasattr(probs, "get") else probs
    arr = (_gen(generator).random(host.shape) < host).astype(input._data.dtype)
    return _finish(arr, None, input.device, False)


def multinomial(input, num_samples, replacement=False, *, generator=None):
    p = np.asarray(input.detach().cpu()._data, dtype=np.float64)
    rows = p.reshape(-1, p.shape[-1])
    g = _gen(generator)
    out = []
    for r in rows:
        if (r < 0).any() or not np.isfinite(r).all() or r.sum() <= 0:
            raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
        if not replacement and num_samples > (r > 0).sum():
            raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                               "replacement")
        out.append(g.choice(len(r), num_samples, replace=replacement, p=r / r.sum()))
    arr = np.stack(out).reshape(p.shape[:-1] + (num_samples,)).astype(np.int64)
    return _finish(arr, None, input.device, False)


# ------------------------------------------------------------------- in-place random and new_*
def _rand_inplace(sample, by_dtype=False):
    def method(self, *args, generator=None, **kwargs):
        if by_dtype:
            kwargs["dtype"] = self._data.dtype
        arr = sample(_gen(generator), self._data.shape, *args, **kwargs)
        self._data[...] = move_array(np.asarray(arr).astype(self._data.dtype), self.device) \
            if self.is_cuda else arr
        self._version[0] += 1
        return self
    return method


def _uniform_sample(g, shape, a=0.0, b=1.0, dtype=None):
    # float32 tensors draw float32 numbers: 4x faster than float64 draws cast down, which
    # dominated building large layers (VGG's 100M-weight classifier)
    if dtype == np.float32:
        out = g.random(shape, dtype=np.float32)
        out *= np.float32(b - a)
        out += np.float32(a)
        return out
    return g.uniform(a, b, shape)


def _normal_sample(g, shape, mean=0.0, std=1.0, dtype=None):
    if dtype == np.float32:
        out = g.standard_normal(shape, dtype=np.float32)
        out *= np.float32(std)
        out += np.float32(mean)
        return out
    return g.normal(mean, std, shape)



def _new(fn):
    def method(self, *size, dtype=None, device=None, requires_grad=False, **kw):
        return fn(*size, dtype=dtype or self.dtype,
                  device=device if device is not None else self.device,
                  requires_grad=requires_grad, **kw)
    return method



def _legacy_new(t, args, dtype, device):
    """``Tensor(2, 3)`` (sizes) or ``Tensor([1, 2])`` (data), as PyTorch's legacy constructor."""
    if not args:
        src = zeros(0, dtype=dtype)
    elif len(args) == 1 and isinstance(args[0], Size):
        src = zeros(*args[0], dtype=dtype)          # a Size is a shape, not data
    elif len(args) == 1 and not isinstance(args[0], (int, np.integer)):
        src = tensor(args[0], dtype=dtype) if not isinstance(args[0], Tensor) else args[0]
    else:
        src = zeros(*args, dtype=dtype)
    if device is not None:
        src = src.to(device)
    Tensor._init_from(t, src._data, False)


class _TypedTensorMeta(type):
    def __instancecheck__(cls, obj):
        return isinstance(obj, Tensor) and obj.dtype is cls._dtype


def _typed(name, dt):
    def __new__(cls, *args, device=None):
        t = Tensor.__new__(Tensor)
        _legacy_new(t, args, dt, device)
        return t
    return _TypedTensorMeta(name, (), {"__new__": __new__, "_dtype": dt})


FloatTensor = _typed("FloatTensor", _dt.float32)
DoubleTensor = _typed("DoubleTensor", _dt.float64)
HalfTensor = _typed("HalfTensor", _dt.float16)
LongTensor = _typed("LongTensor", _dt.int64)
IntTensor = _typed("IntTensor", _dt.int32)
ShortTensor = _typed("ShortTensor", _dt.int16)
CharTensor = _typed("CharTensor", _dt.int8)
ByteTensor = _typed("ByteTensor", _dt.uint8)
BoolTensor = _typed("BoolTensor", _dt.bool)
_ = (array_module, CPU)
