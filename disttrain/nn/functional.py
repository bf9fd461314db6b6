"""Functional forms of the layers: ``F.relu``, ``F.linear``, ``F.dropout``, ``F.cross_entropy``...

Each function takes its parameters as arguments (a layer's ``forward`` calls it with the
layer's own), with PyTorch's names and defaults. Losses live in ``_functional_loss`` and the
convolution, pooling and normalisation forms in ``_spatial``; both are re-exported here, as are the
activations, linear, dropout and embedding of ``_basicfn``.
"""
from ..core.tensor import Tensor  # noqa: F401  (torch.nn.functional.Tensor, as in PyTorch)
from ._basicfn import *  # noqa: F401,F403
from ._basicfn import __all__ as _basic_all
from ._basicfn import _dropout_mask  # noqa: F401  (the keep-mask the layers and tests share)

__all__ = list(_basic_all)

from ._functional_loss import *  # noqa: F401,F403,E402
from ._functional_loss import __all__ as _loss_all  # noqa: E402

__all__ += _loss_all

from . import _spatial  # noqa: E402

__all__ += _spatial.__all__

from ._spatial import *  # noqa: F401,F403,E402

from . import _morefn, _morefn_loss, _volfn  # noqa: E402
from ._morefn import *  # noqa: F401,F403,E402
from ._morefn_loss import *  # noqa: F401,F403,E402
from ._volfn import *  # noqa: F401,F403,E402

__all__ += _morefn.__all__ + _morefn_loss.__all__ + _volfn.__all__

from ._bagfn import embedding_bag  # noqa: E402

__all__ += ["embedding_bag"]

from . import _gridfn  # noqa: E402
from ._gridfn import *  # noqa: F401,F403,E402

__all__ += _gridfn.__all__

from . import _fracpool  # noqa: E402
from ._fracpool import *  # noqa: F401,F403,E402

__all__ += _fracpool.__all__

from ._ctc import ctc_loss  # noqa: E402

__all__ += ["ctc_loss"]

from ._lce import linear_cross_entropy  # noqa: E402

__all__ += ["linear_cross_entropy"]
