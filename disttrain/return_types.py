"""``disttrain.return_types``: the classes of the named tuples ops return
(``disttrain.max(x, 0)`` is a ``return_types.max`` with ``values`` and ``indices``)."""
from .core.functions._common import RETURN_TYPES as _RT
from .core.functions.more_math import _Frexp as frexp
from .core.functions.more_misc import _HistDD as histogramdd
from .core.functions.more_reductions import _Histogram as histogram, _MinMax as aminmax

max, min, sort, topk = _RT["max"], _RT["min"], _RT["sort"], _RT["topk"]
kthvalue, median, nanmedian, mode = _RT["kthvalue"], _RT["median"], _RT["nanmedian"], _RT["mode"]
cummax, cummin = _RT["cummax"], _RT["cummin"]

__all__ = ["max", "min", "sort", "topk", "kthvalue", "median", "nanmedian", "mode", "cummax",
           "cummin", "aminmax", "frexp", "histogram", "histogramdd"]
