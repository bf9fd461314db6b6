"""``disttrain.version``: the library version, in PyTorch's ``torch.version`` layout."""
__all__ = ["__version__", "cuda", "hip", "debug", "git_version"]

__version__ = "0.1.0"
#: disttrain is pure Python: it is built against no CUDA or ROCm toolkit (it uses cupy's)
cuda = None
hip = None
debug = False
git_version = "unknown"
