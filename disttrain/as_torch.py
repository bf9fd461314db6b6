"""Run a PyTorch program unchanged, with ``torch`` resolving to disttrain.

Usage::

    python -m disttrain.as_torch train.py [args ...]
    python -m disttrain.as_torch -m package.module [args ...]
    python -m disttrain.as_torch --path          # the folder to put on PYTHONPATH yourself

The program's ``import torch``, ``import torch.nn as nn``, ``import torch.distributed as dist``,
``from torch.utils.data import DataLoader``... all get disttrain's modules. The alias reaches
the processes the program starts too (``torch.multiprocessing.spawn``, DataLoader workers,
``subprocess`` calls of Python) through ``PYTHONPATH``. Under the launcher, use
``launch --as-torch --nproc N train.py``.
"""
import os
import runpy
import sys

__all__ = ["shim_path", "main"]


def shim_path():
    """The folder holding the ``torch`` package that is disttrain."""
    return os.path.join(os.path.dirname(os.path.abspath(__file__)), "_as_torch")


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--path"]:
        print(shim_path())
        return 0
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    path = shim_path()
    os.environ["PYTHONPATH"] = os.pathsep.join(
        [path] + [p for p in os.environ.get("PYTHONPATH", "").split(os.pathsep) if p])
    sys.path.insert(0, path)
    from . import _torch_alias
    _torch_alias.install()
    if argv[0] == "-m":
        if len(argv) < 2:
            print("as_torch: -m needs a module name", file=sys.stderr)
            return 2
        sys.argv = argv[1:]
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    else:
        if not os.path.isfile(argv[0]):
            print(f"as_torch: can't open file {argv[0]!r}: no such file", file=sys.stderr)
            return 2
        sys.argv = argv
        sys.path[0:0] = [os.path.dirname(os.path.abspath(argv[0]))]
        runpy.run_path(argv[0], run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main())
