"""``disttrain.cpu``: the CPU device module, as ``torch.cpu``."""
__all__ = ["is_available", "device_count", "current_device", "set_device", "synchronize",
           "is_initialized"]


def is_available():
    """The CPU is always available."""
    return True


def is_initialized():
    return True


def device_count():
    """The CPU counts as one device."""
    return 1


def current_device():
    return "cpu"


def set_device(device):
    """Only ``'cpu'`` is a CPU device."""
    if str(device) not in ("cpu", "cpu:0"):
        raise ValueError(f"Expected a cpu device, but got: {device}")


def synchronize(device=None):
    """Wait for queued CPU work: disttrain's CPU ops have finished when they return."""
    return None
