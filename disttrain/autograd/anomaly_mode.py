"""``disttrain.autograd.anomaly_mode``: anomaly detection switches."""
from . import detect_anomaly, set_detect_anomaly  # noqa: F401

__all__ = ["detect_anomaly", "set_detect_anomaly"]
