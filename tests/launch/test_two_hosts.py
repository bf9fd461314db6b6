"""Two "hosts" on one machine: network namespaces joined by a veth pair.

Each namespace has its own loopback and its own interface, so workers in different
namespaces must talk TCP over the veth link while those in the same one use ipc. Needs
root (or CAP_NET_ADMIN) and iproute2's ``ip``; skipped with the reason otherwise.
"""
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from .test_launch import _env

SUBNET = f"10.213.{os.getpid() % 250}"


def _ip(*args):
    return subprocess.run(["ip", *args], capture_output=True, text=True, timeout=20)


@pytest.fixture
def two_hosts():
    if shutil.which("ip") is None:
        pytest.skip("iproute2's 'ip' binary is not installed")
    tag = f"{os.getpid() % 100000}"
    names = (f"dt{tag}a", f"dt{tag}b")
    made = []
    try:
        for ns in names:
            out = _ip("netns", "add", ns)
            if out.returncode:
                pytest.skip(f"cannot create a network namespace (needs root/CAP_SYS_ADMIN): "
                            f"ip netns add: {out.stderr.strip()}")
            made.append(ns)
        veth = (f"dtv{tag}a", f"dtv{tag}b")
        out = _ip("link", "add", veth[0], "type", "veth", "peer", "name", veth[1])
        if out.returncode:
            pytest.skip(f"cannot create a veth pair: ip link add: {out.stderr.strip()}")
        for i, (ns, dev) in enumerate(zip(names, veth)):
            for cmd in (["link", "set", dev, "netns", ns],
                        ["-n", ns, "addr", "add", f"{SUBNET}.{i + 1}/24", "dev", dev],
                        ["-n", ns, "link", "set", dev, "up"],
                        ["-n", ns, "link", "set", "lo", "up"]):
                out = _ip(*cmd)
                assert out.returncode == 0, f"ip {' '.join(cmd)}: {out.stderr}"
        yield names
    finally:
        for ns in made:
            _ip("netns", "del", ns)   # deleting a namespace also removes its veth end


JOB = """
import numpy as np
from disttrain import comm
pg = comm.init_from_env(timeout=60)
ok = True
for n in (10, 300_001):   # recursive doubling and the chunked ring, both across the link
    x = np.full(n, float(pg.rank + 1), "float32")
    comm.all_reduce(x)
    ok &= bool((x == pg.size * (pg.size + 1) / 2).all())
ends = pg._engine.t.endpoints
print("ok" if ok else "WRONG", " ".join(f"{p}={ends[p]}" for p in sorted(ends)))
comm.destroy()
"""


def test_launch_across_two_network_namespaces(two_hosts, tmp_path):
    """launch --nnodes 2: ranks on different hosts use tcp on the veth, same host ipc."""
    script = tmp_path / "job.py"
    script.write_text(textwrap.dedent(JOB))
    env = _env(DISTTRAIN_SECRET="two-host-test")
    master = f"{SUBNET}.1"
    port = "29617"
    procs = [subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-m", "launch", "--nnodes", "2",
         "--node-rank", str(node), "--nproc", "2", "--master-addr", master, "--master-port",
         port, "--grace-period", "2", str(script)],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for node, ns in enumerate(two_hosts)]
    try:
        outs = [p.communicate(timeout=90) for p in procs]
    finally:
        for p in procs:
            p.kill()
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outs]
    lines = {}
    for out, _ in outs:
        for line in out.splitlines():
            rank = int(line.split("]")[0][len("[rank "):])
            lines[rank] = line.split("] ", 1)[1]
    assert sorted(lines) == [0, 1, 2, 3], lines
    for rank, line in lines.items():
        ok, *peers = line.split()
        assert ok == "ok", line
        for peer, endpoint in (p.split("=", 1) for p in peers):
            same_host = int(peer) // 2 == rank // 2
            if same_host:
                assert endpoint.startswith("ipc://"), line
            else:   # bound on the peer's veth address, not on every interface
                assert endpoint.startswith(f"tcp://{SUBNET}.{int(peer) // 2 + 1}:"), line
