"""Rendezvous key-value store: rank 0 serves it, every rank meets through it.

Rank 0 binds a ZeroMQ ROUTER socket at ``MASTER_ADDR:MASTER_PORT`` and answers from a
background thread; clients talk to it over a DEALER socket. Ranks publish their
endpoints with :meth:`Store.set` and wait for each other's with :meth:`Store.multi_get`.

Request, client to server (the ROUTER adds the client's identity in front)::

    [token, msgpack([run_id, generation, request_id, op, *args])]
    op: "set" key value | "get" key timeout | "multi_get" keys timeout | "wait" keys timeout
        | "add" key amount | "delete" key | "check" keys
        | "join" world_size rank host pid timeout

Reply: ``msgpack([request_id, ok, value_or_error_text])``; ``ok`` is None for "not yet:
ask again" (a request of the next generation reaching the previous one's server).

``token`` is :func:`~disttrain.comm.wire.secret_token` of the job's secret and ``run_id``
the job's run id: a request with another token or run id gets a refusal and changes
nothing, and the server carries on serving its job. ``generation`` counts the process
groups a job created one after another (``init_process_group`` after
``destroy_process_group``): a request for another generation is answered "ask again", so
a fast rank never writes into the store of the group being torn down. Values are bytes;
``add`` keeps a decimal integer, as torch's TCPStore. Keys under ``rdzv/`` are
write-once: setting one again to another value is refused.

``join`` is the rendezvous itself: each rank registers its rank, world size, host and
process id, and the reply, once every rank of the world has joined, is the roster. The
server checks the claims as they come and fails every waiting (and later) joiner at once,
naming the disagreement, when ranks disagree on the world size or two processes claim one
rank; a claim arriving after the group formed also raises :attr:`StoreServer.alarm`, so
the formed group can fail too instead of training beside a misconfigured process.

Every socket refuses frames larger than ``max_message`` bytes (the peer is disconnected
as soon as it announces one), so nothing can make the store hold more than that.
"""
import hmac
import itertools
import logging
import os
import socket
import threading
import time

import msgpack
import zmq
from zmq.utils.monitor import recv_monitor_message

from .roster import Roster, ranges
from .wire import secret_token

__all__ = ["Store", "StoreServer", "StoreError", "RendezvousError", "resolve_ip",
           "tcp_endpoint", "MAX_MESSAGE", "CONNECT_TIMEOUT"]

log = logging.getLogger("disttrain.comm")

_REFUSED = "refused: this process's DISTTRAIN_SECRET does not match the job's"
MAX_MESSAGE = 1 << 20      # bytes per frame; requests and replies are a few hundred bytes
CONNECT_TIMEOUT = 60.0     # seconds a client retries a refused connection before giving up
_NOTE_EVERY = 5.0          # seconds between "still waiting for the rendezvous" lines
_WRITE_ONCE = "rdzv/"


class StoreError(RuntimeError):
    """The rendezvous store refused a request, failed it, or did not answer in time."""


class RendezvousError(StoreError):
    """The ranks' claims at rendezvous disagree (world size, a rank claimed twice...)."""


def resolve_ip(host):
    """``host`` -> an IP address string (IPv4 preferred), or raise ValueError naming it."""
    try:
        infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise ValueError(f"cannot resolve MASTER_ADDR {host!r}: {exc}") from None
    infos.sort(key=lambda info: info[0] != socket.AF_INET)
    return infos[0][4][0]


def tcp_endpoint(ip, port):
    """ZeroMQ endpoint for ``ip`` and ``port`` (bracketed for IPv6)."""
    return f"tcp://[{ip}]:{port}" if ":" in ip else f"tcp://{ip}:{port}"


