"""Module-level names of PyTorch that are not math on their own: the in-place functions
(``torch.exp_(x)`` ...), dropout and random sampling functions, ``finfo``/``iinfo``, window
functions, ``range``/``asarray``/``frombuffer``/``vander``/``gradient``, dlpack exchange,
eager ``cond``/``while_loop``/``vmap``, and small queries (``typename``, ``get_device``).
"""
import builtins
import math

import numpy as np

from .. import _names, dtype as _dt
from ..grad_mode import is_inference_mode_enabled
from ..tensor import Tensor
from . import math_ops as M
from . import shaping as SH

__all__ = [
    "finfo", "iinfo", "dropout", "dropout_", "alpha_dropout", "alpha_dropout_",
    "feature_dropout", "feature_dropout_", "feature_alpha_dropout", "feature_alpha_dropout_",
    "native_dropout", "poisson", "binomial", "typename", "get_device", "is_storage", "detach",
    "detach_", "fill", "fill_", "zero_", "range", "asarray", "empty_strided", "frombuffer",
    "vander", "gradient", "hann_window", "hamming_window", "blackman_window",
    "bartlett_window", "kaiser_window", "from_dlpack", "to_dlpack", "cond", "while_loop",
    "vmap", "nonzero_static", "histogramdd", "is_inference", "is_inference_mode_enabled",
    "newaxis", "set_default_tensor_type", "layout", "strided", "segment_reduce",
    "is_distributed", "from_file",
]

newaxis = None


# ------------------------------------------------------------------- dtype information
class finfo:
    """Machine limits of a floating dtype (default: the default dtype), as ``torch.finfo``."""

    _BF16 = dict(bits=16, eps=0.0078125, max=3.3895313892515355e+38,
                 min=-3.3895313892515355e+38, tiny=1.1754943508222875e-38, resolution=0.01)

    def __init__(self, type=None):
        dt = _dt.get_default_dtype() if type is None else type
        if not isinstance(dt, _dt.dtype) or not dt.is_floating_point:
            raise TypeError("torch.finfo() requires a floating point input type. Use torch.iinfo "
                            "to handle 'torch.finfo'")
        if dt.name == "bfloat16":
            v = self._BF16
        else:
            fi = np.finfo(dt.np)
            v = dict(bits=fi.bits, eps=float(fi.eps), max=float(fi.max), min=float(fi.min),
                     tiny=float(fi.tiny), resolution=10.0 ** -fi.precision)
        self.bits, self.eps, self.max, self.min = v["bits"], v["eps"], v["max"], v["min"]
        self.tiny = self.smallest_normal = v["tiny"]
        self.resolution = v["resolution"]
        self.dtype = dt.name

    def __repr__(self):
        return (f"finfo(resolution={self.resolution:g}, min={self.min:g}, max={self.max:g}, "
                f"eps={self.eps:g}, smallest_normal={self.smallest_normal:g}, "
                f"tiny={self.tiny:g}, dtype={self.dtype})")


class iinfo:
    """Machine limits of an integer (or bool) dtype, as ``torch.iinfo``."""

    def __init__(self, type):
        if not isinstance(type, _dt.dtype) or type.is_floating_point:
            raise TypeError("torch.iinfo() requires an integer input type. Use torch.finfo to "
                            "handle 'torch.iinfo'")
        if type is _dt.bool:
            self.bits, self.min, self.max = 8, 0, 1
        else:
            ii = np.iinfo(type.np)
            self.bits, self.min, self.max = ii.bits, int(ii.min), int(ii.max)
        self.dtype = type.name

    def __repr__(self):
        return f"iinfo(min={float(self.min):g}, max={float(self.max):g}, dtype={self.dtype})"


class layout:
    """The memory layout of a tensor; disttrain has dense strided tensors only."""

    def __init__(self, name):
        self._name = name

    def __repr__(self):
        return _names.qualified(self._name)

    def __reduce__(self):
        return (_layout_by_name, (self._name,))


strided = layout("strided")


def _layout_by_name(name):
    if name != "strided":
        raise RuntimeError(f"unknown layout {name}")
    return strided


