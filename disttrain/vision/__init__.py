"""``disttrain.vision``: the parts of torchvision that training programs name.

``import disttrain.vision as torchvision`` serves ``from torchvision import datasets,
transforms, models, utils``: image transforms on PIL images and tensors, datasets read from
local files (nothing downloads), the classic model definitions with torchvision's module
names (so torchvision's ``state_dict`` files load), and ``utils.make_grid``/``save_image``.
Images go through Pillow: ``pip install "disttrain[vision]"``.
"""
import importlib

__all__ = ["datasets", "transforms", "models", "utils", "get_image_backend",
           "set_image_backend"]
__version__ = "0.1.0"


def get_image_backend():
    """The image backend: always ``"PIL"``."""
    return "PIL"


def set_image_backend(backend):
    """Choose the image backend; only ``"PIL"`` exists here."""
    if backend != "PIL":
        raise ValueError(f"Invalid backend '{backend}'. Options are 'PIL' (the only backend "
                         f"disttrain.vision has)")


def __getattr__(name):
    # submodules load on first use: transforms and datasets need Pillow, models do not
    if name in ("datasets", "transforms", "models", "utils"):
        mod = importlib.import_module(f".{name}", __name__)
        globals()[name] = mod
        return mod
    raise AttributeError(f"module 'disttrain.vision' has no attribute '{name}'")
