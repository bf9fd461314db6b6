"""Wire format: round trips for every dtype and layout; garbage is rejected, never trusted."""
import msgpack
import numpy as np
import pytest

from disttrain.comm.wire import (COPY_THRESHOLD, DTYPES, Kind, WireError, decode, encode,
                                 header, secret_token)

TOKEN = secret_token("s3cret")


def _roundtrip(arr, **kw):
    frames = encode(Kind.DATA, TOKEN, 3, "0.1", 17, 2, arr, **kw)
    return decode([bytes(f) for f in frames], TOKEN)


@pytest.mark.parametrize("dtype", list(DTYPES))
@pytest.mark.parametrize("shape", [(0,), (1,), (7,), (3, 5), (2, 0, 4), ()])
def test_array_roundtrip(dtype, shape):
    """Every allowed dtype and shape (empty, 0-d, n-d) comes back equal, with its header."""
    arr = (np.arange(int(np.prod(shape))) % 3).astype(dtype).reshape(shape)
    msg = _roundtrip(arr, meta=["all_reduce", "SUM", dtype, list(shape), -1])
    assert (msg.kind, msg.sender, msg.group, msg.tag, msg.seq) == (Kind.DATA, 3, "0.1", 17, 2)
    assert msg.array.dtype == arr.dtype and msg.array.shape == arr.shape
    np.testing.assert_array_equal(msg.array, arr)
    assert msg.meta == ["all_reduce", "SUM", dtype, list(shape), -1]


def test_non_contiguous_array_is_sent_in_logical_order():
    """A transposed or strided view is sent as its C-order copy."""
    base = np.arange(24, dtype="float32").reshape(4, 6)
    for view in (base.T, base[:, ::2], np.asfortranarray(base)):
        np.testing.assert_array_equal(_roundtrip(view).array, view)


def test_large_payload_is_a_view_not_a_copy():
    """encode() hands out a memoryview on the array itself, ready for copy=False."""
    arr = np.ones(COPY_THRESHOLD, "float64")
    payload = encode(Kind.DATA, TOKEN, 0, array=arr)[1]
    assert isinstance(payload, memoryview) and payload.nbytes == arr.nbytes
    arr[0] = 5
    assert np.frombuffer(payload, "float64")[0] == 5


def test_control_message_has_no_payload():
    """Heartbeats and aborts are one header frame; meta carries msgpack values."""
    frames = encode(Kind.ABORT, TOKEN, 1, meta=["peer", 2, "died"])
    assert len(frames) == 1
    msg = decode(frames, TOKEN)
    assert msg.array is None and msg.meta == ["peer", 2, "died"]


def test_unsupported_dtype_is_refused_on_send():
    """complex/object arrays cannot be sent, with the allowed list in the message."""
    with pytest.raises(TypeError, match="dtype complex64 cannot be sent; supported: bool"):
        encode(Kind.DATA, TOKEN, 0, array=np.zeros(2, "complex64"))


def test_secret_token_is_empty_without_secret_and_hides_it():
    """No secret -> empty token; a secret never appears in its token."""
    assert secret_token("") == b"" and secret_token(None) == b""
    assert len(TOKEN) == 16 and b"s3cret" not in TOKEN and TOKEN != secret_token("other")


GOOD_HEAD = ["dt1", Kind.DATA, TOKEN, 0, "0", 1, 0, "float32", [2], None]


@pytest.mark.parametrize("frames, why", [
    ([], "expected 1 or 2 frames"),
    ([b"a", b"b", b"c"], "expected 1 or 2 frames"),
    ([b"\xc1"], "header is not msgpack"),
    ([msgpack.packb({"kind": 0})], "not a disttrain header"),
    ([msgpack.packb(["xx1"] + GOOD_HEAD[1:]), b"\0" * 8], "not a disttrain header"),
    ([msgpack.packb(GOOD_HEAD[:1] + [99] + GOOD_HEAD[2:]), b"\0" * 8], "bad kind"),
    ([msgpack.packb(GOOD_HEAD[:3] + [-1] + GOOD_HEAD[4:]), b"\0" * 8], "bad sender"),
    ([msgpack.packb(GOOD_HEAD[:5] + ["1"] + GOOD_HEAD[6:]), b"\0" * 8], "bad sender/tag"),
    ([msgpack.packb(GOOD_HEAD[:7] + ["object"] + GOOD_HEAD[8:]), b"\0" * 8], "not allowed"),
    ([msgpack.packb(GOOD_HEAD[:8] + [[-2]] + GOOD_HEAD[9:]), b"\0" * 8], "bad shape"),
    ([msgpack.packb(GOOD_HEAD), b"\0" * 7], "payload has 7 bytes, header says 8"),
    ([msgpack.packb(GOOD_HEAD)], "announces a payload but none came"),
    ([msgpack.packb(GOOD_HEAD[:7] + [""] + GOOD_HEAD[8:]), b"x"], "payload without a dtype"),
    ([msgpack.packb(GOOD_HEAD[:2] + [b"wrong"] + GOOD_HEAD[3:]), b"\0" * 8],
     "does not carry the job's secret"),
    ([b"\x92" + b"\xdb\xff\xff\xff\xff"], "header is not msgpack"),
])
def test_malformed_messages_raise_wire_error(frames, why):
    """Anything off in a received message is a WireError saying what, never a crash."""
    with pytest.raises(WireError, match=why):
        decode(frames, TOKEN)


def test_header_helper_matches_encode():
    """header() builds the same header frame encode() would, for forwarding a payload."""
    arr = np.ones(3, "int16")
    frames = encode(Kind.DATA, TOKEN, 1, "0", 5, 6, arr, meta=[1])
    assert header(Kind.DATA, TOKEN, 1, "0", 5, 6, "int16", (3,), [1]) == frames[0]
