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


def _run(placement, job, mode, port, timeout=90):
    """Run ``job`` with rank i in namespace ``placement[i]`` (None: this one)."""
    master = placement[0][1] if placement[0] else "127.0.0.1"
    procs = []
    for rank, where in enumerate(placement):
        env = clean_env(RANK=rank, WORLD_SIZE=len(placement), MASTER_ADDR=master,
                        MASTER_PORT=port, DISTTRAIN_SECRET="hosts-test",
                        DISTTRAIN_COLLECTIVES=mode)
        argv = [sys.executable, str(JOB), job]
        procs.append(subprocess.Popen(netns_command(where[0], argv) if where else argv,
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
        with emulated_hosts(HOSTS) as made:
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


def test_ddp_across_hosts_equals_one_host(hosts):
    """DDP over 3 hosts x 2 ranks (two-level) trains the model that 6 ranks on one host
    do: the same parameters to float32 rounding, identical bits on every rank."""
    spread = _run(_spread(hosts), "train", "auto", free_port())
    single = _run([hosts[0]] * (HOSTS * PER_HOST), "train", "auto", free_port())
    assert len({r["digest"] for r in spread}) == 1
    assert len({r["digest"] for r in single}) == 1
    for a, b in zip(spread[0]["params"], single[0]["params"]):
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6)
