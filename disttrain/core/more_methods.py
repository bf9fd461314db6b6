"""Tensor methods for the functions of ``functions.more_*``, more in-place ``_`` forms, and
Tensor-only names (``storage_offset``, ``apply_``, ``map_``, ``pin_memory``, ``unfold`` ...).

Imported by ``methods``; like it, it only binds names onto ``Tensor``.
"""
import numpy as np

from . import functions as F
from .device import array_module, is_cuda_array, is_pinned_array, pinned_copy
from .grad_mode import state as _grad_state
from .methods import apply_inplace
from .tensor import Tensor
from . import creation as _C
from .tensor_extras import contiguous, is_contiguous, is_shared, share_memory_

__all__ = []

T = Tensor

# ------------------------------------------------------------------- plain methods
for _name in ("acosh", "asinh", "atanh", "arccosh", "arcsinh", "arctanh", "arccos", "arcsin",
              "arctan", "arctan2", "logaddexp", "logaddexp2", "hypot", "copysign", "fmax",
              "fmin", "float_power", "deg2rad", "rad2deg", "signbit", "positive",
              "fix", "clamp_min", "clamp_max", "heaviside", "gcd", "lcm", "bitwise_left_shift",
              "bitwise_right_shift", "isneginf", "isposinf", "isreal", "is_same_size", "addmm",
              "addbmm", "baddbmm", "addmv", "addr", "ldexp", "frexp", "nextafter", "nan_to_num",
              "is_nonzero", "is_signed", "inner", "ger", "greater", "less", "greater_equal",
              "less_equal", "vdot", "cummax", "cummin", "logcumsumexp", "median", "nanmedian",
              "mode", "kthvalue", "quantile", "nanquantile", "nansum", "nanmean", "diff",
              "histc", "bincount", "histogram", "unique_consecutive", "aminmax", "renorm",
              "cov", "corrcoef", "msort", "tensor_split", "hsplit", "vsplit", "dsplit",
              "split_with_sizes", "unsafe_split", "unsafe_chunk", "unsafe_split_with_sizes",
              "fliplr", "flipud", "rot90", "moveaxis", "swapdims", "ravel", "diagonal",
              "diagflat", "as_strided", "repeat_interleave", "take",
              "take_along_dim", "masked_scatter", "put", "index_put", "scatter_reduce",
              "index_reduce", "select_scatter", "slice_scatter", "diagonal_scatter",
              "as_strided_scatter", "narrow_copy", "adjoint", "var_mean", "std_mean"):
    if not hasattr(T, _name):
        setattr(T, _name, getattr(F, _name))

T.not_equal = F.ne
T.unfold = lambda self, dimension, size, step: F.more_shaping.unfold(self, dimension, size,
                                                                     step)
T.mH = property(lambda self: F.adjoint(self))
T.argwhere = F.argwhere
T.broadcast_to = lambda self, size: F.broadcast_to(self, size)
T.arctan2 = F.atan2
T.absolute_ = lambda self: self.abs_()


# ------------------------------------------------------------------- in-place forms
def _inplace(fn):
    def method(self, *args, **kwargs):
        return apply_inplace(self, lambda x, *a: fn(x, *a, **kwargs), *args)
    method.__doc__ = f"In-place ``{getattr(fn, '__name__', 'op')}``."
    return method


def _cmp_inplace(fn):
    # comparisons write 0/1 into ``self`` in its own dtype
    def method(self, other):
        return apply_inplace(self, lambda x, o: fn(x, o).to(x.dtype), other)
    return method


