"""Devices: device objects, disttrain.cuda, the clear error without a GPU, and (on a machine
with cupy and a GPU) tensors, ops, backward and memory statistics on 'cuda'."""
import numpy as np
import pytest

import disttrain
from tests.core.conftest import raises

needs_gpu = pytest.mark.skipif(not disttrain.cuda.is_available(),
                               reason="needs a CUDA GPU (cupy)")
no_gpu = pytest.mark.skipif(disttrain.cuda.is_available(),
                            reason="checks the behaviour without a GPU")


# ------------------------------------------------------------------ device objects
@pytest.mark.parametrize("args, rep, text, typ, index", [
    (("cpu",), "device(type='cpu')", "cpu", "cpu", None),
    (("cuda",), "device(type='cuda')", "cuda", "cuda", None),
    (("cuda:0",), "device(type='cuda', index=0)", "cuda:0", "cuda", 0),
    (("cuda", 1), "device(type='cuda', index=1)", "cuda:1", "cuda", 1),
    ((disttrain.device("cuda:2"),), "device(type='cuda', index=2)", "cuda:2", "cuda", 2)])
def test_device_objects(args, rep, text, typ, index):
    """device(...) parses like PyTorch's and prints the same repr and str."""
    d = disttrain.device(*args)
    assert (repr(d), str(d), d.type, d.index) == (rep, text, typ, index)


def test_device_equality_and_hash():
    """Devices compare equal to equal devices and to their string; they can key a dict."""
    assert disttrain.device("cpu") == "cpu" and disttrain.device("cuda:0") == "cuda:0"
    assert disttrain.device("cuda") != disttrain.device("cuda:0")
    assert len({disttrain.device("cpu"), disttrain.device("cpu")}) == 1
    assert disttrain.ones(2).device == disttrain.device("cpu")
    assert str(disttrain.ones(2).device) == "cpu"


@pytest.mark.parametrize("args, exc, message", [
    (("gpu",), RuntimeError, "Expected one of cpu, cuda device type at start of device "
                             "string: gpu"),
    (("cuda:x",), RuntimeError, "Invalid device string: 'cuda:x'"),
    (("cuda:0", 1), RuntimeError, "type (string) must not include an index because index was "
                                  "passed explicitly: cuda:0"),
    (("cuda", -1), RuntimeError, "Device index must not be negative")])
def test_device_errors(args, exc, message):
    """Malformed device strings raise PyTorch's errors."""
    with raises(exc, message):
        disttrain.device(*args)


def test_cpu_tensors_everywhere():
    """device='cpu' (str or device) is accepted by factories, to() and the like forms."""
    cpu = disttrain.device("cpu")
    for t in (disttrain.zeros(2, device="cpu"), disttrain.ones(2, device=cpu),
              disttrain.tensor([1.], device=cpu), disttrain.randn(2, device="cpu"),
              disttrain.arange(3, device=cpu), disttrain.ones(2).to(cpu),
              disttrain.ones_like(disttrain.ones(1), device="cpu")):
        assert t.device == cpu and not t.is_cuda and t.get_device() == -1
    x = disttrain.ones(2)
    assert x.cpu() is x and x.to("cpu") is x


# ------------------------------------------------------------------ without a GPU
NO_CUDA = "CUDA is not available: "


@no_gpu
def test_cuda_queries_without_gpu():
    """Without a GPU: not available, no devices, zero memory statistics."""
    assert disttrain.cuda.is_available() is False
    assert disttrain.cuda.device_count() == 0
    assert disttrain.cuda.memory_allocated() == 0
    assert disttrain.cuda.max_memory_allocated() == 0
    assert disttrain.cuda.memory_reserved() == 0
    disttrain.cuda.reset_peak_memory_stats()
    disttrain.cuda.synchronize()
    disttrain.cuda.empty_cache()


@no_gpu
@pytest.mark.parametrize("make", [
    lambda: disttrain.ones(2).cuda(), lambda: disttrain.ones(2).to("cuda"),
    lambda: disttrain.ones(2).to(disttrain.device("cuda:1")),
    lambda: disttrain.zeros(2, device="cuda"), lambda: disttrain.randn(2, device="cuda"),
    lambda: disttrain.tensor([1.], device="cuda:0"), lambda: disttrain.cuda.set_device(0),
    lambda: disttrain.cuda.current_device()],
    ids=["cuda()", "to('cuda')", "to(device)", "zeros", "randn", "tensor", "set_device",
         "current_device"])
def test_asking_for_cuda_without_gpu_is_a_clear_error(make):
    """Every way of asking for a GPU says why there is none and what to do."""
    with pytest.raises(RuntimeError, match=f"^{NO_CUDA}") as info:
        make()
    assert "or keep tensors on 'cpu'" in str(info.value)


