"""How the launchers of a multi-node job meet and act as one.

Node 0's launcher serves a small coordinator at ``--master-addr:--master-port``; every
node's launcher (node 0's too) connects to it and they exchange JSON lines:

* ``hello`` (node rank, workers per node, a hash of the job secret) -> ``welcome`` (the run
  id) once every node has arrived. Until then each side says, every few seconds, whom it
  is waiting for.
* ``start`` (attempt, the workers' MASTER_PORT: a free port on node 0, new per attempt).
* a node whose worker fails sends ``failed``; the coordinator tells every node ``stop``.
* every node reports how its attempt ended (``report``: ok, failures, or a signal); the
  coordinator picks the root cause over all nodes and tells every node ``restart`` (the
  whole job, together, from the same checkpoint) or ``exit`` with one exit code.

A node that loses the coordinator stops its workers and exits 1; a node that disconnects
ends the job (static membership: it cannot be replaced).
"""
import hashlib
import json
import socket
import sys
import threading
import time

from . import rootcause

__all__ = ["Coordinator", "NodeLink", "Interrupted", "decide"]

WAIT_NOTICE_S = 3.0   # how often a waiting side says whom it waits for


class Interrupted(Exception):
    """The launcher got a signal while waiting for the other nodes."""


def say(text):
    print(f"launch: {text}", file=sys.stderr, flush=True)


def decide(reports, attempt, max_restarts):
    """The job's next step from every node's report: a dict with ``action``
    (``"done"``, ``"restart"`` or ``"exit"``), ``code``, ``root`` and ``failures``."""
    sigs = [r["signal"] for r in reports if r.get("signal")]
    if sigs:
        return {"action": "exit", "code": 128 + sigs[0], "signal": sigs[0]}
    lost = [r["lost"] for r in reports if r.get("lost")]
    failures = [f for r in reports for f in r.get("failures", [])]
    if not failures and not lost:
        return {"action": "done", "code": 0}
    alive = [r for rep in reports for r in rep.get("alive", [])]
    root = rootcause.choose(failures, alive)
    code = rootcause.shell_code(root["code"]) if root else 1
    if lost:
        return {"action": "exit", "code": code or 1, "root": root, "failures": failures,
                "lost": lost[0]}
    action = "restart" if attempt < max_restarts else "exit"
    return {"action": action, "code": code, "root": root, "failures": failures}


def _send(sock, msg):
    sock.sendall((json.dumps(msg) + "\n").encode())


class _Lines:
    """JSON messages from a socket, one per line."""

    def __init__(self, sock):
        self.sock, self.buf = sock, b""

    def __iter__(self):
        while True:
            while b"\n" not in self.buf:
                try:
                    data = self.sock.recv(65536)
                except OSError:
                    data = b""
                if not data:
                    return
                self.buf += data
            line, self.buf = self.buf.split(b"\n", 1)
            yield json.loads(line)


class Coordinator:
    """Node 0's side: gathers the nodes, starts attempts, decides restarts."""

    def __init__(self, addr, port, nnodes, nproc, secret, run_id, port_for, max_restarts):
        self.nnodes, self.nproc, self.run_id = nnodes, nproc, run_id
        self.key = _key(secret)
        self.port_for, self.max_restarts = port_for, max_restarts
        self.server = socket.create_server((_bind_addr(addr), port), reuse_port=False)
        self.nodes = {}          # node rank -> socket
        self.lock = threading.Condition()
        self.reports = {}        # attempt -> {node: report}
        self.stopped = set()     # attempts already told to stop
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self):
        self.server.settimeout(WAIT_NOTICE_S)
        noticed = time.monotonic()
        while len(self.nodes) < self.nnodes:
            try:
                sock, peer = self.server.accept()
            except socket.timeout:
                sock = None
            except OSError:
                return
            if sock is not None:
                self._greet(sock, peer)
            if len(self.nodes) < self.nnodes and time.monotonic() - noticed >= WAIT_NOTICE_S:
                noticed = time.monotonic()
                missing = sorted(set(range(self.nnodes)) - set(self.nodes))
                say(f"node 0: waiting for node(s) {', '.join(map(str, missing))} to join "
                    f"({len(self.nodes)} of {self.nnodes} here)")
        for sock in self.nodes.values():
            _send(sock, {"type": "welcome", "run_id": self.run_id})
        self._next_attempt(0)

    def _greet(self, sock, peer):
        sock.settimeout(30)
        try:
            hello = next(iter(_Lines(sock)), None)
        except (ValueError, OSError):
            hello = None
        sock.settimeout(None)
        problem = None
        if not hello or hello.get("type") != "hello":
            problem = "not a launch node"
        elif hello.get("key") != self.key:
            problem = "a different job secret (DISTTRAIN_SECRET)"
        elif hello.get("nproc") != self.nproc:
            problem = f"--nproc {hello.get('nproc')}, node 0 has {self.nproc}"
        elif hello.get("nnodes") != self.nnodes:
            problem = f"--nnodes {hello.get('nnodes')}, node 0 has {self.nnodes}"
        elif hello.get("node_rank") in self.nodes:
            problem = f"node rank {hello.get('node_rank')} has already joined"
        if problem:
            say(f"node 0: refused {peer[0]}: {problem}")
            try:
                _send(sock, {"type": "refused", "why": problem})
            except OSError:
                pass
            sock.close()
            return
        node = hello["node_rank"]
        self.nodes[node] = sock
        threading.Thread(target=self._listen, args=(node, sock), daemon=True).start()

    def _listen(self, node, sock):
        for msg in _Lines(sock):
            if msg["type"] == "failed":
                self._stop_all(msg["attempt"])
            elif msg["type"] == "report":
                self._report(msg["attempt"], node, msg["report"])
        with self.lock:   # the node is gone: whatever runs now cannot finish
            attempt = max(self.reports, default=0)
            self.nodes.pop(node, None)
        if not getattr(self, "finished", False):
            self._stop_all(attempt)
            self._report(attempt, node, {"lost": f"node {node} disconnected"})

    def _broadcast(self, msg):
        for sock in list(self.nodes.values()):
            try:
                _send(sock, msg)
            except OSError:
                pass

    def _stop_all(self, attempt):
        with self.lock:
            if attempt in self.stopped:
                return
            self.stopped.add(attempt)
        self._broadcast({"type": "stop", "attempt": attempt})

    def _report(self, attempt, node, report):
        with self.lock:
            got = self.reports.setdefault(attempt, {})
            got[node] = report
            if len(got) < self.nnodes or got.get("decided"):
                return
            got["decided"] = True
            reports = [got[n] for n in range(self.nnodes)]
        verdict = decide(reports, attempt, self.max_restarts)
        verdict.update(type="verdict", attempt=attempt)
        if verdict["action"] != "restart":
            self.finished = True
        self._broadcast(verdict)
        if verdict["action"] == "restart":
            self._next_attempt(attempt + 1)

    def _next_attempt(self, attempt):
        with self.lock:
            self.reports.setdefault(attempt, {})
        self._broadcast({"type": "start", "attempt": attempt,
                         "port": self.port_for(attempt)})

    def close(self):
        self.finished = True
        self.server.close()


