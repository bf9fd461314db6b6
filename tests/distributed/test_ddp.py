"""DistributedDataParallel: in one process, and on 4 real ranks over loopback."""
import numpy as np
import pytest

import disttrain as torch
from disttrain import nn, optim
from disttrain.distributed._buckets import assign_buckets
from disttrain.distributed.algorithms.ddp_comm_hooks import default_hooks
from disttrain.nn.parallel import DistributedDataParallel as DDP

from ._procs import Results, run_ranks


def _net():
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2))


class _Branchy(nn.Module):
    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.used = nn.Linear(4, 2)
        self.spare = nn.Linear(4, 2)

    def forward(self, x):
        return self.used(x)


# ---------------------------------------------------------------- one process
def test_state_dict_keys_have_module_prefix(world1):
    """state_dict keys are the module's prefixed with 'module.', as in PyTorch."""
    ddp = DDP(_net())
    assert list(ddp.state_dict()) == ["module.0.weight", "module.0.bias", "module.2.weight",
                                      "module.2.bias"]
    assert isinstance(ddp.module, nn.Sequential)


def test_grads_match_plain_module_and_are_bucket_views(world1):
    """At world size 1 DDP's gradients equal the module's, stored in a flat bucket."""
    ref, ddp = _net(), DDP(_net())
    x = torch.randn(5, 4)
    ref(x).sum().backward()
    ddp(x).sum().backward()
    flat = ddp.reducer.buckets[0].flat
    for p, r in zip(ddp.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad._data, r.grad._data, rtol=0, atol=1e-7)
        assert np.shares_memory(p.grad._data, flat)


def test_bucket_assignment_reverse_order_small_first_bucket():
    """Buckets fill from the last parameter; the first closes at 1 MiB, later ones at the cap."""
    ps = [torch.zeros(n) for n in (300_000, 200_000, 100_000, 50_000)]   # float32: x4 bytes
    buckets = assign_buckets(ps, cap_bytes=2_000_000)
    assert buckets == [[3, 2, 1], [0]]
    assert assign_buckets(ps, cap_bytes=100) == [[3], [2], [1], [0]]


def test_unused_parameter_raises_pytorch_error(world1):
    """A parameter without a gradient gets PyTorch's error naming it (not a hang)."""
    ddp = DDP(_Branchy())
    with pytest.raises(RuntimeError) as info:
        ddp(torch.randn(3, 4)).sum().backward()
    msg = str(info.value)
    assert msg.startswith("Expected to have finished reduction in the prior iteration before "
                          "starting a new one. This error indicates that your module has "
                          "parameters that were not used in producing loss.")
    assert "`find_unused_parameters=True`" in msg
    assert "Parameters which did not receive grad for rank 0: spare.weight, spare.bias" in msg
    assert "Parameter indices which did not receive grad for rank 0: 2 3" in msg


def test_find_unused_parameters_leaves_unused_grad_none(world1):
    """With find_unused_parameters a parameter no rank used keeps grad None, as in PyTorch."""
    ddp = DDP(_Branchy(), find_unused_parameters=True)
    for _ in range(2):
        ddp(torch.randn(3, 4)).sum().backward()
    assert ddp.module.spare.weight.grad is None
    assert ddp.module.used.weight.grad is not None


def test_gradient_outside_forward_marked_twice(world1):
    """A parameter found unused at forward that still gets a gradient raises PyTorch's
    'ready only once' error; the next forward reports the unfinished reduction once."""
    ddp = DDP(_Branchy(), find_unused_parameters=True)
    x = torch.randn(3, 4)
    with pytest.raises(RuntimeError, match=r"^Expected to mark a variable ready only once\. "
                                           r".*Parameter spare\.weight \(index 2\)"):
        (ddp(x).sum() + ddp.module.spare.weight.sum()).backward()
    with pytest.raises(RuntimeError, match="Expected to have finished reduction in the "
                                           "prior iteration"):
        ddp(x)
    ddp(x).sum().backward()               # recovered
    assert ddp.module.used.weight.grad is not None


def test_no_sync_accumulates(world1):
    """Gradients accumulated inside no_sync plus a synced step equal the summed gradients."""
    ref, ddp = _net(), DDP(_net())
    a, b = torch.randn(3, 4), torch.randn(3, 4)
    with ddp.no_sync():
        ddp(a).sum().backward()
    ddp(b).sum().backward()
    (ref(a).sum() + ref(b).sum()).backward()
    for p, r in zip(ddp.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad._data, r.grad._data, rtol=1e-6, atol=1e-6)