# ------------------------------------------------------------------- in-place functions
def _inplace_fn(name):
    def fn(input, *args, **kwargs):
        return getattr(input, name)(*args, **kwargs)
    fn.__name__ = name
    fn.__doc__ = f"``input.{name}(...)``: the in-place form, as a function."
    return fn


_INPLACE = ("abs_", "acos_", "acosh_", "addmv_", "arccos_", "arccosh_", "arcsin_",
            "arcsinh_", "arctan_", "arctanh_", "asin_", "asinh_", "atan_", "atanh_", "ceil_",
            "clamp_", "clamp_max_", "clamp_min_", "clip_", "cos_", "cosh_", "deg2rad_",
            "exp2_", "exp_", "expm1_", "fix_", "floor_", "frac_", "gcd_", "index_put_", "lcm_",
            "ldexp_", "log10_", "log1p_", "log2_", "log_", "nan_to_num_", "neg_", "negative_",
            "rad2deg_", "reciprocal_", "relu_", "resize_as_", "round_", "rsqrt_", "sigmoid_",
            "sin_", "sinh_", "sqrt_", "square_", "tan_", "tanh_", "trunc_", "as_strided_",
            "erf_", "erfc_", "i0_", "logit_", "sinc_", "xlogy_", "conj_physical_")
for _n in _INPLACE:
    globals()[_n] = _inplace_fn(_n)
__all__ += list(_INPLACE)


def detach(input):
    """``input.detach()``."""
    return input.detach()


def detach_(input):
    """``input.detach_()``."""
    return input.detach_()


def fill(input, value):
    """A new tensor like ``input`` filled with ``value`` (differentiable in a tensor
    ``value``)."""
    if isinstance(value, Tensor):
        if value.dim() != 0:
            raise RuntimeError(f"fill_ only supports 0-dimension value tensor but got tensor with "
                               f"{value.dim()} dimensions.")
        return value.to(input.dtype).expand(*input.shape).clone()
    from ..creation import full_like
    return full_like(input, value)


def fill_(input, value):
    """``input.fill_(value)``."""
    return input.fill_(value)


def zero_(input):
    """``input.zero_()``."""
    return input.zero_()


# ------------------------------------------------------------------- dropout and sampling
def _dropout_fn(kind, inplace):
    def fn(input, p, train):
        if p < 0 or p > 1:
            raise RuntimeError(f"dropout probability has to be between 0 and 1, but got {p}")
        if not train or p == 0:
            return input
        if kind == "dropout":
            # nn.functional.dropout's draw: one keep-mask scaled by 1/(1-p) (all zeros at p=1)
            from ..creation import empty
            from ..methods import apply_inplace
            mask = empty(*input.shape, dtype=input.dtype, device=input.device)
            mask = mask.zero_() if p == 1 else mask.bernoulli_(1.0 - p).div_(1.0 - p)
            return apply_inplace(input, lambda x: x * mask) if inplace else input * mask
        feature = kind.startswith("feature")
        alpha = kind.endswith("alpha_dropout")
        if feature and input.dim() < 2:
            raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
        shape = (tuple(input.shape[:2]) + (1,) * (input.dim() - 2)) if feature else \
            tuple(input.shape)
        from ..creation import empty
        keep = empty(shape, dtype=input.dtype, device=input.device).bernoulli_(1 - p)
        if not alpha:
            out = input * (keep / (1 - p)) if p < 1 else input * 0
        else:
            # alpha dropout keeps SELU's mean and variance: dropped units take -alpha*scale
            a_prime = -1.7580993408473766
            if p == 1:
                out = input * 0
            else:
                a = 1.0 / math.sqrt((a_prime ** 2 * p + 1) * (1 - p))
                b = -a * a_prime * p
                out = (input * keep + a_prime * (1 - keep)) * a + b
        if inplace:
            from ..methods import apply_inplace
            return apply_inplace(input, lambda x, o: o, out)
        return out
    fn.__name__ = kind + ("_" if inplace else "")
    fn.__doc__ = f"``{kind}`` of ``input`` with probability ``p`` when ``train``" + \
        (" (in place)." if inplace else ".")
    return fn


dropout, dropout_ = _dropout_fn("dropout", False), _dropout_fn("dropout", True)
alpha_dropout, alpha_dropout_ = _dropout_fn("alpha_dropout", False), \
    _dropout_fn("alpha_dropout", True)
