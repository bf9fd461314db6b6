"""More functional forms: shrink activations, RReLU, alpha dropout, pixel/channel shuffles,
pairwise distances, instance/RMS/local-response norms and Gumbel-softmax.

All are compositions of differentiable Tensor ops, so they need no backward of their own.
"""
import math

from ..core import creation as _c, functions as _fn
from ..core.methods import apply_inplace

__all__ = ["hardshrink", "softshrink", "tanhshrink", "rrelu", "rrelu_", "selu_", "celu_",
           "threshold_", "alpha_dropout", "feature_alpha_dropout", "pixel_shuffle",
           "pixel_unshuffle", "channel_shuffle", "native_channel_shuffle", "pdist",
           "rms_norm", "instance_norm", "local_response_norm", "gumbel_softmax"]


def hardshrink(input, lambd=0.5):
    """x where |x| > lambd, else 0."""
    return input.masked_fill(input.abs() <= lambd, 0.0)


def softshrink(input, lambd=0.5):
    """x - lambd above lambd, x + lambd below -lambd, 0 in between."""
    if lambd < 0:
        import numpy as np
        from ._spatial import _tname
        top = float(np.finfo(input._data.dtype).max)
        raise RuntimeError(f"lambda must be in range [0, {top:g}] for input dtype "
                           f"{_tname(input, 'title')}, but found {lambd:g}")
    return (input - input.clamp(-lambd, lambd))


def tanhshrink(input):
    """x - tanh(x)."""
    return input - input.tanh()


def rrelu(input, lower=1.0 / 8, upper=1.0 / 3, training=False, inplace=False, *,
          generator=None):
    """Leaky ReLU whose negative slope is drawn uniformly from [lower, upper] per element in
    training (from ``generator``, else the default one), and is (lower + upper) / 2
    otherwise."""
    from ._basicfn import leaky_relu
    if not training:
        return leaky_relu(input, (lower + upper) / 2, inplace)
    slope = _c.empty(*input.shape, dtype=input.dtype, device=input.device).uniform_(
        lower, upper, generator=generator)
    fn = lambda x: _fn.where(x >= 0, x, x * slope)  # noqa: E731
    return apply_inplace(input, fn) if inplace else fn(input)


def rrelu_(input, lower=1.0 / 8, upper=1.0 / 3, training=False):
    """In-place :func:`rrelu`."""
    return rrelu(input, lower, upper, training, True)


def selu_(input):
    """In-place :func:`selu`."""
    from ._basicfn import selu
    return selu(input, True)


def celu_(input, alpha=1.0):
    """In-place :func:`celu`."""
    from ._basicfn import celu
    return celu(input, alpha, True)


def threshold_(input, threshold, value):
    """In-place :func:`threshold`."""
    from ._basicfn import threshold as _threshold
    return _threshold(input, threshold, value, True)


_ALPHA = 1.7580993408473766        # selu_scale * selu_alpha: minus SELU's saturation value