for _name, _fn in (("acos_", F.acos), ("asin_", F.asin), ("atan_", F.atan),
                   ("arccos_", F.acos), ("arcsin_", F.asin), ("arctan_", F.atan),
                   ("acosh_", F.acosh), ("asinh_", F.asinh), ("atanh_", F.atanh),
                   ("arccosh_", F.acosh), ("arcsinh_", F.asinh), ("arctanh_", F.atanh),
                   ("atan2_", F.atan2), ("arctan2_", F.atan2), ("cosh_", F.cosh),
                   ("sinh_", F.sinh), ("tan_", F.tan), ("log2_", F.log2), ("log10_", F.log10),
                   ("frac_", F.frac), ("fix_", F.fix), ("exp2_", F.exp2),
                   ("deg2rad_", F.deg2rad), ("rad2deg_", F.rad2deg), ("sgn_", F.sgn),
                   ("negative_", F.neg), ("hypot_", F.hypot), ("copysign_", F.copysign),
                   ("float_power_", F.float_power), ("ldexp_", F.ldexp),
                   ("nextafter_", F.nextafter), ("gcd_", F.gcd), ("lcm_", F.lcm),
                   ("heaviside_", F.heaviside), ("clamp_min_", F.clamp_min),
                   ("clamp_max_", F.clamp_max), ("nan_to_num_", F.nan_to_num),
                   ("renorm_", F.renorm), ("bitwise_and_", F.bitwise_and),
                   ("bitwise_or_", F.bitwise_or), ("bitwise_xor_", F.bitwise_xor),
                   ("bitwise_not_", F.bitwise_not),
                   ("bitwise_left_shift_", F.bitwise_left_shift),
                   ("bitwise_right_shift_", F.bitwise_right_shift),
                   ("logical_not_", lambda x: F.logical_not(x).to(x.dtype)),
                   ("logical_and_", lambda x, o: F.logical_and(x, o).to(x.dtype)),
                   ("logical_or_", lambda x, o: F.logical_or(x, o).to(x.dtype)),
                   ("logical_xor_", lambda x, o: F.logical_xor(x, o).to(x.dtype)),
                   ("tril_", F.tril), ("triu_", F.triu), ("cumsum_", F.cumsum),
                   ("cumprod_", F.cumprod), ("addmm_", F.addmm), ("addbmm_", F.addbmm),
                   ("baddbmm_", F.baddbmm), ("addmv_", F.addmv), ("addr_", F.addr),
                   ("index_put_", F.index_put), ("put_", F.put),
                   ("masked_scatter_", F.masked_scatter),
                   ("scatter_reduce_", F.scatter_reduce), ("index_reduce_", F.index_reduce)):
    if not hasattr(T, _name):
        setattr(T, _name, _inplace(_fn))

for _name, _fn in (("eq_", F.eq), ("ne_", F.ne), ("lt_", F.lt), ("le_", F.le), ("gt_", F.gt),
                   ("ge_", F.ge), ("greater_", F.gt), ("less_", F.lt),
                   ("greater_equal_", F.ge), ("less_equal_", F.le), ("not_equal_", F.ne)):
    setattr(T, _name, _cmp_inplace(_fn))


def _swap_inplace(self, d0, d1):
    return self.transpose_(d0, d1)


T.swapaxes_ = T.swapdims_ = _swap_inplace


def _fill_diagonal_(self, fill_value, wrap=False):
    """Fill the main diagonal (all dims equal index) in place; ``wrap`` restarts it every
    ``ncols + 1`` rows of a tall matrix, as numpy's ``fill_diagonal``."""
    if self.dim() < 2:
        raise RuntimeError("dimensions must larger than 1")
    if self.dim() > 2 and len(set(self.shape)) != 1:
        raise RuntimeError("all dimensions of input must be of equal length")
    xp = array_module(self._data)
    mask = np.zeros(tuple(self.shape), bool)
    np.fill_diagonal(mask, True, wrap=wrap)
    m = Tensor._make(xp.asarray(mask))
    return apply_inplace(self, lambda x: F.masked_fill(x, m, fill_value))


T.fill_diagonal_ = _fill_diagonal_


# ------------------------------------------------------------------- Tensor-only names
def _root(arr):
    while isinstance(getattr(arr, "base", None), np.ndarray):
        arr = arr.base
    return arr


def _storage_offset(self):
    """The index of this tensor's first element in the memory it shares with its base."""
    d = self._data
    if is_cuda_array(d):
        return (d.data.ptr - d.data.mem.ptr) // d.itemsize
    if d.size == 0:
        return 0
    root = _root(d)
    return (d.__array_interface__["data"][0] - root.__array_interface__["data"][0]) // \
        d.itemsize


T.storage_offset = _storage_offset


def _check_no_grad(self, name):
    if self._requires_grad and _grad_state.enabled:
        raise RuntimeError(f"Can't call {name}() on Variable that requires grad. Use "
                           f"var.detach().{name}() instead.")


