"""A job started wrong, or met by strangers, on real processes: misconfigured ranks, a
second job on the same port, a hostile peer, an unreachable store, shared memory left by
a failed start, and a group created again in the same process.

Every test is bounded: a hang fails the test at its timeout instead of stalling the run.
"""
import logging
import os
import signal
import socket
import struct
import time

import pytest

from disttrain.comm import ProcessGroup, StoreError, shm

from ._jobs import solo_train
from ._procs import Ranks, free_port


def _outcome(ranks, n, timeout=60):
    ranks.finish(timeout=timeout)
    starts = [float(ranks.wait_line(r, "START", timeout=1)) for r in range(n)]
    return starts, [ranks.result(r) for r in range(n)]


def _segments_of(pids):
    """Shared-memory segments in /dev/shm that belong to any of ``pids``."""
    names = os.listdir("/dev/shm") if os.path.isdir("/dev/shm") else []
    return [n for n in names for pid in pids if n.startswith("disttrain-")
            and f"-{pid}-" in n]


def _fails_everywhere_at_once(ranks, n, fragments):
    starts, results = _outcome(ranks, n)
    print("seconds from the last start to each rank's error:",
          [round(res["at"] - max(starts), 2) for res in results])
    for r, res in enumerate(results):
        assert res["error"] and res["type"] in ("RendezvousError", "CommError"), (r, res)
        for fragment in fragments:
            assert fragment in res["error"], (r, fragment, res)
        # Within 5 s of the last process starting to join, on every rank.
        assert res["at"] - max(starts) < 5, (r, res["at"] - max(starts), res)
    assert _segments_of([p.pid for p in ranks.procs]) == []
    return results


def test_world_size_disagreement_fails_every_rank_naming_it():
    """Rank 0 says WORLD_SIZE=3, ranks 1-3 say 4: an error on all four, naming who says
    what, instead of a silently wrong sum."""
    with Ranks(4, "claims", per_process=[{"WORLD_SIZE": 3}, {}, {}, {}]) as ranks:
        results = _fails_everywhere_at_once(ranks, 4, ["rank 0 says WORLD_SIZE=3",
                                                       "say 4"])
    assert "rank 0 says WORLD_SIZE=3, ranks 1-3 say 4" in results[1]["error"], results


def test_one_rank_with_a_larger_world_fails_every_rank():
    """Four ranks of WORLD_SIZE=4 and a fifth process with RANK=4 WORLD_SIZE=5: whether it
    comes before the group formed or after, every process fails naming it."""
    per = [{"WORLD_SIZE": 4}] * 4 + [{"WORLD_SIZE": 5}]
    with Ranks(5, "claims", per_process=per) as ranks:
        _fails_everywhere_at_once(ranks, 5, ["ranks 0-3 say WORLD_SIZE=4", "rank 4 says 5"])


def test_a_process_claiming_a_place_after_the_group_formed_fails_the_group_too():
    """A fifth process (RANK=4, WORLD_SIZE=5) comes after four ranks of WORLD_SIZE=4 have
    formed their group and are training: it is refused, and the four fail as well, all
    naming it, instead of going on beside a misconfigured process."""
    with Ranks(4, "claims", 20) as ranks:
        for r in range(4):
            ranks.wait_line(r, "JOINED", timeout=60)
        with Ranks(1, "claims", port=ranks.port,
                   per_process=[{"RANK": 4, "WORLD_SIZE": 5}]) as late:
            _, [refused] = _outcome(late, 1)
        _, results = _outcome(ranks, 4)
    assert refused["type"] == "RendezvousError", refused
    for res in [refused] + results:
        assert "joined after the group of 4 ranks had formed (ranks 0-3 say WORLD_SIZE=4, " \
            "rank 4 says 5)" in res["error"], res
        assert res["at"] - refused["at"] < 5, (res["at"] - refused["at"], res)


def test_duplicated_rank_fails_every_rank_naming_both_processes():
    """Two processes with RANK=2: every process fails, and the error names both."""
    per = [{"RANK": r, "WORLD_SIZE": 4} for r in (0, 1, 2, 2, 3)]
    with Ranks(5, "claims", per_process=per) as ranks:
        pids = [str(p.pid) for p in ranks.procs[2:4]]
        results = _fails_everywhere_at_once(ranks, 5, ["RANK 2 claimed by two processes",
                                                       f"pid {min(pids)}"[:5]])
    for res in results:
        assert all(f"pid {pid} on host" in res["error"] for pid in pids), res


def test_second_job_on_the_same_port_is_refused_and_the_first_is_unharmed():
    """Node 1 of another job (same port, same secret, another run id) tries to join, both
    while the first job meets and once it has formed: it is refused, and the first job's
    parameters equal those computed without any peers."""
    port = free_port()
    second_env = {"TORCHELASTIC_RUN_ID": "job-b", "WORLD_SIZE": 4}
    with Ranks(4, "train", 60, 1, port=port, env={"TORCHELASTIC_RUN_ID": "job-a"}) as first:
        with Ranks(2, "train", 60, port=port, env=second_env,
                   per_process=[{"RANK": 2}, {"RANK": 3}]) as early:
            _, theirs = _outcome(early, 2)
        for r in range(4):
            first.wait_line(r, "JOINED", timeout=60)
        with Ranks(2, "train", 60, port=port, env=second_env,
                   per_process=[{"RANK": 2}, {"RANK": 3}]) as late:
            theirs += _outcome(late, 2)[1]
        for r in range(4):
            first.tell(r, "go")
        _, ours = _outcome(first, 4)
        log = first.stderr(0)
    for res in theirs:
        assert "refused: this store serves run 'job-a' but the request comes from run " \
            "'job-b'" in res["error"], res
    want = solo_train(4)
    for res in ours:
        assert res["error"] is None and res["params"] == want, res
    assert "refused a request of run 'job-b'" in log, log


