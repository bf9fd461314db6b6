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


TRAIN = """
import json, os, signal, sys
import numpy as np
import disttrain as torch
import disttrain.distributed as dist
from disttrain import nn, optim
from disttrain.distributed import checkpoint
from disttrain.nn.parallel import DistributedDataParallel as DDP

ckpt, result, kill = sys.argv[1], sys.argv[2], sys.argv[3] == "kill"
dist.init_process_group(timeout=60)
rank = dist.get_rank()
torch.manual_seed(0)
model = DDP(nn.Sequential(nn.Linear(4, 8), nn.Tanh(), nn.Linear(8, 2)))
opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
state = {"model": model, "optim": opt}
found = checkpoint.load_latest(ckpt, state)
step = found.step if found else 0
attempt = os.environ["TORCHELASTIC_RESTART_COUNT"]
print("attempt", attempt, "from step", step, flush=True)
while step < 20:
    data = np.random.default_rng(step * 10 + rank).standard_normal((8, 4))
    loss = model(torch.tensor(data, dtype=torch.float32)).pow(2).mean()
    opt.zero_grad()
    loss.backward()
    opt.step()
    step += 1
    if step % 5 == 0:
        checkpoint.save(state, ckpt, step, keep_last=2)
    if kill and step == 12 and rank == 3 and attempt == "0":
        os.kill(os.getpid(), signal.SIGKILL)   # a worker of node 1 dies mid-run
if rank == 0:
    with open(result, "w") as fh:
        json.dump([p.detach().numpy().tolist() for p in model.parameters()], fh)
dist.destroy_process_group()
"""


def _run_two_nodes(two_hosts, tmp_path, script, args, port):
    env = _env(DISTTRAIN_SECRET="two-host-test")
    procs = [subprocess.Popen(
        ["ip", "netns", "exec", ns, sys.executable, "-m", "launch", "--nnodes", "2",
         "--node-rank", str(node), "--nproc", "2", "--rdzv-endpoint", f"{SUBNET}.1:{port}",
         "--max-restarts", "1", "--grace-period", "2", "--log-dir", str(tmp_path / "logs"),
         str(script), *args],
        cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for node, ns in enumerate(two_hosts)]
    try:
        return [(p.communicate(timeout=120), p.returncode) for p in procs]
    finally:
        for p in procs:
            p.kill()


def test_failure_on_one_node_restarts_the_whole_job(two_hosts, tmp_path):
    """A worker of node 1 is killed after the checkpoint of step 10: both nodes restart
    together from it and end with the parameters of an uninterrupted run."""
    import json
    script = tmp_path / "train.py"
    script.write_text(textwrap.dedent(TRAIN))
    outs = {}
    for name, port in (("clean", "29618"), ("kill", "29619")):
        runs = _run_two_nodes(two_hosts, tmp_path, script,
                              [str(tmp_path / f"ckpt_{name}"), str(tmp_path / f"{name}.json"),
                               name], port)
        assert [code for _, code in runs] == [0, 0], [err for (_, err), _ in runs]
        outs[name] = runs
    clean = json.loads((tmp_path / "clean.json").read_text())
    resumed = json.loads((tmp_path / "kill.json").read_text())
    assert resumed == clean   # bit for bit
    (out0, err0), _ = outs["kill"][0]
    (out1, err1), _ = outs["kill"][1]
    assert "rank 3 (local rank 1, pid" in err0 and "killed by signal SIGKILL" in err0
    for out, err in ((out0, err0), (out1, err1)):
        assert "restarting all workers on every node (restart 1 of 1)" in err
        assert "attempt 1 from step 10" in out     # both nodes resumed the same checkpoint
    run_ids = {e.split("launch: run id ")[1].split(":")[0] for e in (err0, err1)}
    assert len(run_ids) == 1   # node 0's run id, given to node 1 when they met
    run = tmp_path / "logs" / run_ids.pop()   # one directory for the run, one per node
    assert sorted(os.listdir(run)) == ["node_0", "node_1"]
    assert "attempt 1 from step 10" in (run / "node_1" / "attempt_1" / "rank_3.log").read_text()