def _apply_(self, callable):
    """Replace each element by ``callable(element)`` in place (CPU tensors only; slow)."""
    _check_no_grad(self, "apply_")
    if is_cuda_array(self._data):
        raise TypeError("apply_ is only implemented on CPU tensors")
    flat = self._data.reshape(-1) if self._data.flags.c_contiguous else None
    vals = [callable(v) for v in self._data.reshape(-1).tolist()]
    out = np.asarray(vals, dtype=self._data.dtype).reshape(self._data.shape)
    if flat is not None:
        flat[...] = out.reshape(-1)
    else:
        self._data[...] = out
    self._version[0] += 1
    return self


def _map_(self, tensor, callable):
    """Replace each element ``a`` by ``callable(a, b)`` with ``b`` from ``tensor`` (broadcast
    to this tensor's shape), in place (CPU tensors only)."""
    _check_no_grad(self, "map_")
    if is_cuda_array(self._data):
        raise TypeError("map_ is only implemented on CPU tensors")
    other = np.broadcast_to(tensor._data, self._data.shape)
    vals = [callable(a, b) for a, b in zip(self._data.reshape(-1).tolist(),
                                           other.reshape(-1).tolist())]
    self._data[...] = np.asarray(vals, dtype=self._data.dtype).reshape(self._data.shape)
    self._version[0] += 1
    return self


def _map2_(self, x, y, callable):
    """``map_`` with two other tensors: ``callable(a, b, c)`` per element."""
    _check_no_grad(self, "map2_")
    if is_cuda_array(self._data):
        raise TypeError("map2_ is only implemented on CPU tensors")
    bx = np.broadcast_to(x._data, self._data.shape).reshape(-1).tolist()
    by = np.broadcast_to(y._data, self._data.shape).reshape(-1).tolist()
    vals = [callable(a, b, c) for a, b, c in zip(self._data.reshape(-1).tolist(), bx, by)]
    self._data[...] = np.asarray(vals, dtype=self._data.dtype).reshape(self._data.shape)
    self._version[0] += 1
    return self


T.apply_, T.map_, T.map2_ = _apply_, _map_, _map2_


def _pin_memory(self, device=None):
    """A copy of this CPU tensor in page-locked memory, for fast copies to the GPU; needs a
    GPU, as in PyTorch."""
    if is_cuda_array(self._data):
        raise RuntimeError("cannot pin 'torch.cuda.FloatTensor' only dense CPU tensors can be "
                           "pinned".replace("FloatTensor", self.type().split(".")[-1]))
    if is_pinned_array(self._data):
        return self
    out = Tensor._make(pinned_copy(np.ascontiguousarray(self._data)))
    return out


def _is_pinned(self, device=None):
    """Whether this tensor lives in page-locked host memory."""
    return is_pinned_array(self._data)


def _record_stream(self, stream):
    """Mark this CUDA tensor as used on ``stream``. disttrain queues all GPU work on one
    stream, in order, so memory it frees is reused only after that work: nothing to record."""
    if not is_cuda_array(self._data):
        raise RuntimeError("record_stream: expected a CUDA tensor, but got a CPU tensor")
    return None


T.pin_memory, T.is_pinned, T.record_stream = _pin_memory, _is_pinned, _record_stream


def _new(self, *args, device=None):
    """The legacy constructor on this tensor's dtype and device: sizes or data."""
    from .creation import _legacy_new
    t = Tensor.__new__(Tensor)
    _legacy_new(t, args, self.dtype, device if device is not None else self.device)
    return t


T.new = _new
T.output_nr = property(lambda self: self._output_nr if self.grad_fn is not None else 0)
T.name = property(lambda self: None)
T.dim_order = lambda self, *, ambiguity_check=False: tuple(
    int(i) for i in np.argsort([-s for s in self.stride()], kind="stable"))
T.is_inference = lambda self: bool(getattr(self, "_inference", False))


def _reinforce(self, reward):
    raise RuntimeError(
        "reinforce() was removed.\nUse torch.distributions instead.\nSee "
        "https://pytorch.org/docs/main/distributions.html\n\nInstead of:\n\nprobs = "
        "policy_network(state)\naction = probs.multinomial()\nnext_state, reward = "
        "env.step(action)\naction.reinforce(reward)\naction.backward()\n\nUse:\n\nprobs = "
        "policy_network(state)\n# NOTE: categorical is equivalent to what used to be called "
        "multinomial\nm = torch.distributions.Categorical(probs)\naction = m.sample()\n"
        "next_state, reward = env.step(action)\nloss = -m.log_prob(action) * reward\n"
        "loss.backward()\n")


