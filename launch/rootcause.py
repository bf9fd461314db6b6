"""Which worker failed first, on its own: the root cause of a failed job.

A worker that fails because a peer died (disttrain's ``PeerError``, or a ``CommTimeout``
waiting for a peer) says so in its error file (``TORCHELASTIC_ERROR_FILE``, torchrun's
format, written by disttrain's error handler); such a failure is a *consequence*. The root
cause is the earliest failure that is not a consequence, by the time it happened (the error
file's timestamp, else the time the launcher saw the process exit). When every failure is
a consequence (a stalled rank stops nobody by dying), the root cause is the peer they name.
"""
import json
import signal
import socket
import time

__all__ = ["Failure", "read_error_file", "choose", "report", "describe_exit", "shell_code"]


def describe_exit(code):
    """``-9`` -> ``"was killed by signal SIGKILL"``, ``3`` -> ``"exited with code 3"``."""
    if code < 0:
        return f"was killed by signal {signal_name(-code)}"
    return f"exited with code {code}"


def signal_name(num):
    try:
        return signal.Signals(num).name
    except ValueError:
        return str(num)


def shell_code(code):
    """A worker's exit status as a process exit code: 128 + signal for a killed one."""
    return 128 - code if code < 0 else code


def read_error_file(path):
    """The error a worker recorded in torchrun's format, as a dict, or None."""
    try:
        with open(path) as fh:
            data = json.load(fh)
        msg = data["message"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    if isinstance(msg, str):
        return {"message": msg, "extraInfo": {}}
    return {"message": str(msg.get("message", "")), "extraInfo": msg.get("extraInfo") or {}}


def Failure(rank, local_rank, pid, code, when, log=None, error_file=None, host=None):
    """A failed worker, as plain data (it travels between nodes as JSON).

    Args:
        rank, local_rank, pid (int); code (int): its exit status (-N: signal N).
        when (float): when the launcher saw it exit (``time.time()``).
        log (str, optional): its log file. error_file (str, optional): its error file.
    """
    f = {"rank": rank, "local_rank": local_rank, "pid": pid, "code": code, "time": when,
         "host": host or socket.gethostname(), "log": log, "error_file": None,
         "summary": None, "consequence": False, "peer": None}
    err = read_error_file(error_file) if error_file else None
    if err is not None:
        info = err["extraInfo"]
        f["error_file"] = error_file
        f["summary"] = err["message"].strip().splitlines()[-1] if err["message"].strip() \
            else None
        try:
            f["time"] = min(when, float(info.get("timestamp", when)))
        except (TypeError, ValueError):
            pass
        f["consequence"] = bool(info.get("consequence"))
        f["peer"] = info.get("peer")
    return f


def choose(failures, alive=()):
    """The root cause among ``failures`` (see the module docstring), or None.

    Args:
        alive (list): ranks still running when the job was stopped: when every failure is
            a consequence, a stalled one among them is the cause.
    """
    if not failures:
        return None
    own = [f for f in failures if not f["consequence"]]
    if own:
        return min(own, key=lambda f: (f["time"], f["rank"]))
    first = min(failures, key=lambda f: (f["time"], f["rank"]))
    named = [f["peer"] for f in failures if f["peer"] is not None]
    suspects = [p for p in named if p in alive] or list(alive) or named
    if not suspects:
        return first
    peer = max(set(suspects), key=lambda p: (suspects.count(p), -p))
    return dict(first, rank=peer, local_rank=None, pid=None, host=None, log=None,
                error_file=None, consequence=False, peer=None, stalled=True,
                summary=f"did not respond: rank {first['rank']} failed waiting "
                        f"({first['summary']})")


def report(what, root, failures):
    """torchrun's failure block: the root cause in full, the others one line each."""
    bar, thin = "=" * 60, "-" * 60
    lines = [bar, f"{what} FAILED", thin, "Root Cause (first observed failure):"]
    lines += _describe(root)
    others = [f for f in failures if f is not root and f["rank"] != root["rank"]]
    lines += [thin, "Other failures:" if others else "Other failures: none"]
    for f in sorted(others, key=lambda f: f["time"]):
        why = f" ({'consequence of rank %s' % f['peer'] if f['consequence'] else 'own'})"
        lines.append(f"  rank {f['rank']} {describe_exit(f['code'])}{why}: "
                     f"{f['summary'] or '-'}")
    lines.append(bar)
    return "\n".join(lines)


def _describe(f):
    stamp = time.strftime("%Y-%m-%d_%H:%M:%S", time.localtime(f["time"]))
    if f.get("stalled"):
        return [f"  rank      : {f['rank']} (stalled; stopped by the launcher)",
                f"  time      : {stamp}",
                f"  error     : {f['summary']}"]
    code = f["code"]
    exitcode = f"{code} (signal {signal_name(-code)})" if code < 0 else str(code)
    return [f"  rank      : {f['rank']} (local_rank: {f['local_rank']})",
            f"  host      : {f['host']}",
            f"  pid       : {f['pid']}",
            f"  exitcode  : {exitcode}",
            f"  time      : {stamp}",
            f"  error     : {f['summary'] or '<N/A> (no error file: see the log)'}",
            f"  error_file: {f['error_file'] or '<N/A>'}",
            f"  log       : {f['log'] or '<N/A> (use --log-dir to keep one)'}"]
