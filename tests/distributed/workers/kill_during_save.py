"""Save step 1, then die by SIGKILL in the middle of saving step 2 (see test_checkpoint.py).

argv: checkpoint directory, where to die: "before_rename" (files and manifest written, the
temporary directory not yet renamed), "before_manifest" (files written, no manifest yet),
or, saving step 1 a second time, "resave_before_swap" / "resave_after_swap" (around the
moment the new directory takes the old one's place).
"""
import os
import signal
import sys

import disttrain as torch
from disttrain import nn
from disttrain.distributed import checkpoint

directory, where = sys.argv[1], sys.argv[2]
torch.manual_seed(0)
model = nn.Linear(3, 2)
checkpoint.save({"model": model, "tag": "first"}, directory, step=1, keep_last=1)


def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


def die_after(fn):
    def run(*args, **kwargs):
        fn(*args, **kwargs)
        die()
    return run


if where == "before_rename":
    checkpoint._write_manifest = die_after(checkpoint._write_manifest)
elif where == "before_manifest":
    checkpoint._write_manifest = die
elif where == "resave_before_swap":
    checkpoint._exchange = die
else:
    checkpoint._exchange = die_after(checkpoint._exchange)
with_more = {"model": model, "tag": "second", "big": torch.zeros(100_000)}
checkpoint.save(with_more, directory, step=1 if where.startswith("resave") else 2,
                keep_last=1)
print("unreachable: the process should have been killed")
