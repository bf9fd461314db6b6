"""``disttrain.backends.mkl``: whether numpy's BLAS is Intel MKL."""
__all__ = ["is_available"]


def is_available():
    """Whether numpy is linked against Intel MKL (it usually uses OpenBLAS)."""
    import numpy as np
    try:
        cfg = np.show_config(mode="dicts")
    except TypeError:       # numpy < 1.26 prints only
        return False
    blas = cfg.get("Build Dependencies", {}).get("blas", {})
    return "mkl" in str(blas.get("name", "")).lower()
