"""Coordinated checkpoints: every rank saves one step together, atomically, verifiably.

A checkpoint is a directory ``step_00000042/`` in the job's checkpoint directory::

    replicated.dt       state every rank holds the same (model, optimizer, scheduler...),
                        written once, by rank 0
    shard_rank{r}.dt    what is rank r's own: its RNG states and its share of sharded
                        state (a ZeroRedundancyOptimizer's optimizer state)
    MANIFEST.json       step, world size and a sha256 of every file; written last

:func:`save` agrees on the step across ranks, writes into a temporary directory, flushes
(fsync of every file and of the directory), writes the manifest last and only then gives
the directory its name; saving a step again swaps the new directory in atomically, so the
old one stays loadable until the new one is complete. A directory without a manifest is
incomplete (an older format, or a copy gone wrong). Any failure, on any rank, raises the
same RuntimeError on every rank, naming the rank, the file and the cause, and leaves the
process group usable. ``keep_last`` removes old
checkpoints only after the new one is complete. :func:`load_latest` takes the newest
checkpoint whose manifest and checksums are intact, warning about (and skipping) any that
is not, and restores it into the objects given, also on a different number of ranks
(sharded state is re-sharded). Files are written with :func:`disttrain.save`: data only,
never pickle.

Example::

    state = {"model": ddp, "optim": opt, "sched": sched, "sampler": sampler}
    ckpt = checkpoint.load_latest(ckpt_dir, state)       # None on a fresh start
    step = ckpt.step if ckpt else 0
    ...
    checkpoint.save({**state, "epoch": epoch}, ckpt_dir, step, keep_last=2)
"""
import ctypes
import errno
import hashlib
import json
import os
import random
import re
import shutil
import sys
import warnings
from collections import namedtuple

import numpy as np

from ..core import random as _random
from ..core._atomicfile import atomic_write, fsync_dir as _fsync_dir
from ..core.serialization import load as _load, save as _save
from ._groups import is_initialized, _group as _world_group

__all__ = ["save", "load_latest", "load", "list_checkpoints", "Checkpoint", "step_dir"]

MANIFEST = "MANIFEST.json"
REPLICATED = "replicated.dt"
_STEP_RE = re.compile(r"^step_(\d{8,})$")
_TMP_PREFIX = ".tmp_step_"

Checkpoint = namedtuple("Checkpoint", ["step", "path", "state"])
Checkpoint.__doc__ = """A loaded checkpoint: its ``step``, directory ``path`` and ``state``
(what was saved under each key: state dicts for objects, plain values as they were)."""


def step_dir(step):
    """The name of step ``step``'s directory: ``step_00000042``."""
    return f"step_{int(step):08d}"


def shard_name(rank):
    return f"shard_rank{rank}.dt"


# ------------------------------------------------------------------ the group
class _Solo:
    """Stand-in group for a process without a process group."""
    rank, size = 0, 1


def _group(group):
    if group is not None:
        return group
    return _world_group(None) if is_initialized() else _Solo()


def _gather(group, obj):
    return [obj] if group.size == 1 else group.all_gather_obj(obj).result()


def _bcast(group, obj):
    return obj if group.size == 1 else group.broadcast_obj(obj, 0).result()


# ------------------------------------------------------------------ what is saved
def _is_sharded(obj):
    from .optim import ZeroRedundancyOptimizer
    return isinstance(obj, ZeroRedundancyOptimizer)


def _split(state, with_replicated):
    """(replicated entries, sharded entries) of a user's state dict, as data. Only the rank
    that writes the replicated entries asks the objects for them."""
    replicated, sharded = {}, {}
    for key, value in state.items():
        if _is_sharded(value):
            sharded[key] = value.local_state_dict()
        elif not with_replicated:
            continue
        elif hasattr(value, "state_dict") and callable(value.state_dict):
            replicated[key] = value.state_dict()
        else:
            replicated[key] = value
    return replicated, sharded


