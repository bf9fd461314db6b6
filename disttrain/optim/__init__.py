"""Optimizers and learning-rate schedulers, shaped like ``torch.optim``.

Every optimizer keeps its parameters, gradients and state in flat buffers (one per param
group, dtype and device), so that a step is a few array operations over the whole model.
"""
from . import lr_scheduler
from .adagrad import Adagrad
from .adam import Adam, AdamW
from .optimizer import Optimizer
from .rmsprop import RMSprop
from .sgd import SGD

__all__ = ["Optimizer", "SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "lr_scheduler"]
