"""disttrain: a deep-learning engine with PyTorch's programming model on numpy (cupy on a GPU).

``import disttrain as torch`` runs PyTorch programs that use tensors, autograd, ``nn``,
``optim`` and ``utils.data``; ``launch --nproc N train.py`` runs them data-parallel.
"""
import math as _math
import warnings as _warnings

from .core._malloc import tune_malloc as _tune_malloc
from .core._blas import tune_blas as _tune_blas
from .core import methods as _methods  # noqa: F401  (binds Tensor's operators)
from .core.tensor import Tensor, Size
from .core.dtype import (dtype, float16, float32, float64, bfloat16, int8, int16, int32, int64,
                         uint8, bool, half, float, double, short, int, long, get_default_dtype,
                         set_default_dtype, promote_types)
from .core.dtype import complex32, complex64, complex128, chalf, cfloat, cdouble
from .core.device import device
from .core.grad_mode import (no_grad, enable_grad, set_grad_enabled, is_grad_enabled,
                             inference_mode)
from .core.functions import *  # noqa: F401,F403
from .core.creation import *  # noqa: F401,F403
from .core.random import (Generator, manual_seed, seed, initial_seed, get_rng_state,
                          set_rng_state, default_generator)
from .core.tensor_str import set_printoptions
from .core import random  # noqa: F401  (disttrain.random.manual_seed, get_rng_state, ...)
from .core import autograd as _autograd_core
from . import amp, autograd, cuda  # noqa: F401  (cuda.amp builds on amp)
from .cuda import OutOfMemoryError  # noqa: F401,E402  (torch.OutOfMemoryError)
from .amp import autocast  # noqa: F401,E402  (torch.autocast is torch.amp.autocast)
from .amp import (GradScaler, is_autocast_enabled, set_autocast_enabled,  # noqa: F401
                  get_autocast_dtype, set_autocast_dtype, is_autocast_cpu_enabled,
                  set_autocast_cpu_enabled, get_autocast_cpu_dtype, set_autocast_cpu_dtype,
                  get_autocast_gpu_dtype, set_autocast_gpu_dtype, is_autocast_cache_enabled,
                  set_autocast_cache_enabled, clear_autocast_cache,
                  autocast_increment_nesting, autocast_decrement_nesting)
from .core.tensor_extras import (memory_format, contiguous_format, channels_last,
                                 channels_last_3d, preserve_format)
from ._runtime import *  # noqa: F401,F403  (threads, determinism, default device, compile)
from .core.flags import *  # noqa: F401,F403  (deterministic mode, matmul precision, ...)
from .autograd import is_anomaly_enabled, is_anomaly_check_nan_enabled  # noqa: F401
from .core.grad_mode import is_inference_mode_enabled  # noqa: F401


def set_anomaly_enabled(enabled, check_nan=True):
    """Turn anomaly detection on or off (``autograd.set_detect_anomaly`` as a plain call)."""
    autograd.set_detect_anomaly(enabled, check_nan)

pi = _math.pi
e = _math.e
inf = _math.inf
nan = _math.nan
__version__ = "0.1.0"
_tune_malloc()
_tune_blas()
# numpy reports a floating-point exception (inf * 0, 0 / 0, an overflow) as a RuntimeWarning
# attributed to the line that called it; PyTorch produces the same nan or inf silently. So
# those raised from disttrain's own code are ignored; the program's own numpy calls keep
# numpy's behaviour. (A filter costs nothing until a warning is raised.)
_warnings.filterwarnings("ignore", r"(invalid value|divide by zero|overflow|underflow) "
                         r"encountered", RuntimeWarning, r"disttrain(\.|$)")


# Subpackages loaded on first use, one name a line (``import disttrain`` itself loads core,
# autograd, amp and cuda). Measured on one CPU: ``import disttrain`` takes 0.35-0.42 s; nn adds
# 0.14-0.20 s and optim 0.03-0.05 s, comm and distributed load ZeroMQ and the process layer
# (0.06 s and 0.16 s), and distributions, signal, testing and version are written against this
# namespace (``import disttrain as T``), so importing them here would be an import circle
# through it. Every spawned worker pays the import, so they wait until a program names them;
# this is the one lazy loader of the package root that tools/check_imports.py allows.
_SUBMODULES = (
    "accelerator",
    "backends",
    "comm",
    "compiler",
    "cpu",
    "distributed",
    "distributions",
    "func",
    "functional",
    "futures",
    "hub",
    "jit",
    "multiprocessing",
    "nn",
    "onnx",
    "optim",
    "profiler",
    "return_types",
    "serialization",
    "signal",
    "testing",
    "utils",
    "version",
    "fft",
    "linalg",
    "special",
)


# ``torch.conv2d``, ``torch.layer_norm`` ...: nn.functional's ops under PyTorch's operator
# signatures (nn/_torch_forms.py), loaded with nn when a program first names one
_NN_FORMS = frozenset((
    "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d", "conv_transpose3d",
    "avg_pool1d", "max_pool1d", "max_pool2d", "max_pool3d", "max_pool1d_with_indices",
    "adaptive_avg_pool1d", "adaptive_max_pool1d", "batch_norm", "layer_norm", "group_norm",
    "instance_norm", "rms_norm", "embedding", "pixel_shuffle", "pixel_unshuffle",
    "channel_shuffle", "native_channel_shuffle", "cosine_similarity", "pairwise_distance",
    "pdist", "prelu", "selu", "selu_", "celu", "celu_", "rrelu", "rrelu_", "threshold",
    "threshold_", "hardshrink", "kl_div", "binary_cross_entropy_with_logits", "bilinear",
    "cosine_embedding_loss", "margin_ranking_loss", "hinge_embedding_loss",
    "triplet_margin_loss", "poisson_nll_loss", "ctc_loss", "constant_pad_nd"))


def _lazy(name):
    import importlib
    return importlib.import_module(f".{name}", __name__)


def __getattr__(name):
    # Subpackages load on first use (see _SUBMODULES); the layers below nn/optim never
    # import them.
    if name in _SUBMODULES:
        mod = _lazy(name)
        globals()[name] = mod
        return mod
    if name in ("save", "load"):
        from .core import serialization
        return getattr(serialization, name)
    if name == "summary":
        from .summary import summary
        return summary
    if name in _NN_FORMS:
        from .nn import _torch_forms
        return getattr(_torch_forms, name)
    raise AttributeError(f"module 'disttrain' has no attribute '{name}'")
