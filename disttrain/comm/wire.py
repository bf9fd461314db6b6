"""Wire format: how one message between two ranks looks on a ZeroMQ socket.

A message is a multipart ZeroMQ message: one small msgpack header frame, then zero
or one raw buffer frame holding an array's bytes in C order::

    frame 0  header   msgpack array, a few dozen bytes
             +-------+------+-------+--------+-------+-----+-----+-------+-------+------+
             | magic | kind | token | sender | group | tag | seq | dtype | shape | meta |
             +-------+------+-------+--------+-------+-----+-----+-------+-------+------+
               "dt1"   int    bytes   int      str     int   int   str     [int]   any msgpack
    frame 1  payload  prod(shape) * itemsize raw bytes, no framing (absent when dtype is "")

``kind`` says what the message is for (data of a collective, heartbeat, abort, goodbye,
point-to-point). ``token`` proves the sender knows the job's secret. ``group``/``tag``/
``seq`` name the collective (the tag is the collective's number in its group) and the
message's place in it; ``meta`` carries the collective's signature so that ranks that
called different collectives notice it instead of mixing data.

Large payloads go out with ``copy=False``: ZeroMQ reads the array's memory directly.
Nothing from the network is ever unpickled: the header is plain msgpack (no extension
types) and the payload is interpreted only through a dtype from a fixed allow-list,
after its length has been checked against the header.
"""
import hashlib
import hmac
import math

import msgpack
import numpy as np

__all__ = ["WireError", "Message", "Kind", "DTYPES", "encode", "header", "decode",
           "dtype_name", "secret_token", "session_token", "COPY_THRESHOLD"]

MAGIC = "dt1"

# Below this many bytes, copying the payload into ZeroMQ is cheaper than the bookkeeping of a
# zero-copy send (pyzmq copies such frames anyway: its own copy_threshold is 64 KiB).
COPY_THRESHOLD = 1 << 16

# The only dtypes that may cross the wire: numpy's canonical names, so both ends agree.
DTYPES = {name: np.dtype(name) for name in (
    "bool", "int8", "uint8", "int16", "uint16", "int32", "uint32", "int64", "uint64",
    "float16", "float32", "float64")}

_NAMES = {dt: name for name, dt in DTYPES.items()}

_MAX_HEADER = 1 << 16        # a header is tens of bytes; anything near this is garbage
_MAX_DIMS = 32


class Kind:
    """What a message is for."""
    DATA = 0        # a piece of a collective
    HEARTBEAT = 1   # "I am alive" when there is nothing else to say
    ABORT = 2       # the sender saw a failure; meta = [failed rank or -1, reason]
    BYE = 3         # the sender is shutting its group down cleanly
    P2P = 4         # send/recv; tag = user tag, seq = per-(peer, tag) number
    ALL = (DATA, HEARTBEAT, ABORT, BYE, P2P)


class WireError(ValueError):
    """A message that does not follow the wire format (dropped by the receiver)."""


class Message:
    """A decoded message; ``array`` is a view of the received frame (writable, zero-copy)."""

    __slots__ = ("kind", "sender", "group", "tag", "seq", "meta", "array", "frame")

    def __init__(self, kind, sender, group, tag, seq, meta, array, frame):
        self.kind, self.sender, self.group = kind, sender, group
        self.tag, self.seq, self.meta = tag, seq, meta
        self.array, self.frame = array, frame

    def __repr__(self):
        shape = None if self.array is None else self.array.shape
        return (f"Message(kind={self.kind}, sender={self.sender}, group={self.group!r}, "
                f"tag={self.tag}, seq={self.seq}, shape={shape})")


def dtype_name(dtype):
    """The wire name of ``dtype`` (``"float32"``...), or None if it may not be sent.

    A dict lookup: numpy's ``dtype.name`` is slow enough to show in small-message latency.
    """
    return _NAMES.get(dtype)


def secret_token(secret):
    """The 16 bytes that stand for ``secret`` on the wire (the secret itself never travels).

    An empty or missing secret gives an empty token, so jobs without one need none.
    """
    if not secret:
        return b""
    return hashlib.sha256(b"disttrain-secret\0" + secret.encode()).digest()[:16]


def session_token(token, nonce):
    """The token of one formed group: the job's ``token`` bound to the group's ``nonce``.

    Only processes that joined the group know the nonce, so a process of another job (or
    of an earlier group of this job) cannot pass for a member, even with the same secret.
    """
    return hashlib.sha256(b"disttrain-group\0" + token + b"\0" + nonce.encode()).digest()[:16]