T.reinforce = _reinforce


def _resize_as_(self, other, memory_format=None):
    """Resize in place to ``other``'s shape (see ``resize_``)."""
    return self.resize_(*other.shape)


T.resize_as_ = _resize_as_


def _is_set_to(self, tensor):
    """Whether both tensors view the same memory with the same shape and strides."""
    a, b = self._data, tensor._data
    return a.shape == b.shape and a.strides == b.strides and self.data_ptr() == \
        tensor.data_ptr()


T.is_set_to = _is_set_to
T.layout = property(lambda self: F.strided)
T.nonzero_static = lambda self, *, size, fill_value=-1: F.nonzero_static(
    self, size=size, fill_value=fill_value)


# ------------------------------------------------------------------- more Tensor-only names
def _rand_method(sample, doc):
    from .creation import _rand_inplace
    m = _rand_inplace(sample)
    m.__doc__ = doc
    return m


T.cauchy_ = _rand_method(lambda g, s, median=0.0, sigma=1.0: median + sigma * np.tan(
    np.pi * (g.random(s) - 0.5)), "Fill with samples of the Cauchy distribution.")
T.log_normal_ = _rand_method(lambda g, s, mean=1.0, std=2.0: np.exp(g.normal(mean, std, s)),
                             "Fill with samples of the log-normal distribution.")
T.geometric_ = _rand_method(lambda g, s, p: g.geometric(p, s),
                            "Fill with the trial counts of the first success (probability p).")


def _new_empty_strided(self, size, stride, *, dtype=None, device=None, requires_grad=False,
                       layout=None, pin_memory=False):
    """``empty_strided`` with this tensor's dtype and device by default."""
    return F.empty_strided(size, stride, dtype=dtype or self.dtype,
                           device=device if device is not None else self.device,
                           requires_grad=requires_grad)


def _as_strided_(self, size, stride, storage_offset=None):
    """Make this tensor the strided view ``as_strided`` describes, in place."""
    if self._requires_grad and _grad_state.enabled:
        raise RuntimeError("as_strided_ on a tensor that requires grad is not supported; use "
                           "the out-of-place as_strided")
    self._data = F.as_strided(self.detach(), size, stride, storage_offset)._data
    return self


def _volatile(self):
    import warnings
    warnings.warn("volatile was removed (Variable.volatile is always False)", UserWarning,
                  stacklevel=2)
    return False


T.new_empty_strided = _new_empty_strided
T.as_strided_ = _as_strided_
T.const_data_ptr = lambda self: self.data_ptr()
T.to_dense = lambda self, dtype=None, *, masked_grad=None: self if dtype is None else \
    self.to(dtype)
T.is_distributed = lambda self: False
T.volatile = property(_volatile)


# ------------------------------------------------------------------- transposes and shifts
def _matrix_view(name):
    def prop(self):
        if self.dim() < 2:
            raise RuntimeError(f"tensor.{name} is only supported on matrices or batches of "
                               f"matrices. Got {self.dim()}-D tensor.")
        return self.transpose(-2, -1)
    return property(prop)


def _H(self):
    """The conjugate transpose of a matrix (of a real one: its transpose)."""
    if self.dim() == 0:
        import warnings
        warnings.warn("Tensor.H is deprecated on 0-D tensors. Consider using x.conj().",
                      UserWarning, stacklevel=2)
        return self
    if self.dim() != 2:
        extra = " For batches of matrices, consider using tensor.mH" if self.dim() > 2 else ""
        raise RuntimeError(f"tensor.H is only supported on matrices (2-D tensors). Got "
                           f"{self.dim()}-D tensor.{extra}")
    return self.transpose(0, 1)


T.mT, T.mH, T.H = _matrix_view("mT"), _matrix_view("mH"), property(_H)


def _shift_op(fn, reflected=False):
    def op(self, other):
        if not isinstance(other, (Tensor, int, bool, np.integer)):
            return NotImplemented
        return fn(other, self) if reflected else fn(self, other)
    return op


def _rshift_lhs(a, b):
    from .creation import tensor
    return F.bitwise_right_shift(a if isinstance(a, Tensor) else tensor(a), b)


def _lshift_lhs(a, b):
    from .creation import tensor
    return F.bitwise_left_shift(a if isinstance(a, Tensor) else tensor(a), b)