class StoreServer:
    """The store's server side; :class:`Store` with ``is_master=True`` starts one.

    Args:
        host (str): address to serve on; bound on that interface only when it is local.
        port (int): TCP port.
        secret (str, optional): the job's secret (``""`` or None: none required).
        run_id (str): the job's run id; requests of other runs are refused.
        generation (int): which of the job's successive groups this store serves.
        max_message (int): largest frame accepted, in bytes.

    Attributes:
        alarm (str or None): set when a process claimed a place in the group after it
            formed (see the module docstring); the group's owner should fail on it.
    """

    def __init__(self, host, port, secret=None, run_id="", generation=0,
                 max_message=MAX_MESSAGE):
        self._token = secret_token(secret)
        self.run_id, self.generation = run_id, generation
        self._data = {}
        self._waiters = []           # [identity, request_id, op, keys, deadline]
        self._joins = []             # [identity, request_id, deadline]
        self._roster = Roster()
        self._told = set()           # ranks told why the rendezvous failed
        self.alarm = None
        self._bad = 0
        self._ctx = zmq.Context(io_threads=1)
        self._sock = self._ctx.socket(zmq.ROUTER)
        self._sock.linger = 0
        self._sock.maxmsgsize = max_message   # a stranger cannot make us hold more
        self.endpoint = self._bind(host, port)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="disttrain-store", daemon=True)
        self._thread.start()

    def _bind(self, host, port):
        ip = resolve_ip(host)
        self._sock.ipv6 = ":" in ip
        try:
            self._sock.bind(tcp_endpoint(ip, port))
        except zmq.ZMQError as exc:
            if exc.errno == zmq.EADDRINUSE:
                raise StoreError(f"cannot serve the rendezvous store on {host}:{port}: the "
                                 f"port is already in use (is another job using "
                                 f"MASTER_PORT={port}?)") from None
            if exc.errno != zmq.EADDRNOTAVAIL:
                raise
            # MASTER_ADDR is not one of this host's addresses (NAT, a DNS alias): listen on
            # all interfaces rather than fail; the secret still keeps strangers out.
            log.warning("MASTER_ADDR %s (%s) is not an address of this host; the rendezvous "
                        "store listens on all interfaces", host, ip)
            self._sock.bind(tcp_endpoint("::" if ":" in ip else "0.0.0.0", port))
        return self._sock.getsockopt_string(zmq.LAST_ENDPOINT)

    def close(self):
        """Stop serving and release the port."""
        self._stop.set()
        self._thread.join(timeout=5)
        self._ctx.destroy(linger=0)

    def _serve(self):
        poller = zmq.Poller()
        poller.register(self._sock, zmq.POLLIN)
        while not self._stop.is_set():
            if poller.poll(100):
                while self._handle_one():
                    pass
            self._expire_waiters()
            if self._joins and self._roster.settle():
                self._answer_joins()

    def _handle_one(self):
        try:
            frames = self._sock.recv_multipart(zmq.NOBLOCK)
        except zmq.Again:
            return False
        if len(frames) != 3:
            self._warn(f"dropped a malformed request ({len(frames)} frames)")
            return True
        ident, token, body = frames
        try:
            run, generation, rid, op, *args = msgpack.unpackb(body, raw=False)
        except Exception:
            self._warn("dropped a malformed request (body is not a msgpack request)")
            return True
        if not hmac.compare_digest(token, self._token):
            self._warn("refused a request from a process without the job's secret")
            self._reply(ident, rid, False, _REFUSED)
            return True
        if run != self.run_id:
            self._warn(f"refused a request of run {run!r}: this store serves run "
                       f"{self.run_id!r}")
            self._reply(ident, rid, False, f"refused: this store serves run {self.run_id!r} "
                        f"but the request comes from run {run!r} (another job using the "
                        f"same MASTER_ADDR:MASTER_PORT?)")
            return True
        if generation != self.generation:   # this store's group is going or not yet there
            self._reply(ident, rid, None, f"the store serves process group "
                        f"{self.generation}, not {generation}")
            return True
        try:
            self._dispatch(ident, rid, op, args)
        except Exception as exc:  # a bad request must never stop the server
            self._reply(ident, rid, False, f"bad request {op!r}: {exc}")
        return True

    def _dispatch(self, ident, rid, op, args):
        if op == "set":
            key, value = args
            value = bytes(value)
            if key.startswith(_WRITE_ONCE) and self._data.get(key, value) != value:
                raise ValueError(f"{key} is already set; rendezvous keys are write-once "
                                 f"(two processes claim the same rank?)")
            self._data[key] = value
            self._reply(ident, rid, True, None)
            self._wake_waiters()
        elif op == "join":
            world_size, rank, host, pid, timeout = args
            failure = self._roster.claim(int(world_size), int(rank), str(host), int(pid))
            if failure and self._roster.formed is not None:
                self.alarm = failure
            self._joins.append([ident, rid, time.monotonic() + float(timeout), int(rank)])
            self._answer_joins()
        elif op == "add":
            key, amount = args
            value = int(self._data.get(key, b"0")) + int(amount)
            self._data[key] = str(value).encode()
            self._reply(ident, rid, True, value)
            self._wake_waiters()
        elif op == "delete":
            self._reply(ident, rid, True, self._data.pop(args[0], None) is not None)
        elif op == "check":
            self._reply(ident, rid, True, all(k in self._data for k in args[0]))
        elif op in ("get", "multi_get", "wait"):
            keys = [args[0]] if op == "get" else list(args[0])
            self._waiters.append([ident, rid, op, keys, time.monotonic() + float(args[1])])
            self._wake_waiters()
        else:
            raise ValueError("unknown operation")

    def _wake_waiters(self):
        still = []
        for ident, rid, op, keys, deadline in self._waiters:
            if not all(k in self._data for k in keys):
                still.append([ident, rid, op, keys, deadline])
            elif op == "get":
                self._reply(ident, rid, True, self._data[keys[0]])
            else:
                self._reply(ident, rid, True,
                            [self._data[k] for k in keys] if op == "multi_get" else None)
        self._waiters = still

    def _answer_joins(self):
        failure = self._roster.failure
        roster = None if failure else self._roster.complete()
        if failure or roster:
            for ident, rid, _, rank in self._joins:
                self._reply(ident, rid, *((False, failure) if failure else (True, roster)))
                self._told.add(rank)
            self._joins = []

    def hold_failure(self, grace):
        """After a failed rendezvous, keep serving until every rank that was expected has
        been told why (or ``grace`` seconds passed): a rank that comes late then learns the
        reason instead of finding nobody at the port."""
        claims = self._roster.claims
        expected = set(range(max((c[0] for c in claims.values()), default=0)))
        deadline = time.monotonic() + grace
        while not expected <= self._told and time.monotonic() < deadline:
            time.sleep(0.02)

    def _expire_waiters(self):
        now = time.monotonic()
        for ident, rid, deadline, _ in self._joins:
            if deadline <= now:
                got = sorted(self._roster.claims)
                self._reply(ident, rid, False, f"timed out waiting for the other ranks to "
                            f"join; joined: {ranges(got) if got else 'none'}")
        self._joins = [j for j in self._joins if j[2] > now]
        for ident, rid, op, keys, deadline in self._waiters:
            if deadline <= now:
                missing = [k for k in keys if k not in self._data]
                self._reply(ident, rid, False, f"timed out waiting for keys {missing}")
        self._waiters = [w for w in self._waiters if w[4] > now]

    def _reply(self, ident, rid, ok, value):
        try:
            self._sock.send_multipart([ident, msgpack.packb([rid, ok, value])], zmq.NOBLOCK)
        except zmq.ZMQError:
            pass  # the client went away; nothing to tell it

    def _warn(self, what):
        self._bad += 1
        if self._bad <= 10 or self._bad % 1000 == 0:  # a flood of garbage must not flood logs
            log.warning("rendezvous store: %s (%d so far)", what, self._bad)


