"""``disttrain.backends.cuda``: GPU math settings.

disttrain's GPU arrays are cupy's; matrix products run in the precision of their dtype.
``matmul.allow_tf32`` is tied to ``disttrain.set_float32_matmul_precision`` as in PyTorch
(True means "high"), but neither changes how cupy multiplies: float32 products stay full
float32. The reduced-precision-reduction flags and the attention-kernel switches are kept for
programs that set them and likewise have no effect (``scaled_dot_product_attention`` has one
implementation here).
"""
__all__ = ["is_built", "matmul", "cuBLASModule", "enable_flash_sdp", "flash_sdp_enabled",
           "enable_mem_efficient_sdp", "mem_efficient_sdp_enabled", "enable_math_sdp",
           "math_sdp_enabled", "enable_cudnn_sdp", "cudnn_sdp_enabled",
           "preferred_linalg_library", "preferred_blas_library"]


def is_built():
    """Whether GPU support is installed: whether cupy can be imported (a GPU may still be
    absent; see ``disttrain.cuda.is_available``)."""
    from ..core.device import cupy_installed
    return cupy_installed()


class cuBLASModule:
    """``matmul``: ``allow_tf32``, ``allow_fp16_reduced_precision_reduction``,
    ``allow_bf16_reduced_precision_reduction`` (settings only, see the module)."""

    _flags = {"allow_fp16_reduced_precision_reduction": True,
              "allow_bf16_reduced_precision_reduction": True,
              "allow_fp16_accumulation": False}

    def __getattr__(self, name):
        if name == "allow_tf32":
            from ..core.flags import get_float32_matmul_precision
            return get_float32_matmul_precision() != "highest"
        if name in self._flags:
            return self._flags[name]
        raise AttributeError(f"Unknown attribute {name}")

    def __setattr__(self, name, value):
        if name == "allow_tf32":
            from ..core.flags import set_float32_matmul_precision
            set_float32_matmul_precision("high" if value else "highest")
        elif name in self._flags:
            self._flags[name] = bool(value)
        else:
            raise AttributeError(f"Unknown attribute {name}")


matmul = cuBLASModule()
_sdp = {"flash": True, "mem_efficient": True, "math": True, "cudnn": True}


def _switch(kind):
    def enable(enabled):
        _sdp[kind] = bool(enabled)

    def query():
        return _sdp[kind]
    enable.__doc__ = f"Record whether the {kind} attention kernel may be used (no effect here)."
    query.__doc__ = f"Whether the {kind} attention kernel is switched on (no effect here)."
    return enable, query


enable_flash_sdp, flash_sdp_enabled = _switch("flash")
enable_mem_efficient_sdp, mem_efficient_sdp_enabled = _switch("mem_efficient")
enable_math_sdp, math_sdp_enabled = _switch("math")
enable_cudnn_sdp, cudnn_sdp_enabled = _switch("cudnn")
_libs = {"linalg": "default", "blas": "default"}


def preferred_linalg_library(backend=None):
    """The linear-algebra library for GPU matrices: cupy's (cuSOLVER); ``backend`` is
    recorded and returned but not acted on."""
    if backend is not None:
        _libs["linalg"] = str(backend)
    return _libs["linalg"]


def preferred_blas_library(backend=None):
    """The BLAS for GPU matrices: cupy's (cuBLAS); ``backend`` is recorded and returned but not
    acted on."""
    if backend is not None:
        _libs["blas"] = str(backend)
    return _libs["blas"]