feature_dropout, feature_dropout_ = _dropout_fn("feature_dropout", False), \
    _dropout_fn("feature_dropout", True)
feature_alpha_dropout, feature_alpha_dropout_ = _dropout_fn("feature_alpha_dropout", False), \
    _dropout_fn("feature_alpha_dropout", True)


def native_dropout(input, p, train):
    """``(output, mask)``: dropout with the boolean mask of the kept elements."""
    if not train:
        return input.clone(), _ones_bool(input)
    from ..creation import empty
    keep = empty(tuple(input.shape), dtype=input.dtype, device=input.device).bernoulli_(1 - p)
    out = input * (keep / (1 - p)) if p < 1 else input * 0
    return out, keep.to(_dt.bool)


def _ones_bool(input):
    from ..creation import ones
    return ones(tuple(input.shape), dtype=_dt.bool, device=input.device)


def _rng(generator):
    from ..creation import _gen
    return _gen(generator)


def _host(a):
    return a.get() if hasattr(a, "get") and not isinstance(a, np.ndarray) else a


def poisson(input, generator=None):
    """Samples from Poisson distributions with the rates in ``input``."""
    rates = _host(input._data)
    if (rates < 0).any():
        raise RuntimeError("invalid Poisson rate, expected rate to be non-negative")
    arr = _rng(generator).poisson(rates).astype(input._data.dtype)
    from ..creation import tensor
    return tensor(arr, device=input.device)


def binomial(count, prob, generator=None):
    """Samples from binomial distributions with ``count`` trials of probability ``prob``."""
    n, p = _host(count._data), _host(prob._data)
    arr = _rng(generator).binomial(n.astype(np.int64), p).astype(count._data.dtype)
    from ..creation import tensor
    return tensor(arr, device=count.device)


# ------------------------------------------------------------------- queries
def typename(obj):
    """The type name of a tensor (``'disttrain.FloatTensor'``) or of any object."""
    if isinstance(obj, Tensor):
        return obj.type()
    module = type(obj).__module__
    qual = type(obj).__qualname__
    return qual if module in ("builtins", "__builtin__", None) else f"{module}.{qual}"


def get_device(input):
    """The CUDA device index of ``input``, -1 for a CPU tensor."""
    return input.get_device()


def is_storage(obj):
    """Whether ``obj`` is a storage object; disttrain exposes none, so always False."""
    return False


def is_inference(input):
    """Whether ``input`` is an inference tensor; disttrain makes none (tensors created under
    ``inference_mode`` are ordinary tensors)."""
    return False


def set_default_tensor_type(t):
    """Deprecated: set the default floating dtype from a tensor type (CPU types only)."""
    name = t if isinstance(t, str) else getattr(t, "__name__", str(t))
    name = name.split(".")[-1]
    table = {"FloatTensor": _dt.float32, "DoubleTensor": _dt.float64,
             "HalfTensor": _dt.float16, "BFloat16Tensor": _dt.bfloat16}
    if "cuda" in str(t):
        raise TypeError("disttrain.set_default_tensor_type: CUDA tensor types cannot be the "
                        "default; create tensors with device='cuda' instead")
    if name not in table:
        raise TypeError("only floating-point types are supported as the default type")
    _dt.set_default_dtype(table[name])


# ------------------------------------------------------------------- creation
def range(start=0, end=None, step=1, *, out=None, dtype=None, layout=None, device=None,
          requires_grad=False):
    """Deprecated: values from ``start`` to ``end`` INCLUSIVE, ``step`` apart (use
    ``arange``)."""
    import warnings
    warnings.warn("torch.range is deprecated and will be removed in a future release because "
                  "its behavior is inconsistent with Python's range builtin. Instead, use "
                  "torch.arange, which produces values in [start, end).", UserWarning,
                  stacklevel=2)
    if end is None:
        start, end = 0, start
    n = int(math.floor((end - start) / step)) + 1
    from ..creation import tensor
    vals = np.asarray([start + i * step for i in builtins.range(builtins.max(n, 0))],
                      dtype=np.float64)
    return tensor(vals, dtype=dtype or _dt.get_default_dtype(), device=device,
                  requires_grad=requires_grad)


