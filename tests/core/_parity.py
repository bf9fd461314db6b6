"""Run a table of ``expression -> PyTorch 2.13 result`` cases against disttrain.

Each case is the source of an expression over ``T`` (the disttrain module), ``A`` (a seeded
float64 tensor of a shape) and ``X`` (``A(T, 3, 4)``), and what PyTorch returned for the same
expression: ``("ok", value)`` where a tensor is ``("T", values, dtype name)``, or
``("err", exception type name, first line of the message)``.
"""
import builtins

import numpy as np
import pytest

import disttrain

__all__ = ["check_case", "A"]

nan, inf = float("nan"), float("inf")


def A(T, *shape, seed=0, dtype="float64"):
    """Seeded normal samples rounded to 2 decimals, as a tensor of ``dtype``."""
    a = np.random.default_rng(seed).standard_normal(shape).round(2)
    return T.tensor(a, dtype=getattr(T, dtype))


def _env():
    return {"T": disttrain, "A": A, "X": lambda T: A(T, 3, 4), "nan": nan, "inf": inf}


def _compare(got, exp, where="result"):
    if isinstance(exp, tuple) and len(exp) == 3 and exp[0] == "T":
        _, vals, dtype = exp
        assert isinstance(got, disttrain.Tensor), (where, type(got))
        assert got.dtype == getattr(disttrain, dtype), (where, got.dtype, dtype)
        g = np.asarray(got.detach().tolist(), dtype=np.float64)
        e = np.asarray(vals, dtype=np.float64)
        if e.size:
            assert g.shape == e.shape, (where, g.shape, e.shape)
        else:
            assert g.size == 0, (where, g.shape)
        np.testing.assert_allclose(g, e, rtol=1e-6, atol=1e-6, equal_nan=True, err_msg=where)
    elif isinstance(exp, list):
        assert len(got) == len(exp), (where, len(got), len(exp))
        for i, (a, b) in enumerate(zip(got, exp)):
            _compare(a, b, f"{where}[{i}]")
    elif isinstance(exp, float) and exp != exp:
        assert got != got, where
    else:
        assert got == exp, (where, got, exp)


def check_case(expr, expected):
    """Evaluate ``expr`` with disttrain and compare with PyTorch's recorded ``expected``."""
    if expected[0] == "err":
        _, exc, msg = expected
        with pytest.raises(getattr(builtins, exc)) as info:
            eval(expr, _env())
        assert str(info.value).split("\n")[0] == msg
    else:
        _compare(eval(expr, _env()), expected[1])
