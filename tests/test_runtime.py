"""Process-wide settings and the small torch-level names: threads, determinism, default device,
memory formats, compile/jit/onnx, version, and the type queries."""
import numpy as np
import pytest

import disttrain as torch
from disttrain import nn
from disttrain._runtime import _state
from disttrain.core._blas import openblas_threads
from disttrain.autograd import gradcheck


# ------------------------------------------------------------------------------ threads
def test_set_num_threads_drives_blas():
    before = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        assert torch.get_num_threads() == 1
        torch.set_num_threads(2)
        assert torch.get_num_threads() == 2
    finally:
        torch.set_num_threads(before)


def test_openblas_fallback_without_threadpoolctl():
    found = openblas_threads()
    if found is None:
        pytest.skip("numpy here is not linked against OpenBLAS")
    setter, getter = found
    before = getter()
    try:
        setter(1)
        assert getter() == 1
    finally:
        setter(before)


def test_thread_count_errors_are_pytorchs():
    with pytest.raises(RuntimeError, match="set_num_threads expects a positive integer"):
        torch.set_num_threads(0)
    with pytest.raises(RuntimeError, match="set_num_threads expects an int, but got str"):
        torch.set_num_threads("a")
    with pytest.raises(RuntimeError, match="set_num_interop_threads expects a positive "
                                           "integer"):
        torch.set_num_interop_threads(0)
    torch.set_num_interop_threads(3)
    assert torch.get_num_interop_threads() == 3
    _state["interop_threads"] = None


# ------------------------------------------------------------------------ determinism
def test_deterministic_algorithms_getters_and_setters():
    assert not torch.are_deterministic_algorithms_enabled()
    try:
        torch.use_deterministic_algorithms(True, warn_only=True)
        assert torch.are_deterministic_algorithms_enabled()
        assert torch.is_deterministic_algorithms_warn_only_enabled()
        assert torch.get_deterministic_debug_mode() == 1
        torch.set_deterministic_debug_mode("error")
        assert torch.get_deterministic_debug_mode() == 2
        assert not torch.is_deterministic_algorithms_warn_only_enabled()
        torch.set_deterministic_debug_mode(0)
        assert not torch.are_deterministic_algorithms_enabled()
        with pytest.raises(RuntimeError, match="expected one of `default`, `warn`, `error`, "
                                               "but got foo"):
            torch.set_deterministic_debug_mode("foo")
        with pytest.raises(RuntimeError, match="expected 0, 1, or 2, but got 5"):
            torch.set_deterministic_debug_mode(5)
        with pytest.raises(TypeError, match="argument 'mode' \\(position 1\\) must be bool, "
                                            "not str"):
            torch.use_deterministic_algorithms("x")
    finally:
        torch.use_deterministic_algorithms(False)


# ---------------------------------------------------------------------- default device
def test_default_device_steers_creation_functions():
    assert torch.get_default_device() == torch.device("cpu")
    torch.set_default_device("cpu")
    try:
        assert torch.zeros(2).device == torch.device("cpu")
        assert torch.get_default_device() == torch.device("cpu")
    finally:
        torch.set_default_device(None)
    with torch.device("cpu") as d:
        assert d == torch.device("cpu") and torch.get_default_device() == d
        assert torch.randn(2).device == d and torch.arange(3).device == d
    assert torch.get_default_device() == torch.device("cpu")
    if not torch.cuda.is_available():
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            torch.set_default_device("cuda")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU and cupy")
def test_default_device_cuda():
    torch.set_default_device("cuda")
    try:
        assert torch.get_default_device() == torch.device("cuda", 0)
        for t in (torch.zeros(2), torch.ones(2), torch.tensor([1.0]), torch.randn(2),
                  torch.arange(3), torch.full((2,), 1.5), torch.eye(2)):
            assert t.is_cuda, t
        assert torch.zeros(2, device="cpu").device == torch.device("cpu")
    finally:
        torch.set_default_device(None)
    with torch.device("cuda"):
        assert torch.empty(1).is_cuda
    assert not torch.empty(1).is_cuda


# ------------------------------------------------------------------------ memory formats
def test_memory_formats_print_like_pytorch():
    assert repr(torch.channels_last) == "disttrain.channels_last"
    assert isinstance(torch.preserve_format, torch.memory_format)
    assert str(torch.contiguous_format) == "disttrain.contiguous_format"


