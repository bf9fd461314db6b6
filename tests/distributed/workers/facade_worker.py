"""Every collective of disttrain.distributed on each rank of one job (see test_facade.py)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from _common import Recorder, check, raises  # noqa: E402

import disttrain as torch  # noqa: E402
import disttrain.distributed as dist  # noqa: E402
from disttrain.distributed import ReduceOp  # noqa: E402

dist.init_process_group(backend="nccl")     # an alias of the ZeroMQ backend
R, W = dist.get_rank(), dist.get_world_size()
record = Recorder(sys.argv[1], R)


def equal(t, want, what):
    got = t.tolist() if hasattr(t, "tolist") else t
    check(got == want, f"{what}: got {got}, expected {want}")


@record
def environment():
    check(dist.is_initialized() and dist.get_backend() == "zmq", "backend")
    check(W == 4 and dist.get_local_rank() == R and dist.get_local_world_size() == 4, "env")
    check(dist.get_node_local_rank() == R, "get_node_local_rank")


@record
def all_reduce_ops():
    for op, want in ((ReduceOp.SUM, 10.0), (ReduceOp.MAX, 4.0), (ReduceOp.MIN, 1.0),
                     (ReduceOp.PRODUCT, 24.0), (ReduceOp.AVG, 2.5)):
        t = torch.full((2, 3), float(R + 1))
        check(dist.all_reduce(t, op=op) is None, "sync all_reduce returns None")
        equal(t, [[want] * 3] * 2, f"all_reduce {op}")
    t = torch.arange(4) * (R + 1)              # int64, in place, async
    work = dist.all_reduce(t, async_op=True)
    check(work.wait() is True and work.is_completed(), "Work.wait")
    equal(t, [0, 10, 20, 30], "async int64 all_reduce")
    fut = dist.all_reduce(torch.ones(2), async_op=True).get_future()
    equal(fut.then(lambda f: f.value()[0] * 2).wait(), [8.0, 8.0], "future.then")


@record
def broadcast_and_reduce():
    t = torch.full((3,), float(R))
    dist.broadcast(t, src=2)
    equal(t, [2.0, 2.0, 2.0], "broadcast from 2")
    t = torch.full((2,), float(R))
    dist.reduce(t, dst=1)
    if R == 1:
        equal(t, [6.0, 6.0], "reduce onto 1")


@record
def gathers_and_scatters():
    out = [torch.zeros(2) for _ in range(W)]
    dist.all_gather(out, torch.tensor([R, 10.0 * R]))
    equal([o.tolist() for o in out], [[r, 10.0 * r] for r in range(W)], "all_gather")
    big = torch.zeros(W * 2)
    dist.all_gather_into_tensor(big, torch.tensor([R, -R], dtype=torch.float32))
    equal(big, [0.0, 0.0, 1.0, -1.0, 2.0, -2.0, 3.0, -3.0], "all_gather_into_tensor")
    mine = torch.zeros(2)
    dist.reduce_scatter(mine, [torch.full((2,), float(q + R)) for q in range(W)])
    equal(mine, [4.0 * R + 6] * 2, "reduce_scatter")
    mine = torch.zeros(1)
    dist.reduce_scatter_tensor(mine, torch.arange(W, dtype=torch.float32))
    equal(mine, [4.0 * R], "reduce_scatter_tensor")
    got = [torch.zeros(1) for _ in range(W)] if R == 3 else None
    dist.gather(torch.tensor([R * 1.5]), got, dst=3)
    if R == 3:
        equal([g.item() for g in got], [0.0, 1.5, 3.0, 4.5], "gather")
    t = torch.zeros(2)
    dist.scatter(t, [torch.full((2,), q * 7.0) for q in range(W)] if R == 0 else None, src=0)
    equal(t, [R * 7.0] * 2, "scatter")
    dist.barrier()


@record
def all_to_alls():
    # rank R sends q + 1 rows [R, q, i] to rank q; so receives R + 1 rows from each rank
    ins = [torch.tensor([[R, q, i] for i in range(q + 1)], dtype=torch.float32)
           for q in range(W)]
    outs = [torch.zeros(R + 1, 3) for _ in range(W)]
    check(dist.all_to_all(outs, ins) is None, "all_to_all returns None")
    equal([o.tolist() for o in outs], [[[q, R, i] for i in range(R + 1)] for q in range(W)],
          "all_to_all")
    x = torch.arange(W * 2, dtype=torch.int64) + 100 * R      # 2 rows to every rank
    y = torch.zeros(W * 2, dtype=torch.int64)
    work = dist.all_to_all_single(y, x, async_op=True)
    work.wait()
    equal(y, [100 * q + 2 * R + k for q in range(W) for k in range(2)], "all_to_all_single")
    send = [q for q in range(W)]                              # q rows to rank q
    x = torch.cat([torch.full((q, 2), float(10 * R + q)) for q in range(W)])
    y = torch.zeros(R * W, 2)
    dist.all_to_all_single(y, x, output_split_sizes=[R] * W, input_split_sizes=send)
    equal(y[:, 0], [float(10 * q + R) for q in range(W) for _ in range(R)],
          "all_to_all_single with splits")


@record
def batched_point_to_point_and_objects():
    # a ring in both directions, the receives listed first (they must not block the sends)
    left, right = (R - 1) % W, (R + 1) % W
    from_left, from_right = torch.zeros(3), torch.zeros(3)
    ops = [dist.P2POp(dist.irecv, from_left, left), dist.P2POp(dist.irecv, from_right, right),
           dist.P2POp(dist.isend, torch.full((3,), float(R)), right),
           dist.P2POp(dist.isend, torch.full((3,), float(-R)), left)]
    for work in dist.batch_isend_irecv(ops):
        work.wait()
    equal(from_left, [float(left)] * 3, "batch_isend_irecv from the left")
    equal(from_right, [float(-right)] * 3, "batch_isend_irecv from the right")
    if R == 0:
        dist.send_object_list([{"step": 7}, (1, "two"), torch.arange(3)], dst=2)
    elif R == 2:
        got = [None, None, None]
        check(dist.recv_object_list(got, src=0) == 0, "recv_object_list returns src")
        check(got[0] == {"step": 7} and got[1] == (1, "two") and got[2].tolist() == [0, 1, 2],
              f"recv_object_list: {got}")
    dist.barrier()


@record
def point_to_point():
    if R % 2 == 0:
        dist.send(torch.tensor([R, R + 0.5]), dst=R + 1, tag=3)
    else:
        t = torch.zeros(2)
        check(dist.recv(t, src=R - 1, tag=3) == R - 1, "recv returns the source")
        equal(t, [R - 1, R - 0.5], "recv")
    if R == 0:
        w = dist.isend(torch.ones(3), dst=3)
        w.wait()
    elif R == 3:
        t = torch.zeros(3)
        dist.irecv(t, src=0).wait()
        equal(t, [1.0, 1.0, 1.0], "irecv")


@record
def object_collectives():
    objs = [None] * W
    dist.all_gather_object(objs, {"rank": R, "pair": (R, "x"), "t": torch.tensor([R])})
    check([o["rank"] for o in objs] == list(range(W)), "all_gather_object ranks")
    check(objs[2]["pair"] == (2, "x") and objs[3]["t"].tolist() == [3], "types survive")
    lst = [R, "from", {"k": R}] if R == 1 else [None, None, None]
    dist.broadcast_object_list(lst, src=1)
    check(lst == [1, "from", {"k": 1}], f"broadcast_object_list: {lst}")
    got = [None] * W if R == 0 else None
    dist.gather_object(R * R, got, dst=0)
    if R == 0:
        check(got == [0, 1, 4, 9], f"gather_object: {got}")
    out = [None]
    dist.scatter_object_list(out, [f"to {q}" for q in range(W)] if R == 2 else None, src=2)
    check(out == [f"to {R}"], f"scatter_object_list: {out}")


@record
def subgroups():
    evens = dist.new_group([0, 2])
    if R in (0, 2):
        check(dist.get_world_size(evens) == 2 and dist.get_rank(evens) == R // 2, "members")
        check(dist.get_process_group_ranks(evens) == [0, 2], "group ranks")
        t = torch.tensor([float(R)])
        dist.all_reduce(t, group=evens)
        equal(t, [2.0], "subgroup all_reduce")
        t = torch.tensor([float(R)])
        dist.broadcast(t, src=2, group=evens)          # src is a global rank
        equal(t, [2.0], "subgroup broadcast")
    else:
        check(evens is dist.GroupMember.NON_GROUP_MEMBER, "non-member sentinel")
        check(dist.get_rank(evens) == -1 and dist.get_world_size(evens) == -1, "non-member")
        t = torch.tensor([5.0])
        check(dist.all_reduce(t, group=evens) is None, "non-member all_reduce")
        equal(t, [5.0], "non-member tensor untouched")


@record
def errors_name_the_problem():
    raises(ValueError, ["one array per rank (4)"],
           lambda: dist.all_gather([torch.zeros(2)], torch.zeros(2)),
           "all_gather with a short list")
    raises(ValueError, ["Invalid ``op``"],
           lambda: dist.P2POp(dist.send, torch.zeros(1), 0), "P2POp with a blocking send")
    raises(ValueError, ["input_split_sizes [1, 1] must be 4 non-negative sizes"],
           lambda: dist.all_to_all_single(torch.zeros(4), torch.zeros(4), None, [1, 1]),
           "all_to_all_single with a short split")
    raises(ValueError, ["dim 0 (3) is not divisible by the world size (4)"],
           lambda: dist.all_to_all_single(torch.zeros(4), torch.zeros(3)),
           "all_to_all_single with uneven rows")
    raises(ValueError, ["global rank 7 is not part of the group"],
           lambda: dist.broadcast(torch.zeros(1), src=7), "broadcast from rank 7")


dist.barrier()
dist.destroy_process_group()
check(not dist.is_initialized(), "destroyed")
