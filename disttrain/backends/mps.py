"""``disttrain.backends.mps``: Apple's Metal devices are not supported by disttrain."""
__all__ = ["is_available", "is_built", "is_macos_or_newer"]


def is_available():
    """False: disttrain has no MPS device."""
    return False


def is_built():
    """False: disttrain has no MPS support."""
    return False


def is_macos_or_newer(major, minor):
    """False: there is no MPS device to ask about."""
    return False