def test_second_backward_without_forward_is_local(world1):
    """A backward that no DDP forward armed accumulates locally and does not fail."""
    ddp = DDP(_net())
    out = ddp(torch.randn(3, 4)).sum()
    out.backward(retain_graph=True)
    first = [p.grad._data.copy() for p in ddp.parameters()]
    out.backward()
    for p, g in zip(ddp.parameters(), first):
        np.testing.assert_allclose(p.grad._data, 2 * g, rtol=1e-6)


def test_comm_hook_fp16_and_registration_errors(world1):
    """fp16_compress_hook gives near-exact gradients; a second hook or a non-callable fails."""
    ref, ddp = _net(), DDP(_net())
    ddp.register_comm_hook(None, default_hooks.fp16_compress_hook)
    x = torch.randn(5, 4)
    ref(x).sum().backward()
    ddp(x).sum().backward()
    for p, r in zip(ddp.parameters(), ref.parameters()):
        np.testing.assert_allclose(p.grad._data, r.grad._data, rtol=2e-3, atol=2e-3)
    with pytest.raises(RuntimeError, match="can only be called once"):
        ddp.register_comm_hook(None, default_hooks.allreduce_hook)
    with pytest.raises(TypeError, match="must be callable"):
        DDP(_net()).register_comm_hook(None, 3)


def test_gradient_as_bucket_view_false_keeps_own_grads(world1):
    """With gradient_as_bucket_view=False .grad keeps its own memory and gets the average."""
    ddp = DDP(_net(), gradient_as_bucket_view=False)
    ddp(torch.randn(5, 4)).sum().backward()
    flat = ddp.reducer.buckets[0].flat
    for p in ddp.parameters():
        assert not np.shares_memory(p.grad._data, flat)


def test_training_with_sgd(world1):
    """A DDP model trains like the plain one at world size 1 (SGD with momentum)."""
    ref, ddp = _net(), DDP(_net())
    o1 = optim.SGD(ref.parameters(), lr=0.1, momentum=0.9)
    o2 = optim.SGD(ddp.parameters(), lr=0.1, momentum=0.9)
    x = torch.randn(6, 4)
    for _ in range(3):
        for m, o in ((ref, o1), (ddp, o2)):
            o.zero_grad()
            (m(x) ** 2).mean().backward()
            o.step()
    for p, r in zip(ddp.module.parameters(), ref.parameters()):
        np.testing.assert_allclose(p._data, r._data, rtol=0, atol=1e-6)


def test_construction_errors(world1):
    """No trainable parameter, a non-Module, or CPU device_ids are rejected like PyTorch."""
    frozen = _net().requires_grad_(False)
    with pytest.raises(RuntimeError, match="doesn't have any parameter that requires a "
                                           "gradient"):
        DDP(frozen)
    with pytest.raises(TypeError, match="expects a Module"):
        DDP(lambda x: x)
    with pytest.raises(ValueError, match="device_ids and output_device arguments only work"):
        DDP(_net(), device_ids=[0])


def test_needs_a_process_group():
    """Without init_process_group DDP raises PyTorch's message."""
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        DDP(_net())


# ---------------------------------------------------------------- 4 ranks
@pytest.fixture(scope="module")
def four_ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp")
    return Results(run_ranks("ddp_worker.py", 4, [out], timeout=90), str(out))


@pytest.mark.parametrize("name", [
    "equivalence_sgd_momentum", "equivalence_adam_small_buckets", "grads_are_bucket_views",
    "shape_mismatch_names_parameter", "unused_parameter_errors_on_every_rank",
    "find_unused_parameters_averages_with_zeros", "no_sync_accumulates_then_averages",
    "broadcast_buffers_follow_rank_0", "fp16_compress_hook_close_to_exact",
    "distributed_optimizer_matches_single_process", "zero_matches_adam_and_consolidates",
    "zero_state_memory_falls_with_world_size"])
def test_four_ranks(four_ranks, name):
    """Each check of the 4-rank job passed on every rank (see workers/ddp_worker.py)."""
    four_ranks.check(name)
