"""Peer sockets between the ranks of one job: endpoints, matching, liveness, failure.

Every rank binds one PULL socket and connects one PUSH socket to each peer's, so a
message from A to B travels on A's PUSH and arrives, in order, on B's PULL. When the ranks
span hosts and collectives are two-level (:mod:`.hier`), only each host's leader connects
across hosts up front; other pairs connect on their first message, both ways. Ranks on
the same host (same host name and network namespace) talk over ``ipc://`` (an abstract
Unix socket on Linux); ranks on other hosts over ``tcp://`` on the one interface that
routes to ``MASTER_ADDR``. A single-host job opens no TCP port but the store's.

Ranks of one host also map each other's shared-memory staging segment (:mod:`.shm`),
published with the endpoints, for large all_reduces.

Only members of the group get to send: the rendezvous hands every rank a nonce, the
group's session token is derived from it and the job's secret, and every connection
must present that token during ZeroMQ's handshake (PLAIN, checked by :mod:`.auth`)
before a byte of data is accepted; every message header carries it too. No size limit is
set on these sockets, as a legitimate message (a point-to-point tensor) can be as large as
any array; authentication is what keeps strangers' data out.

Received messages land in a stash keyed by (kind, group, tag, sender, seq) until the
algorithm that expects them asks; the PULL socket is read only from the communication
thread, which also sends heartbeats. A peer is declared failed when:

* its connection closes and it neither said goodbye nor reconnected within
  ``RECONNECT_GRACE`` seconds (a killed process: noticed in about a second), or
* nothing at all came from it for ``heartbeat_timeout`` seconds (a hung or stopped one),
* or another rank reports a failure (an ABORT message), so every rank fails, not only
  the dead one's neighbours.

After a failure the transport is broken: every later operation raises the same error.
"""
import logging
import os
import socket
import sys
import tempfile
import time
import uuid

import msgpack
import zmq
from zmq.utils.monitor import recv_monitor_message

from .auth import PlainAuthenticator, configure_client, configure_server
from .env import mode_from_env
from .shm import Arena
from .store import resolve_ip, tcp_endpoint
from .wire import (COPY_THRESHOLD, Kind, WireError, decode, dtype_name, encode, header,
                   session_token)

__all__ = ["Transport", "CommError", "PeerError", "MismatchError", "CommTimeout",
           "host_identity"]

log = logging.getLogger("disttrain.comm")

HEARTBEAT_INTERVAL = 1.0
HEARTBEAT_TIMEOUT = 10.0  # generous: a peer whose main thread holds the GIL still counts
RECONNECT_GRACE = 1.0     # a dropped connection this long without BYE/reconnect = dead peer
SOCKET_BUFFER = 0         # kernel socket buffer bytes (0: the OS default)
IO_THREADS = 1            # ZeroMQ I/O threads per process


class CommError(RuntimeError):
    """A communication failed; the process group cannot be used afterwards."""


class PeerError(CommError):
    """A peer died, went silent or left while it was needed."""


class MismatchError(CommError):
    """Ranks called different collectives (op, shape, dtype or root) at the same point."""


class CommTimeout(CommError):
    """An operation passed the process group's timeout."""


def host_identity():
    """What makes two ranks 'the same host' for ipc: host name and network namespace."""
    try:
        netns = os.stat("/proc/self/ns/net").st_ino
    except OSError:
        netns = 0
    return f"{socket.gethostname()}/{netns}"


def _env_float(name, default):
    value = os.environ.get(name)
    return float(value) if value else default