def test_channels_last_is_a_real_layout():
    x = torch.arange(120.0).reshape(2, 3, 4, 5)
    y = x.contiguous(memory_format=torch.channels_last)
    assert y.stride() == (60, 1, 15, 3)                 # PyTorch 2.13
    assert not y.is_contiguous() and y.is_contiguous(memory_format=torch.channels_last)
    assert np.array_equal(y.numpy(), x.numpy())
    assert y.contiguous(memory_format=torch.channels_last) is y
    assert y.to(memory_format=torch.contiguous_format).stride() == (60, 20, 5, 1)
    assert y.to(memory_format=torch.preserve_format) is y
    z = torch.ones(2, 3, 4, 5, 6).contiguous(memory_format=torch.channels_last_3d)
    assert z.stride() == (360, 1, 90, 18, 3)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last "
                                           "format"):
        torch.ones(2, 3).contiguous(memory_format=torch.channels_last)
    with pytest.raises(RuntimeError, match="required rank 4 tensor to use channels_last "
                                           "format"):
        torch.ones(2, 3).to(memory_format=torch.channels_last)


def test_channels_last_gradcheck():
    x = torch.tensor(np.random.default_rng(0).standard_normal((1, 2, 2, 3)),
                     requires_grad=True)
    assert gradcheck(lambda t: t.contiguous(memory_format=torch.channels_last) * 2.0, (x,))


def test_module_to_memory_format_converts_4d_tensors():
    m = nn.Conv2d(3, 4, 3).to(memory_format=torch.channels_last)
    assert m.weight.stride() == (27, 1, 9, 3) and m.bias.stride() == (1,)    # PyTorch 2.13
    out = m(torch.ones(1, 3, 5, 5).to(memory_format=torch.channels_last))
    ref = nn.Conv2d(3, 4, 3)
    ref.load_state_dict(m.state_dict())
    np.testing.assert_allclose(out.detach().numpy(), ref(torch.ones(1, 3, 5, 5)).detach().numpy(),
                               rtol=1e-6, atol=1e-6)


def test_tensor_kind_properties_are_false():
    x = torch.ones(2)
    for name in ("is_xpu", "is_sparse", "is_sparse_csr", "is_mps", "is_meta", "is_quantized",
                 "is_mkldnn", "is_nested", "is_ipu", "is_vulkan", "is_hpu", "is_maia",
                 "is_mtia", "is_xla"):
        assert getattr(x, name) is False, name
    assert x.is_cpu is True


# ---------------------------------------------------------------- compile, jit, onnx
def test_compile_returns_its_argument_in_every_form():
    m = nn.Linear(2, 2)
    assert torch.compile(m) is m
    assert torch.compile(m, mode="max-autotune", fullgraph=True, dynamic=False) is m

    def f(x):
        return x + 1

    assert torch.compile(f) is f
    assert torch.compile(backend="eager")(f) is f

    @torch.compile
    def g(x):
        return x * 2

    @torch.compile(mode="reduce-overhead")
    def h(x):
        return x * 3

    assert g(2) == 4 and h(2) == 6


def test_jit_entry_points():
    m = nn.Linear(2, 2)
    x = torch.ones(1, 2)
    assert torch.jit.script(m) is m
    traced = torch.jit.trace(m, (x,))
    assert np.array_equal(traced(x).detach().numpy(), m(x).detach().numpy())
    assert torch.jit.is_scripting() is False and torch.jit.is_tracing() is False

    @torch.jit.ignore
    def a():
        return 1

    @torch.jit.ignore(drop=True)
    def b():
        return 2

    assert a() == 1 and b() == 2 and torch.jit.unused(a) is a and torch.jit.export(a) is a
    assert torch.jit.annotate(list, [1]) == [1]
    assert not isinstance(m, torch.jit.ScriptModule)
    assert torch.jit.Final[int] is not None
    with pytest.raises(NotImplementedError, match="TorchScript archives are not supported"):
        torch.jit.save(m, "model.pt")
    with pytest.raises(NotImplementedError, match="TorchScript archives are not supported"):
        torch.jit.load("model.pt")


