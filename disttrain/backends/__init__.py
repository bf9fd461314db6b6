"""``disttrain.backends``: the switches PyTorch programs set on ``torch.backends``.

disttrain computes with numpy on the CPU and cupy on a GPU; it uses neither cuDNN, oneDNN
(mkldnn), MPS nor opt_einsum. Their ``is_available()`` answer False truthfully, and their
settings (``cudnn.benchmark = True``, ...) are kept so that programs which set and read them
run unchanged, but they have no effect here: each flag's documentation says so.
"""
from . import cpu, cuda, cudnn, mkl, mkldnn, mps, openmp, opt_einsum  # noqa: F401

__all__ = ["cpu", "cuda", "cudnn", "mkl", "mkldnn", "mps", "openmp", "opt_einsum"]