class NodeLink:
    """Every node's side: the connection to the coordinator."""

    def __init__(self, addr, port, node_rank, nnodes, nproc, secret, interrupted):
        self.addr, self.port, self.node_rank = addr, port, node_rank
        self.interrupted = interrupted   # () -> bool: stop waiting (a signal came)
        self.hello = {"type": "hello", "node_rank": node_rank, "nnodes": nnodes,
                      "nproc": nproc, "key": _key(secret)}
        self.cond = threading.Condition()
        self.inbox = []
        self.lost = None

    def join(self):
        """Connect and wait for every node; the run id."""
        noticed = time.monotonic()
        while True:
            if self.interrupted():
                raise Interrupted()
            try:
                self.sock = socket.create_connection((self.addr, self.port), timeout=1)
                break
            except OSError as exc:
                if time.monotonic() - noticed >= WAIT_NOTICE_S:
                    noticed = time.monotonic()
                    say(f"node {self.node_rank}: waiting for node 0 at "
                        f"{self.addr}:{self.port} ({exc.strerror or exc})")
                time.sleep(0.5)
        self.sock.settimeout(None)
        _send(self.sock, self.hello)
        threading.Thread(target=self._read, daemon=True).start()
        msg = self.wait("welcome", None)
        return msg["run_id"]

    def _read(self):
        for msg in _Lines(self.sock):
            with self.cond:
                self.inbox.append(msg)
                self.cond.notify_all()
        with self.cond:
            self.lost = f"lost contact with node 0 at {self.addr}:{self.port}"
            self.cond.notify_all()

    def wait(self, kind, attempt, timeout=None):
        """The next message of ``kind`` (for ``attempt``); None on timeout. Raises
        ConnectionError when node 0 is gone or refused this node."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self.cond:
            while True:
                for msg in self.inbox:
                    if msg["type"] == "refused":
                        raise ConnectionError(f"node 0 refused this node: {msg['why']}")
                    if msg["type"] == kind and (attempt is None or
                                                msg.get("attempt") == attempt):
                        self.inbox.remove(msg)
                        return msg
                if self.lost:
                    raise ConnectionError(self.lost)
                if self.interrupted():
                    raise Interrupted()
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return None
                self.cond.wait(min(left, 0.2) if left is not None else 0.2)

    def stop_requested(self, attempt):
        with self.cond:
            return self.lost is not None or any(
                m["type"] == "stop" and m["attempt"] == attempt for m in self.inbox)

    def send(self, msg):
        try:
            _send(self.sock, msg)
        except OSError:
            pass

    def close(self):
        try:
            self.sock.close()
        except (OSError, AttributeError):
            pass


def _key(secret):
    return hashlib.sha256(f"launch-node:{secret}".encode()).hexdigest()


def _bind_addr(addr):
    """Bind the coordinator on ``addr`` when it is this host's, else on every interface."""
    try:
        with socket.socket() as s:
            s.bind((addr, 0))
        return addr
    except OSError:
        return ""