def asarray(obj, *, dtype=None, device=None, copy=None, requires_grad=False):
    """``obj`` as a tensor, sharing memory with a tensor or array when it can (``copy=True``
    always copies, ``copy=False`` refuses to)."""
    from ..creation import as_tensor, tensor
    if isinstance(obj, Tensor):
        out = obj
        if dtype is not None or device is not None:
            out = obj.to(device=device or obj.device, dtype=dtype or obj.dtype)
            if out is not obj and copy is False:
                raise ValueError("can't alias tensor: converting it needs a copy")
        if copy:
            out = out.clone()
        return out.requires_grad_(requires_grad) if requires_grad else out
    if copy:
        return tensor(obj, dtype=dtype, device=device, requires_grad=requires_grad)
    out = as_tensor(obj, dtype=dtype, device=device)
    if copy is False and isinstance(obj, np.ndarray) and not np.shares_memory(
            _host(out._data), obj):
        raise ValueError("can't alias NumPy array: converting it needs a copy")
    return out.requires_grad_(requires_grad) if requires_grad else out


def empty_strided(size, stride, *, dtype=None, layout=None, device=None, requires_grad=False,
                  pin_memory=False):
    """An uninitialised tensor of ``size`` whose elements sit ``stride`` apart in memory."""
    from ..creation import empty
    size, stride = tuple(size), tuple(stride)
    if len(size) != len(stride):
        raise RuntimeError(f"mismatch in length of strides and shape")
    n = 1 + builtins.sum((s - 1) * st for s, st in zip(size, stride)) if builtins.all(size) \
        else 0
    buf = empty(n, dtype=dtype, device=device)
    from .more_shaping import as_strided
    out = as_strided(buf, size, stride, 0).detach()
    return out.requires_grad_(requires_grad) if requires_grad else out


def frombuffer(buffer, *, dtype, count=-1, offset=0, requires_grad=False):
    """A 1-d tensor over the memory of a Python buffer (shared, not copied)."""
    arr = np.frombuffer(buffer, dtype=dtype.np, count=count, offset=offset)
    if not arr.flags.writeable:
        import warnings
        warnings.warn("The given buffer is not writable, and PyTorch does not support "
                      "non-writable tensors. This means you can write to the underlying "
                      "(supposedly non-writable) buffer using the tensor.", UserWarning,
                      stacklevel=2)
        arr = arr.copy()
    t = Tensor._make(arr)
    return t.requires_grad_(requires_grad) if requires_grad else t


def vander(x, N=None, increasing=False):
    """The Vandermonde matrix of 1-d ``x``: columns are powers of ``x`` (highest first unless
    ``increasing``)."""
    if x.dim() != 1:
        raise RuntimeError("x must be a one-dimensional tensor.")
    n = x.shape[0] if N is None else N
    if n < 0:
        raise RuntimeError("N must be non-negative.")
    if n == 0:
        return x.new_zeros((x.shape[0], 0))
    cols = [M.pow(x, k) if k else x * 0 + 1 for k in builtins.range(n)]
    mat = SH.stack(cols, 1)
    if x.dtype is _dt.bool or not x.dtype.is_floating_point:
        mat = mat.to(_dt.int64)
    return mat if increasing else SH.flip(mat, [1])


def gradient(input, *, spacing=1, dim=None, edge_order=1):
    """Estimates of the derivative along each dim (or ``dim``) by central differences inside
    and one-sided ones (order ``edge_order``) at the edges."""
    dims = builtins.list(builtins.range(input.dim())) if dim is None else \
        ([dim] if isinstance(dim, int) else builtins.list(dim))
    dims = [input._dim(d) for d in dims]
    if isinstance(spacing, (list, tuple)):
        sp = builtins.list(spacing)
    else:
        sp = [spacing] * len(dims)
    outs = []
    for d, h in zip(dims, sp):
        n = input.shape[d]
        if n < edge_order + 1:
            raise RuntimeError(f"torch.gradient expected each dimension size to be at least "
                               f"edge_order+1")
        if isinstance(h, Tensor):
            outs.append(_gradient_coords(input, d, h, edge_order))
            continue
        h = float(h)
        nr = input.narrow
        mid = (nr(d, 2, n - 2) - nr(d, 0, n - 2)) / (2 * h)
        if edge_order == 1:
            first = (nr(d, 1, 1) - nr(d, 0, 1)) / h
            last = (nr(d, n - 1, 1) - nr(d, n - 2, 1)) / h
        else:
            first = (-1.5 * nr(d, 0, 1) + 2 * nr(d, 1, 1) - 0.5 * nr(d, 2, 1)) / h
            last = (0.5 * nr(d, n - 3, 1) - 2 * nr(d, n - 2, 1) + 1.5 * nr(d, n - 1, 1)) / h
        outs.append(SH.cat([first, mid, last], d))
    return tuple(outs)