T.__lshift__ = _shift_op(F.bitwise_left_shift)
T.__rshift__ = _shift_op(F.bitwise_right_shift)
T.__rlshift__ = _shift_op(_lshift_lhs, reflected=True)
T.__rrshift__ = _shift_op(_rshift_lhs, reflected=True)
T.__ilshift__ = lambda self, o: self.bitwise_left_shift_(o)
T.__irshift__ = lambda self, o: self.bitwise_right_shift_(o)


def _as_subclass(self, cls):
    """This tensor as an instance of ``cls`` (a Tensor subclass): same memory, and still
    attached to the graph."""
    if not (isinstance(cls, type) and issubclass(cls, Tensor)):
        raise TypeError("Creating a Tensor subclass from a class that does not inherit from "
                        "Tensor is not possible. Make sure your class inherits from Tensor.")
    out = self[...]
    out.__class__ = cls
    return out


def _module_load(self, other, assign=False):
    """What ``load_state_dict`` stores for ``other`` into this tensor: ``other`` itself, or
    detached from its graph with ``assign=True``."""
    return other.detach() if assign else other


def _resize(self, *sizes):
    """Deprecated: a tensor of ``sizes`` over the same elements (see ``resize_``)."""
    import warnings
    warnings.warn("non-inplace resize is deprecated", UserWarning, stacklevel=2)
    shape = F._shape_args(sizes)
    n = 1
    for s in shape:
        n *= s
    if n == self.numel():
        return self.reshape(shape)
    return self.detach().clone().resize_(*shape)


def _resize_as(self, tensor):
    """Deprecated: ``resize`` to ``tensor``'s shape."""
    import warnings
    warnings.warn("non-inplace resize_as is deprecated", UserWarning, stacklevel=2)
    shape = tuple(tensor.shape)
    n = 1
    for s in shape:
        n *= s
    return self.reshape(shape) if n == self.numel() else \
        self.detach().clone().resize_(*shape)


T.as_subclass, T.module_load, T.resize, T.resize_as = (_as_subclass, _module_load, _resize,
                                                       _resize_as)


# ------------------------------------------------------- random fills and new_* (creation.py)
T.uniform_ = _C._rand_inplace(_C._uniform_sample, by_dtype=True)
T.normal_ = _C._rand_inplace(_C._normal_sample, by_dtype=True)
T.bernoulli_ = _C._rand_inplace(lambda g, s, p=0.5: g.random(s) < p)
T.exponential_ = _C._rand_inplace(lambda g, s, lambd=1.0: g.exponential(1.0 / lambd, s))
T.random_ = _C._rand_inplace(lambda g, s, a=0, b=None: g.integers(a if b is not None else 0,
                                                                b if b is not None else
                                                                (a or 2 ** 24), s))
T.bernoulli = lambda self, p=None, generator=None: _C.bernoulli(self, p, generator=generator)
T.multinomial = lambda self, n, replacement=False, generator=None: _C.multinomial(
    self, n, replacement, generator=generator)
T.new_zeros = _C._new(_C.zeros)
T.new_ones = _C._new(_C.ones)
T.new_empty = _C._new(_C.empty)
T.new_full = lambda self, size, fill_value, *, dtype=None, device=None, \
    requires_grad=False: _C.full(size, fill_value, dtype=dtype or self.dtype,
                                 device=device if device is not None else self.device,
                                 requires_grad=requires_grad)
T.new_tensor = lambda self, data, *, dtype=None, device=None, requires_grad=False: _C.tensor(
    data, dtype=dtype or (data.dtype if isinstance(data, Tensor) else self.dtype),
    device=device if device is not None else self.device, requires_grad=requires_grad)


# ------------------------------------------- memory layout, sharing, kinds (tensor_extras.py)
T.share_memory_ = share_memory_
T.is_shared = is_shared
T.is_contiguous = is_contiguous
T.contiguous = contiguous

# Device and layout kinds disttrain does not have: each is truthfully False.
for _name in ("is_xpu", "is_sparse", "is_sparse_csr", "is_mps", "is_meta", "is_quantized",
              "is_mkldnn", "is_nested", "is_ipu", "is_vulkan", "is_hpu", "is_maia", "is_mtia",
              "is_xla"):
    setattr(T, _name, property(lambda self: False))
T.is_cpu = property(lambda self: not is_cuda_array(self._data))
