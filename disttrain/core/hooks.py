"""RemovableHandle: what every ``register_*hook`` returns, for tensors, nodes and modules."""
import itertools

__all__ = ["RemovableHandle"]


class RemovableHandle:
    """Returned by ``register_*hook``; ``remove()`` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks_dict):
        # A plain dict cannot be weakly referenced; holding it keeps only the hooks alive.
        self._hooks_dict = hooks_dict
        self.id = next(RemovableHandle._ids)

    @classmethod
    def register(cls, hooks_dict, hook):
        """Add ``hook`` to ``hooks_dict`` under a new handle's id; return the handle."""
        h = cls(hooks_dict)
        hooks_dict[h.id] = hook
        return h

    def remove(self):
        self._hooks_dict.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()
