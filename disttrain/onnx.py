"""``disttrain.onnx``: ONNX export is not supported.

``import disttrain.onnx`` works so that programs importing it run; ``export`` raises.
"""
__all__ = ["export", "is_in_onnx_export", "OnnxExporterError"]


class OnnxExporterError(NotImplementedError):
    """Raised by :func:`export`."""


def export(model, args=(), f=None, **kwargs):
    """Not supported: raises :class:`OnnxExporterError` (a ``NotImplementedError``)."""
    raise OnnxExporterError(
        "disttrain.onnx.export: ONNX export is not supported by disttrain (it has no graph "
        "capture). Save the weights with disttrain.save(model.state_dict()) instead.")


def is_in_onnx_export():
    """False: no ONNX export ever runs here."""
    return False
