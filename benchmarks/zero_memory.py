"""Peak resident memory per rank of a DDP job training with Adam, with and without
ZeroRedundancyOptimizer: PyTorch's ZeRO recipe (``Linear(2000, 2000)`` x 20, 2 ranks).

    python benchmarks/zero_memory.py [--layers 20] [--width 2000] [--world 2] [--steps 3]

Each configuration runs as its own job of real processes (loopback); every rank reports its
peak resident set (``VmHWM`` of ``/proc/self/status``) over the whole run and its Adam state.
PyTorch's recipe reports 1948 MiB per worker without ZeRO and 1627-1641 MiB with it.
"""
import argparse
import json
import os
import socket
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description="ZeRO peak memory per rank")
    p.add_argument("--layers", type=int, default=20)
    p.add_argument("--width", type=int, default=2000)
    p.add_argument("--world", type=int, default=2)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--batch", type=int, default=20)
    p.add_argument("--worker", choices=("plain", "zero"), help=argparse.SUPPRESS)
    return p.parse_args(argv)


def _status(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return 0


def run_worker(args):
    import disttrain as torch
    import disttrain.distributed as dist
    from disttrain import nn, optim
    from disttrain.distributed.optim import ZeroRedundancyOptimizer
    from disttrain.nn.parallel import DistributedDataParallel as DDP
    dist.init_process_group()
    torch.manual_seed(0)
    model = DDP(nn.Sequential(*[nn.Linear(args.width, args.width)
                                for _ in range(args.layers)]))
    if args.worker == "zero":
        opt = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=optim.Adam, lr=0.01)
        local = opt.optim
    else:
        opt = local = optim.Adam(model.parameters(), lr=0.01)
    x = torch.randn(args.batch, args.width)
    for _ in range(args.steps):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
    state = sum(int(v._data.nbytes) for st in local.state.values() for v in st.values()
                if isinstance(v, torch.Tensor) and v.dim() > 0)
    report = [None] * dist.get_world_size()
    dist.all_gather_object(report, {"peak": _status("VmHWM"), "state": state})
    if dist.get_rank() == 0:
        print("RESULT " + json.dumps(report), flush=True)
    dist.destroy_process_group()


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(args, mode, timeout=900):
    port = _free_port()
    cmd = [sys.executable, os.path.abspath(__file__), "--worker", mode,
           "--layers", str(args.layers), "--width", str(args.width),
           "--steps", str(args.steps), "--batch", str(args.batch)]
    procs = []
    for r in range(args.world):
        env = dict(os.environ, RANK=str(r), WORLD_SIZE=str(args.world), LOCAL_RANK=str(r),
                   LOCAL_WORLD_SIZE=str(args.world), MASTER_ADDR="127.0.0.1",
                   MASTER_PORT=str(port), DISTTRAIN_SECRET="bench",
                   PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
        procs.append(subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True))
    outputs = [p.communicate(timeout=timeout)[0] for p in procs]
    for line in outputs[0].splitlines():
        if line.startswith("RESULT "):
            return json.loads(line[len("RESULT "):])
    sys.stderr.write(f"{mode} failed:\n{outputs[0][-2000:]}\n")
    return None


def main(argv=None):
    args = parse_args(argv)
    if args.worker:
        return run_worker(args)
    params = args.layers * (args.width * args.width + args.width)
    print(f"Linear({args.width}, {args.width}) x {args.layers} ({params / 1e6:.1f} M "
          f"parameters, {params * 4 / 2**20:.0f} MiB), Adam, {args.world} ranks, "
          f"{args.steps} steps")
    for mode in ("plain", "zero"):
        res = launch(args, mode)
        if res is None:
            continue
        peaks = ", ".join(f"{r['peak'] / 2**20:.0f}" for r in res)
        state = ", ".join(f"{r['state'] / 2**20:.0f}" for r in res)
        name = "with ZeRO" if mode == "zero" else "without ZeRO"
        print(f"{name:>13}: peak RSS per rank {peaks} MiB; Adam state per rank {state} MiB")


if __name__ == "__main__":
    main()
