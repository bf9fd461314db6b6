"""``disttrain.utils.summary``: torchsummary's model table (see ``disttrain.summary``).

Callable like the function, so ``disttrain.utils.summary(model, (2,))`` and
``from disttrain.utils.summary import summary`` both work.
"""
import sys

from ..summary import _CallableModule, summary, summary_string

__all__ = ["summary", "summary_string"]

sys.modules[__name__].__class__ = _CallableModule
