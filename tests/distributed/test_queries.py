"""The queries PyTorch programs branch on before and after init_process_group."""
import warnings

import pytest

import disttrain as torch
import disttrain.distributed as dist


def test_backend_normalises_names_like_pytorch():
    assert dist.Backend("GLOO") == "gloo" and type(dist.Backend("gloo")) is str
    assert dist.Backend("NcCl") == "nccl" and dist.Backend("zmq") == dist.Backend.ZMQ
    assert (dist.Backend.GLOO, dist.Backend.NCCL, dist.Backend.MPI, dist.Backend.UCC,
            dist.Backend.XCCL, dist.Backend.UNDEFINED) == \
        ("gloo", "nccl", "mpi", "ucc", "xccl", "undefined")
    assert dist.Backend("Custom") == "custom"       # unknown names pass through lower-cased
    with pytest.raises(ValueError, match="Backend constructor parameter must be string-ish"):
        dist.Backend(3)


def test_availability_is_what_init_process_group_accepts():
    assert dist.is_gloo_available() and dist.is_nccl_available()
    assert dist.is_mpi_available() and dist.is_ucc_available()
    assert not dist.is_xccl_available()
    for name in ("gloo", "nccl", "zmq", "NCCL", "cpu:gloo,cuda:nccl"):
        assert dist.is_backend_available(name), name
    for name in ("xccl", "foo", "cpu:gloo,cuda:foo"):
        assert not dist.is_backend_available(name), name


def test_default_backend_for_device():
    assert dist.get_default_backend_for_device("cpu") == "zmq"
    assert dist.get_default_backend_for_device(torch.device("cuda", 0)) == "zmq"
    with pytest.raises(RuntimeError):
        dist.get_default_backend_for_device("mps")     # not a disttrain device at all


def test_torchelastic_launched_reads_the_run_id(monkeypatch):
    monkeypatch.delenv("TORCHELASTIC_RUN_ID", raising=False)
    assert dist.is_torchelastic_launched() is False
    monkeypatch.setenv("TORCHELASTIC_RUN_ID", "job-1")
    assert dist.is_torchelastic_launched() is True


def test_reduce_op_is_a_deprecated_alias():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert dist.reduce_op.SUM is dist.ReduceOp.SUM
        assert dist.reduce_op.MAX is dist.ReduceOp.MAX
    assert caught and caught[0].category is FutureWarning
    assert str(caught[0].message) == ("`torch.distributed.reduce_op` is deprecated, please "
                                      "use `torch.distributed.ReduceOp` instead")
    assert dist.supports_complex(dist.ReduceOp.SUM) and not dist.supports_complex(
        dist.ReduceOp.MAX)


def test_group_queries_before_init():
    assert dist.group.WORLD is None and dist.GroupMember.WORLD is None
    assert dist.get_global_rank(None, 3) == 3 and dist.get_group_rank(None, 2) == 2
    with pytest.raises(ValueError, match="Default process group has not been initialized"):
        dist.get_backend()


def test_group_queries_after_init(world1):
    world = dist.group.WORLD
    assert world is not None and dist.GroupMember.WORLD is world
    assert dist.get_backend() == "zmq" and dist.get_backend(world) == dist.Backend.ZMQ
    assert dist.get_process_group_ranks(world) == [0]
    assert dist.get_process_group_ranks(None) == [0]
    assert dist.get_global_rank(world, 0) == 0 and dist.get_group_rank(world, 0) == 0
    assert dist.get_world_size(world) == 1 and dist.get_rank(world) == 0
    assert dist.get_pg_count() == 1
    sub = dist.new_group([0])
    assert dist.get_pg_count() == 2
    assert dist.get_process_group_ranks(sub) == [0] and dist.get_global_rank(sub, 0) == 0
    with pytest.raises(ValueError, match="Group rank 1 is not part of group"):
        dist.get_global_rank(sub, 1)
    with pytest.raises(ValueError, match="Global rank 5 is not part of group"):
        dist.get_group_rank(sub, 5)
    with pytest.raises(ValueError, match="Invalid process group specified"):
        dist.get_backend(dist.GroupMember.NON_GROUP_MEMBER)
    t = torch.ones(2)
    dist.all_reduce(t, group=dist.group.WORLD)
    assert t.tolist() == [1.0, 1.0]


def test_world_is_reset_by_destroy(world1):
    dist.destroy_process_group()
    assert dist.group.WORLD is None and dist.get_pg_count() == 0
    dist.init_process_group("gloo", rank=0, world_size=1)     # the fixture destroys it