def rng_state():
    """This process's random states: disttrain's default generator, numpy's global RNG and
    Python's ``random``."""
    name, keys, pos, has_gauss, gauss = np.random.get_state()
    version, internal, gauss_next = random.getstate()
    return {"disttrain": _random.get_rng_state(),
            "numpy": {"name": name, "keys": keys, "pos": int(pos),
                      "has_gauss": int(has_gauss), "cached_gaussian": float(gauss)},
            "python": {"version": version, "internal": list(internal),
                       "gauss_next": gauss_next}}


def set_rng_state(state):
    """Restore what :func:`rng_state` returned."""
    _random.set_rng_state(state["disttrain"])
    n = state["numpy"]
    np.random.set_state((n["name"], np.asarray(n["keys"], np.uint32), n["pos"],
                         n["has_gauss"], n["cached_gaussian"]))
    p = state["python"]
    random.setstate((p["version"], tuple(p["internal"]), p["gauss_next"]))


# ------------------------------------------------------------------ saving
def save(state, directory, step, keep_last=None, group=None):
    """Save ``state`` as checkpoint ``step`` of ``directory``; every rank calls it.

    Args:
        state (dict): name -> object with ``state_dict()`` (module, optimizer, scheduler,
            sampler, DataLoader...) or plain data (numbers, tensors, dicts). A
            ZeroRedundancyOptimizer is saved as one shard per rank; everything else once,
            by rank 0. Every rank's RNG states are saved too.
        directory (str): the checkpoint directory (created if needed).
        step (int): the step; all ranks must pass the same.
        keep_last (int, optional): keep only the newest ``keep_last`` complete checkpoints.

    Returns:
        str: the new checkpoint's directory.

    Raises:
        RuntimeError: on every rank, if the ranks disagree on the step (naming them) or a
            rank failed to write (naming it and why).
    """
    group = _group(group)
    step = int(step)
    if keep_last is not None and int(keep_last) < 1:
        raise ValueError(f"checkpoint.save: keep_last must be at least 1, got {keep_last}")
    _agree_on_step(group, step)
    directory = os.fspath(directory)
    final = os.path.join(directory, step_dir(step))
    tmp = os.path.join(directory, _TMP_PREFIX + step_dir(step)[5:])
    # Every filesystem step that can fail runs inside a try whose outcome is broadcast:
    # one rank raising alone would leave the others waiting in a collective.
    prepared = None
    if group.rank == 0:
        try:
            os.makedirs(directory, exist_ok=True)
            _remove_stale_tmp(directory)
            os.makedirs(tmp)
        except OSError as exc:
            prepared = f"rank 0: {_describe(exc, os.path.abspath(directory))}"
    prepared = _bcast(group, prepared)   # also: the temporary directory exists for everyone
    if prepared is not None:
        raise RuntimeError(f"checkpoint.save(step {step}) failed: {prepared}")
    files, error = {}, None
    try:
        files = _write_rank_files(state, tmp, group.rank)
    except Exception as exc:   # every rank must still reach the gather below
        error = exc.args[0] if isinstance(exc, _FileError) else f"{type(exc).__name__}: {exc}"
    reports = _gather(group, {"files": files, "error": error})
    outcome = None
    if group.rank == 0:
        try:
            outcome = _publish(reports, tmp, final, directory, step, group.size, keep_last)
        except Exception as exc:   # the other ranks wait for the outcome: tell them
            outcome = f"rank 0: {_describe(exc, final)}"
    outcome = _bcast(group, outcome)
    if outcome != "ok":
        raise RuntimeError(f"checkpoint.save(step {step}) failed: {outcome}")
    return final


class _FileError(Exception):
    """Writing one file failed; ``args[0]`` says which file and why."""


def _describe(exc, path):
    """``OSError: [Errno 28] No space left on device: '/ckpt/.tmp_step_7/replicated.dt'``:
    the error with the full path of the file it concerns, even when the OS gave none."""
    if isinstance(exc, OSError) and exc.filename is None and exc.strerror:
        return f"{type(exc).__name__}: [Errno {exc.errno}] {exc.strerror}: {path!r}"
    if isinstance(exc, OSError) and exc.filename is not None:
        return f"{type(exc).__name__}: {exc}"
    return f"{type(exc).__name__}: {exc} (writing {path!r})"


