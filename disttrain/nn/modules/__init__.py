"""The layer classes: ``nn.Linear``, ``nn.ReLU``, ``nn.Sequential``..."""
import importlib

from .module import Module

__all__ = ["Module"]

# Each file lists the public classes it defines in its ``__all__``.
_FILES = ("container", "linear", "flatten", "activation", "dropout", "sparse", "loss", "lazy",
          "conv", "pooling", "batchnorm", "normalization", "rnn", "attention", "upsampling")
_FILES += ("transformer", "padding", "pixelshuffle", "channelshuffle", "distance", "fold",
           "instancenorm", "lazy_layers", "utils", "adaptive", "linear_cross_entropy")


def _import_all():
    for name in _FILES:
        mod = importlib.import_module(f"{__name__}.{name}")
        for cls in mod.__all__:
            globals()[cls] = getattr(mod, cls)
            __all__.append(cls)


_import_all()
