"""The functional forms that need no other functional form: activations, softmax, linear,
dropout, embedding, normalize and distances.

``nn.functional`` re-exports them; the sibling modules (``_morefn``, ``_lce``, ``_sdpa`` ...)
import them from here, so that every import inside ``nn`` runs one way, toward this module.
"""
import warnings

from ..core.tensor import Tensor
from ..core.methods import apply_inplace
from ..core.ops import nn_ops as K
from ..core.ops.linalg import Linear as _Linear
from ..core.ops._util import type_name
from ..core import functions as _fn, creation as _creation
from ..core import dtype as _dt

__all__ = ["relu", "relu_", "relu6", "leaky_relu", "leaky_relu_", "elu", "elu_", "selu", "celu",
           "gelu", "silu", "mish", "sigmoid", "tanh", "hardtanh", "hardtanh_", "softplus",
           "softsign", "logsigmoid", "hardsigmoid", "hardswish", "prelu", "glu", "threshold",
           "softmax", "log_softmax", "softmin", "linear", "bilinear", "dropout", "dropout1d",
           "dropout2d", "dropout3d", "embedding", "one_hot", "normalize", "cosine_similarity",
           "pairwise_distance"]


def _float_only(x, kernel):
    if not x.dtype.is_floating_point:
        raise NotImplementedError(f'"{kernel}" not implemented for \'{type_name(x._data.dtype)}\'')


def _maybe_inplace(x, fn, inplace):
    return apply_inplace(x, fn) if inplace else fn(x)


# ----------------------------------------------------------------------------- activations
def relu(input, inplace=False):
    """max(0, x) elementwise."""
    return _maybe_inplace(input, _fn.relu, inplace)


def relu_(input):
    """In-place :func:`relu`."""
    return relu(input, inplace=True)


def relu6(input, inplace=False):
    """min(max(0, x), 6) elementwise."""
    return hardtanh(input, 0.0, 6.0, inplace)


def leaky_relu(input, negative_slope=0.01, inplace=False):
    """x where x > 0, else ``negative_slope``·x."""
    _float_only(input, "leaky_relu_cpu")
    return _maybe_inplace(input, lambda x: K.LeakyRelu.apply(x, negative_slope), inplace)


def leaky_relu_(input, negative_slope=0.01):
    """In-place :func:`leaky_relu`."""
    return leaky_relu(input, negative_slope, True)


def elu(input, alpha=1.0, inplace=False):
    """x where x > 0, else alpha·(exp(x) - 1)."""
    _float_only(input, "elu_cpu")
    return _maybe_inplace(input, lambda x: K.Elu.apply(x, alpha), inplace)


def elu_(input, alpha=1.0):
    """In-place :func:`elu`."""
    return elu(input, alpha, True)


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(input, inplace=False):
    """scale·ELU(x, alpha) with the self-normalising constants."""
    _float_only(input, "elu_cpu")
    return _maybe_inplace(input, lambda x: K.Elu.apply(x, _SELU_ALPHA, _SELU_SCALE), inplace)


