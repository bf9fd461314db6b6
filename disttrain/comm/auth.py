"""Who may connect to a rank's receiving socket: ZeroMQ's PLAIN mechanism, checked here.

Every rank's PULL socket is a PLAIN server and every PUSH socket a PLAIN client whose
password is the group's session token (derived from the job's secret and a nonce that
rank 0 hands out at rendezvous, :mod:`.transport`). ZeroMQ asks the handler below (over
its ZAP protocol, RFC 27) about each new connection during the handshake, before any
message is accepted: a peer without the password, or speaking another mechanism, is
disconnected before it can make the rank buffer a single byte of data. PLAIN only
authenticates; it does not encrypt, and costs nothing once a connection is up.
"""
import hmac
import logging
import threading

import zmq

__all__ = ["PlainAuthenticator", "USER", "configure_client", "configure_server"]

log = logging.getLogger("disttrain.comm")

USER = b"disttrain"
_ZAP_ENDPOINT = "inproc://zeromq.zap.01"   # where libzmq looks for a context's handler


def configure_server(sock):
    """Make ``sock`` require PLAIN credentials from whoever connects (set before bind)."""
    sock.plain_server = True
    sock.zap_domain = b"disttrain"


def configure_client(sock, password):
    """Make ``sock`` present ``password`` when it connects (set before connect)."""
    sock.plain_username = USER
    sock.plain_password = password


class PlainAuthenticator:
    """Answers the ZAP requests of one ZeroMQ context from a thread of its own.

    Args:
        ctx (zmq.Context): the context whose PLAIN servers it checks.
        password (bytes): the one password accepted (with user ``disttrain``).
        who (str): names this process in warnings (``"rank 1"``).
    """

    def __init__(self, ctx, password, who=""):
        self._password = password
        self._who = who
        self._refused = 0
        self._stop = threading.Event()
        self._sock = ctx.socket(zmq.REP)
        self._sock.linger = 0
        self._sock.bind(_ZAP_ENDPOINT)
        self._thread = threading.Thread(target=self._serve, daemon=True,
                                        name="disttrain-auth")
        self._thread.start()

    def _serve(self):
        try:
            while not self._stop.is_set():
                if self._sock.poll(100):
                    self._answer(self._sock.recv_multipart())
        except zmq.ZMQError:
            pass   # the context is going away
        finally:
            self._sock.close(linger=0)

    def _answer(self, frames):
        if len(frames) < 6:
            return self._sock.send_multipart([b"1.0", b"", b"400", b"malformed", b"", b""])
        version, request_id, _domain, address, _identity, mechanism = frames[:6]
        creds = frames[6:]
        ok = (mechanism == b"PLAIN" and len(creds) == 2 and creds[0] == USER
              and hmac.compare_digest(creds[1], self._password))
        if not ok:
            self._refused += 1
            if self._refused <= 10 or self._refused % 1000 == 0:
                log.warning("%s: refused a connection from %s: it does not have the "
                            "group's credentials (%d so far)", self._who,
                            address.decode(errors="replace") or "this host", self._refused)
        self._sock.send_multipart([version, request_id, b"200" if ok else b"400",
                                   b"OK" if ok else b"no credentials", b"", b""])

    def close(self):
        """Stop answering (before the context is destroyed)."""
        self._stop.set()
        self._thread.join(timeout=5)
