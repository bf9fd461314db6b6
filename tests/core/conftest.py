"""Shared helpers of the op tests: forward against numpy, gradients by finite differences."""
import numpy as np
import pytest

import disttrain
from disttrain.autograd import gradcheck

__all__ = ["randn", "leaf", "assert_close", "check_op", "raises", "evaluate", "shown"]


def randn(*shape, seed=0, positive=False, away_from=None):
    """Float64 normal samples; ``positive`` maps them into [0.5, 2.5) for log/sqrt/pow, and
    ``away_from`` keeps every value at least 0.1 from that point (for kinks such as abs)."""
    a = np.random.default_rng(seed).standard_normal(shape)
    if positive:
        a = np.abs(a) % 2.0 + 0.5
    if away_from is not None:
        a = np.where(np.abs(a - away_from) < 0.1, a + 0.2 * np.sign(a - away_from + 1e-9), a)
    return a


def leaf(arr, requires_grad=True):
    """A float64 leaf tensor holding a copy of ``arr``."""
    return disttrain.tensor(np.array(arr, dtype=np.float64), requires_grad=requires_grad)


def assert_close(t, expected, atol=1e-7, rtol=1e-7, dtype=None):
    """``t`` is a Tensor with ``expected``'s shape and values (and ``dtype`` when given)."""
    assert isinstance(t, disttrain.Tensor), type(t)
    expected = np.asarray(expected)
    assert tuple(t.shape) == expected.shape, (tuple(t.shape), expected.shape)
    if dtype is not None:
        assert t.dtype == dtype, (t.dtype, dtype)
    np.testing.assert_allclose(np.asarray(t.detach()._data, dtype=np.float64),
                               expected.astype(np.float64), atol=atol, rtol=rtol)


def _strided(arr):
    """``arr`` stored every other element along its last dim: a non-contiguous view of it."""
    if arr.ndim == 0:
        return arr, lambda x: x
    wide = np.zeros(arr.shape[:-1] + (2 * arr.shape[-1],))
    wide[..., ::2] = arr
    return wide, lambda x: x[..., ::2]


def check_op(fn, *shapes, ref=None, positive=False, away_from=None, grad=True,
             noncontig=False, seed=0, atol=1e-7):
    """``fn`` on float64 tensors of ``shapes`` matches ``ref`` (default: ``fn`` itself) on the
    numpy arrays, and its gradients match finite differences.

    With ``noncontig`` every input reaches ``fn`` as a non-contiguous view (``x[..., ::2]``
    of a wider leaf), built inside the checked function because gradcheck perturbs the
    leaves in place.
    """
    arrays = [randn(*s, seed=seed + i, positive=positive, away_from=away_from)
              for i, s in enumerate(shapes)]
    if noncontig:
        stored, views = zip(*(_strided(a) for a in arrays))
    else:
        stored, views = arrays, [lambda x: x] * len(arrays)

    def run(*leaves):
        return fn(*[v(t) for v, t in zip(views, leaves)])

    leaves = [leaf(a) for a in stored]
    if noncontig:
        assert all(not v(t).is_contiguous() for v, t in zip(views, leaves) if t.dim())
    out = run(*leaves)
    expected = (ref or fn)(*[a.copy() for a in arrays])
    outs = out if isinstance(out, (tuple, list)) else (out,)
    exps = expected if isinstance(expected, (tuple, list)) else (expected,)
    for o, e in zip(outs, exps):
        assert_close(o, e, atol=atol, rtol=atol)
    if grad:
        assert gradcheck(run, leaves)
    return out


def raises(exc, message):
    """``pytest.raises`` that requires the exact message."""
    import re
    return pytest.raises(exc, match=f"^{re.escape(message)}$")


def evaluate(expr):
    """The value of a table entry's expression, with ``disttrain`` and ``np`` in scope."""
    return eval(expr, {"disttrain": disttrain, "np": np})


def shown(expr):
    """What an expression shows as: a string result itself, anything else its repr."""
    value = evaluate(expr)
    return value if isinstance(value, str) else repr(value)
