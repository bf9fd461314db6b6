"""Save step 1, then die by SIGKILL in the middle of saving step 2 (see test_checkpoint.py).

argv: checkpoint directory, where to die: "before_rename" (files written, the temporary
directory not yet renamed) or "before_manifest" (renamed, manifest not yet written).
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
checkpoint.save({"model": model, "tag": "first"}, directory, step=1)


def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)


if where == "before_rename":
    checkpoint._fsync_dir = die        # called on the finished temporary directory
else:
    checkpoint._write_manifest = die
with_more = {"model": model, "tag": "second", "big": torch.zeros(100_000)}
checkpoint.save(with_more, directory, step=2)
print("unreachable: the process should have been killed")
