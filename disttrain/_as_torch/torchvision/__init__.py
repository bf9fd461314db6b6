# A ``torchvision`` package that is disttrain.vision (see ../torch/__init__.py).
import sys

from disttrain import _torch_alias

_torch_alias.install()
import disttrain.vision  # noqa: E402

sys.modules[__name__] = sys.modules["disttrain.vision"]