class Transport:
    """Sockets to every peer of one job, used only by its communication thread.

    Args:
        rank (int), size (int): this process's global rank and the world size.
        store (Store): rendezvous store, used only during construction: :meth:`Store.join`
            checks every rank's claim and hands out the group's nonce, then the ranks
            publish their endpoints under write-once keys.
        token (bytes): the job's secret token (:func:`~disttrain.comm.wire.secret_token`);
            the group's session token is derived from it and the nonce.
        timeout (float): seconds to wait for every peer at rendezvous.
        heartbeat_interval, heartbeat_timeout (float, optional): liveness settings;
            default from ``DISTTRAIN_HEARTBEAT_INTERVAL``/``DISTTRAIN_HEARTBEAT_TIMEOUT``
            or 1 s and 10 s.
        alarm (callable, optional): polled with the heartbeats; a text it returns fails
            the group on every rank (rank 0 passes its store's :attr:`StoreServer.alarm`).
    """

    def __init__(self, rank, size, store, token, timeout, heartbeat_interval=None,
                 heartbeat_timeout=None, alarm=None):
        self.rank, self.size = rank, size
        self.collectives = mode_from_env()   # flat or two-level across hosts (see hier.py)
        self.hosts = None      # global rank -> host identity, from the rendezvous
        self.layouts = {}      # (group ranks, rank) -> hier.Layout
        self.hb_interval = heartbeat_interval or _env_float(
            "DISTTRAIN_HEARTBEAT_INTERVAL", HEARTBEAT_INTERVAL)
        self.hb_timeout = heartbeat_timeout or _env_float(
            "DISTTRAIN_HEARTBEAT_TIMEOUT", HEARTBEAT_TIMEOUT)
        self.alarm = alarm     # callable: a reason to fail the group, or None (see Store)
        self.peers = [p for p in range(size) if p != rank]
        self.stash = {}        # (kind, group, tag, sender, seq) -> Message
        self.max_tag = {}      # (group, sender) -> (highest DATA tag seen, its signature)
        self.done = {}         # group -> tag of the last collective this rank finished
        self.endpoints = {}    # peer -> the endpoint this rank sends to (ipc:// or tcp://)
        self.wake_fd = None    # a pipe that wakes the communication thread (see set_wake)
        self.arena = None      # shared-memory slots with same-host peers (see shm.py)
        self.shm_missing = []  # peers whose segment had gone when this rank came to map it
        self.gone = set()      # peers that said goodbye
        self.suspect = {}      # peer -> when its connection dropped
        self.failure = None    # (kind, peer, detail, reporter, op) once broken
        self.op = None         # (name, tag) of the operation running, for error messages
        self._bad = 0
        self._ipc_path = None
        self.auth = None
        self.ctx = zmq.Context(io_threads=IO_THREADS)
        self.push, self._monitors = {}, {}
        self.last_seen = {}    # connected peer -> when anything last came from it
        self.sparse = False    # across hosts, only leaders connected up front (see below)
        try:
            roster = store.join(size, rank, host_identity(), timeout)
            # The group's own token: messages (and connections) from anyone who did not
            # join this very group, another job's or an earlier group's, are refused.
            self.token = session_token(token, roster["nonce"])
            self.auth = PlainAuthenticator(self.ctx, self.token.hex().encode(),
                                           f"rank {rank}")
            self.pull = self.ctx.socket(zmq.PULL)
            self.pull.rcvhwm = 0   # never drop or block: in-flight data is bounded by the
            if SOCKET_BUFFER:      # algorithms, and only authenticated peers get to send
                self.pull.rcvbuf = SOCKET_BUFFER
            self.pull.linger = 0
            configure_server(self.pull)
            self.poller = zmq.Poller()
            self.poller.register(self.pull, zmq.POLLIN)
            self.hosts = [h for h, _ in roster["ranks"]]   # global rank -> host identity
            self._rendezvous(store, self.hosts, timeout)
        except BaseException:
            self._discard()
            raise
        self._next_hb = time.monotonic()

    # -- setup -----------------------------------------------------------------------------

    def _rendezvous(self, store, hosts, timeout):
        me = hosts[self.rank]
        endpoints = {}
        if any(hosts[p] == me for p in self.peers):
            endpoints["ipc"] = self._bind_ipc()
            if os.environ.get("DISTTRAIN_SHM", "1") != "0":
                self.arena = Arena.create()
            endpoints["shm"] = [self.arena.name, self.arena.slot_bytes] if self.arena else None
        if any(hosts[p] != me for p in self.peers):
            endpoints["tcp"] = self._bind_tcp(store.host)
        store.set(f"rdzv/ep/{self.rank}", msgpack.packb(endpoints))
        published = store.multi_get([f"rdzv/ep/{r}" for r in range(self.size)], timeout)
        # Ranks on one host all connect; across hosts, with two-level collectives, only each
        # host's leader (its lowest rank) connects to the other leaders up front. Any other
        # pair connects when it first has something to send (a flat collective,
        # point-to-point), so a host's processes do not each hold a connection to every
        # process of every other host.
        leaders = {h: hosts.index(h) for h in hosts}
        self.sparse = self.collectives != "flat" and len(leaders) > 1
        for p in self.peers:
            theirs = msgpack.unpackb(published[p], raw=False)
            self.endpoints[p] = theirs["ipc"] if hosts[p] == me else theirs["tcp"]
            if (not self.sparse or hosts[p] == me
                    or (leaders[me] == self.rank and leaders[hosts[p]] == p)):
                self._connect(p, self.endpoints[p])
            shared = theirs.get("shm") if hosts[p] == me else None
            # Same slot size only: ranks must split arrays into the same rounds.
            if self.arena and shared and shared[1] == self.arena.slot_bytes:
                try:
                    self.arena.attach(p, shared[0])
                except FileNotFoundError:
                    # Its owner removes it only when it gives up starting: the group's first
                    # barrier reports why (see ProcessGroup); never start without it.
                    self.shm_missing.append(p)
        if self.arena:
            self.arena.attach(self.rank, None, own=True)

    def _discard(self):
        """Release what a failed construction had taken (nothing is left in /dev/shm)."""
        if self.arena:
            self.arena.close()
        if self.auth:
            self.auth.close()
        self.ctx.destroy(linger=0)

    def _bind_ipc(self):
        name = f"disttrain-{uuid.uuid4().hex[:16]}"
        if sys.platform.startswith("linux"):
            endpoint = f"ipc://@{name}"   # abstract socket: no file to leak if we are killed
        else:
            self._ipc_path = os.path.join(tempfile.gettempdir(), f"{name}.sock")
            endpoint = f"ipc://{self._ipc_path}"
        self.pull.bind(endpoint)
        return endpoint

    def _bind_tcp(self, master_host):
        ip = _local_ip_toward(resolve_ip(master_host))
        self.pull.ipv6 = ":" in ip
        self.pull.bind(tcp_endpoint(ip, "*"))   # only the interface that reaches the master
        return self.pull.getsockopt_string(zmq.LAST_ENDPOINT)

    def _connect(self, peer, endpoint):
        sock = self.ctx.socket(zmq.PUSH)
        configure_client(sock, self.token.hex().encode())
        sock.sndhwm = 0   # sends never block: a slow peer must not stall heartbeats
        if SOCKET_BUFFER:
            sock.sndbuf = SOCKET_BUFFER
        sock.ipv6 = endpoint.startswith("tcp://[")
        monitor = sock.get_monitor_socket(zmq.EVENT_CONNECTED | zmq.EVENT_DISCONNECTED)
        self.poller.register(monitor, zmq.POLLIN)
        self._monitors[monitor] = peer
        sock.connect(endpoint)
        self.push[peer] = sock
        self.last_seen[peer] = time.monotonic()   # heartbeats flow both ways from now on

    def set_wake(self, fd):
        """Also return from :meth:`pump` when ``fd`` (a pipe) becomes readable."""
        self.wake_fd = fd
        self.poller.register(fd, zmq.POLLIN)

    # -- sending ---------------------------------------------------------------------------

    def send(self, peer, kind, group, tag, seq, array=None, meta=None, frame=None, copy=None,
             track=False):
        """Queue one message to ``peer``; never blocks.

        ``frame`` (a received ``zmq.Frame``) is forwarded without copying, ``array`` giving
        its dtype and shape. Arrays of ``COPY_THRESHOLD`` bytes and more go out zero-copy
        unless ``copy=True``: their memory must not change until the peer has them
        (``track=True`` returns a tracker to wait on).
        """
        if self.failure is not None:
            raise self.error()
        if peer in self.gone:
            self._fail("left", peer, "it shut down its process group")
            raise self.error()
        if frame is not None:
            frames = [header(kind, self.token, self.rank, group, tag, seq,
                             dtype_name(array.dtype), array.shape, meta), frame]
        else:
            frames = encode(kind, self.token, self.rank, group, tag, seq, array, meta)
        if copy is None:
            copy = array is None or array.nbytes < COPY_THRESHOLD
        if peer not in self.push:
            self._connect(peer, self.endpoints[peer])   # first message to this peer
        return self.push[peer].send_multipart(frames, zmq.NOBLOCK, copy=copy,
                                              track=track and not copy)

    def _send_all(self, kind, meta=None):
        head = header(kind, self.token, self.rank, meta=meta)
        for p in list(self.push):
            if p not in self.gone:
                try:
                    self.push[p].send(head, zmq.NOBLOCK)
                except zmq.ZMQError:
                    pass  # best effort: a peer we cannot reach will notice by itself

    # -- receiving -------------------------------------------------------------------------

    def recv(self, kind, group, tag, src, seq, deadline):
        """Wait for the message with this key, keeping liveness, until ``deadline``."""
        key = (kind, group, tag, src, seq)
        while True:
            msg = self.stash.pop(key, None)
            if msg is not None:
                return msg
            self._drain()
            msg = self.stash.pop(key, None)
            if msg is not None:
                return msg
            self.check_waiting(kind, group, tag, src, deadline)
            self.pump(min(deadline - time.monotonic(), self.hb_interval))

    def check_waiting(self, kind, group, tag, src, deadline):
        """Raise the error that makes waiting for this message pointless, if any."""
        if self.failure is not None:
            raise self.error()
        if kind == Kind.DATA and self.max_tag.get((group, src), (-1,))[0] > tag:
            later, sig = self.max_tag[(group, src)]
            self._fail("mismatch", src, f"rank {src} went on to collective {later} "
                       f"({format_sig(sig)}) without sending its part of collective {tag}")
            raise self.error()
        if src in self.gone:
            self._fail("left", src, "it shut down its process group")
            raise self.error()
        if time.monotonic() >= deadline:
            self._fail("timeout", src, "")
            raise self.error()

    def wait_sent(self, trackers, deadline):
        """Wait until ZeroMQ has let go of zero-copy buffers, keeping liveness."""
        for tracker in trackers:
            while not tracker.done:
                if self.failure is not None:
                    raise self.error()
                left = deadline - time.monotonic()
                if left <= 0:
                    self._fail("timeout", -1, "")
                    raise self.error()
                try:
                    tracker.wait(min(left, 0.05))
                except zmq.NotDone:
                    self.pump(0)   # still here: keep the peers' liveness current

    def pump(self, timeout):
        """Wait up to ``timeout`` seconds for traffic, handle it, keep heartbeats going."""
        events = dict(self.poller.poll(max(0, int(timeout * 1000))))
        if self.wake_fd in events:
            _drain_fd(self.wake_fd)   # unread, it would make every later poll return at once
        if self.pull in events:
            self._drain()
        for monitor, peer in self._monitors.items():
            if monitor in events:
                self._on_monitor(monitor, peer)
        self._tick()
        return events

    def _drain(self):
        pull = self.pull
        # Asking EVENTS first avoids a zmq.Again exception per call: this is the hot path.
        while pull.getsockopt(zmq.EVENTS) & zmq.POLLIN:
            try:
                frames = pull.recv_multipart(zmq.NOBLOCK, copy=False)
            except zmq.Again:
                return
            self._on_frames(frames)

    def _on_frames(self, frames):
        try:
            msg = decode(frames, self.token)
        except WireError as exc:
            return self._warn(f"dropped a malformed message: {exc}")
        p = msg.sender
        if p == self.rank or p >= self.size:
            return self._warn(f"dropped a message from unknown rank {p}")
        if p not in self.push and msg.kind != Kind.BYE:
            self._connect(p, self.endpoints[p])   # it connected to us: answer, so that
        self.last_seen[p] = time.monotonic()      # each side hears the other's heartbeats
        self.suspect.pop(p, None)
        if msg.kind == Kind.HEARTBEAT:
            return
        if msg.kind == Kind.BYE:
            self.gone.add(p)
        elif msg.kind == Kind.ABORT:
            self._on_abort(p, msg.meta)
        else:
            if msg.kind == Kind.DATA and not self._expected(msg):
                return
            self.stash[(msg.kind, msg.group, msg.tag, p, msg.seq)] = msg

    def _expected(self, msg):
        """Track each sender's progress; data for a collective already finished is an error."""
        key = (msg.group, msg.sender)
        if msg.tag > self.max_tag.get(key, (-1,))[0]:
            self.max_tag[key] = (msg.tag, msg.meta)
        if msg.tag <= self.done.get(msg.group, -1):
            self._fail("mismatch", msg.sender, f"rank {msg.sender} sent data for collective "
                       f"{msg.tag} ({format_sig(msg.meta)}) that this rank had already "
                       f"finished: the ranks called different collectives")
            return False
        return True

    def complete(self, group, tag):
        """Mark collective ``tag`` of ``group`` finished; leftover data for it is an error."""
        self.done[group] = tag
        for key, msg in self.stash.items():
            kind, g, t, sender, _ = key
            if kind == Kind.DATA and g == group and t <= tag:
                self._fail("mismatch", sender, f"rank {sender} sent more data for collective "
                           f"{t} ({format_sig(msg.meta)}) than this rank expected: the ranks "
                           f"called different collectives")
                raise self.error()

    def _on_abort(self, reporter, meta):
        if not (isinstance(meta, list) and len(meta) in (3, 4) and isinstance(meta[0], str)
                and type(meta[1]) is int and isinstance(meta[2], str)
                and (len(meta) == 3 or (type(meta[3]) is int and 0 <= meta[3] < self.size))):
            return self._warn(f"dropped a malformed abort from rank {reporter}")
        kind, peer, detail = meta[:3]
        self._fail(kind, peer, detail, meta[3] if len(meta) == 4 else reporter)

    def _on_monitor(self, monitor, peer):
        while True:
            try:
                event = recv_monitor_message(monitor, zmq.NOBLOCK)["event"]
            except zmq.Again:
                return
            if event == zmq.EVENT_DISCONNECTED and peer not in self.gone:
                self.suspect.setdefault(peer, time.monotonic())
            elif event == zmq.EVENT_CONNECTED:
                self.suspect.pop(peer, None)

    def _tick(self):
        now = time.monotonic()
        for peer, since in list(self.suspect.items()):
            if peer in self.gone:
                del self.suspect[peer]
            elif now - since > RECONNECT_GRACE:
                self._drain()   # a goodbye may be waiting in the queue
                if peer not in self.gone:
                    self._fail("peer", peer, "its connection closed (the process died?)")
        if now < self._next_hb:
            return
        self._next_hb = now + self.hb_interval
        if self.alarm is not None and self.failure is None:
            why = self.alarm()
            if why:
                self._fail("rendezvous", -1, why)
        self._send_all(Kind.HEARTBEAT)
        self._drain()  # judge silence only on what has really arrived by now
        for p in list(self.push):
            quiet = now - self.last_seen[p]
            if p not in self.gone and quiet > self.hb_timeout:
                self._fail("peer", p, f"nothing heard from it for {quiet:.1f} s")

    # -- failure ---------------------------------------------------------------------------

    def _fail(self, kind, peer, detail, reporter=None):
        """Break the transport; the first failure wins and is told to every peer."""
        if self.failure is not None:
            return
        self.failure = (kind, peer, detail, reporter, self.op)
        if reporter is None:
            self._send_all(Kind.ABORT, [kind, peer, detail])
        elif self.sparse:   # not every rank is connected to every other: pass it on
            self._send_all(Kind.ABORT, [kind, peer, detail, reporter])

    def fail_mismatch(self, detail):
        """Record that this rank found ranks running different collectives; the error."""
        self._fail("mismatch", -1, detail)
        return self.error()

    def fail_local(self, detail):
        """Record that this rank could not go on with the running operation; the error."""
        self._fail("error", self.rank, detail)
        return self.error()

    def error(self):
        """The exception describing the failure, phrased for the operation running now."""
        kind, peer, detail, reporter, failed_op = self.failure
        op = failed_op or self.op
        where = f"{op[0]} (tag {op[1]})" if op else "no operation"
        when = "during" if failed_op else "before"
        by = f" (reported by rank {reporter})" if reporter is not None else ""
        if kind == "mismatch":
            return MismatchError(f"mismatched collectives {when} {where}: {detail}{by}")
        if kind == "timeout":
            who = f" waiting for rank {peer}" if peer >= 0 else ""
            return CommTimeout(f"{where} timed out{who}{by}; the process group is unusable")
        if kind == "error":
            return CommError(f"{where} failed on rank {peer}: {detail}{by}")
        if kind == "rendezvous":
            return CommError(f"the process group is unusable ({when} {where}): {detail}{by}")
        verb = "left" if kind == "left" else "stopped answering"
        return PeerError(f"rank {peer} {verb} {when} {where}: {detail}{by}")

    def _warn(self, what):
        self._bad += 1
        if self._bad <= 10 or self._bad % 1000 == 0:  # garbage must not flood the logs
            log.warning("rank %d: %s (%d so far)", self.rank, what, self._bad)

    def close(self, linger=1.0):
        """Say goodbye to every peer and release the sockets.

        Up to ``linger`` seconds are spent delivering the goodbyes, but none on a peer that
        has already said its own: it is not listening any more, and a message queued for
        it would hold the shutdown for the whole linger.
        """
        if self.failure is None:
            self._drain()   # goodbyes that have arrived: those peers need none from us
            self._send_all(Kind.BYE)
        for sock in self.push.values():
            sock.disable_monitor()
        for monitor in self._monitors:
            monitor.close(linger=0)
        for peer, sock in self.push.items():
            sock.close(linger=0 if peer in self.gone else int(linger * 1000))
        if self.auth:
            self.auth.close()
        self.ctx.destroy(linger=int(linger * 1000))
        if self.arena:
            self.arena.close()
        if self._ipc_path and os.path.exists(self._ipc_path):
            os.unlink(self._ipc_path)


def _drain_fd(fd):
    """Read a non-blocking wake-up pipe empty."""
    try:
        while os.read(fd, 4096):
            pass
    except BlockingIOError:
        pass


def format_sig(sig):
    """``["all_reduce", "SUM", "float32", [10], -1]`` -> ``all_reduce(op=SUM, ...)``."""
    try:
        name, op, dtype, shape, root = sig
        parts = [f"op={op}"] if op else []
        parts += [f"dtype={dtype}", f"shape={tuple(shape)}"]
        parts += [f"root={root}"] if root >= 0 else []
        return f"{name}({', '.join(parts)})"
    except (TypeError, ValueError):   # it came from the network: describe, never crash
        return repr(sig)


def _local_ip_toward(ip):
    """This host's address on the interface that routes to ``ip`` (the master)."""
    family = socket.AF_INET6 if ":" in ip else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect((ip, 9))   # UDP connect sends nothing; it only picks a route
            return probe.getsockname()[0]
        except OSError:
            return "::" if family == socket.AF_INET6 else "0.0.0.0"