def _zmtp_flood(address, socket_type, announced=1 << 30, sent=32 << 20):
    """Speak ZeroMQ (ZMTP 3.0, NULL mechanism) to ``address``, announce one frame of
    ``announced`` bytes and send ``sent`` of them; the connection, still open or None."""
    family = socket.AF_UNIX if isinstance(address, str) else socket.AF_INET
    s = socket.socket(family, socket.SOCK_STREAM)
    s.connect(address)
    greeting = b"\xff" + b"\0" * 8 + b"\x7f" + b"\x03\x00" + b"NULL".ljust(20, b"\0") \
        + b"\0" * 32
    prop = b"\x0bSocket-Type" + struct.pack(">I", len(socket_type)) + socket_type
    ready = b"\x05READY" + prop
    chunk = b"\xab" * (1 << 20)
    try:
        s.sendall(greeting)
        s.sendall(b"\x04" + bytes([len(ready)]) + ready)
        s.sendall(b"\x02" + struct.pack(">Q", announced))
        for _ in range(sent // len(chunk)):
            s.sendall(chunk)
    except OSError:      # disconnected by the target: what should happen
        s.close()
        return None
    return s


def _rss(pid):
    with open(f"/proc/{pid}/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="RSS is read from /proc")
def test_stranger_announcing_a_huge_frame_cannot_make_endpoints_hold_it():
    """A raw ZeroMQ peer announcing a 1 GiB frame and sending 32 MiB to the store and to
    every rank's socket adds less than 1 MiB to any of them; the job goes on."""
    with Ranks(2, "stray") as ranks:
        endpoints = [ranks.wait_line(r, "ENDPOINT", timeout=60) for r in range(2)]
        pids = [p.pid for p in ranks.procs]
        before = [_rss(pid) for pid in pids]
        targets = [(("127.0.0.1", ranks.port), b"DEALER")]
        targets += [("\0" + ep[len("ipc://@"):], b"PUSH") for ep in endpoints]
        held = [_zmtp_flood(address, kind) for address, kind in targets]
        time.sleep(0.5)
        grown = [_rss(pid) - b for pid, b in zip(pids, before)]
        for s in held:
            if s is not None:
                s.close()
        for r in range(2):
            ranks.tell(r, "go")
        assert ranks.finish(timeout=60) == [0, 0]
        assert all(ranks.result(r)["ok"] for r in range(2))
    print("RSS growth per endpoint process (bytes):", grown)
    assert all(g < (1 << 20) for g in grown), grown


def test_failed_start_leaves_no_shared_memory():
    """Ranks stopped by SIGTERM while starting remove their /dev/shm segment; the segment
    of one killed by SIGKILL is removed by the next process that creates one."""
    with Ranks(3, "startup_window") as ranks:
        ranks.wait_line(2, "STALLED", timeout=60)
        pids = [p.pid for p in ranks.procs]
        deadline = time.monotonic() + 30
        while len(_segments_of(pids)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert len(_segments_of(pids)) == 3, os.listdir("/dev/shm")
        for r in (0, 1):
            ranks.procs[r].send_signal(signal.SIGTERM)
        ranks.procs[2].send_signal(signal.SIGKILL)
        codes = ranks.finish(timeout=30)
    assert codes == [-signal.SIGTERM, -signal.SIGTERM, -signal.SIGKILL], codes
    assert _segments_of(pids[:2]) == []
    assert len(_segments_of(pids[2:])) == 1          # SIGKILL leaves no chance to clean up
    removed = shm.sweep_dead()
    assert _segments_of(pids) == [] and len(removed) >= 1, removed


def test_unreachable_rendezvous_fails_within_the_connect_timeout(monkeypatch, caplog):
    """Nothing listens at MASTER_ADDR:MASTER_PORT: a line every few seconds, then a clear
    error after DISTTRAIN_CONNECT_TIMEOUT, not the group's 30-minute timeout."""
    port = free_port()
    monkeypatch.setenv("DISTTRAIN_CONNECT_TIMEOUT", "3")
    start = time.monotonic()
    with caplog.at_level(logging.WARNING, logger="disttrain.comm"):
        with pytest.raises(StoreError) as info:
            ProcessGroup(1, 2, "127.0.0.1", port, secret="s")
    took = time.monotonic() - start
    assert f"rendezvous store at 127.0.0.1:{port} did not answer" in str(info.value)
    assert "nothing accepted a connection there for 3 s (connection refused)" in \
        str(info.value)
    assert f"rank 1: waiting for the rendezvous at 127.0.0.1:{port} (served by rank 0): " \
        f"connection refused" in caplog.text
    assert took < 8, took


def test_process_group_created_again_in_the_same_process():
    """init, all_reduce, destroy, five times over in the same processes (PyTorch's DDP
    tutorial does this), with rank and world size passed as arguments."""
    with Ranks(3, "reinit", 5) as ranks:
        assert ranks.finish(timeout=60) == [0, 0, 0], [ranks.stderr(r) for r in range(3)]
        results = [ranks.result(r) for r in range(3)]
    print("destroy_process_group seconds:", [r["destroy_s"] for r in results])
    assert all(r["error"] is None and len(r["destroy_s"]) == 5 for r in results)
