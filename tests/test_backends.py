"""disttrain.backends, disttrain.accelerator and the disttrain.cuda queries: truthful answers.

Without a GPU they answer as a CPU-only PyTorch; with one, from cupy.
"""
import pytest

import disttrain as torch
import disttrain.backends.cudnn
import disttrain.backends.cuda
from disttrain import accelerator, backends, cuda

GPU = cuda.is_available()
needs_gpu = pytest.mark.skipif(not GPU, reason="needs a CUDA GPU and cupy")
no_gpu = pytest.mark.skipif(GPU, reason="checks the answers on a machine without a GPU")


def test_backends_are_importable_submodules():
    import disttrain.backends.mps
    import disttrain.backends.mkldnn
    import disttrain.backends.openmp
    import disttrain.backends.opt_einsum
    assert torch.backends is backends and backends.cudnn is disttrain.backends.cudnn


def test_libraries_disttrain_does_not_use_are_unavailable():
    assert backends.cudnn.is_available() is False and backends.cudnn.version() is None
    assert backends.mps.is_available() is False and backends.mps.is_built() is False
    assert backends.mkldnn.is_available() is False
    assert backends.openmp.is_available() is False
    assert backends.opt_einsum.is_available() is False
    assert backends.cpu.get_cpu_capability() in ("DEFAULT", "AVX2", "AVX512")
    assert backends.mkl.is_available() in (True, False)


def test_cudnn_flags_have_pytorchs_defaults_and_can_be_set():
    c = backends.cudnn
    assert (c.enabled, c.benchmark, c.deterministic, c.allow_tf32) == (True, False, False, True)
    c.benchmark = True
    try:
        assert torch.backends.cudnn.benchmark is True
    finally:
        c.benchmark = False
    with c.flags(enabled=False, deterministic=True):
        assert (c.enabled, c.deterministic) == (False, True)
    assert (c.enabled, c.deterministic) == (True, False)


def test_matmul_flags_follow_float32_matmul_precision():
    m = backends.cuda.matmul
    assert torch.get_float32_matmul_precision() == "highest" and m.allow_tf32 is False
    assert m.allow_fp16_reduced_precision_reduction is True
    try:
        torch.set_float32_matmul_precision("high")
        assert m.allow_tf32 is True
        m.allow_tf32 = False
        assert torch.get_float32_matmul_precision() == "highest"
        m.allow_tf32 = True
        assert torch.get_float32_matmul_precision() == "high"
    finally:
        torch.set_float32_matmul_precision("highest")
    with pytest.raises(AttributeError, match="Unknown attribute foo"):
        m.foo
    with pytest.raises(AttributeError, match="Unknown attribute foo"):
        m.foo = 1
    with pytest.warns(UserWarning, match="foo is not one of 'highest', 'high', or 'medium'"):
        torch.set_float32_matmul_precision("foo")
    assert torch.get_float32_matmul_precision() == "highest"
    backends.cuda.enable_flash_sdp(False)
    assert backends.cuda.flash_sdp_enabled() is False
    backends.cuda.enable_flash_sdp(True)


@no_gpu
def test_accelerator_without_gpu_answers_as_cpu_only_pytorch():
    assert accelerator.is_available() is False
    assert accelerator.current_accelerator() is None and accelerator.device_count() == 0
    for fn in (accelerator.current_device_index, accelerator.synchronize,
               lambda: accelerator.set_device_index(0)):
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none "
                                               "is available."):
            fn()


@no_gpu
def test_cuda_queries_without_gpu():
    assert cuda.is_available() is False and cuda.device_count() == 0
    assert cuda.is_bf16_supported() is False and cuda.is_initialized() is False
    assert cuda.get_arch_list() == []
    for fn in (cuda.get_device_name, cuda.get_device_capability, cuda.get_device_properties,
               cuda.mem_get_info, cuda.init):
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            fn()
    for fn in (cuda.Event, cuda.Stream, cuda.current_stream, cuda.default_stream):
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            fn()
    with cuda.device(None), cuda.stream(None):  # nothing asked for: nothing happens, as in
        pass                                     # PyTorch
    assert cuda.memory_allocated() == 0 and cuda.max_memory_allocated() == 0
    assert backends.cuda.is_built() in (True, False)


@needs_gpu
def test_accelerator_and_cuda_queries_with_gpu():
    assert accelerator.is_available() and accelerator.device_count() == cuda.device_count()
    assert accelerator.current_accelerator() == torch.device("cuda")
    assert accelerator.current_device_index() == cuda.current_device()
    accelerator.set_device_index(0)
    accelerator.synchronize()
    name = cuda.get_device_name(0)
    assert isinstance(name, str) and name
    major, minor = cuda.get_device_capability()
    assert major >= 3 and minor >= 0
    props = cuda.get_device_properties(0)
    assert props.total_memory > 0 and props.multi_processor_count > 0
    free, total = cuda.mem_get_info()
    assert 0 < free <= total == props.total_memory
    assert cuda.is_bf16_supported() and backends.cuda.is_built()
    with cuda.device(0):
        assert torch.zeros(1, device="cuda").device == torch.device("cuda", 0)
    assert torch.version.cuda is not None and torch.version.cuda.count(".") == 1
    x = torch.ones(3, device="cuda")
    assert x.is_shared() and x.is_cuda and not x.is_cpu


@needs_gpu
def test_streams_and_events_with_gpu():
    start, end = cuda.Event(enable_timing=True), cuda.Event(enable_timing=True)
    s = cuda.Stream()
    with cuda.stream(s):
        assert cuda.current_stream() == s
        start.record()
        x = torch.ones(1000, device="cuda") * 2
        end.record()
    assert cuda.current_stream() != s
    end.synchronize()
    assert end.query() and start.elapsed_time(end) >= 0.0
    s.synchronize()
    assert s.query() and float(x.sum()) == 2000.0
    cuda.default_stream().wait_stream(s)