def _alpha_dropout(input, p, training, inplace, feature):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
    if not training or p == 0.0:
        return input
    if p == 1.0:
        return input * 0.0
    shape = tuple(input.shape)
    if feature:
        shape = shape[:2] + (1,) * (len(shape) - 2)
    keep = _c.empty(*shape, dtype=input.dtype, device=input.device).bernoulli_(1.0 - p)
    # keeps mean 0 and variance 1 of SELU activations (Klambauer et al.), as PyTorch does
    a = 1.0 / math.sqrt((_ALPHA ** 2 * p + 1) * (1 - p))
    b = (keep - 1) * (_ALPHA * a) + _ALPHA * a * p
    scale = keep * a
    fn = lambda x: x * scale + b  # noqa: E731
    return apply_inplace(input, fn) if inplace else fn(input)


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for SELU networks: dropped units take SELU's saturation value and the result is
    rescaled to keep zero mean and unit variance."""
    return _alpha_dropout(input, p, training, inplace, False)


def feature_alpha_dropout(input, p=0.5, training=False, inplace=False):
    """:func:`alpha_dropout` of whole channels."""
    return _alpha_dropout(input, p, training, inplace, True)


def pixel_shuffle(input, upscale_factor):
    """(*, C·r², H, W) -> (*, C, H·r, W·r)."""
    r = int(upscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_shuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    *lead, c, h, w = input.shape
    if c % (r * r):
        raise RuntimeError(f"pixel_shuffle expects its input's 'channel' dimension to be "
                           f"divisible by the square of upscale_factor, but input.size(-3)={c} "
                           f"is not divisible by {r * r}")
    n = len(lead)
    x = input.reshape(*lead, c // (r * r), r, r, h, w)
    x = x.permute(*range(n), n, n + 3, n + 1, n + 4, n + 2)
    return x.reshape(*lead, c // (r * r), h * r, w * r)


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H·r, W·r) -> (*, C·r², H, W): the inverse of :func:`pixel_shuffle`."""
    r = int(downscale_factor)
    if input.dim() < 3:
        raise RuntimeError(f"pixel_unshuffle expects input to have at least 3 dimensions, but "
                           f"got input with {input.dim()} dimension(s)")
    *lead, c, h, w = input.shape
    if h % r:
        raise RuntimeError(f"pixel_unshuffle expects height to be divisible by "
                           f"downscale_factor, but input.size(-2)={h} is not divisible by {r}")
    if w % r:
        raise RuntimeError(f"pixel_unshuffle expects width to be divisible by "
                           f"downscale_factor, but input.size(-1)={w} is not divisible by {r}")
    n = len(lead)
    x = input.reshape(*lead, c, h // r, r, w // r, r)
    x = x.permute(*range(n), n, n + 2, n + 4, n + 1, n + 3)
    return x.reshape(*lead, c * r * r, h // r, w // r)


def channel_shuffle(input, groups):
    """Interleave the channels (dim 1) of ``groups`` groups: (N, g·k, *) -> groups transposed."""
    g = int(groups)
    if g <= 0:
        raise RuntimeError(f"Number of groups to divide channels in must be positive. Value "
                           f"of groups:{g}")
    c = input.shape[1]
    if c % g:
        raise RuntimeError(f"Number of channels must be divisible by groups. Got {c} channels "
                           f"and {g} groups.")
    n, rest = input.shape[0], tuple(input.shape[2:])
    return input.reshape(n, g, c // g, *rest).transpose(1, 2).reshape(n, c, *rest)


native_channel_shuffle = channel_shuffle


def pdist(input, p=2):
    """‖x_i - x_j‖_p for every pair i < j of the rows of an (N, M) input: N(N-1)/2 values."""
    if input.dim() != 2:
        raise RuntimeError(f"pdist only supports 2D tensors, got: {input.dim()}D")
    n = input.shape[0]
    import numpy as np
    i, j = np.triu_indices(n, 1)
    from ..core.tensor import Tensor
    from ..core.device import array_module
    xp = array_module(input._data)
    ii = Tensor._make(xp.asarray(i.astype(np.int64)))
    jj = Tensor._make(xp.asarray(j.astype(np.int64)))
    d = input.index_select(0, ii) - input.index_select(0, jj)
    return _pnorm_rows(d, p)


def _pnorm_rows(d, p):
    """p-norm of each row with a zero gradient (not NaN) where a row is all zero."""
    if p == 2:
        sq = (d * d).sum(-1)
        zero = sq == 0
        return _fn.where(zero, sq * 0, sq.masked_fill(zero, 1.0).sqrt())
    return d.norm(p, -1)


def rms_norm(input, normalized_shape, weight=None, eps=None):
    """x / sqrt(mean(x²) + eps) over the last ``len(normalized_shape)`` dims, times weight.

    ``eps`` defaults to the input dtype's machine epsilon, as in PyTorch.
    """
    if isinstance(normalized_shape, int):
        normalized_shape = (normalized_shape,)
    shape = tuple(normalized_shape)
    if tuple(input.shape[input.dim() - len(shape):]) != shape:
        raise RuntimeError(f"Given normalized_shape={list(shape)}, expected input with shape "
                           f"[*{', '.join(map(str, shape))}], but got input of size"
                           f"{list(input.shape)}")
    if eps is None:
        import numpy as np
        eps = float(np.finfo(input._data.dtype).eps)
    dims = tuple(range(input.dim() - len(shape), input.dim()))
    y = input * ((input * input).mean(dims, keepdim=True) + eps).rsqrt()
    return y * weight if weight is not None else y


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """Normalise each channel of each sample of (N, C, *) over its spatial positions."""
    from ._normfn import batch_norm
    n, c = input.shape[0], input.shape[1]
    rest = tuple(input.shape[2:])
    x = input.reshape(1, n * c, *rest)
    rm = running_mean.repeat(n) if running_mean is not None else None
    rv = running_var.repeat(n) if running_var is not None else None
    w = weight.repeat(n) if weight is not None else None
    b = bias.repeat(n) if bias is not None else None
    y = batch_norm(x, rm, rv, w, b, use_input_stats, momentum, eps)
    if use_input_stats and running_mean is not None:
        with _no_grad():
            running_mean.copy_(rm.reshape(n, c).mean(0))
            running_var.copy_(rv.reshape(n, c).mean(0))
    return y.reshape(input.shape)


def _no_grad():
    from ..core.grad_mode import no_grad
    return no_grad()


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x / (k + alpha/n · sum of x² over ``size`` neighbouring channels)^beta."""
    if input.dim() < 3:
        raise ValueError(f"Expected 3D or higher dimensionality                          "
                         f"input (got {input.dim()} dimensions)")
    if input.numel() == 0:
        return input
    from ._resample import pad
    div = (input * input).unsqueeze(1)
    if input.dim() == 3:
        div = pad(div, (0, 0, size // 2, (size - 1) // 2))
        div = _avg_channels(div, size).squeeze(1)
    else:
        sizes = input.shape
        div = div.reshape(sizes[0], 1, sizes[1], sizes[2], -1)
        div = pad(div, (0, 0, 0, 0, size // 2, (size - 1) // 2))
        div = _avg_channels(div, size).squeeze(1).reshape(sizes)
    div = (div * alpha + k) ** beta
    return input / div


def _avg_channels(x, size):
    """Mean over windows of ``size`` along dim 2 (stride 1) of a zero-padded tensor."""
    c = x.shape[2] - size + 1
    acc = x.narrow(2, 0, c)
    for i in range(1, size):
        acc = acc + x.narrow(2, i, c)
    return acc / size


def gumbel_softmax(logits, tau=1.0, hard=False, eps=1e-10, dim=-1):
    """Softmax of (logits + Gumbel noise) / tau; with ``hard`` a one-hot sample whose gradient
    is the soft sample's (straight-through). The noise comes from the default generator."""
    u = _c.empty(*logits.shape, dtype=logits.dtype, device=logits.device).uniform_()
    # -log(Exponential(1)) is Gumbel(0, 1)
    gumbels = -((-(u.clamp(min=1e-30)).log()).clamp(min=1e-30).log())
    y = ((logits + gumbels) / tau).softmax(dim)
    if not hard:
        return y
    index = y.argmax(dim, keepdim=True)
    y_hard = _c.zeros_like(logits).scatter_(dim, index, 1.0)
    return y_hard - y.detach() + y
