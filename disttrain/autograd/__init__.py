"""``disttrain.autograd``: Function, backward, grad, gradcheck, grad-mode switches, and the
``functional`` (Jacobians, Hessians), ``graph`` (saved-tensor hooks), ``profiler`` and
``function`` (``once_differentiable``) submodules."""
from ..core.autograd import Function
from ..core.engine import backward, grad
from ..core.grad_mode import no_grad, enable_grad, set_grad_enabled
from ..core.gradcheck import gradcheck, gradgradcheck
from ..core.tensor import Tensor as Variable
from .anomaly_mode import (detect_anomaly, set_detect_anomaly, is_anomaly_enabled,
                           is_anomaly_check_nan_enabled)

__all__ = ["Function", "backward", "grad", "gradcheck", "gradgradcheck", "no_grad",
           "enable_grad", "set_grad_enabled", "Variable", "detect_anomaly",
           "set_detect_anomaly", "is_anomaly_enabled", "is_anomaly_check_nan_enabled",
           "inference_mode", "is_grad_enabled", "is_inference_mode_enabled", "is_tensor_like",
           "kineto_available", "set_multithreading_enabled", "is_multithreading_enabled",
           "functional", "graph", "profiler", "function", "grad_mode", "variable",
           "anomaly_mode", "once_differentiable", "forward_ad"]


def is_tensor_like(inp):
    """Whether ``inp`` is a Tensor (disttrain has no ``__torch_function__`` protocol)."""
    from ..core.tensor import Tensor
    return isinstance(inp, Tensor)


def kineto_available():
    """Whether the Kineto profiler backend is built in: never in disttrain."""
    return False


from ..core.grad_mode import inference_mode, is_grad_enabled, is_inference_mode_enabled  # noqa
from . import functional, graph, profiler, function, grad_mode, variable  # noqa: E402,F401
from . import anomaly_mode, forward_ad  # noqa: E402,F401
from .function import once_differentiable  # noqa: E402,F401
from .grad_mode import set_multithreading_enabled, is_multithreading_enabled  # noqa: E402
import sys as _sys  # noqa: E402
torch = _sys.modules[__name__.rpartition(".")[0]]     # the package itself, as in PyTorch