def _gradient_coords(input, d, x, edge_order):
    # non-uniform coordinates: numpy's second-order-accurate interior formula
    n = input.shape[d]
    shape = [1] * input.dim()
    shape[d] = -1
    x = x.to(input.dtype if input.dtype.is_floating_point else _dt.get_default_dtype())
    hx = (x[1:] - x[:-1]).reshape(shape)
    h0, h1 = hx.narrow(d, 0, n - 2), hx.narrow(d, 1, n - 2)
    nr = input.narrow
    mid = (h0 * h0 * nr(d, 2, n - 2) - h1 * h1 * nr(d, 0, n - 2) +
           (h1 * h1 - h0 * h0) * nr(d, 1, n - 2)) / (h0 * h1 * (h0 + h1))
    if edge_order != 1:
        raise RuntimeError("disttrain.gradient supports edge_order=2 only with uniform "
                           "spacing; use edge_order=1 with coordinate tensors")
    first = (nr(d, 1, 1) - nr(d, 0, 1)) / hx.narrow(d, 0, 1)
    last = (nr(d, n - 1, 1) - nr(d, n - 2, 1)) / hx.narrow(d, n - 2, 1)
    return SH.cat([first, mid, last], d)


def _window(fn, window_length, periodic, dtype, device, requires_grad, layout=None):
    from ..creation import tensor
    if window_length < 0:
        raise RuntimeError(f"window_length must be non-negative, got {window_length}")
    if window_length == 0:
        arr = np.zeros(0)
    elif window_length == 1:
        arr = np.ones(1)
    else:
        n = window_length + 1 if periodic else window_length
        arr = fn(n)[:window_length]
    return tensor(arr, dtype=dtype or _dt.get_default_dtype(), device=device,
                  requires_grad=requires_grad)


def hann_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                requires_grad=False):
    """The Hann window (periodic by default, for spectral analysis)."""
    return _window(np.hanning, window_length, periodic, dtype, device, requires_grad)


def hamming_window(window_length, periodic=True, alpha=0.54, beta=0.46, *, dtype=None,
                   layout=None, device=None, requires_grad=False):
    """The generalised Hamming window ``alpha - beta cos(2 pi n / (N - 1))``."""
    return _window(lambda n: alpha - beta * np.cos(2 * np.pi * np.arange(n) / (n - 1)),
                   window_length, periodic, dtype, device, requires_grad)


def blackman_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False):
    """The Blackman window."""
    return _window(np.blackman, window_length, periodic, dtype, device, requires_grad)


def bartlett_window(window_length, periodic=True, *, dtype=None, layout=None, device=None,
                    requires_grad=False):
    """The Bartlett (triangular) window."""
    return _window(np.bartlett, window_length, periodic, dtype, device, requires_grad)


def kaiser_window(window_length, periodic=True, beta=12.0, *, dtype=None, layout=None,
                  device=None, requires_grad=False):
    """The Kaiser window with shape parameter ``beta``."""
    return _window(lambda n: np.kaiser(n, beta), window_length, periodic, dtype, device,
                   requires_grad)


# ------------------------------------------------------------------- exchange
def from_dlpack(ext_tensor):
    """A tensor sharing the memory of any object that speaks DLPack (``__dlpack__``)."""
    if isinstance(ext_tensor, Tensor):
        return ext_tensor
    if type(ext_tensor).__name__ == "PyCapsule":      # what ``to_dlpack`` returns
        ext_tensor = _Capsule(ext_tensor)
    dev = getattr(ext_tensor, "__dlpack_device__", lambda: (1, 0))()
    if dev[0] == 2:     # kDLCUDA
        from ..device import module_for, device
        xp = module_for(device("cuda"))
    else:
        xp = np
    arr = xp.from_dlpack(ext_tensor)
    return Tensor._make(arr)


