"""What PyTorch programs ask ``torch.distributed`` before choosing a backend.

disttrain has one backend, ``"zmq"`` (ZeroMQ between processes, shared memory within a
host; it carries host and GPU arrays alike). The names ``"gloo"``, ``"nccl"``, ``"mpi"`` and
``"ucc"`` are accepted by ``init_process_group`` and run on it, so each is reported as
available: a program that checks ``is_nccl_available()`` and then picks ``"nccl"`` runs
unchanged (NCCL itself is never used). ``"xccl"`` (Intel GPUs) is not available.
"""
import os
import warnings

from ..comm import ReduceOp

__all__ = ["Backend", "reduce_op", "is_gloo_available", "is_nccl_available",
           "is_mpi_available", "is_ucc_available", "is_xccl_available",
           "is_torchelastic_launched", "is_backend_available",
           "get_default_backend_for_device", "supports_complex"]

# Accepted by init_process_group; all of them mean the ZeroMQ backend.
ACCEPTED = ("zmq", "gloo", "nccl", "mpi", "ucc")


class Backend(str):
    """An enum-like class for backends: ``Backend.ZMQ`` (disttrain's) and PyTorch's names
    ``GLOO``, ``NCCL``, ``UCC``, ``MPI``, ``XCCL``, ``FAKE``, ``UNDEFINED``.

    ``Backend(name)`` returns the lower-case name (``Backend("GLOO") == "gloo"``).
    """

    UNDEFINED = "undefined"
    ZMQ = "zmq"
    GLOO = "gloo"
    NCCL = "nccl"
    UCC = "ucc"
    MPI = "mpi"
    XCCL = "xccl"
    FAKE = "fake"

    backend_list = [UNDEFINED, ZMQ, GLOO, NCCL, XCCL, UCC, MPI, FAKE]
    # Every disttrain device is served by the ZeroMQ backend.
    default_device_backend_map = {"cpu": ZMQ, "cuda": ZMQ}
    backend_capability = {ZMQ: ["cpu", "cuda"], GLOO: ["cpu", "cuda"],
                          NCCL: ["cpu", "cuda"], UCC: ["cpu", "cuda"], MPI: ["cpu", "cuda"]}

    def __new__(cls, name):
        if not isinstance(name, str):
            raise ValueError("Backend constructor parameter must be string-ish")
        value = getattr(Backend, name.upper(), Backend.UNDEFINED)
        if value == Backend.UNDEFINED:
            value = name.lower()
        return value


class _reduce_op:
    """Deprecated enum-like class for reduction operations: ``SUM``, ``PRODUCT``, ``MIN``,
    ``MAX`` (and ``AVG``). Use :class:`ReduceOp` instead; every access warns."""

    def __init__(self):
        for k, v in ReduceOp.__members__.items():
            setattr(self, k, v)
        self.__members__ = ReduceOp.__members__

    def __getattribute__(self, key):
        warnings.warn("`torch.distributed.reduce_op` is deprecated, please use "
                      "`torch.distributed.ReduceOp` instead", FutureWarning, stacklevel=2)
        return object.__getattribute__(self, key)


reduce_op = _reduce_op()


def is_gloo_available():
    """True: ``"gloo"`` is accepted and runs on disttrain's ZeroMQ backend."""
    return True


def is_nccl_available():
    """True: ``"nccl"`` is accepted and runs on disttrain's ZeroMQ backend, which carries GPU
    arrays too (the NCCL library itself is not used)."""
    return True


def is_mpi_available():
    """True: ``"mpi"`` is accepted (ranks are read from Open MPI / PMI variables) and runs on
    disttrain's ZeroMQ backend."""
    return True


def is_ucc_available():
    """True: ``"ucc"`` is accepted and runs on disttrain's ZeroMQ backend."""
    return True


def is_xccl_available():
    """False: disttrain has no Intel GPU (XPU) support."""
    return False


def is_backend_available(backend):
    """Whether ``init_process_group(backend)`` works here: ``"zmq"``, ``"gloo"``, ``"nccl"``,
    ``"mpi"``, ``"ucc"``, or a device map of them such as ``"cpu:gloo,cuda:nccl"``."""
    name = backend.lower()
    if ":" in name:
        parts = [p.partition(":")[2] for p in name.split(",")]
        return all(p in ACCEPTED for p in parts)
    return name in ACCEPTED


def is_torchelastic_launched():
    """Whether this process was started by torchelastic (``torchrun``): whether
    ``TORCHELASTIC_RUN_ID`` is set, as PyTorch checks."""
    return os.getenv("TORCHELASTIC_RUN_ID") is not None


def get_default_backend_for_device(device):
    """The default backend for ``device``: ``"zmq"`` for ``"cpu"`` and ``"cuda"``.

    Raises:
        ValueError: no backend serves that device type.
    """
    from ..core.device import device as _device
    device_str = device.type if isinstance(device, _device) else _device(device).type
    backend = Backend.default_device_backend_map.get(device_str)
    if backend is None:
        raise ValueError(f"Default backend not registered for device : {device}")
    return backend


def supports_complex(reduceOp):
    """Whether reduction ``reduceOp`` is defined on complex numbers (SUM and AVG)."""
    return reduceOp not in (ReduceOp.MAX, ReduceOp.MIN, ReduceOp.PRODUCT)
