"""Peak resident memory of one rank training a DDP model with Adam, with or without ZeRO.

    python zero_memory_worker.py OUT_DIR zero|plain [LAYERS] [WIDTH]

Each rank writes ``rank{r}.json`` with, in bytes: ``peak``, its peak resident set
(``VmHWM`` of ``/proc/self/status``) over the whole run; ``train``, how far the resident set
rose above its level after DDP's construction while the optimizer was built and three steps
ran (the peak is reset there through ``/proc/self/clear_refs``; without that file it stays
null); and ``state``, the Adam state this rank holds.
"""
import json
import os
import sys

import disttrain as torch
import disttrain.distributed as dist
from disttrain import nn, optim
from disttrain.distributed.optim import ZeroRedundancyOptimizer
from disttrain.nn.parallel import DistributedDataParallel as DDP


def status(field):
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak():
    """Reset VmHWM to the current resident set (Linux 4.0+); False where not allowed."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
    except OSError:
        return False
    return True


def main():
    out_dir, mode = sys.argv[1], sys.argv[2]
    layers = int(sys.argv[3]) if len(sys.argv) > 3 else 16
    width = int(sys.argv[4]) if len(sys.argv) > 4 else 1024
    dist.init_process_group("gloo")
    rank = dist.get_rank()
    torch.manual_seed(0)
    model = DDP(nn.Sequential(*[nn.Linear(width, width) for _ in range(layers)]))
    dist.barrier()
    peak = status("VmHWM")
    base = status("VmRSS") if reset_peak() else None
    if mode == "zero":
        opt = ZeroRedundancyOptimizer(model.parameters(), optimizer_class=optim.Adam, lr=0.01)
        local = opt.optim
    else:
        opt = local = optim.Adam(model.parameters(), lr=0.01)
    x = torch.randn(8, width)
    for _ in range(3):
        opt.zero_grad()
        model(x).sum().backward()
        opt.step()
    state = sum(int(v._data.nbytes) for st in local.state.values() for v in st.values()
                if isinstance(v, torch.Tensor) and v.dim() > 0)
    top = status("VmHWM")
    with open(os.path.join(out_dir, f"rank{rank}.json"), "w") as fh:
        json.dump({"peak": max(peak, top), "train": None if base is None else top - base,
                   "state": state,
                   "params": sum(int(p._data.nbytes) for p in model.parameters())}, fh)
    dist.barrier()
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
