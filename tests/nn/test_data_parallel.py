"""nn.DataParallel: the wrapped module's forward, parameters and state_dict, as PyTorch's
DataParallel on a machine without a GPU (and the whole batch on device_ids[0] with one)."""
import pytest

import disttrain as torch
from disttrain import nn

NO_GPU = not torch.cuda.is_available()


class _Scale(nn.Module):
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(3, 2)
        self.register_buffer("offset", torch.tensor([1.0, -1.0]))

    def forward(self, x, factor=1.0):
        return self.lin(x) * factor + self.offset


def test_import_paths_and_repr():
    """nn.DataParallel is nn.parallel.DataParallel and prints PyTorch's repr."""
    dp = nn.DataParallel(nn.Linear(2, 3))
    assert nn.DataParallel is nn.parallel.DataParallel
    assert type(dp).__module__ == "disttrain.nn.parallel.data_parallel"
    assert repr(dp) == ("DataParallel(\n"
                        "  (module): Linear(in_features=2, out_features=3, bias=True)\n)")


@pytest.mark.skipif(not NO_GPU, reason="checks the behaviour on a machine without a GPU")
@pytest.mark.parametrize("device_ids", [None, [0], [0, 1]])
def test_without_gpu_runs_the_module(device_ids):
    """Without a GPU device_ids is [] and the call is the module's, args and kwargs alike."""
    torch.manual_seed(0)
    inner = _Scale()
    dp = nn.DataParallel(inner, device_ids=device_ids)
    assert dp.device_ids == [] and dp.module is inner
    x = torch.randn(4, 3)
    assert torch.equal(dp(x, factor=2.0), inner(x, factor=2.0))
    assert torch.equal(dp(x, 3.0), inner(x, 3.0))


def test_parameters_buffers_and_state_dict():
    """The wrapper owns exactly the module's tensors, named with a 'module.' prefix."""
    inner = _Scale()
    dp = nn.DataParallel(inner)
    assert [id(p) for p in dp.parameters()] == [id(p) for p in inner.parameters()]
    assert list(dp.state_dict()) == ["module.offset", "module.lin.weight", "module.lin.bias"]
    fresh = nn.DataParallel(_Scale())
    assert str(fresh.load_state_dict(dp.state_dict())) == "<All keys matched successfully>"
    assert torch.equal(fresh.module.lin.weight, inner.lin.weight)


def test_gradients_reach_the_module():
    """backward through the wrapper fills the wrapped module's .grad, as for the bare module."""
    torch.manual_seed(0)
    inner = _Scale()
    x = torch.randn(5, 3, dtype=torch.float32)
    nn.DataParallel(inner)(x).sum().backward()
    expected = x.sum(dim=0).expand(2, 3)
    assert torch.allclose(inner.lin.weight.grad, expected)
    assert inner.lin.bias.grad.tolist() == [5.0, 5.0]


@pytest.mark.skipif(NO_GPU, reason="needs a GPU (cupy) to place the module on cuda:0")
def test_with_gpu_runs_on_the_first_device():
    """With a GPU the module moves to device_ids[0]; CPU inputs follow it there."""
    dp = nn.DataParallel(_Scale(), device_ids=[0])
    out = dp(torch.randn(2, 3))
    assert out.device == torch.device("cuda", 0)
    assert all(p.device == torch.device("cuda", 0) for p in dp.parameters())
