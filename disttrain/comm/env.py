"""Find this process's rank and the job's shape from whatever launched it.

Checked in order, the first that is complete wins:

1. torchrun / ``launch`` names: ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``,
   ``LOCAL_WORLD_SIZE``, ``MASTER_ADDR``, ``MASTER_PORT``.
2. Slurm (``srun``): ``SLURM_PROCID``, ``SLURM_NTASKS``, ``SLURM_LOCALID``,
   ``SLURM_NTASKS_PER_NODE``/``SLURM_TASKS_PER_NODE``; the master is the first host of
   ``SLURM_STEP_NODELIST`` (else ``SLURM_JOB_NODELIST``, ``SLURM_NODELIST``) and the port
   is derived from ``SLURM_JOB_ID``.
3. Open MPI (``mpirun``): ``OMPI_COMM_WORLD_RANK``, ``OMPI_COMM_WORLD_SIZE``,
   ``OMPI_COMM_WORLD_LOCAL_RANK``, ``OMPI_COMM_WORLD_LOCAL_SIZE``; MPICH/Intel MPI's
   ``PMI_RANK``/``PMI_SIZE`` likewise.
4. Nothing: world size 1, a plain ``python train.py``.

``MASTER_ADDR``/``MASTER_PORT`` set explicitly always override a derived address.
The job's secret is ``DISTTRAIN_SECRET`` (empty when unset).
"""
import os
import re
from dataclasses import dataclass

__all__ = ["DistEnv", "discover", "DEFAULT_PORT", "MODES", "mode_from_env"]

DEFAULT_PORT = 29500  # torch.distributed's default, so existing job scripts keep working


@dataclass(frozen=True)
class DistEnv:
    """Where this process sits in the job.

    Attributes:
        rank (int): global rank, ``0 <= rank < world_size``.
        world_size (int): number of processes in the job.
        local_rank (int): rank among the processes on this host.
        local_world_size (int): number of processes on this host.
        master_addr (str): host serving the rendezvous store (rank 0's).
        master_port (int): the store's TCP port.
        secret (str): the job's secret, ``""`` when none.
        source (str): which launcher's variables were used (``"torchrun"``, ``"slurm"``,
            ``"mpi"`` or ``"none"``).
    """
    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1
    master_addr: str = "127.0.0.1"
    master_port: int = DEFAULT_PORT
    secret: str = ""
    source: str = "none"


def discover(environ=None):
    """Read :class:`DistEnv` from ``environ`` (default ``os.environ``).

    Raises:
        ValueError: if a variable is malformed or the rank is outside the world, naming it.

    Example::

        >>> discover({"RANK": "1", "WORLD_SIZE": "4", "MASTER_PORT": "29511"}).rank
        1
    """
    env = os.environ if environ is None else environ
    found = _torchrun(env) or _slurm(env) or _mpi(env)
    if found is None:
        # No launcher: a script that spawns its own processes (``mp.spawn``) sets the master
        # itself and passes rank and world size to ``init_process_group``.
        return DistEnv(master_addr=env.get("MASTER_ADDR") or DistEnv.master_addr,
                       master_port=_int(env, "MASTER_PORT", DEFAULT_PORT),
                       secret=env.get("DISTTRAIN_SECRET", ""))
    source, rank, size, local_rank, local_size, addr, port = found
    if not 0 <= rank < size:
        raise ValueError(f"rank {rank} is outside the world of size {size} (from {source} "
                         f"environment variables)")
    addr = env.get("MASTER_ADDR") or addr
    port = _int(env, "MASTER_PORT") if env.get("MASTER_PORT") else port
    return DistEnv(rank, size, local_rank, local_size, addr, port,
                   env.get("DISTTRAIN_SECRET", ""), source)


def _int(env, name, default=None):
    value = env.get(name)
    if value is None or value == "":
        if default is None:
            raise ValueError(f"environment variable {name} is required but not set")
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"environment variable {name}={value!r} is not an integer") from None


def _torchrun(env):
    if "RANK" not in env or "WORLD_SIZE" not in env:
        return None
    size = _int(env, "WORLD_SIZE")
    return ("torchrun", _int(env, "RANK"), size, _int(env, "LOCAL_RANK", 0),
            _int(env, "LOCAL_WORLD_SIZE", size), "127.0.0.1", DEFAULT_PORT)


def _slurm(env):
    if "SLURM_PROCID" not in env or "SLURM_NTASKS" not in env:
        return None
    size = _int(env, "SLURM_NTASKS")
    per_node = env.get("SLURM_NTASKS_PER_NODE") or env.get("SLURM_TASKS_PER_NODE") or ""
    local_size = _first_count(per_node) or size
    # The step's nodes are where this srun's tasks run (a job may hold more).
    nodes = env.get("SLURM_STEP_NODELIST") or env.get("SLURM_JOB_NODELIST") or \
        env.get("SLURM_NODELIST") or ""
    addr = first_host(nodes) if nodes else "127.0.0.1"
    # Every task of the job computes the same port from the job id, without talking.
    port = 20000 + _int(env, "SLURM_JOB_ID", 0) % 10000 if env.get("SLURM_JOB_ID") else \
        DEFAULT_PORT
    return ("slurm", _int(env, "SLURM_PROCID"), size, _int(env, "SLURM_LOCALID", 0),
            local_size, addr, port)


def _mpi(env):
    for prefix, rank, size, lrank, lsize in (
            ("mpi", "OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE",
             "OMPI_COMM_WORLD_LOCAL_RANK", "OMPI_COMM_WORLD_LOCAL_SIZE"),
            ("mpi", "PMI_RANK", "PMI_SIZE", "MPI_LOCALRANKID", "MPI_LOCALNRANKS")):
        if rank in env and size in env:
            n = _int(env, size)
            return (prefix, _int(env, rank), n, _int(env, lrank, 0), _int(env, lsize, n),
                    "127.0.0.1", DEFAULT_PORT)
    return None


def _first_count(tasks_per_node):
    """``"4(x2),3"`` -> 4: Slurm's compressed tasks-per-node list, first node's count."""
    m = re.match(r"\s*(\d+)", tasks_per_node)
    return int(m.group(1)) if m else 0


def first_host(nodelist):
    """First host name of a Slurm node list: ``"gpu[07-09,12],cpu1"`` -> ``"gpu07"``."""
    m = re.match(r"([^,\[]+)(?:\[([^\]]+)\])?", nodelist.strip())
    if not m:
        raise ValueError(f"cannot parse Slurm node list {nodelist!r}")
    prefix, ranges = m.group(1), m.group(2)
    if not ranges:
        return prefix
    first = ranges.split(",")[0].split("-")[0]   # keeps zero padding: "07"
    return f"{prefix}{first}"


MODES = ("auto", "flat", "two_level")


def mode_from_env(environ=None):
    """The collective algorithms asked for by ``DISTTRAIN_COLLECTIVES``: ``auto`` (default;
    two-level when the ranks span hosts), ``flat`` or ``two_level`` (see :mod:`.hier`)."""
    env = os.environ if environ is None else environ
    raw = env.get("DISTTRAIN_COLLECTIVES") or "auto"
    mode = raw.strip().lower().replace("-", "_")
    if mode not in MODES:
        raise ValueError(f"DISTTRAIN_COLLECTIVES={raw!r} is not one of {', '.join(MODES)}")
    return mode
