"""Failures on real processes: dead and silent peers, mismatches, strangers, garbage.

Every test is bounded: a hang fails the test at its timeout instead of stalling the run.
"""
import signal
import time

import msgpack
import numpy as np
import pytest
import zmq

from disttrain.comm import Store, StoreError
from disttrain.comm.wire import Kind, encode, secret_token

from ._procs import Ranks, free_port


def _wait_ready(ranks, n):
    for r in range(n):
        ranks.wait_line(r, "READY", timeout=60)


def test_sigkill_names_the_dead_rank_within_10s():
    """A rank killed with SIGKILL makes every other rank fail within 10 s, naming it."""
    with Ranks(3, "loop", 50_000) as ranks:
        _wait_ready(ranks, 3)
        time.sleep(0.3)                       # let them get into the all_reduce loop
        killed_at = time.time()
        ranks.procs[2].send_signal(signal.SIGKILL)
        ranks.finish(timeout=30)
        for r in (0, 1):
            res = ranks.result(r)
            assert res["type"] == "PeerError", res
            assert "rank 2 stopped answering" in res["error"] and "all_reduce" in res["error"]
            assert res["at"] - killed_at < 10, res


def test_silent_rank_is_declared_dead_by_heartbeat():
    """A stopped (SIGSTOP) rank keeps its sockets open; heartbeats still expose it."""
    env = {"DISTTRAIN_HEARTBEAT_INTERVAL": "0.25", "DISTTRAIN_HEARTBEAT_TIMEOUT": "2"}
    with Ranks(3, "loop", 10, env=env) as ranks:
        _wait_ready(ranks, 3)
        time.sleep(0.3)
        stopped_at = time.time()
        ranks.procs[1].send_signal(signal.SIGSTOP)
        try:
            for r in (0, 2):
                ranks.wait_line(r, "RESULT", timeout=20)
        finally:
            ranks.procs[1].send_signal(signal.SIGKILL)
        for r in (0, 2):
            res = ranks.result(r)
            assert "rank 1 stopped answering" in res["error"], res
            assert "nothing heard from it" in res["error"], res
            assert res["at"] - stopped_at < 10, res


@pytest.fixture(scope="module")
def mismatches():
    from ._jobs import MISMATCH_CASES
    with Ranks(3, "mismatch", *[free_port() for _ in MISMATCH_CASES]) as ranks:
        assert ranks.finish(timeout=120) == [0, 0, 0], [ranks.stderr(r) for r in range(3)]
        return [ranks.result(r) for r in range(3)]


@pytest.mark.parametrize("case", ["op", "shape", "dtype", "kind", "large_shape"])
def test_mismatched_collectives_raise_on_every_rank(mismatches, case):
    """Different op, shape, dtype or collective across ranks: an error on all, no hang."""
    for r in range(3):
        res = mismatches[r][case]
        assert res["type"] == "MismatchError", (r, res)
        assert "mismatched collectives" in res["error"], (r, res)
        assert res["took"] < 20, (r, res)


def test_mismatch_message_names_both_calls(mismatches):
    """The message says what each side called, with its values."""
    texts = [mismatches[r]["op"]["error"] for r in range(3)]
    assert any("all_reduce(op=MAX" in t and "all_reduce(op=SUM" in t for t in texts), texts


def test_stranger_refused_and_garbage_dropped_while_job_goes_on():
    """A process without the secret is refused by the store and by the ranks' sockets;
    malformed messages from a peer that authenticated are dropped with a warning; the
    job's next all_reduce is still right."""
    with Ranks(2, "stray") as ranks:
        endpoint = ranks.wait_line(1, "ENDPOINT", timeout=60)
        token = bytes.fromhex(ranks.wait_line(1, "TOKEN", timeout=60))
        ranks.wait_line(0, "ENDPOINT", timeout=60)
        stranger = Store("127.0.0.1", ranks.port, secret="not-the-secret", timeout=5)
        with pytest.raises(StoreError, match="refused"):
            stranger.set("w0/ep/1", b"tcp://evil:1")
        nosecret = Store("127.0.0.1", ranks.port, timeout=5)
        with pytest.raises(StoreError, match="refused"):
            nosecret.get("w0/ep/1", timeout=1)
        stranger.close()
        nosecret.close()
        _send_garbage(endpoint, token)
        for r in range(2):
            ranks.tell(r, "go")
        assert ranks.finish(timeout=60) == [0, 0]
        assert all(ranks.result(r)["ok"] for r in range(2))
        assert "refused a request from a process without the job's secret" in ranks.stderr(0)
        err = ranks.stderr(1)
        assert "dropped a malformed message" in err, err
        assert "does not carry the job's secret" in err, err
        assert "rank 1: refused a connection from" in err, err
        assert "it does not have the group's credentials" in err, err


def _send_garbage(endpoint, good):
    ctx = zmq.Context()
    outsider = ctx.socket(zmq.PUSH)          # knows the endpoint, not the credentials
    outsider.plain_username, outsider.plain_password = b"disttrain", b"guess"
    outsider.connect(endpoint)
    outsider.send_multipart(encode(Kind.DATA, good, 0, "0", 1, 0, np.ones(4, "float32")))
    sock = ctx.socket(zmq.PUSH)
    sock.plain_username, sock.plain_password = b"disttrain", good.hex().encode()
    sock.linger = 2000
    sock.connect(endpoint)
    bad_payload = encode(Kind.DATA, good, 0, "0", 1, 0, np.ones(4, "float32"))
    for frames in (
            [b"\xc1\xff not msgpack"],                                    # not msgpack
            [msgpack.packb({"hello": 1})],                                # wrong shape
            [msgpack.packb(["dt1", 0, good, 0, "0", 1, 0, "object", [1], None]), b"x" * 8],
            [bad_payload[0], b"short"],                                   # length mismatch
            # the job's token, not the group's: from an earlier group or another job
            encode(Kind.DATA, secret_token("test-secret"), 0, "0", 1, 0, np.ones(2)),
            [b"a", b"b", b"c"]):                                          # too many frames
        sock.send_multipart(frames)
    ctx.destroy(linger=2000)


def test_every_wait_has_a_deadline():
    """A rank waiting for a live but absent peer gives up at the group's timeout."""
    with Ranks(2, "deadline") as ranks:
        assert ranks.finish(timeout=60) == [0, 0]
        first, second = ranks.result(0), ranks.result(1)
    assert first["type"] == "CommTimeout" and "timed out waiting for rank 1" in first["error"]
    assert first["took"] < 10, first
    assert second["error"] and "reported by rank 0" in second["error"], second