def test_onnx_export_raises():
    import disttrain.onnx
    assert disttrain.onnx.is_in_onnx_export() is False
    with pytest.raises(NotImplementedError, match="ONNX export is not supported"):
        disttrain.onnx.export(nn.Linear(2, 2), (torch.ones(1, 2),), "m.onnx")


def test_version():
    assert torch.version.__version__ == torch.__version__
    assert torch.version.cuda is None or isinstance(torch.version.cuda, str)
    assert isinstance(torch.version.git_version, str)


# ------------------------------------------------------------------------ type queries
def test_type_queries_match_pytorch():
    assert torch.is_nonzero(torch.tensor([0.0])) is False
    assert torch.is_nonzero(torch.tensor([[3]])) is True
    assert torch.is_nonzero(torch.tensor(False)) is False
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with no values is "
                                           "ambiguous"):
        torch.is_nonzero(torch.tensor([]))
    with pytest.raises(RuntimeError, match="Boolean value of Tensor with more than one value "
                                           "is ambiguous"):
        torch.is_nonzero(torch.tensor([1, 2]))
    with pytest.raises(TypeError, match="is_nonzero\\(\\): argument 'input' \\(position 1\\) "
                                        "must be Tensor, not int"):
        torch.is_nonzero(1)
    assert torch.is_complex(torch.ones(2)) is False
    with pytest.raises(TypeError, match="is_complex\\(\\): argument 'input'"):
        torch.is_complex(1)
    assert torch.is_floating_point(torch.ones(2)) and not torch.is_floating_point(
        torch.ones(2, dtype=torch.int64))
    assert torch.numel(torch.ones(2, 3)) == 6
    assert torch.is_tensor(torch.ones(1)) and not torch.is_tensor(1)
    assert torch.is_storage(torch.ones(1)) is False


# ------------------------------------------------------------- floating-point warnings
def test_nan_and_inf_arise_silently_as_in_pytorch_and_numpy_keeps_its_warnings():
    """inf * 0, 0 / 0, log(-1), exp overflow give nan/inf without a RuntimeWarning from
    disttrain's code (PyTorch warns of none); the program's own numpy still warns. A fresh
    process, so no earlier warning has been recorded."""
    import subprocess
    import sys
    probe = (
        "import warnings, numpy as np, disttrain as torch\n"
        "with warnings.catch_warnings(record=True) as seen:\n"
        "    x = torch.tensor([float('inf'), -float('inf'), 0.0])\n"
        "    out = [x * 0, x / 0, torch.log(torch.tensor([-1.0, 0.0])),\n"
        "           torch.exp(torch.tensor([1000.0])), torch.nn.functional.leaky_relu(x, 0.0)]\n"
        "    theirs = len(seen)\n"
        "    np.array([1.0]) / 0\n"
        "print(theirs, len(seen) - theirs, [o.tolist() for o in out])\n")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         timeout=120, check=True)
    ours, numpys, values = res.stdout.split(" ", 2)
    assert (ours, numpys) == ("0", "1")
    # PyTorch 2.13 prints the same lists
    assert values.strip() == ("[[nan, nan, 0.0], [inf, -inf, nan], [nan, -inf], [inf], "
                              "[inf, nan, 0.0]]")


# ------------------------------------------------------------------ torch.compiler
def test_compiler_functions_run_everything_eagerly():
    """What PyTorch 2.13 answers outside a compiled region: nothing is compiling or
    exporting, and a disabled function is called as it is."""
    calls = []

    @torch.compiler.disable
    def f(x):
        calls.append(x)
        return x + 1

    @torch.compiler.disable(recursive=False)
    def g(x):
        return x * 2

    assert f(1) == 2 and g(2) == 4 and calls == [1] and f.__name__ == "f"
    assert not (torch.compiler.is_compiling() or torch.compiler.is_dynamo_compiling() or
                torch.compiler.is_exporting())
    model = nn.Linear(2, 1)
    assert torch.compiler.compile(model) is model
    assert torch.compiler.allow_in_graph(f) is f and torch.compiler.assume_constant_result(g) is g
    assert torch.compiler.reset() is None and torch.compiler.cudagraph_mark_step_begin() is None
