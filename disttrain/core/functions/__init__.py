"""The public math API (``disttrain.add``, ``disttrain.sum`` ...) and the Tensor methods.

Each function normalises PyTorch's argument forms and calls one Function; the same
function becomes the Tensor method, so ``x.sum(1)`` and ``disttrain.sum(x, 1)`` agree.
The functions live by kind in ``math_ops`` (elementwise, comparisons, matrix products,
softmax), ``reductions``, ``shaping`` (shapes and indexing) and ``sorting`` (sorting,
selection and small predicates); this package gathers them into one namespace.
"""
from . import math_ops, reductions, shaping, sorting
from .math_ops import *  # noqa: F401,F403
from .reductions import *  # noqa: F401,F403
from .shaping import *  # noqa: F401,F403
from .sorting import *  # noqa: F401,F403
from . import special_math, linalg_fns, complex_fns
from .special_math import *  # noqa: F401,F403
from .linalg_fns import *  # noqa: F401,F403
from .complex_fns import *  # noqa: F401,F403
# aliases PyTorch also has, reachable here but not exported into ``disttrain``
from .math_ops import (greater, less, greater_equal, less_equal, not_equal, inner,  # noqa: F401
                       ger)
from .shaping import swapdims, _shape_args  # noqa: F401  (methods parse shape arguments)

__all__ = math_ops.__all__ + reductions.__all__ + shaping.__all__ + sorting.__all__
__all__ += special_math.__all__ + linalg_fns.__all__ + complex_fns.__all__
from . import more_shaping, more_math, more_reductions  # noqa: E402
from .more_shaping import *  # noqa: F401,F403,E402
from .more_math import *  # noqa: F401,F403,E402
from .more_reductions import *  # noqa: F401,F403,E402
__all__ += more_shaping.__all__ + more_math.__all__ + more_reductions.__all__
from . import more_misc  # noqa: E402
from .more_misc import *  # noqa: F401,F403,E402
__all__ += more_misc.__all__
from . import spectral  # noqa: E402
from .spectral import *  # noqa: F401,F403,E402
__all__ += spectral.__all__
