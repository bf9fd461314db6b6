"""``disttrain.backends.cpu``: what the CPU kernels (numpy's) can use."""
__all__ = ["get_cpu_capability"]


def get_cpu_capability():
    """The widest SIMD extension numpy's kernels use here: ``"AVX512"``, ``"AVX2"`` or
    ``"DEFAULT"`` (PyTorch's names)."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__ as feats
    except ImportError:     # numpy < 2
        from numpy.core._multiarray_umath import __cpu_features__ as feats
    if feats.get("AVX512F"):
        return "AVX512"
    if feats.get("AVX2"):
        return "AVX2"
    return "DEFAULT"
