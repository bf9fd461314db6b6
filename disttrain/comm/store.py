"""Rendezvous key-value store: rank 0 serves it, every rank meets through it.

Rank 0 binds a ZeroMQ ROUTER socket at ``MASTER_ADDR:MASTER_PORT`` and answers from a
background thread; clients talk to it over a DEALER socket. Ranks publish their
endpoints with :meth:`Store.set` and wait for each other's with :meth:`Store.multi_get`.

Request, client to server (the ROUTER adds the client's identity in front)::

    [token, msgpack([request_id, op, *args])]
    op: "set" key value | "get" key timeout | "multi_get" keys timeout | "wait" keys timeout
        | "add" key amount | "delete" key | "check" keys

Reply: ``msgpack([request_id, ok, value_or_error_text])``.

``token`` is :func:`~disttrain.comm.wire.secret_token` of the job's secret: a request
with another token gets a refusal and changes nothing, and the server carries on
serving the job. Values are bytes; ``add`` keeps a decimal integer, as torch's TCPStore.
"""
import hmac
import itertools
import logging
import socket
import threading
import time

import msgpack
import zmq

from .wire import secret_token

__all__ = ["Store", "StoreServer", "StoreError", "resolve_ip", "tcp_endpoint"]

log = logging.getLogger("disttrain.comm")

_REFUSED = "refused: this process's DISTTRAIN_SECRET does not match the job's"


class StoreError(RuntimeError):
    """The rendezvous store refused a request, failed it, or did not answer in time."""


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
    """

    def __init__(self, host, port, secret=None):
        self._token = secret_token(secret)
        self._data = {}
        self._waiters = []           # [identity, request_id, op, keys, deadline]
        self._bad = 0
        self._ctx = zmq.Context(io_threads=1)
        self._sock = self._ctx.socket(zmq.ROUTER)
        self._sock.linger = 0
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
            rid, op, *args = msgpack.unpackb(body, raw=False)
        except Exception:
            self._warn("dropped a malformed request (body is not a msgpack request)")
            return True
        if not hmac.compare_digest(token, self._token):
            self._warn("refused a request from a process without the job's secret")
            self._reply(ident, rid, False, _REFUSED)
            return True
        try:
            self._dispatch(ident, rid, op, args)
        except Exception as exc:  # a bad request must never stop the server
            self._reply(ident, rid, False, f"bad request {op!r}: {exc}")
        return True

    def _dispatch(self, ident, rid, op, args):
        if op == "set":
            key, value = args
            self._data[key] = bytes(value)
            self._reply(ident, rid, True, None)
            self._wake_waiters()
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

    def _expire_waiters(self):
        now = time.monotonic()
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

    Example::

        >>> store = Store("127.0.0.1", 29511, is_master=True)
        >>> store.set("rank0", b"ipc://@x")
        >>> store.get("rank0")
        b'ipc://@x'
    """

    def __init__(self, host, port, is_master=False, timeout=300.0, secret=None):
        self.host, self.port, self.timeout = host, int(port), float(timeout)
        self.server = StoreServer(host, port, secret) if is_master else None
        self._token = secret_token(secret)
        self._ids = itertools.count()
        self._lock = threading.Lock()
        self._ctx = zmq.Context(io_threads=1)
        self._sock = self._ctx.socket(zmq.DEALER)
        self._sock.linger = 0
        ip = resolve_ip(host)
        self._sock.ipv6 = ":" in ip
        self._sock.connect(tcp_endpoint(ip, self.port))

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

    def close(self):
        """Close the client, and the server if this process runs it."""
        self._ctx.destroy(linger=0)
        if self.server is not None:
            self.server.close()

    def _call(self, op, *args, timeout=None):
        # A waiting op's reply may take as long as the server-side wait, plus the trip.
        budget = self.timeout if timeout is None else timeout + 2.0
        with self._lock:
            rid = next(self._ids)
            self._sock.send_multipart([self._token, msgpack.packb([rid, op, *args])])
            deadline = time.monotonic() + budget
            while True:
                left = deadline - time.monotonic()
                if left <= 0 or not self._sock.poll(int(left * 1000) + 1):
                    raise StoreError(f"rendezvous store at {self.host}:{self.port} did not "
                                     f"answer {op} {args[0]!r} within {budget:g} s "
                                     f"(is rank 0 running?)")
                reply = self._sock.recv()
                try:
                    got, ok, value = msgpack.unpackb(reply, raw=False)
                except Exception:
                    continue  # not a reply of ours; keep waiting for the real one
                if got == rid:
                    break
        if not ok:
            raise StoreError(f"rendezvous store at {self.host}:{self.port}: {op} "
                             f"{args[0]!r} failed: {value}")
        return value