class _Capsule:
    """A bare DLPack capsule (of host memory) in the protocol ``from_dlpack`` reads."""

    def __init__(self, capsule):
        self._capsule = capsule

    def __dlpack__(self, stream=None, **kwargs):
        return self._capsule

    def __dlpack_device__(self):
        return (1, 0)


def to_dlpack(tensor):
    """A DLPack capsule sharing ``tensor``'s memory."""
    return tensor._data.__dlpack__()


# ------------------------------------------------------------------- control flow
def cond(pred, true_fn, false_fn, operands=()):
    """``true_fn(*operands)`` if ``pred`` else ``false_fn(*operands)`` (run eagerly)."""
    if isinstance(pred, Tensor):
        if pred.numel() != 1:
            raise RuntimeError(f"Expected pred to be bool or single-element tensor, but got "
                               f"{pred}.")
        pred = builtins.bool(pred.item())
    return true_fn(*operands) if pred else false_fn(*operands)


def while_loop(cond_fn, body_fn, carried_inputs):
    """Run ``body_fn`` on the carried values while ``cond_fn`` holds (eagerly)."""
    if not isinstance(carried_inputs, tuple):
        raise RuntimeError(f"carried_inputs must be a tuple but got {type(carried_inputs)}")
    vals = carried_inputs
    while builtins.bool(cond_fn(*vals)):
        out = body_fn(*vals)
        vals = out if isinstance(out, tuple) else (out,)
    return vals


def vmap(func, in_dims=0, out_dims=0, randomness="error", *, chunk_size=None):
    """``func`` mapped over a batch dim of its inputs: it runs once per batch element and the
    results are stacked along ``out_dims`` (same values as PyTorch's vectorised form, but one
    call per element)."""
    if randomness not in ("error", "different", "same"):
        raise RuntimeError(f"Only allowed values for randomness are 'error', 'different', or "
                           f"'same'. Got {randomness}")

    def mapped(*args):
        dims = in_dims if isinstance(in_dims, (tuple, list)) else (in_dims,) * len(args)
        if len(dims) != len(args):
            raise ValueError(f"vmap(f, in_dims={in_dims}, ...)(<inputs>): in_dims is not "
                             f"compatible with the structure of `inputs`.")
        sizes = {a.shape[d] for a, d in zip(args, dims)
                 if d is not None and isinstance(a, Tensor)}
        if len(sizes) != 1:
            raise ValueError("vmap: Expected all tensors to have the same size in the mapped "
                             f"dimension, got sizes {sorted(sizes)} for the mapped dimension")
        n = sizes.pop()
        results = []
        for i in builtins.range(n):
            sl = [a.select(d, i) if d is not None and isinstance(a, Tensor) else a
                  for a, d in zip(args, dims)]
            results.append(func(*sl))
        first = results[0]
        if isinstance(first, tuple):
            od = out_dims if isinstance(out_dims, (tuple, list)) else (out_dims,) * len(first)
            return tuple(SH.stack([r[k] for r in results], od[k])
                         for k in builtins.range(len(first)))
        return SH.stack(results, out_dims)
    return mapped


# ------------------------------------------------------------------- misc
def nonzero_static(input, *, size, fill_value=-1):
    """The indices of the non-zero elements, padded with ``fill_value`` (or cut) to ``size``
    rows."""
    if size < 0:
        raise RuntimeError(f"nonzero_static: 'size' must be an non-negative integer, but got "
                           f"size: {size}")
    from .sorting import nonzero
    nz = nonzero(input)
    k = nz.shape[0]
    if k >= size:
        return nz[:size]
    pad = nz.new_full((size - k, input.dim()), fill_value)
    return SH.cat([nz, pad], 0)


