"""``disttrain.version``: the package's version and the GPU toolkit it runs on."""
from . import __version__  # noqa: F401  (one version number, set in the package)
from .core.device import cuda_version as _cuda_version

__all__ = ["__version__", "cuda", "git_version", "hip", "debug"]

cuda = _cuda_version()      # the CUDA runtime cupy uses ("12.4"), None without cupy
git_version = "Unknown"     # not recorded at install time
hip = None
debug = False
