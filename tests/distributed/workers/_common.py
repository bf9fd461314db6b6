"""Helpers for worker scripts: record checks, compare parameters across ranks."""
import hashlib
import json
import os
import sys
import traceback

import numpy as np


class Recorder:
    """Runs named checks in order and writes ``rank{r}.json`` after each one.

    A failed check is recorded with its traceback and ends the worker (exit code 1): later
    collectives could otherwise wait on ranks that took another path.
    """

    def __init__(self, out_dir, rank):
        self.path = os.path.join(out_dir, f"rank{rank}.json")
        self.results = {}

    def _flush(self):
        with open(self.path + ".part", "w") as fh:
            json.dump(self.results, fh)
        os.replace(self.path + ".part", self.path)

    def __call__(self, fn):
        try:
            fn()
        except Exception:
            self.results[fn.__name__] = traceback.format_exc()
            self._flush()
            traceback.print_exc()
            sys.exit(1)
        self.results[fn.__name__] = "ok"
        self._flush()
        return fn


def params_digest(params):
    """sha256 of the parameters' bytes: equal digests mean bit-identical parameters."""
    h = hashlib.sha256()
    for p in params:
        h.update(np.ascontiguousarray(p._data).tobytes())
    return h.hexdigest()


def max_diff(a_params, b_params):
    return max(float(np.max(np.abs(a._data.astype(np.float64) - b._data.astype(np.float64))))
               for a, b in zip(a_params, b_params))


def check(cond, msg):
    if not cond:
        raise AssertionError(msg)


def raises(exc_type, fragments, fn, what):
    """``fn()`` must raise ``exc_type`` with every string of ``fragments`` in its message."""
    try:
        fn()
    except exc_type as e:
        msg = str(e)
        missing = [f for f in fragments if f not in msg]
        check(not missing, f"{what}: {missing} not in the message: {msg}")
    else:
        raise AssertionError(f"no error: {what}")
