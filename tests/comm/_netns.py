"""Emulated hosts on one machine: network namespaces behind a bridge, with NIC-like links.

Each host is a network namespace with its own loopback and one veth interface; the other
ends sit on a bridge in a "switch" namespace. ``tc netem`` on both ends of every link
limits its rate and adds a one-way delay, so a host boundary costs what a NIC costs
(default 1 Gbit/s each way, 0.1 ms each way = 0.2 ms round trip). Ranks in one
namespace see one host (ipc, shared memory); across namespaces they use tcp.

Needs root (or CAP_NET_ADMIN + CAP_SYS_ADMIN) and iproute2's ``ip`` and ``tc``;
:func:`unavailable` says why not, for a skip.
"""
import contextlib
import os
import shutil
import subprocess

__all__ = ["emulated_hosts", "unavailable", "netns_command", "delay_supported"]


def _run(*cmd):
    return subprocess.run(list(cmd), capture_output=True, text=True, timeout=20)


def unavailable():
    """Why emulated hosts cannot be made here, or None."""
    for tool in ("ip", "tc"):
        if shutil.which(tool) is None:
            return f"iproute2's '{tool}' binary is not installed"
    if os.geteuid() != 0:
        return "creating network namespaces needs root (or CAP_SYS_ADMIN/CAP_NET_ADMIN)"
    return None


def netns_command(ns, argv):
    """``argv`` run inside namespace ``ns``."""
    return ["ip", "netns", "exec", ns, *argv]


def delay_supported():
    """Whether this kernel has ``netem`` (a link delay); without it only the rate is set."""
    out = _run("tc", "qdisc", "add", "dev", "lo", "root", "netem", "delay", "0us")
    if out.returncode == 0:
        _run("tc", "qdisc", "del", "dev", "lo", "root")
        return True
    return "unknown" not in out.stderr.lower() and "not supported" not in out.stderr.lower()


def _shape(space, dev, rate, delay):
    """Rate (and, with netem, one-way delay) on ``dev``'s egress; a deep queue, as a NIC
    backs up rather than drops at this rate."""
    tc = ["ip", "netns", "exec", space, "tc", "qdisc", "add", "dev", dev, "root"]
    if delay and _HAS_NETEM[0] is not False:
        out = _run(*tc, "netem", "delay", delay, *(["rate", rate] if rate else []),
                   "limit", "100000")
        if out.returncode == 0:
            _HAS_NETEM[0] = True
            return
        _HAS_NETEM[0] = False   # kernel without sch_netem: the rate alone, by tbf
    if rate:
        out = _run(*tc, "tbf", "rate", rate, "burst", "256kb", "latency", "200ms")
        if out.returncode:
            raise RuntimeError(f"tc tbf on {dev}: {out.stderr.strip()}")


_HAS_NETEM = [None]


@contextlib.contextmanager
def emulated_hosts(n, rate="1gbit", delay="100us", tag=None, names=()):
    """Make ``n`` hosts; yields ``[(namespace, address), ...]``; removes them on exit.

    ``names`` (one per host, optional) resolve to the hosts' addresses inside every
    namespace (``ip netns exec`` mounts ``/etc/netns/<namespace>/hosts`` over /etc/hosts),
    as a cluster's DNS would.

    Raises:
        RuntimeError: naming the command that failed (no permission, no veth support...).
    """
    why = unavailable()
    if why:
        raise RuntimeError(why)
    tag = tag or f"{os.getpid() % 100000}"
    subnet = f"10.214.{os.getpid() % 250}"
    switch, hosts, made = f"dth{tag}s", [], []

    def must(*cmd):
        out = _run(*cmd)
        if out.returncode:
            raise RuntimeError(f"{' '.join(cmd)}: {out.stderr.strip()}")

    try:
        must("ip", "netns", "add", switch)
        made.append(switch)
        must("ip", "-n", switch, "link", "add", "br0", "type", "bridge")
        must("ip", "-n", switch, "link", "set", "br0", "up")
        for i in range(n):
            ns, addr = f"dth{tag}h{i}", f"{subnet}.{i + 1}"
            must("ip", "netns", "add", ns)
            made.append(ns)
            here, there = f"dth{tag}a{i}", f"dth{tag}b{i}"
            must("ip", "link", "add", here, "type", "veth", "peer", "name", there)
            must("ip", "link", "set", here, "netns", ns)
            must("ip", "link", "set", there, "netns", switch)
            must("ip", "-n", ns, "addr", "add", f"{addr}/24", "dev", here)
            must("ip", "-n", ns, "link", "set", here, "up")
            must("ip", "-n", ns, "link", "set", "lo", "up")
            must("ip", "-n", switch, "link", "set", there, "master", "br0")
            must("ip", "-n", switch, "link", "set", there, "up")
            # Both directions: what a host sends and what it receives each pass one NIC.
            for space, dev in ((ns, here), (switch, there)):
                _shape(space, dev, rate, delay)
            hosts.append((ns, addr))
        if names:
            table = "127.0.0.1 localhost\n" + "".join(
                f"{addr} {name}\n" for (_, addr), name in zip(hosts, names))
            for ns, _ in hosts:
                os.makedirs(f"/etc/netns/{ns}", exist_ok=True)
                with open(f"/etc/netns/{ns}/hosts", "w") as fh:
                    fh.write(table)
        yield hosts
    finally:
        for ns in reversed(made):
            _run("ip", "netns", "del", ns)   # removes its veth ends too
            shutil.rmtree(f"/etc/netns/{ns}", ignore_errors=True)
