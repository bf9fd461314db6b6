"""``disttrain.autograd.anomaly_mode``: anomaly detection switches."""
import warnings as _warnings

from ..core.autograd import anomaly as _anomaly

__all__ = ["detect_anomaly", "set_detect_anomaly"]


def is_anomaly_enabled():
    """Whether anomaly detection is on."""
    return _anomaly.enabled


def is_anomaly_check_nan_enabled():
    """Whether anomaly detection also checks backward results for NaN."""
    return _anomaly.check_nan


class set_detect_anomaly:
    """Turn anomaly detection on or off: as a call, or as a context manager.

    With it on, each recorded op keeps the traceback of its forward call, shown when its
    backward fails, and (with ``check_nan``) a backward that returns NaN raises.
    """

    def __init__(self, mode, check_nan=True):
        self._prev = (_anomaly.enabled, _anomaly.check_nan)
        _anomaly.enabled, _anomaly.check_nan = bool(mode), bool(check_nan)

    def __enter__(self):
        return None

    def __exit__(self, *exc):
        _anomaly.enabled, _anomaly.check_nan = self._prev
        return False


class detect_anomaly(set_detect_anomaly):
    """Context manager that turns anomaly detection on inside its block (slow: debugging)."""

    def __init__(self, check_nan=True):
        _warnings.warn("Anomaly Detection has been enabled. This mode will increase the "
                       "runtime and should only be enabled for debugging.", UserWarning,
                       stacklevel=2)
        self._check_nan = check_nan

    def __enter__(self):
        self._prev = (_anomaly.enabled, _anomaly.check_nan)
        _anomaly.enabled, _anomaly.check_nan = True, bool(self._check_nan)
        return None