def encode(kind, token, sender, group="", tag=0, seq=0, array=None, meta=None):
    """Build the frames of one message.

    Args:
        kind (int): one of :class:`Kind`.
        token (bytes): :func:`secret_token` of the job's secret.
        sender (int): the sender's global rank.
        group (str): the group id; ``tag``/``seq`` (int) place the message in it.
        array (numpy.ndarray, optional): payload; made C-contiguous if it is not.
        meta: any msgpack-able value (the collective's signature, an abort reason...).

    Returns:
        list: ``[header_bytes]`` or ``[header_bytes, payload]`` where ``payload`` is a
        memoryview on the array's memory (send it with ``copy=False`` when large).
    """
    if array is None:
        return [header(kind, token, sender, group, tag, seq, meta=meta)]
    name = dtype_name(array.dtype)
    if name is None:
        raise TypeError(f"dtype {array.dtype} cannot be sent; supported: {', '.join(DTYPES)}")
    if not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)
    head = header(kind, token, sender, group, tag, seq, name, array.shape, meta)
    # A 0-d or empty array still has a (possibly empty) buffer; reshape keeps it a view.
    return [head, array.reshape(-1).view(np.uint8).data]


def header(kind, token, sender, group="", tag=0, seq=0, dtype="", shape=(), meta=None):
    """Just the header frame; for forwarding a received payload frame unchanged."""
    return msgpack.packb([MAGIC, kind, token, sender, group, tag, seq, dtype, list(shape), meta])


def decode(frames, token=None):
    """Parse received frames (``zmq.Frame`` or bytes) into a :class:`Message`.

    Args:
        frames (list): the frames of one message.
        token (bytes, optional): when given, the header's token must equal it.

    Raises:
        WireError: if anything about the message does not follow the format, or it does
            not carry ``token``.
    """
    if not 1 <= len(frames) <= 2:
        raise WireError(f"expected 1 or 2 frames, got {len(frames)}")
    raw = _bytes(frames[0])
    if len(raw) > _MAX_HEADER:
        raise WireError(f"header of {len(raw)} bytes is too large")
    try:
        head = msgpack.unpackb(raw, raw=False, strict_map_key=True, use_list=True)
    except Exception as exc:  # msgpack raises several types for garbage
        raise WireError(f"header is not msgpack: {exc}") from None
    if not isinstance(head, list) or len(head) != 10 or head[0] != MAGIC:
        raise WireError("header is not a disttrain header")
    _, kind, theirs, sender, group, tag, seq, dtype, shape, meta = head
    if kind not in Kind.ALL or not isinstance(theirs, bytes) or not isinstance(group, str):
        raise WireError(f"bad kind/token/group in header: {kind!r}")
    if not all(type(v) is int for v in (sender, tag, seq)) or sender < 0:
        raise WireError(f"bad sender/tag/seq in header: {sender!r}, {tag!r}, {seq!r}")
    if token is not None and not hmac.compare_digest(token, theirs):
        raise WireError(f"message claiming to be from rank {sender} does not carry the job's "
                        f"secret (DISTTRAIN_SECRET differs)")
    array, frame = None, None
    if dtype:
        if len(frames) != 2:
            raise WireError("header announces a payload but none came")
        frame = frames[1]
        array = _payload(frame, dtype, shape)
    elif len(frames) != 1:
        raise WireError("payload without a dtype in the header")
    return Message(kind, sender, group, tag, seq, meta, array, frame)


def _payload(frame, dtype, shape):
    if dtype not in DTYPES:
        raise WireError(f"dtype {dtype!r} is not allowed on the wire")
    if (not isinstance(shape, list) or len(shape) > _MAX_DIMS
            or not all(type(d) is int and d >= 0 for d in shape)):
        raise WireError(f"bad shape {shape!r}")
    dt = DTYPES[dtype]
    buf = frame.buffer if hasattr(frame, "buffer") else memoryview(frame)
    expected = math.prod(shape) * dt.itemsize
    if buf.nbytes != expected:
        raise WireError(f"payload has {buf.nbytes} bytes, header says {expected} "
                        f"({dtype} {tuple(shape)})")
    arr = np.frombuffer(buf, dtype=dt)
    return arr if len(shape) == 1 else arr.reshape(shape)


def _bytes(frame):
    return frame.bytes if hasattr(frame, "bytes") else bytes(frame)