def _agree_on_step(group, step):
    if group.size == 1:
        return
    both = np.array([step, -step], np.int64)
    group.all_reduce(both, "MAX").wait()
    if both[0] == -both[1]:
        return
    steps = group.all_gather_obj(step).result()
    detail = ", ".join(f"rank {r}: {s}" for r, s in enumerate(steps))
    raise RuntimeError(f"checkpoint.save: the ranks disagree on the step ({detail}); every "
                       f"rank must save the same step")


def _write_rank_files(state, tmp, rank):
    replicated, sharded = _split(state, with_replicated=rank == 0)
    out = {}
    if rank == 0:
        out[REPLICATED] = _write_file(replicated, os.path.join(tmp, REPLICATED))
    out[shard_name(rank)] = _write_file({"rank": rank, "rng": rng_state(), "sharded": sharded},
                                        os.path.join(tmp, shard_name(rank)))
    return out


def _write_file(obj, path):
    try:
        _save(obj, path, format="disttrain")   # our own format: its own checks, no zip
        return _digest(path)
    except (OSError, RuntimeError) as exc:   # RuntimeError: the directory has gone
        raise _FileError(_describe(exc, os.path.abspath(path))) from exc


def _digest(path):
    h = hashlib.sha256()
    size = 0
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
            size += len(block)
    return {"sha256": h.hexdigest(), "bytes": size}


def _publish(reports, tmp, final, directory, step, world_size, keep_last):
    """Rank 0: write the manifest into the finished temporary directory, then name it."""
    errors = [f"rank {r}: {rep['error']}" for r, rep in enumerate(reports) if rep["error"]]
    if errors:
        shutil.rmtree(tmp, ignore_errors=True)
        return "; ".join(errors)
    files = {}
    for rep in reports:
        files.update(rep["files"])
    manifest = {"format": 1, "step": step, "world_size": world_size, "files": files}
    # The manifest goes in before the directory gets its name: a step directory is
    # complete from the moment it exists.
    _write_manifest(tmp, manifest)
    if os.path.exists(final):          # the same step saved again (after a restart)
        _replace_dir(tmp, final)       # the old one stays loadable until the swap
    else:
        os.rename(tmp, final)
    _fsync_dir(directory)
    if keep_last is not None:
        _prune(directory, int(keep_last))
    return "ok"


def _write_manifest(final, manifest):
    text = json.dumps(manifest, indent=1, sort_keys=True)
    atomic_write(os.path.join(final, MANIFEST), lambda fh: fh.write(text.encode()))


def _replace_dir(new, old):
    """Put directory ``new`` in place of ``old`` so that ``old``'s path always holds one of
    the two complete directories, then remove the replaced one.

    Linux swaps the two names in one step (``renameat2(RENAME_EXCHANGE)``); elsewhere, or
    on a filesystem without it, ``old`` is moved aside first, which leaves a moment in
    which the step is absent.
    """
    if _exchange(new, old):
        _fsync_dir(os.path.dirname(old) or ".")
        shutil.rmtree(new)            # now the replaced directory
        return
    aside = old + ".replaced"
    shutil.rmtree(aside, ignore_errors=True)
    os.rename(old, aside)
    os.rename(new, old)
    shutil.rmtree(aside, ignore_errors=True)