@no_gpu
def test_seed_guarded_cuda_block_is_skipped():
    """The tutorials' 'if torch.cuda.is_available():' blocks simply do not run."""
    ran = False
    if disttrain.cuda.is_available():
        ran = True
    device = "cuda" if disttrain.cuda.is_available() else "cpu"
    assert not ran and disttrain.ones(2).to(device).device == disttrain.device("cpu")


# ------------------------------------------------------------------ with a GPU
@needs_gpu
def test_move_to_gpu_and_back():
    """to('cuda') puts the data on the GPU; repr says device='cuda:0'; cpu() brings it back."""
    x = disttrain.tensor([0.5, 1.5])
    y = x.to("cuda")
    assert y.is_cuda and y.device == disttrain.device("cuda:0") and y.get_device() == 0
    assert repr(y) == "tensor([0.5000, 1.5000], device='cuda:0')"
    assert y.to("cuda") is y and y.cuda() is y
    back = y.cpu()
    assert not back.is_cuda and back.tolist() == [0.5, 1.5]
    assert repr(y.to("cpu", disttrain.double)) == \
        "tensor([0.5000, 1.5000], dtype=disttrain.float64)"


@needs_gpu
def test_seed_cuda_block():
    """The tutorial: ones_like on the device, x.to(device), z = x + y, z.to('cpu', double)."""
    device = disttrain.device("cuda")
    x = disttrain.tensor([0.8383]) - 1
    y = disttrain.ones_like(x, device=device)
    x = x.to(device)
    z = x + y
    assert repr(z) == "tensor([0.8383], device='cuda:0')"
    assert repr(z.to("cpu", disttrain.double)) == "tensor([0.8383], dtype=disttrain.float64)"


@needs_gpu
def test_factories_on_gpu():
    """Factories and random samplers create on the GPU directly."""
    for t in (disttrain.zeros(2, 3, device="cuda"), disttrain.ones(2, device="cuda:0"),
              disttrain.randn(4, device="cuda"), disttrain.rand(4, device="cuda"),
              disttrain.arange(5, device="cuda"), disttrain.eye(3, device="cuda"),
              disttrain.full((2,), 3., device="cuda"), disttrain.tensor([1, 2], device="cuda")):
        assert t.is_cuda
    disttrain.manual_seed(3)
    a = disttrain.randn(5, device="cuda").cpu().tolist()
    disttrain.manual_seed(3)
    assert disttrain.randn(5).tolist() == a      # one stream for every device


@needs_gpu
def test_ops_and_backward_on_gpu():
    """Ops run on the GPU and backward leaves GPU gradients equal to the CPU ones."""
    xs = np.array([[0.5, -1.0], [2.0, 0.25]], dtype=np.float32)
    grads = []
    for dev in ("cpu", "cuda"):
        x = disttrain.tensor(xs, device=dev, requires_grad=True)
        w = disttrain.tensor(xs.T.copy(), device=dev)
        y = ((x @ w).relu() * x.exp()).sum()
        y.backward()
        assert x.grad.device == disttrain.device(dev)
        grads.append(x.grad.cpu().numpy())
    np.testing.assert_allclose(grads[0], grads[1], rtol=1e-5)
    y = disttrain.ones(2, device="cuda", requires_grad=True) * 2
    assert repr(y) == "tensor([2., 2.], device='cuda:0', grad_fn=<MulBackward0>)"


@needs_gpu
def test_gpu_tensor_to_numpy():
    """numpy() of a GPU tensor asks for cpu() first, as PyTorch does."""
    with raises(TypeError, "can't convert cuda:0 device type tensor to numpy. Use "
                           "Tensor.cpu() to copy the tensor to host memory first."):
        disttrain.ones(2, device="cuda").numpy()
    assert disttrain.ones(2, device="cuda").tolist() == [1., 1.]
    assert disttrain.ones(1, device="cuda").item() == 1.0


@needs_gpu
def test_gradient_moves_back_across_devices():
    """A CPU leaf used on the GPU gets its gradient back on the CPU."""
    x = disttrain.tensor([1., 2.], requires_grad=True)
    (x.cuda() * 3).sum().backward()
    assert not x.grad.is_cuda and x.grad.tolist() == [3., 3.]


