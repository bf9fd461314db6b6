"""Rendezvous store: set/get/wait/add/delete with timeouts, and the job's secret."""
import threading
import time

import pytest
import zmq

from disttrain.comm import Store, StoreError

from ._procs import free_port


@pytest.fixture
def store():
    server = Store("127.0.0.1", free_port(), is_master=True, timeout=5, secret="job")
    yield server
    server.close()


def _client(store, secret="job", timeout=5):
    return Store("127.0.0.1", store.port, timeout=timeout, secret=secret)


def test_set_get_add_delete_check(store):
    """The basic operations, from a second client."""
    other = _client(store)
    store.set("a", b"1")
    other.set("b", "two")
    assert other.get("a") == b"1" and store.get("b") == b"two"
    assert other.add("n", 5) == 5 and store.add("n", -2) == 3 and other.get("n") == b"3"
    assert store.check(["a", "b"]) and not store.check(["a", "zz"])
    assert other.delete_key("a") is True and other.delete_key("a") is False
    assert other.multi_get(["b", "n"]) == [b"two", b"3"]
    other.close()


def test_get_waits_for_a_later_set(store):
    """get/wait block until another client sets the key."""
    other = _client(store)
    threading.Timer(0.2, lambda: store.set("late", b"x")).start()
    start = time.monotonic()
    assert other.get("late", timeout=5) == b"x"
    other.wait(["late"], timeout=1)
    assert 0.1 < time.monotonic() - start < 4
    other.close()


def test_wait_times_out_naming_the_missing_key(store):
    """A wait past its timeout raises StoreError listing the keys still missing."""
    start = time.monotonic()
    with pytest.raises(StoreError, match=r"timed out waiting for keys \['never'\]"):
        store.wait(["never"], timeout=0.3)
    assert time.monotonic() - start < 3


def test_wrong_or_missing_secret_is_refused_and_store_goes_on(store):
    """A client with another secret, or none, is refused; others keep working."""
    for secret in ("intruder", None):
        bad = _client(store, secret=secret)
        with pytest.raises(StoreError, match="refused: this process's DISTTRAIN_SECRET"):
            bad.set("a", b"evil")
        bad.close()
    assert not store.check(["a"])
    store.set("a", b"fine")
    assert _client(store).get("a") == b"fine"


def test_garbage_request_does_not_stop_the_server(store):
    """Malformed frames are dropped with a warning; the server keeps answering."""
    ctx = zmq.Context()
    sock = ctx.socket(zmq.DEALER)
    sock.connect(f"tcp://127.0.0.1:{store.port}")
    sock.send_multipart([b"x"])
    sock.send_multipart([b"", b"not msgpack"])
    ctx.destroy(linger=500)
    store.set("still", b"alive")
    assert store.get("still") == b"alive"


def test_unreachable_server_times_out_with_address():
    """No server: the client gives up after its timeout, naming host and port."""
    port = free_port()
    client = Store("127.0.0.1", port, timeout=0.2)
    with pytest.raises(StoreError, match=f"127.0.0.1:{port} did not answer set"):
        client.set("k", b"v")
    client.close()


def test_port_in_use_is_reported():
    """Serving on a port that is taken says so, naming it."""
    with zmq.Context() as ctx, ctx.socket(zmq.ROUTER) as taken:
        port = taken.bind_to_random_port("tcp://127.0.0.1")
        with pytest.raises(StoreError, match=f"127.0.0.1:{port}: the port is already in use"):
            Store("127.0.0.1", port, is_master=True)