def histogramdd(input, bins=10, *, range=None, weight=None, density=False):
    """``(hist, bin_edges)`` of the points in the rows of ``input`` (N x D)."""
    x = _host(input._data)
    b = [_host(e._data) for e in bins] if isinstance(bins, (list, tuple)) and bins and \
        isinstance(bins[0], Tensor) else bins
    rng = None if range is None else [(range[2 * i], range[2 * i + 1])
                                      for i in builtins.range(len(range) // 2)]
    w = _host(weight._data) if weight is not None else None
    h, edges = np.histogramdd(x.reshape(-1, x.shape[-1]), bins=b, range=rng, weights=w,
                              density=density)
    dt = input._data.dtype
    return _HistDD((Tensor._make(h.astype(dt)), [Tensor._make(e.astype(dt)) for e in edges]))


class _HistDD(tuple):
    """``torch.return_types.histogramdd``: ``(hist, bin_edges)``."""

    hist = property(lambda self: self[0])
    bin_edges = property(lambda self: self[1])


def segment_reduce(data, reduce, *, lengths=None, indices=None, offsets=None, axis=0,
                   unsafe=False, initial=None):
    """Reduce consecutive segments of ``data`` along ``axis`` (their sizes in ``lengths``, or
    given by ``offsets``) with ``'sum'``, ``'mean'``, ``'max'``, ``'min'`` or ``'prod'``; an
    empty segment gives ``initial`` (or the reduction's identity; NaN for mean)."""
    if reduce not in ("sum", "mean", "max", "min", "prod"):
        raise RuntimeError(f"reduce argument must be either sum, max, min, mean or prod, not "
                           f"{reduce}")
    if indices is not None:
        raise RuntimeError("segment_reduce(): indices based reduction is not supported yet.")
    if lengths is None and offsets is None:
        raise RuntimeError("segment_reduce(): Either lengths or offsets must be defined")
    if lengths is None:
        off = [int(v) for v in offsets.tolist()]
        lens = [b - a for a, b in zip(off[:-1], off[1:])]
    else:
        lens = [int(v) for v in lengths.tolist()]
    d = data._dim(axis)
    if not unsafe and builtins.sum(lens) != data.shape[d]:
        raise RuntimeError("segment_reduce(): Expected all rows of lengths along axis to sum to "
                           "data.size(lengths.dim()-1) when !unsafe.")
    identity = {"sum": 0.0, "prod": 1.0, "max": float("-inf"), "min": float("inf"),
                "mean": float("nan")}[reduce]
    fill = identity if initial is None else initial
    outs, start = [], 0
    for n in lens:
        seg = data.narrow(d, start, n)
        start += n
        if n == 0:
            shape = builtins.list(data.shape)
            shape[d] = 1
            outs.append(data.new_full(tuple(shape), fill))
            continue
        if reduce == "sum":
            r = seg.sum(d, keepdim=True)
        elif reduce == "mean":
            r = seg.mean(d, keepdim=True)
        elif reduce == "prod":
            r = seg.prod(d, keepdim=True)
        elif reduce == "max":
            r = seg.amax(d, keepdim=True)
        else:
            r = seg.amin(d, keepdim=True)
        if initial is not None and reduce != "mean":
            init = data.new_full((), initial)
            r = {"sum": lambda v: v + init, "prod": lambda v: v * init,
                 "max": lambda v: M.maximum(v, init), "min": lambda v: M.minimum(v, init)}[
                     reduce](r)
        outs.append(r)
    return SH.cat(outs, d)


def is_distributed(input):
    """Whether ``input`` is a distributed tensor (a legacy notion): never in disttrain."""
    return False


def from_file(filename, shared=None, size=0, *, dtype=None, layout=None, device=None,
              pin_memory=False):
    """A 1-d tensor of ``size`` elements read from a binary file; with ``shared=True`` it maps
    the file, so writes to the tensor go to the file."""
    import os
    dt = dtype or _dt.get_default_dtype()
    need = size * np.dtype(dt.np).itemsize
    have = os.path.getsize(filename)
    if have < need:
        raise RuntimeError(f"file <{filename}> size <{have}> is smaller than the required "
                           f"mapping size <{need}>")
    if shared:
        arr = np.memmap(filename, dtype=dt.np, mode="r+", shape=(size,))
        t = Tensor._make(np.ndarray((size,), dt.np, buffer=arr))
        t._mmap = arr          # keep the mapping open as long as the tensor lives
    else:
        t = Tensor._make(np.fromfile(filename, dtype=dt.np, count=size))
    if device is not None:
        t = t.to(device)
    return t
