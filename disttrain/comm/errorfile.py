"""Record a worker's fatal error for its launcher, in torchrun's error-file format.

When ``TORCHELASTIC_ERROR_FILE`` is set (``launch`` and torchrun set it), an uncaught
exception is written there as JSON before the process exits::

    {"message": {"message": "ValueError: bad batch",
                 "extraInfo": {"py_callstack": "Traceback ...", "timestamp": "1733.5",
                               "consequence": false, "peer": null}}}

``consequence`` is true when the error only reports that a peer failed (a
:class:`~disttrain.comm.PeerError`, or a :class:`~disttrain.comm.CommTimeout`: waiting for
a peer), and ``peer`` names that rank when one is named: the launcher then looks for the
root cause elsewhere, and the traceback, which says nothing about the real failure, is
shortened to one line on the console (it stays whole in the file).
"""
import json
import os
import re
import sys
import time
import traceback

__all__ = ["ErrorHandler", "install_excepthook", "consequence_of"]

_PEER_RE = (re.compile(r"^rank (\d+) (?:left|stopped answering)"),
            re.compile(r"waiting for rank (\d+)"),
            re.compile(r"failed on rank (\d+)"))

# checkpoint.save raises on every rank when one rank's write failed, naming that rank first
_SAVE_RE = re.compile(r"^checkpoint\.save\(step \d+\) failed: rank (\d+):")


def consequence_of(exc):
    """Whose failure ``exc`` (or an exception it was raised from) only reports: the peer's
    rank, ``-1`` for a timeout naming no other rank (someone else is late), or None when
    ``exc`` is a failure of its own.

    Besides comm's errors, an exception whose ``consequence_of_rank`` attribute is set, and
    the error every rank gets from a ``checkpoint.save`` that failed on another rank, are
    consequences."""
    from .transport import CommError, CommTimeout, MismatchError
    own = os.environ.get("RANK")
    seen = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        peer = getattr(exc, "consequence_of_rank", None)   # set by whoever knows better
        if peer is None and isinstance(exc, RuntimeError):
            m = _SAVE_RE.match(str(exc))
            peer = int(m.group(1)) if m else None
        if peer is not None and str(peer) != own:
            return int(peer)
        if isinstance(exc, CommError) and not isinstance(exc, MismatchError):
            for pattern in _PEER_RE:
                m = pattern.search(str(exc))
                if m and m.group(1) != own:
                    return int(m.group(1))
            if isinstance(exc, CommTimeout):
                return -1
        exc = exc.__cause__ or exc.__context__
    return None


class ErrorHandler:
    """Writes an exception to ``TORCHELASTIC_ERROR_FILE`` (as torchrun's ErrorHandler)."""

    def _error_file_path(self):
        return os.environ.get("TORCHELASTIC_ERROR_FILE")

    def initialize(self):
        """Nothing to set up beyond the excepthook; kept for PyTorch's API."""
        install_excepthook()

    def record_exception(self, e):
        """Write ``e`` with its traceback to the error file, if there is one."""
        path = self._error_file_path()
        if not path:
            return
        peer = consequence_of(e)
        data = {"message": {
            "message": f"{type(e).__name__}: {e}",
            "extraInfo": {
                "py_callstack": "".join(traceback.format_exception(type(e), e,
                                                                   e.__traceback__)),
                "timestamp": repr(time.time()),
                "consequence": peer is not None,
                "peer": peer if peer is not None and peer >= 0 else None}}}
        part = f"{path}.{os.getpid()}.part"
        try:
            os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
            with open(part, "w") as fh:
                json.dump(data, fh)
            os.replace(part, path)
        except OSError as exc:   # never hide the real error behind this one
            print(f"disttrain: could not write the error file {path}: {exc}",
                  file=sys.stderr)


_installed = []


def install_excepthook():
    """Record uncaught exceptions in the error file (once; a no-op without one)."""
    if _installed or not os.environ.get("TORCHELASTIC_ERROR_FILE"):
        return
    previous = sys.excepthook
    handler = ErrorHandler()

    def hook(kind, exc, tb):
        if isinstance(exc, Exception):
            handler.record_exception(exc)
            if consequence_of(exc) is not None:
                print(f"{kind.__name__}: {exc} (traceback in {handler._error_file_path()})",
                      file=sys.stderr, flush=True)
                return
        previous(kind, exc, tb)

    sys.excepthook = hook
    _installed.append(hook)
