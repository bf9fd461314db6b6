"""Every collective, op and dtype against numpy, on 2, 3 and 4 real processes.

One job per world size runs all the checks (starting processes is the expensive part);
each test below then looks at its own family of results.
"""
import pytest

from ._procs import Ranks

FAMILIES = ["all_reduce", "broadcast", "gather", "scatter", "reduce", "all_gather",
            "reduce_scatter", "all_to_all", "barrier", "objects", "send_recv", "wait_timeout",
            "non_contiguous",
            "zero_dim", "async_order", "subgroup"]


# Large all_reduces among ranks of one host go through shared memory by default; the
# socket ring (used between hosts) is checked too, with shared memory turned off.
WORLDS = [(2, "sockets"), (3, "shm"), (3, "sockets"), (4, "shm")]


@pytest.fixture(scope="module", params=WORLDS, ids=lambda p: f"world{p[0]}-{p[1]}")
def job(request):
    n, path = request.param
    env = {"DISTTRAIN_SHM": "1" if path == "shm" else "0"}
    with Ranks(n, "collectives", env=env) as ranks:
        codes = ranks.finish(timeout=120)
        results = [ranks.result(r) if code == 0 else None for r, code in enumerate(codes)]
        assert codes == [0] * n, [ranks.stderr(r)[-2000:] for r in range(n)]
        assert all(res["shm"] == (path == "shm") for res in results), results
    return results


@pytest.mark.parametrize("family", FAMILIES)
def test_family_matches_numpy(job, family):
    """Each collective of the family gives numpy's answer on every rank."""
    for rank, result in enumerate(job):
        bad = {k: v for k, v in result["failures"].items() if k.split("/")[0] == family}
        assert not bad, f"rank {rank}: " + "\n".join(f"{k}: {v}" for k, v in bad.items())


def test_every_check_ran(job):
    """The job ran the same, full list of checks on every rank (none silently skipped)."""
    counts = {r["count"] for r in job}
    assert len(counts) == 1 and counts.pop() > 200


def test_results_bitwise_identical_across_ranks(job):
    """all_reduce/broadcast/all_gather results are bit-for-bit the same on every rank."""
    assert all(not r["differ"] for r in job), [r["differ"] for r in job]