def celu(input, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha·(exp(x/alpha) - 1))."""
    _float_only(input, "elu_cpu")
    return _maybe_inplace(input, lambda x: K.Elu.apply(x, alpha, 1.0, 1.0 / alpha), inplace)


def gelu(input, approximate="none"):
    """x·Φ(x), with the exact normal CDF or (``approximate='tanh'``) its tanh form."""
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    _float_only(input, "GeluKernelImpl")
    return K.Gelu.apply(input, approximate)


def silu(input, inplace=False):
    """x·sigmoid(x)."""
    _float_only(input, "silu_cpu")
    return _maybe_inplace(input, K.Silu.apply, inplace)


def mish(input, inplace=False):
    """x·tanh(softplus(x))."""
    return _maybe_inplace(input, lambda x: x * softplus(x).tanh(), inplace)


def sigmoid(input):
    """1 / (1 + exp(-x))."""
    return _fn.sigmoid(input)


def tanh(input):
    """Hyperbolic tangent."""
    return _fn.tanh(input)


def hardtanh(input, min_val=-1.0, max_val=1.0, inplace=False):
    """x clamped to [min_val, max_val]."""
    if min_val > max_val:
        raise ValueError("min_val cannot be greater than max_val")
    return _maybe_inplace(input, lambda x: K.Hardtanh.apply(x, min_val, max_val), inplace)


def hardtanh_(input, min_val=-1.0, max_val=1.0):
    """In-place :func:`hardtanh`."""
    return hardtanh(input, min_val, max_val, True)


def softplus(input, beta=1.0, threshold=20.0):
    """log(1 + exp(beta·x)) / beta, and x itself where beta·x > threshold."""
    _float_only(input, "softplus_cpu")
    return K.Softplus.apply(input, beta, threshold)


def softsign(input):
    """x / (1 + |x|)."""
    return input / (input.abs() + 1)


def logsigmoid(input):
    """log(sigmoid(x)), computed as -softplus(-x) so that it never overflows."""
    return -K.Softplus.apply(-input, 1.0, 20.0)


def hardsigmoid(input, inplace=False):
    """relu6(x + 3) / 6."""
    return _maybe_inplace(input, lambda x: K.Hardtanh.apply(x + 3, 0.0, 6.0) / 6, inplace)


def hardswish(input, inplace=False):
    """x·relu6(x + 3) / 6."""
    return _maybe_inplace(input, lambda x: x * K.Hardtanh.apply(x + 3, 0.0, 6.0) / 6, inplace)


def threshold(input, threshold, value, inplace=False):
    """x where x > threshold, else ``value``."""
    return _maybe_inplace(input, lambda x: x.masked_fill(x <= threshold, value), inplace)


def prelu(input, weight):
    """max(0, x) + weight·min(0, x), one weight per channel (dim 1) or a single one."""
    n = weight.numel()
    if n != 1:
        ch = input.shape[1] if input.dim() >= 2 else (input.shape[0] if input.dim() else 1)
        if n != ch:
            raise RuntimeError(f"Mismatch of parameter numbers and input channel size. Found "
                               f"parameter numbers = {n} and channel size = {ch}.")
    return K.Prelu.apply(input, weight)


def glu(input, dim=-1):
    """a·sigmoid(b) where a and b are the halves of ``input`` along ``dim``."""
    if input.shape[dim] % 2:
        raise RuntimeError(f"Halving dimension must be even, but dimension "
                           f"{input._dim(dim)} is size {input.shape[dim]}")
    a, b = input.chunk(2, dim)
    return a * b.sigmoid()


def _softmax_dim(name, ndim, stacklevel):
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  f"to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if ndim in (0, 1, 3) else 1


def _softmax_input(input, dim, dtype, name, kernel):
    if dim is None:
        dim = _softmax_dim(name, input.dim(), 4)
    if dtype is not None:
        input = input.to(_dt.to_dtype(dtype))
    _float_only(input, kernel)
    return input, input._dim(dim) if input.dim() else 0


def softmax(input, dim=None, _stacklevel=3, dtype=None):
    """exp(x) / sum(exp(x)) along ``dim``, computed stably (shifted by the max)."""
    x, d = _softmax_input(input, dim, dtype, "softmax", "softmax_lastdim_kernel_impl")
    return K.Softmax.apply(x, d)


def softmin(input, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along ``dim``."""
    x, d = _softmax_input(input, dim, dtype, "softmin", "softmax_lastdim_kernel_impl")
    return K.Softmax.apply(-x, d)


def log_softmax(input, dim=None, _stacklevel=3, dtype=None):
    """log(softmax(x)) along ``dim``, as x - logsumexp(x): finite for large logits."""
    x, d = _softmax_input(input, dim, dtype, "log_softmax", "log_softmax_lastdim_kernel_impl")
    return K.LogSoftmax.apply(x, d)


# ---------------------------------------------------------------------------------- linear
def linear(input, weight, bias=None):
    """``input @ weight.T + bias``; one fused op (AddmmBackward0 for 2-d input)."""
    nd = input.dim()
    if bias is None:
        kernel = K.LinearNoBias if nd == 2 else K.LinearVecNoBias if nd == 1 else \
            K.LinearNDNoBias
        return kernel.apply(input, weight)
    return (_Linear if nd == 2 else K.LinearND).apply(input, weight, bias)


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1ᵀ·W_k·x2 + b_k over the last dims of ``input1`` and ``input2``."""
    out_f, in1, in2 = weight.shape
    if input1.shape[-1] != in1:
        raise RuntimeError(f"bilinear(): input1 size does not match weight size: got "
                           f"{input1.shape[-1]} but expected {in1}")
    if input2.shape[-1] != in2:
        raise RuntimeError(f"bilinear(): input2 size does not match weight size: got "
                           f"{input2.shape[-1]} but expected {in2}")
    lead = input1.shape[:-1]
    x1 = input1.reshape(-1, in1)
    x2 = input2.reshape(-1, in2)
    # (N, in1) @ (in1, out*in2) -> (N, out, in2), then contract with x2 over in2
    w = weight.permute(1, 0, 2).reshape(in1, out_f * in2)
    y = (x1.mm(w).reshape(-1, out_f, in2) * x2.unsqueeze(1)).sum(-1)
    if bias is not None:
        y = y + bias
    return y.reshape(tuple(lead) + (out_f,))


# --------------------------------------------------------------------------------- dropout
def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _dropout_mask(input, shape, p):
    """Keep-mask scaled by 1/(1-p), drawn from the default generator (``manual_seed``)."""
    mask = _creation.empty(*shape, dtype=input.dtype, device=input.device)
    if p == 1.0:
        return mask.zero_()
    mask.bernoulli_(1.0 - p)
    return mask.div_(1.0 - p)


def dropout(input, p=0.5, training=True, inplace=False):
    """Zero each element with probability ``p`` and scale the rest by 1/(1-p) (training only)."""
    _check_p(p)
    if not training or p == 0.0:
        return input
    mask = _dropout_mask(input, input.shape, p)
    return apply_inplace(input, lambda x: x * mask) if inplace else input * mask


def _feature_dropout(input, p, training, inplace, batched_ndim):
    _check_p(p)
    if not training or p == 0.0:
        return input
    shape = input.shape[:2] if input.dim() >= batched_ndim else input.shape[:1]
    shape = tuple(shape) + (1,) * (input.dim() - len(shape))
    mask = _dropout_mask(input, shape, p)
    return apply_inplace(input, lambda x: x * mask) if inplace else input * mask


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, L) or (C, L) input with probability ``p``."""
    if input.dim() not in (2, 3):
        raise RuntimeError(f"dropout1d: Expected 2D or 3D input, but received a "
                           f"{input.dim()}D input. Note that dropout1d exists to provide "
                           f"channel-wise dropout on inputs with 1 spatial dimension, a channel "
                           f"dimension, and an optional batch dimension (i.e. 2D or 3D inputs).")
    return _feature_dropout(input, p, training, inplace, 3)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, H, W) input with probability ``p``."""
    nd = input.dim()
    if nd not in (3, 4):
        warnings.warn(f"dropout2d: Received a {nd}-D input to dropout2d, which is deprecated "
                      f"and will result in an error in a future release. To retain the "
                      f"behavior and silence this warning, please use dropout instead. Note "
                      f"that dropout2d exists to provide channel-wise dropout on inputs with 2 "
                      f"spatial dimensions, a channel dimension, and an optional batch "
                      f"dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if nd == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change "
                      "in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise "
                      "dropout behavior, please switch to using dropout1d instead.",
                      stacklevel=2)
    return _feature_dropout(input, p, training, inplace, 3 if nd == 3 else 4)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zero whole channels of (N, C, D, H, W) input with probability ``p``."""
    return _feature_dropout(input, p, training, inplace, 5)


