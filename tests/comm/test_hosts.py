"""Collectives and DDP across emulated hosts: 3 network namespaces x 2 ranks.

The hosts are joined by 1 Gbit/s links (see ``_netns``); ranks of one namespace share
memory, ranks of different ones talk tcp. Skipped, with the reason, where namespaces
cannot be made (not root, no iproute2).
"""
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from ._netns import emulated_hosts, netns_command, unavailable
from ._procs import clean_env, free_port

JOB = Path(__file__).with_name("_hosts_job.py")
HOSTS, PER_HOST = 3, 2
NODES = ["node1", "node2", "node3"]   # the hosts' names, resolvable in every namespace


def _run(placement, job, mode, port, timeout=90, envs=None):
    """Run ``job`` with process i in namespace ``placement[i]``; by default with torchrun's
    variables, else with ``envs[i]``."""
    procs = []
    for rank, where in enumerate(placement):
        own = envs[rank] if envs else dict(
            RANK=rank, WORLD_SIZE=len(placement), MASTER_ADDR=placement[0][1],
            MASTER_PORT=port)
        env = clean_env(DISTTRAIN_SECRET="hosts-test", DISTTRAIN_COLLECTIVES=mode, **own)
        procs.append(subprocess.Popen(netns_command(where[0], [sys.executable, str(JOB), job]),
                                      env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True))
    try:
        outs = [p.communicate(timeout=timeout) for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert [p.returncode for p in procs] == [0] * len(procs), [e[-3000:] for _, e in outs]
    return [json.loads(next(ln for ln in out.splitlines() if ln.startswith("RESULT "))[7:])
            for out, _ in outs]


@pytest.fixture(scope="module")
def hosts():
    why = unavailable()
    if why:
        pytest.skip(why)
    try:
        with emulated_hosts(HOSTS, names=NODES) as made:
            yield made
    except RuntimeError as exc:
        pytest.skip(f"cannot make emulated hosts here: {exc}")


def _spread(hosts):
    return [hosts[r // PER_HOST] for r in range(HOSTS * PER_HOST)]


@pytest.fixture(scope="module")
def collectives(hosts):
    return _run(_spread(hosts), "collectives", "auto", free_port())


def test_two_level_chosen_from_the_reported_hosts(collectives):
    """Three hosts of two ranks each: the automatic choice is two-level, shared memory
    within each host."""
    assert [(r["mode"], r["hosts"], r["widest"], r["shm"]) for r in collectives] == \
        [("auto", 3, 2, True)] * 6


def test_only_leaders_connect_across_hosts(collectives):
    """When the group forms, a host's non-leaders hold no connection to another host;
    its leader (lowest rank) holds one to each other leader."""
    assert [r["cross"] for r in collectives] == [[2, 4], [], [0, 4], [], [0, 2], []]


def test_every_collective_matches_numpy_across_hosts(collectives):
    """all_reduce (every op and dtype), broadcast, all_gather, reduce_scatter, barrier,
    gather, scatter, objects, subgroups and point-to-point: numpy's answer on every rank."""
    for rank, result in enumerate(collectives):
        assert not result["failures"], f"rank {rank}: {result['failures']}"
    assert len({r["count"] for r in collectives}) == 1 and collectives[0]["count"] > 200


def test_results_bitwise_identical_on_every_rank(collectives):
    assert all(not r["differ"] for r in collectives), [r["differ"] for r in collectives]


def test_two_level_equals_flat_exactly(collectives):
    """Integer-valued inputs, every collective, small and large: the two-level results
    are the flat ones, bit for bit, on every rank."""
    for result in collectives:
        assert result["exact"]["two_level"] == result["exact"]["flat"]
    shared = [{k: v for k, v in r["exact"]["flat"].items() if "reduce_scatter" not in k}
              for r in collectives]   # a reduce_scatter's result is each rank's own block
    assert all(s == shared[0] for s in shared)


def test_uneven_interleaved_hosts(hosts):
    """Hosts of 2, 2 and 1 ranks whose ranks interleave (0 2 | 1 4 | 3): leaders, padding
    and block order still give exactly the flat results."""
    where = [hosts[0], hosts[1], hosts[0], hosts[2], hosts[1]]
    results = _run(where, "exact", "two_level", free_port())
    assert results[0]["hosts"] == [[0, 2], [1, 4], [3]]
    for result in results:
        assert result["exact"]["two_level"] == result["exact"]["flat"]


def test_even_hosts_sliced_with_and_without_shared_memory(hosts):
    """Two hosts of two ranks placed 0 3 | 1 2, shared memory on the first only: local
    rank i of each host all-reduces slice i across hosts (ranks 0 and 1, then 3 and 2),
    the first host splits and gathers its slices through shared memory, the second over
    sockets, and every result is still exactly the flat one."""
    where = [hosts[0], hosts[1], hosts[1], hosts[0]]
    port = free_port()
    envs = [dict(RANK=r, WORLD_SIZE=4, MASTER_ADDR=hosts[0][1], MASTER_PORT=port,
                 DISTTRAIN_SHM="1" if ns == hosts[0] else "0") for r, ns in enumerate(where)]
    results = _run(where, "exact", "two_level", None, envs=envs)
    assert results[0]["hosts"] == [[0, 3], [1, 2]]
    assert [r["shm"] for r in results] == [True, False, False, True]
    for result in results:
        assert result["exact"]["two_level"] == result["exact"]["flat"]


def test_one_rank_per_host_forced_two_level(hosts):
    """Three hosts of one rank each with ``two_level`` forced: no work within hosts, one
    ring across them; still exactly the flat results."""
    results = _run(hosts, "exact", "two_level", free_port())
    assert results[0]["hosts"] == [[0], [1], [2]]
    for result in results:
        assert result["exact"]["two_level"] == result["exact"]["flat"]


def test_ddp_across_hosts_equals_one_host(hosts):
    """DDP over 3 hosts x 2 ranks (two-level) trains the model that 6 ranks on one host
    do: the same parameters to float32 rounding, identical bits on every rank."""
    spread = _run(_spread(hosts), "train", "auto", free_port())
    single = _run([hosts[0]] * (HOSTS * PER_HOST), "train", "auto", free_port())
    assert len({r["digest"] for r in spread}) == 1
    assert len({r["digest"] for r in single}) == 1
    for a, b in zip(spread[0]["params"], single[0]["params"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)


def test_a_dead_rank_fails_every_rank_of_every_host(hosts):
    """A non-leader of the last host is killed: every rank, also those of other hosts that
    never connected to it, raises PeerError naming it, within seconds (not the timeout)."""
    procs = []
    for rank, where in enumerate(_spread(hosts)):
        env = clean_env(DISTTRAIN_SECRET="hosts-test", RANK=rank, WORLD_SIZE=6,
                        MASTER_ADDR=hosts[0][1], MASTER_PORT=free_port() if rank == 0 else
                        procs[0].port)
        proc = subprocess.Popen(netns_command(where[0], [sys.executable, str(JOB), "loop"]),
                                env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                text=True)
        proc.port = env["MASTER_PORT"]
        procs.append(proc)
    try:
        for p in procs:
            assert p.stdout.readline().strip() == "READY", p.stderr.read()[-2000:]
        procs[5].kill()
        outs = [p.communicate(timeout=40)[0] for p in procs[:5]]
    finally:
        for p in procs:
            p.kill()
    for rank, out in enumerate(outs):
        result = json.loads(out.split("RESULT ", 1)[1])
        assert result["type"] == "PeerError", (rank, result)
        assert "rank 5" in result["error"], (rank, result)
        assert result["took"] < 30, (rank, result)


# -- cluster recipes: the variables each launcher sets, on emulated hosts ------------------

def _check_recipe(results, source, per_host):
    n = len(results)
    assert [r["rank"] for r in results] == list(range(n))
    assert {(r["source"], r["world"], r["sum"], r["hosts"]) for r in results} == \
        {(source, n, n * (n + 1) / 2, HOSTS)}
    assert [r["local_rank"] for r in results] == [i % per_host for i in range(n)]


def test_slurm_srun_across_hosts(hosts):
    """``srun --nodes 3 --ntasks-per-node 2``: rank, world and master (first node of the
    step's node list, by name) and port (from the job id) come from Slurm's variables."""
    envs = [dict(SLURM_PROCID=r, SLURM_NTASKS=6, SLURM_LOCALID=r % 2, SLURM_NODEID=r // 2,
                 SLURM_NTASKS_PER_NODE="2", SLURM_TASKS_PER_NODE="2(x3)",
                 SLURM_STEP_NODELIST="node[1-3]", SLURM_JOB_NODELIST="node[1-3]",
                 SLURM_JOB_ID=str(4000 + free_port() % 5000), SLURMD_NODENAME=NODES[r // 2])
            for r in range(6)]
    job_id = envs[0]["SLURM_JOB_ID"]
    for e in envs:
        e["SLURM_JOB_ID"] = job_id
    results = _run(_spread(hosts), "recipe", "auto", None, envs=envs)
    _check_recipe(results, "slurm", 2)
    assert {(r["master"], r["port"]) for r in results} == {("node1", 20000 + int(job_id) % 10000)}


def test_kubernetes_pytorchjob_pods(hosts):
    """A PyTorchJob's pods: one process each, ``MASTER_ADDR`` the master pod's service name,
    ``RANK``/``WORLD_SIZE`` per pod."""
    port = free_port()
    envs = [dict(MASTER_ADDR="node1", MASTER_PORT=port, WORLD_SIZE=HOSTS, RANK=r)
            for r in range(HOSTS)]
    results = _run(hosts, "recipe", "auto", None, envs=envs)
    _check_recipe(results, "torchrun", 1)
    assert {r["master"] for r in results} == {"node1"}


def test_mpirun_across_hosts(hosts):
    """``mpirun -np 6 --map-by ppr:2:node -x MASTER_ADDR -x MASTER_PORT``: Open MPI's
    variables give rank, world and local rank."""
    port = free_port()
    envs = [dict(OMPI_COMM_WORLD_RANK=r, OMPI_COMM_WORLD_SIZE=6, OMPI_COMM_WORLD_LOCAL_RANK=r % 2,
                 OMPI_COMM_WORLD_LOCAL_SIZE=2, OMPI_COMM_WORLD_NODE_RANK=r // 2,
                 MASTER_ADDR="node1", MASTER_PORT=port) for r in range(6)]
    results = _run(_spread(hosts), "recipe", "auto", None, envs=envs)
    _check_recipe(results, "mpi", 2)