@needs_gpu
def test_memory_statistics():
    """memory_allocated grows with tensors and falls when they go; the peak remembers."""
    disttrain.cuda.synchronize()
    base = disttrain.cuda.memory_allocated()
    disttrain.cuda.reset_peak_memory_stats()
    x = disttrain.empty(1024, 1024, device="cuda")          # 4 MiB of float32
    assert disttrain.cuda.memory_allocated() >= base + 4 * 2 ** 20
    del x
    assert disttrain.cuda.memory_allocated() < base + 4 * 2 ** 20
    assert disttrain.cuda.max_memory_allocated() >= base + 4 * 2 ** 20
    assert disttrain.cuda.memory_reserved() >= disttrain.cuda.memory_allocated()
    disttrain.cuda.reset_peak_memory_stats()
    assert disttrain.cuda.max_memory_allocated() < base + 4 * 2 ** 20


@needs_gpu
def test_set_device_and_count():
    """set_device chooses the GPU that 'cuda' means; bad ordinals are refused."""
    n = disttrain.cuda.device_count()
    assert n >= 1 and disttrain.cuda.current_device() == 0
    disttrain.cuda.set_device(0)
    assert disttrain.ones(1, device="cuda").device == disttrain.device("cuda:0")
    with pytest.raises(RuntimeError, match="invalid device ordinal"):
        disttrain.cuda.set_device(n)


def test_cuda_rng_state_is_the_one_generators(monkeypatch):
    """Checkpoint code saves ``cuda.get_rng_state_all()`` beside the CPU state: without a GPU
    the list is empty and restoring it does nothing (as in PyTorch); with GPUs each entry is
    the one generator's state, and restoring it restores the draws."""
    assert disttrain.cuda.get_rng_state_all() == [] or disttrain.cuda.is_available()
    if not disttrain.cuda.is_available():
        disttrain.cuda.set_rng_state_all([])
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            disttrain.cuda.get_rng_state()
        with pytest.raises(RuntimeError, match="CUDA is not available"):
            disttrain.cuda.initial_seed()
        monkeypatch.setattr(disttrain.cuda, "is_available", lambda: True)
        monkeypatch.setattr(disttrain.cuda, "device_count", lambda: 2)
    disttrain.manual_seed(5)
    states = disttrain.cuda.get_rng_state_all()
    assert len(states) == disttrain.cuda.device_count()
    assert states[0].tolist() == disttrain.get_rng_state().tolist()
    first = disttrain.rand(4).tolist()
    disttrain.cuda.set_rng_state_all(states)
    assert disttrain.rand(4).tolist() == first
    disttrain.cuda.set_rng_state(states[0], "cuda:1")
    assert disttrain.rand(4).tolist() == first and disttrain.cuda.initial_seed() == 5


@needs_gpu
def test_stft_round_trip_on_gpu():
    """stft/istft build their padding and overlap-add indices on the signal's device."""
    x = disttrain.randn(2, 64, dtype=disttrain.float64)
    w = disttrain.hann_window(16, dtype=disttrain.float64)
    spec = disttrain.stft(x.to("cuda"), 16, 4, window=w.to("cuda"), return_complex=True)
    assert spec.is_cuda
    back = disttrain.istft(spec, 16, 4, window=w.to("cuda"), length=64)
    np.testing.assert_allclose(back.cpu().numpy(), x.numpy(), atol=1e-12)


def test_gpu_out_of_memory_is_torch_cuda_out_of_memory_error(monkeypatch):
    """The allocator every GPU array passes through turns cupy's out-of-memory error into
    ``disttrain.cuda.OutOfMemoryError`` (PyTorch's ``torch.cuda.OutOfMemoryError``), so a
    program's ``except torch.cuda.OutOfMemoryError`` catches it; here cupy's pool is a
    stand-in that runs out, so the check runs without a GPU."""
    import types
    from disttrain.core import device as dev

    class CupyOOM(MemoryError):                    # cupy.cuda.memory.OutOfMemoryError
        pass

    class Pool:
        def malloc(self, size):
            raise CupyOOM(f"Out of memory allocating {size:,} bytes")

        def used_bytes(self):
            return 3 << 20

        def total_bytes(self):
            return 5 << 20

    fake = types.SimpleNamespace(cuda=types.SimpleNamespace(
        memory=types.SimpleNamespace(OutOfMemoryError=CupyOOM)))
    monkeypatch.setattr(dev, "_cupy", fake)
    tracker = dev._PeakTracker(Pool())
    with pytest.raises(disttrain.cuda.OutOfMemoryError,
                       match=r"^CUDA out of memory\. Tried to allocate 20\.00 MiB\. 3\.00 MiB "
                             r"is allocated by tensors and 5\.00 MiB reserved") as info:
        tracker.malloc(20 << 20)
    assert isinstance(info.value.__cause__, CupyOOM)
    assert disttrain.OutOfMemoryError is disttrain.cuda.OutOfMemoryError
    assert issubclass(disttrain.cuda.OutOfMemoryError, (RuntimeError, MemoryError))
