"""``disttrain.cuda.amp``: PyTorch's older spelling of AMP, fixed to the ``'cuda'`` device.

``autocast(...)`` is ``disttrain.amp.autocast('cuda', ...)`` and ``GradScaler(...)`` is
``disttrain.amp.GradScaler('cuda', ...)``; see ``disttrain.amp``. Without a GPU both warn and
disable themselves, so a training loop written for AMP runs as plain float32 training.
"""
from .. import amp as _amp

__all__ = ["autocast", "GradScaler"]


class autocast(_amp.autocast):
    """``disttrain.amp.autocast('cuda', ...)``, with this spelling's defaults.

    Args:
        enabled (bool, optional): whether the region is on. Default: ``True``
        dtype (disttrain.dtype, optional): the reduced dtype asked for. Default: float16
        cache_enabled (bool, optional): accepted for compatibility. Default: ``True``
    """

    _stacklevel = 3

    def __init__(self, enabled=True, dtype=None, cache_enabled=True):
        super().__init__("cuda", dtype=dtype, enabled=enabled, cache_enabled=cache_enabled)


class GradScaler(_amp.GradScaler):
    """``disttrain.amp.GradScaler('cuda', ...)``: dynamic loss scaling for GPU training.

    Args:
        init_scale (float, optional): the first scale. Default: ``2.**16``
        growth_factor (float, optional): growth after a clean interval. Default: 2.0
        backoff_factor (float, optional): shrink after an inf/NaN. Default: 0.5
        growth_interval (int, optional): clean steps before growing. Default: 2000
        enabled (bool, optional): ``False`` makes the scaler a pass-through. Default: ``True``
    """

    _stacklevel = 3

    def __init__(self, init_scale=2.0 ** 16, growth_factor=2.0, backoff_factor=0.5,
                 growth_interval=2000, enabled=True):
        super().__init__("cuda", init_scale=init_scale, growth_factor=growth_factor,
                         backoff_factor=backoff_factor, growth_interval=growth_interval,
                         enabled=enabled)
