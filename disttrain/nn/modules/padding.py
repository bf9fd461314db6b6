"""Padding layers: constant, zero, reflection, replication and circular, in 1, 2 and 3 dims."""
from .. import functional as F
from .module import Module

__all__ = ["ConstantPad1d", "ConstantPad2d", "ConstantPad3d", "ZeroPad1d", "ZeroPad2d",
           "ZeroPad3d", "ReflectionPad1d", "ReflectionPad2d", "ReflectionPad3d",
           "ReplicationPad1d", "ReplicationPad2d", "ReplicationPad3d", "CircularPad1d",
           "CircularPad2d", "CircularPad3d"]


def _widths(padding, n):
    """An int (every side) or a 2n-tuple (last dim first), as F.pad takes it."""
    if isinstance(padding, int):
        return (padding,) * (2 * n)
    padding = tuple(int(p) for p in padding)
    if len(padding) != 2 * n:
        raise ValueError(f"expected padding to be a single integer value or a list of {2 * n} "
                         f"values, but got {len(padding)}")
    return padding


class _PadNd(Module):
    """Pads the last ``_n`` dims with ``F.pad(mode=_mode)``."""

    _n = 1
    _mode = "constant"

    def __init__(self, padding):
        super().__init__()
        self.padding = _widths(padding, self._n)

    def forward(self, input):
        return F.pad(input, self.padding, self._mode)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPadNd(_PadNd):
    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def forward(self, input):
        return F.pad(input, self.padding, "constant", self.value)

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


def _make(base, name, n, doc, mode=None):
    attrs = {"_n": n, "__doc__": doc, "__module__": __name__}
    if mode is not None:
        attrs["_mode"] = mode
    return type(name, (base,), attrs)


class _ReflectionPadNd(_PadNd):
    _mode = "reflect"


class _ReplicationPadNd(_PadNd):
    _mode = "replicate"


class _CircularPadNd(_PadNd):
    _mode = "circular"


class _ZeroPadNd(_ConstantPadNd):
    def __init__(self, padding):
        super().__init__(padding, 0.0)

    def extra_repr(self):
        return f"{self.padding}"


_DOCS = {
    "ConstantPad": "Pad the last {n} dim(s) with a constant ``value``.",
    "ZeroPad": "Pad the last {n} dim(s) with zeros.",
    "ReflectionPad": "Pad the last {n} dim(s) with the reflection of the input (edge not "
                     "repeated).",
    "ReplicationPad": "Pad the last {n} dim(s) by repeating the edge values.",
    "CircularPad": "Pad the last {n} dim(s) by wrapping around (periodic).",
}
_BASES = {"ConstantPad": _ConstantPadNd, "ZeroPad": _ZeroPadNd,
          "ReflectionPad": _ReflectionPadNd, "ReplicationPad": _ReplicationPadNd,
          "CircularPad": _CircularPadNd}

for _kind, _base in _BASES.items():
    for _n in (1, 2, 3):
        _name = f"{_kind}{_n}d"
        _doc = (_DOCS[_kind].format(n=_n) + "\n\n    Args:\n        padding (int or tuple): "
                "every side, or (left, right[, top, bottom[, front, back]]).\n")
        globals()[_name] = _make(_base, _name, _n, _doc)
del _kind, _base, _n, _name, _doc
