"""Utilities over a model's parameters: gradient clipping, flattening to one vector."""
from .clip_grad import (clip_grad_norm_, clip_grad_norm, clip_grad_value_, get_total_norm,
                        clip_grads_with_norm_)
from . import rnn  # noqa: F401
from ...core.tensor import Tensor as _Tensor

__all__ = ["clip_grad_norm_", "clip_grad_norm", "clip_grad_value_", "get_total_norm",
           "clip_grads_with_norm_", "parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """All parameters flattened and concatenated into one 1-d tensor."""
    from ...core.functions import cat
    return cat([p.reshape(-1) for p in parameters])


def vector_to_parameters(vec, parameters):
    """Copy consecutive slices of the 1-d ``vec`` into ``parameters`` (in place)."""
    if not isinstance(vec, _Tensor):
        raise TypeError(f"expected torch.Tensor, but got: {type(vec).__name__}")
    offset = 0
    for p in parameters:
        n = p.numel()
        p.data = vec[offset:offset + n].view_as(p).data
        offset += n

from . import fusion  # noqa: E402
from .fusion import (fuse_conv_bn_eval, fuse_conv_bn_weights, fuse_linear_bn_eval,  # noqa: E402
                     fuse_linear_bn_weights)
from .weight_norm import (weight_norm, remove_weight_norm, spectral_norm,  # noqa: E402
                          remove_spectral_norm)
from .init import skip_init  # noqa: E402

__all__ += ["fuse_conv_bn_eval", "fuse_conv_bn_weights", "fuse_linear_bn_eval",
            "fuse_linear_bn_weights", "weight_norm", "remove_weight_norm", "spectral_norm",
            "remove_spectral_norm", "skip_init"]

from . import parametrize, parametrizations, stateless  # noqa: E402,F401
