"""Random numbers: ``Generator``, the default generator and its seed and state.

The stream comes from numpy's PCG64 on the host (also for cuda tensors, which are then
copied), so a seed gives the same numbers on every machine and device.
"""
import os
import time

import numpy as np

__all__ = ["Generator", "manual_seed", "seed", "initial_seed", "get_rng_state",
           "set_rng_state", "default_generator"]


class Generator:
    """A random-number generator with PyTorch's interface (``manual_seed``, ``get_state``)."""

    def __init__(self, device="cpu"):
        from .device import as_device
        self.device = as_device(device)
        self._seed = 67280421310721       # PyTorch's default seed
        self._gen = np.random.Generator(np.random.PCG64(self._seed))

    def manual_seed(self, seed):
        seed = int(seed)
        if not -0x8000_0000_0000_0000 <= seed <= 0xFFFF_FFFF_FFFF_FFFF:
            raise ValueError("Overflow when unpacking long long")
        self._seed = seed & 0xFFFF_FFFF_FFFF_FFFF
        self._gen = np.random.Generator(np.random.PCG64(self._seed))
        return self

    def seed(self):
        s = int.from_bytes(os.urandom(8), "little") ^ time.time_ns()
        self.manual_seed(s & 0xFFFF_FFFF_FFFF_FFFF)
        return self._seed

    def initial_seed(self):
        return self._seed

    def get_state(self):
        """The full state as a uint8 tensor (restores the stream exactly with ``set_state``)."""
        from .tensor import Tensor
        st = self._gen.bit_generator.state
        words = [st["state"]["state"], st["state"]["inc"]]
        raw = b"".join(w.to_bytes(16, "little") for w in words)
        raw += bytes([st["has_uint32"]]) + int(st["uinteger"]).to_bytes(4, "little")
        raw += self._seed.to_bytes(8, "little")
        return Tensor._make(np.frombuffer(raw, dtype=np.uint8).copy())

    def set_state(self, new_state):
        arr = np.asarray(new_state._data if hasattr(new_state, "_data") else new_state)
        raw = arr.astype(np.uint8).tobytes()
        if len(raw) != 45:
            raise RuntimeError(f"Expected an RNG state of size 45 but found the input RNG state "
                               f"size to be {len(raw)}")
        state = int.from_bytes(raw[0:16], "little")
        inc = int.from_bytes(raw[16:32], "little")
        bg = np.random.PCG64()
        bg.state = {"bit_generator": "PCG64", "state": {"state": state, "inc": inc},
                    "has_uint32": raw[32], "uinteger": int.from_bytes(raw[33:37], "little")}
        self._gen = np.random.Generator(bg)
        self._seed = int.from_bytes(raw[37:45], "little")
        return self

    def __getstate__(self):
        return {"device": str(self.device), "state": self.get_state()._data}

    def __setstate__(self, d):
        self.__init__(d["device"])
        self.set_state(d["state"])


default_generator = Generator()


def _gen(generator):
    return (generator or default_generator)._gen


def manual_seed(seed):
    """Seed the default generator (and return it)."""
    return default_generator.manual_seed(seed)


def seed():
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    return default_generator.get_state()


def set_rng_state(new_state):
    default_generator.set_state(new_state)