def _exchange(a, b):
    """Atomically swap the names ``a`` and ``b``; False where the system cannot."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    if renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0:
        return True
    err = ctypes.get_errno()
    if err in (errno.ENOSYS, errno.EINVAL, errno.ENOTSUP):
        return False
    raise OSError(err, os.strerror(err), b)


def _remove_stale_tmp(directory):
    # Left by a job killed while saving: every rank is inside this save, so none is live.
    for name in os.listdir(directory):
        if name.startswith(_TMP_PREFIX):
            shutil.rmtree(os.path.join(directory, name), ignore_errors=True)


def _prune(directory, keep_last):
    complete = [s for s, p in list_checkpoints(directory)
                if os.path.exists(os.path.join(p, MANIFEST))]
    for s in complete[:-keep_last]:
        shutil.rmtree(os.path.join(directory, step_dir(s)), ignore_errors=True)


# ------------------------------------------------------------------ loading
def list_checkpoints(directory):
    """``[(step, path)]`` of the step directories in ``directory``, oldest first (complete
    or not)."""
    if not os.path.isdir(directory):
        return []
    found = []
    for name in os.listdir(directory):
        m = _STEP_RE.match(name)
        if m and os.path.isdir(os.path.join(directory, name)):
            found.append((int(m.group(1)), os.path.join(directory, name)))
    return sorted(found)


def verify(path):
    """The manifest of the checkpoint at ``path`` if it is complete and intact; else raise
    ValueError saying what is wrong."""
    mpath = os.path.join(path, MANIFEST)
    if not os.path.exists(mpath):
        raise ValueError("it is incomplete (no manifest)")
    try:
        with open(mpath) as fh:
            manifest = json.load(fh)
        files = manifest["files"]
    except (ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"its manifest is unreadable ({exc})") from None
    for name, want in sorted(files.items()):
        fpath = os.path.join(path, name)
        if not os.path.exists(fpath):
            raise ValueError(f"{name} is missing")
        got = _digest(fpath)
        if got != want:
            raise ValueError(f"{name} is corrupt (sha256 {got['sha256'][:12]}... != "
                             f"{want['sha256'][:12]}..., {got['bytes']} vs {want['bytes']} "
                             f"bytes)")
    return manifest


def _choose(directory):
    """The newest intact checkpoint as (step, path, manifest), warning about the others."""
    found = list_checkpoints(directory)
    for step, path in reversed(found):
        try:
            return step, path, verify(path)
        except ValueError as why:
            warnings.warn(f"checkpoint {path} skipped: {why}; falling back to an older one",
                          RuntimeWarning, stacklevel=3)
    if found:   # every one was skipped: a fresh start must not pass unnoticed
        warnings.warn(f"no usable checkpoint in {directory}: starting from step 0",
                      RuntimeWarning, stacklevel=3)
    return None


def load_latest(directory, state=None, map_location=None, restore_rng=True, group=None):
    """Load the newest complete, intact checkpoint of ``directory``; every rank calls it.

    Args:
        directory (str): the checkpoint directory.
        state (dict, optional): name -> object with ``load_state_dict``: each is restored in
            place from the entry saved under its name.
        map_location (optional): as for :func:`disttrain.load`.
        restore_rng (bool): restore this rank's RNG states (Python, numpy, disttrain).
            On a new rank beyond the saving job's world size they are left alone.

    Returns:
        Checkpoint or None: ``(step, path, state)``, or None if there is no usable one.
    """
    group = _group(group)
    chosen = None
    if group.rank == 0:
        found = _choose(os.fspath(directory))
        chosen = None if found is None else [found[0], found[1], found[2]["world_size"]]
    chosen = _bcast(group, chosen)
    if chosen is None:
        return None
    step, path, saved_world = chosen
    return load(path, state, map_location, restore_rng, group, saved_world, step)


def load(path, state=None, map_location=None, restore_rng=True, group=None,
         saved_world=None, step=None):
    """Load the checkpoint directory ``path`` (see :func:`load_latest`)."""
    group = _group(group)
    if saved_world is None or step is None:
        manifest = verify(path)
        saved_world, step = manifest["world_size"], manifest["step"]
    loaded = _load(os.path.join(path, REPLICATED), map_location=map_location)
    own = None
    if group.rank < saved_world:
        own = _load(os.path.join(path, shard_name(group.rank)), map_location=map_location)
    sharded = _sharded_entries(path, own, saved_world, group.size, map_location)
    loaded.update(sharded)
    if state:
        for key, obj in state.items():
            if key in loaded and hasattr(obj, "load_state_dict"):
                obj.load_state_dict(loaded[key])
    if restore_rng and own is not None:
        set_rng_state(own["rng"])
    return Checkpoint(int(step), path, loaded)


def _sharded_entries(path, own, saved_world, world, map_location):
    """Whole states of the sharded entries (merged over the saving ranks' shards)."""
    from .optim import merge_shards
    if own is not None and not own["sharded"]:
        return {}
    shards = [_load(os.path.join(path, shard_name(r)), map_location=map_location)
              for r in range(saved_world)]
    keys = shards[0]["sharded"].keys()
    return {k: merge_shards([sh["sharded"][k] for sh in shards]) for k in keys}