# ------------------------------------------------------------------------------- embedding
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type=2.0,
              scale_grad_by_freq=False, sparse=False):
    """Rows of ``weight`` at the integer indices ``input``; ``padding_idx`` gets no gradient."""
    if input.dtype not in (_dt.int64, _dt.int32):
        raise RuntimeError(f"Expected tensor for argument #1 'indices' to have one of the "
                           f"following scalar types: Long, Int; but got {input.type()} instead "
                           f"(while checking arguments for embedding)")
    num = weight.shape[0]
    if padding_idx is not None:
        if padding_idx < 0:
            padding_idx += num
        if not 0 <= padding_idx < num:
            raise AssertionError("Padding_idx must be within num_embeddings")
    idx = input._data
    if idx.size and (bool((idx < 0).any()) or bool((idx >= num).any())):
        raise IndexError("index out of range in self")
    if max_norm is not None:
        _renorm_rows(weight, idx, max_norm, norm_type)
    return K.Embedding.apply(weight, input, padding_idx)


def _renorm_rows(weight, idx, max_norm, norm_type):
    """Scale the looked-up rows whose norm exceeds ``max_norm`` down to it, in place."""
    from ..core.device import array_module
    xp = array_module(idx)
    rows = xp.unique(idx.reshape(-1))
    w = weight._data
    norms = (xp.abs(w[rows]) ** norm_type).sum(axis=1) ** (1.0 / norm_type)
    scale = xp.where(norms > max_norm, max_norm / (norms + 1e-7), 1.0).astype(w.dtype)
    w[rows] *= scale[:, None]
    weight._version[0] += 1


def one_hot(tensor, num_classes=-1):
    """Int64 tensor with a trailing dim of ``num_classes``, 1 at each index, 0 elsewhere."""
    if tensor.dtype is not _dt.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    d = tensor._data
    if num_classes == -1:
        if d.size == 0:
            raise RuntimeError("Can not infer total number of classes from empty tensor.")
        num_classes = int(d.max()) + 1
    if d.size and int(d.min()) < 0:
        raise RuntimeError("Class values must be non-negative.")
    if d.size and int(d.max()) >= num_classes:
        raise RuntimeError("Class values must be smaller than num_classes.")
    from ..core.device import array_module
    xp = array_module(d)
    return Tensor._make((d[..., None] == xp.arange(num_classes)).astype(xp.int64))


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """``input / max(‖input‖_p, eps)`` along ``dim``."""
    denom = input.norm(p, dim, keepdim=True).clamp(min=eps).expand_as(input)
    return input / denom


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """x1·x2 / max(‖x1‖·‖x2‖, eps) along ``dim``."""
    w12 = (x1 * x2).sum(dim)
    n1 = (x1 * x1).sum(dim)
    n2 = (x2 * x2).sum(dim)
    return w12 / (n1 * n2).clamp(min=eps * eps).sqrt()


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """‖x1 - x2 + eps‖_p along the last dim."""
    return (x1 - x2 + eps).norm(p, -1, keepdim=keepdim)
