"""disttrain.distributed's torch.distributed interface: one process, and 4 real ranks."""
import numpy as np
import pytest

import disttrain as torch
import disttrain.distributed as dist
from disttrain.distributed import _objects

from ._procs import Results, run_ranks


def test_not_initialized_errors():
    """Before init_process_group the queries raise PyTorch's message."""
    assert dist.is_available() and not dist.is_initialized()
    msg = "Default process group has not been initialized, please make sure to call " \
          "init_process_group."
    for fn in (dist.get_rank, dist.get_world_size, lambda: dist.all_reduce(torch.ones(1))):
        with pytest.raises(ValueError, match=msg):
            fn()


def test_world_of_one_collectives_return_input(world1):
    """Without a launcher the world has one rank and collectives return their input."""
    assert (dist.get_rank(), dist.get_world_size(), dist.get_backend()) == (0, 1, "zmq")
    t = torch.tensor([1.0, 2.0])
    assert dist.all_reduce(t) is None
    assert t.tolist() == [1.0, 2.0]
    dist.broadcast(t, 0)
    out = [torch.zeros(2)]
    dist.all_gather(out, t)
    assert out[0].tolist() == [1.0, 2.0]
    objs = [None]
    dist.all_gather_object(objs, {"a": (1, 2)})
    assert objs == [{"a": (1, 2)}]
    outs = [torch.zeros(2)]
    dist.all_to_all(outs, [t])
    assert outs[0].tolist() == [1.0, 2.0]
    y = torch.zeros(2)
    dist.all_to_all_single(y, t)
    assert y.tolist() == [1.0, 2.0]
    work = dist.all_reduce(t, async_op=True)
    assert work.wait() and work.is_completed()
    assert work.get_future().wait()[0] is t
    dist.barrier()


def test_all_reduce_bumps_version(world1):
    """In-place collectives bump the tensor's version, so autograd sees the change."""
    t = torch.ones(2)
    before = t._version[0]
    dist.all_reduce(t)
    assert t._version[0] == before + 1


def test_init_twice_and_bad_backend(world1):
    """A second init and an unknown backend raise like PyTorch."""
    with pytest.raises(ValueError, match="trying to initialize the default process group "
                                         "twice!"):
        dist.init_process_group()


@pytest.mark.parametrize("kwargs, message", [
    ({"backend": "carrier-pigeon"}, "Invalid backend: 'carrier-pigeon'"),
    ({"init_method": "tcp://127.0.0.1:1234"}, "requires the rank and world_size"),
    ({"init_method": "file:///tmp/x"}, "is not supported"),
    ({"init_method": "tcp://nohost", "rank": 0, "world_size": 1}, "expected 'tcp://host:port'"),
    ({"rank": 3, "world_size": 2}, "Invalid rank 3 for a world of size 2"),
])
def test_init_argument_errors(kwargs, message):
    """Bad init_process_group arguments raise ValueError saying which."""
    with pytest.raises(ValueError, match=message):
        dist.init_process_group(**kwargs)
    assert not dist.is_initialized()


def test_tcp_init_method_world_of_one():
    """init_method='tcp://host:port' with rank and world_size works."""
    dist.init_process_group("gloo", init_method="tcp://127.0.0.1:29999", rank=0, world_size=1)
    try:
        assert dist.get_world_size() == 1
    finally:
        dist.destroy_process_group()


def test_type_errors_name_the_argument(world1):
    """A non-Tensor argument gets PyTorch's 'Invalid function argument' message."""
    with pytest.raises(TypeError, match="Expected parameter `tensor` of type disttrain.Tensor"):
        dist.all_reduce([1.0])
    with pytest.raises(TypeError, match="Expected parameter `tensor_list` of type "
                                        "List\\[disttrain.Tensor\\]"):
        dist.all_gather(torch.ones(1), torch.ones(1))


@pytest.mark.parametrize("obj", [
    None, 3, -2.5, "text", b"\x00\xff", [1, [2, (3, 4)]], {"k": {1: "v"}},
    np.arange(6, dtype=np.int16).reshape(2, 3), np.float32(1.5)])
def test_object_codec_round_trip(obj):
    """Objects cross processes as msgpack (arrays and tuples as extensions), never pickle."""
    back = _objects.unpackb(_objects.packb(obj))
    if isinstance(obj, np.ndarray):
        assert back.dtype == obj.dtype and np.array_equal(back, obj)
    else:
        assert back == obj and type(back) is type(obj)


def test_object_codec_tensor_and_refusal():
    """Tensors travel by value; arbitrary objects are refused instead of pickled."""
    back = _objects.unpackb(_objects.packb({"t": torch.tensor([[1.0, 2.0]])}))
    assert back["t"].tolist() == [[1.0, 2.0]]
    with pytest.raises(TypeError, match="never pickled objects"):
        _objects.packb(object())


@pytest.fixture(scope="module")
def four_ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("facade")
    return Results(run_ranks("facade_worker.py", 4, [out], timeout=60), str(out))


@pytest.mark.parametrize("name", [
    "environment", "all_reduce_ops", "broadcast_and_reduce", "gathers_and_scatters",
    "all_to_alls", "batched_point_to_point_and_objects", "point_to_point", "object_collectives", "subgroups", "errors_name_the_problem"])
def test_four_ranks(four_ranks, name):
    """Each collective check passed on every rank of a 4-rank job (workers/facade_worker.py)."""
    four_ranks.check(name)
