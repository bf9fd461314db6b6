"""Helpers the distributions share: broadcasting parameters, probabilities and logits."""
import numbers

import disttrain as T

__all__ = ["broadcast_all", "logits_to_probs", "probs_to_logits", "clamp_probs",
           "lazy_property"]


def broadcast_all(*values):
    """The values as tensors of one broadcast shape (numbers take the tensors' dtype, or the
    default dtype)."""
    if not all(isinstance(v, (T.Tensor, numbers.Number)) for v in values):
        raise ValueError("Input arguments must all be instances of numbers.Number, "
                         "torch.Tensor or objects implementing __torch_function__.")
    if not all(isinstance(v, T.Tensor) for v in values):
        like = next((v for v in values if isinstance(v, T.Tensor)), None)
        dtype = like.dtype if like is not None else T.get_default_dtype()
        device = like.device if like is not None else None
        values = [v if isinstance(v, T.Tensor) else T.tensor(float(v), dtype=dtype,
                                                              device=device)
                  for v in values]
    return T.broadcast_tensors(*values)


def _broadcast_params(owner, names, values):
    """Set ``names`` on ``owner`` to ``values`` broadcast together; returns the batch shape:
    theirs, or () when every value is a Python number."""
    tensors = broadcast_all(*values)
    for name, t in zip(names, tensors):
        setattr(owner, name, t)
    if all(isinstance(v, numbers.Number) for v in values):
        return T.Size()
    return tensors[0].size()


def _probs_or_logits(owner, probs, logits):
    """Set whichever of ``probs`` and ``logits`` is given (exactly one must be) on ``owner`` as
    a tensor; returns it and the batch shape."""
    if (probs is None) == (logits is None):
        raise ValueError("Either `probs` or `logits` must be specified, but not both.")
    name, value = ("probs", probs) if probs is not None else ("logits", logits)
    batch_shape = _broadcast_params(owner, (name,), (value,))
    return owner.__dict__[name], batch_shape


def _expand_params(src, new, shape, names=("probs", "logits")):
    """Set on ``new`` those of ``names`` that ``src`` holds (a lazy one not computed yet is
    left to compute), expanded to ``shape``; returns the last one set."""
    last = None
    for name in names:
        if name in src.__dict__:
            last = src.__dict__[name].expand(*shape)
            setattr(new, name, last)
    return last


def clamp_probs(probs):
    eps = T.finfo(probs.dtype).eps
    return probs.clamp(min=eps, max=1 - eps)


def logits_to_probs(logits, is_binary=False):
    return logits.sigmoid() if is_binary else T.softmax(logits, -1)


def probs_to_logits(probs, is_binary=False):
    ps = clamp_probs(probs)
    if is_binary:
        return ps.log() - (-ps).log1p()
    return ps.log()


class lazy_property:
    """A property computed on first access and then stored on the instance."""

    def __init__(self, wrapped):
        self.wrapped = wrapped
        self.__doc__ = wrapped.__doc__

    def __get__(self, instance, obj_type=None):
        if instance is None:
            return self
        value = self.wrapped(instance)
        instance.__dict__[self.wrapped.__name__] = value
        return value