class Store:
    """Client of the rendezvous store (and its server when ``is_master``), like TCPStore.

    Args:
        host (str): the server's address (``MASTER_ADDR``).
        port (int): the server's port (``MASTER_PORT``).
        is_master (bool): serve the store from this process. Default: ``False``.
        timeout (float): seconds any request may wait, unless given one. Default: 300.
        secret (str, optional): the job's secret. Default: none.
        run_id (str): the job's run id (see :mod:`.store`). Default: ``""``.
        generation (int): which of the job's successive groups this is. Default: 0.
        connect_timeout (float, optional): seconds to keep retrying while nothing accepts
            a connection at ``host:port``, with a line every few seconds. Default:
            ``$DISTTRAIN_CONNECT_TIMEOUT`` or 60.
        max_message (int): largest frame accepted, in bytes. Default: 1 MiB.
        rank (int, optional): this process's rank, for messages.

    Example::

        >>> store = Store("127.0.0.1", 29511, is_master=True)
        >>> store.set("rank0", b"ipc://@x")
        >>> store.get("rank0")
        b'ipc://@x'
    """

    def __init__(self, host, port, is_master=False, timeout=300.0, secret=None, run_id="",
                 generation=0, connect_timeout=None, max_message=MAX_MESSAGE, rank=None):
        self.host, self.port, self.timeout = host, int(port), float(timeout)
        self.run_id, self.generation, self.rank = run_id, int(generation), rank
        if connect_timeout is None:
            connect_timeout = float(os.environ.get("DISTTRAIN_CONNECT_TIMEOUT") or
                                    CONNECT_TIMEOUT)
        self.connect_timeout = float(connect_timeout)
        self.server = StoreServer(host, port, secret, run_id, generation, max_message) \
            if is_master else None
        self._reached = is_master
        self._token = secret_token(secret)
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._ctx = zmq.Context(io_threads=1)
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.linger = 0
        self._sock.maxmsgsize = max_message
        self._ip = resolve_ip(host)
        self._sock.ipv6 = ":" in self._ip
        # A request the server had received but not answered when its connection dropped
        # (the previous group's store closing, say) is lost: watching the connection tells
        # when to send it again.
        self._monitor = self._sock.get_monitor_socket(zmq.EVENT_DISCONNECTED)
        self._poller = zmq.Poller()
        self._poller.register(self._sock, zmq.POLLIN)
        self._poller.register(self._monitor, zmq.POLLIN)
        self._sock.connect(tcp_endpoint(self._ip, self.port))

    def set(self, key, value):
        """Store ``value`` (bytes or str) under ``key``."""
        self._call("set", key, value.encode() if isinstance(value, str) else bytes(value))

    def get(self, key, timeout=None):
        """The value of ``key``, waiting up to ``timeout`` seconds for it to be set."""
        timeout = self.timeout if timeout is None else timeout
        return self._call("get", key, timeout, timeout=timeout)

    def multi_get(self, keys, timeout=None):
        """The values of ``keys`` in order, waiting until all are set."""
        timeout = self.timeout if timeout is None else timeout
        return self._call("multi_get", list(keys), timeout, timeout=timeout)

    def wait(self, keys, timeout=None):
        """Block until every key in ``keys`` is set, or raise :class:`StoreError`."""
        timeout = self.timeout if timeout is None else timeout
        self._call("wait", list(keys), timeout, timeout=timeout)

    def add(self, key, amount=1):
        """Atomically add ``amount`` to the integer at ``key`` (0 if unset); the new value."""
        return self._call("add", key, int(amount))

    def delete_key(self, key):
        """Remove ``key``; whether it existed."""
        return self._call("delete", key)

    def check(self, keys):
        """Whether every key in ``keys`` is set, without waiting."""
        return self._call("check", list(keys))

    def join(self, world_size, rank, host, timeout=None):
        """Claim ``rank`` of a world of ``world_size`` from ``host``; wait for every rank.

        Returns:
            dict: ``{"nonce": str, "ranks": [[host, pid] for each rank]}``.

        Raises:
            RendezvousError: at once, on every rank, if the claims disagree.
            StoreError: if not every rank joined within ``timeout``.
        """
        timeout = self.timeout if timeout is None else timeout
        try:
            return self._call("join", int(world_size), int(rank), host, os.getpid(), timeout,
                              timeout=timeout)
        except StoreError as exc:
            if "rendezvous failed: " in str(exc):
                raise RendezvousError(str(exc).split("failed: ", 1)[1]) from None
            raise

    def close(self):
        """Close the client, and the server if this process runs it."""
        self._sock.disable_monitor()
        self._monitor.close(linger=0)
        self._ctx.destroy(linger=0)
        if self.server is not None:
            self.server.close()

    def _dropped(self):
        """Read the monitor's events; whether the connection dropped."""
        dropped = False
        while True:
            try:
                event = recv_monitor_message(self._monitor, zmq.NOBLOCK)["event"]
            except zmq.Again:
                return dropped
            dropped |= event == zmq.EVENT_DISCONNECTED

    def _await_server(self, op, key, budget):
        """Wait until something accepts a TCP connection at the store's address.

        ZeroMQ retries a refused connection silently forever; this turns "nothing listens
        there" into a line every few seconds and, after ``connect_timeout``, an error.
        """
        limit = min(budget, self.connect_timeout)
        start = time.monotonic()
        note = start + 2.0
        who = "" if self.rank is None else f"rank {self.rank}: "
        while True:
            left = start + limit - time.monotonic()
            try:
                with socket.create_connection((self._ip, self.port),
                                              timeout=max(0.05, min(2.0, left))):
                    self._reached = True
                    return
            except OSError as exc:
                why = (exc.strerror or str(exc) or type(exc).__name__).lower()
            if time.monotonic() - start >= limit:
                raise StoreError(f"{who}rendezvous store at {self.host}:{self.port} did not "
                                 f"answer {op} {key!r}: nothing accepted a connection there "
                                 f"for {limit:g} s ({why}); is rank 0 running, and are "
                                 f"MASTER_ADDR and MASTER_PORT right? (waiting longer: "
                                 f"DISTTRAIN_CONNECT_TIMEOUT)")
            if time.monotonic() >= note:
                note = time.monotonic() + _NOTE_EVERY
                log.warning("%swaiting for the rendezvous at %s:%d (served by rank 0): %s",
                            who, self.host, self.port, why)
            time.sleep(min(0.2, max(0.0, left)))

    def _call(self, op, *args, timeout=None):
        # A waiting op's reply may take as long as the server-side wait, plus the trip.
        budget = self.timeout if timeout is None else timeout + 2.0
        with self._lock:
            deadline = time.monotonic() + budget
            if not self._reached:
                self._await_server(op, args[0], budget)
            while True:
                rid = next(self._ids)
                self._sock.send_multipart([self._token, msgpack.packb(
                    [self.run_id, self.generation, rid, op, *args])])
                while True:
                    left = deadline - time.monotonic()
                    events = dict(self._poller.poll(int(left * 1000) + 1)) if left > 0 else {}
                    if not events:
                        raise StoreError(f"rendezvous store at {self.host}:{self.port} did "
                                         f"not answer {op} {args[0]!r} within {budget:g} s "
                                         f"(is rank 0 running?)")
                    if self._monitor in events and self._dropped():
                        # Nothing may be listening any more (rank 0 gave up): wait for a
                        # server for the connect timeout at most, not the request's.
                        self._reached = False
                        self._await_server(op, args[0], deadline - time.monotonic())
                        if op != "add":
                            # Every request but add may be sent twice: the stale copy's
                            # reply, if any, has another id.
                            rid = next(self._ids)
                            self._sock.send_multipart([self._token, msgpack.packb(
                                [self.run_id, self.generation, rid, op, *args])])
                    if self._sock not in events:
                        continue
                    reply = self._sock.recv()
                    try:
                        got, ok, value = msgpack.unpackb(reply, raw=False)
                    except Exception:
                        continue  # not a reply of ours; keep waiting for the real one
                    if got == rid:
                        break
                if ok is not None:
                    break
                # The server is the previous (or next) group's: it goes away shortly and
                # ZeroMQ reconnects to the new one. Ask again until the deadline.
                time.sleep(0.05)
        if not ok:
            raise StoreError(f"rendezvous store at {self.host}:{self.port}: {op} "
                             f"{args[0]!r} failed: {value}")
        return value
