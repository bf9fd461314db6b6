"""``disttrain.testing``: ``assert_close`` and ``make_tensor`` for tests, as
``torch.testing``."""
import math

import numpy as np

import disttrain as _T

__all__ = ["assert_close", "assert_allclose", "make_tensor"]

# PyTorch's default tolerances by dtype: (rtol, atol)
_TOL = {"float16": (1e-3, 1e-5), "bfloat16": (1.6e-2, 1e-5), "float32": (1.3e-6, 1e-5),
        "float64": (1e-7, 1e-7)}


def _host(t):
    return np.asarray(t.detach().cpu()._data)


def _as_tensor(x):
    return x if isinstance(x, _T.Tensor) else _T.as_tensor(x)


def assert_close(actual, expected, *, allow_subclasses=True, rtol=None, atol=None,
                 equal_nan=False, check_device=True, check_dtype=True, check_layout=True,
                 check_stride=False, msg=None):
    """Raise ``AssertionError`` unless ``actual`` and ``expected`` are close:
    ``|actual - expected| <= atol + rtol * |expected|`` elementwise, with the same shape,
    dtype and device (sequences and mappings are compared item by item).

    Default tolerances depend on the dtype (float32: ``rtol=1.3e-6, atol=1e-5``); integers
    and booleans must be equal.
    """
    if (rtol is None) != (atol is None):
        raise ValueError(f"Both 'rtol' and 'atol' must be either specified or omitted, but got "
                         f"no {'rtol' if rtol is None else 'atol'}.")
    if isinstance(actual, (list, tuple)) and isinstance(expected, (list, tuple)):
        if len(actual) != len(expected):
            raise AssertionError(f"The length of the sequences mismatch: {len(actual)} != "
                                 f"{len(expected)}")
        for a, e in zip(actual, expected):
            assert_close(a, e, rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_device=check_device, check_dtype=check_dtype, msg=msg)
        return
    if isinstance(actual, dict) and isinstance(expected, dict):
        if set(actual) != set(expected):
            raise AssertionError("The keys of the mappings do not match")
        for k in expected:
            assert_close(actual[k], expected[k], rtol=rtol, atol=atol, equal_nan=equal_nan,
                         check_device=check_device, check_dtype=check_dtype, msg=msg)
        return
    scalars = not isinstance(actual, _T.Tensor) and not isinstance(expected, _T.Tensor)
    if scalars and isinstance(actual, (int, float, bool)) and \
            isinstance(expected, (int, float, bool)):
        return _scalars_close(actual, expected, rtol, atol, equal_nan, msg)
    if isinstance(actual, _T.Tensor) != isinstance(expected, _T.Tensor) and check_dtype:
        raise AssertionError(f"Comparing {type(actual).__name__} and "
                             f"{type(expected).__name__} is not supported")
    a, e = _as_tensor(actual), _as_tensor(expected)
    if tuple(a.shape) != tuple(e.shape):
        raise AssertionError(f"The values for attribute 'shape' do not match: {a.shape} != "
                             f"{e.shape}.")
    if check_device and a.device != e.device:
        raise AssertionError(f"The values for attribute 'device' do not match: {a.device} != "
                             f"{e.device}.")
    if check_dtype and a.dtype is not e.dtype:
        raise AssertionError(f"The values for attribute 'dtype' do not match: {a.dtype} != "
                             f"{e.dtype}.")
    dt = _T.promote_types(a.dtype, e.dtype)
    if rtol is None:
        rtol, atol = _TOL.get(dt.name, (0.0, 0.0)) if dt.is_floating_point else (0.0, 0.0)
    # differences in the compared dtype (integers: float32 for the relative one), as PyTorch
    work = dt.np if dt.is_floating_point else np.float64
    ah, eh = _host(a).astype(work), _host(e).astype(work)
    with np.errstate(invalid="ignore", over="ignore"):
        diff = np.abs(ah - eh)
        ok = diff <= atol + rtol * np.abs(eh)
        ok |= ah == eh                                   # equal infinities
        if equal_nan:
            ok |= np.isnan(ah) & np.isnan(eh)
    if ok.all():
        return
    if msg is not None:
        raise AssertionError(msg(None) if callable(msg) else msg)
    close = "close" if dt.is_floating_point else "equal"
    bad = ~ok
    n_bad, n = int(bad.sum()), ok.size
    with np.errstate(divide="ignore", invalid="ignore"):
        rel = diff / np.abs(eh) if dt.is_floating_point else \
            (diff / np.abs(eh)).astype(np.float32)
    adiff = np.where(bad, np.nan_to_num(diff, nan=np.inf), -1.0)
    rdiff = np.where(bad, np.nan_to_num(rel, nan=np.inf), -1.0)
    ia = np.unravel_index(int(np.argmax(adiff)), ah.shape) if ah.ndim else ()
    ir = np.unravel_index(int(np.argmax(rdiff)), ah.shape) if ah.ndim else ()

    def num(v):
        return int(v) if not dt.is_floating_point and float(v).is_integer() else float(v)
    lines = [f"Tensor-likes are not {close}!", "",
             f"Mismatched elements: {n_bad} / {n} ({100.0 * n_bad / n:.1f}%)"]
    tol_a = f" (up to {atol} allowed)" if dt.is_floating_point else ""
    tol_r = f" (up to {rtol} allowed)" if dt.is_floating_point else ""
    where_a = f" at index {tuple(int(i) for i in ia)}" if ah.ndim else ""
    where_r = f" at index {tuple(int(i) for i in ir)}" if ah.ndim else ""
    lines.append(f"Greatest absolute difference: {num(diff[ia])}{where_a}{tol_a}")
    lines.append(f"Greatest relative difference: {float(rel[ir])}{where_r}{tol_r}")
    raise AssertionError("\n".join(lines))


def _scalars_close(actual, expected, rtol, atol, equal_nan, msg):
    if rtol is None:
        rtol, atol = (1e-7, 1e-7) if isinstance(actual, float) or isinstance(expected, float) \
            else (0.0, 0.0)
    if actual == expected or (equal_nan and math.isnan(actual) and math.isnan(expected)):
        return
    diff = abs(actual - expected)
    if diff <= atol + rtol * abs(expected):
        return
    if msg is not None:
        raise AssertionError(msg(None) if callable(msg) else msg)
    rel = diff / abs(expected) if expected else math.inf
    raise AssertionError(f"Scalars are not close!\n\nExpected {expected} but got {actual}.\n"
                         f"Absolute difference: {diff} (up to {atol} allowed)\n"
                         f"Relative difference: {rel} (up to {rtol} allowed)")


def assert_allclose(actual, expected, rtol=None, atol=None, equal_nan=True, msg=""):
    """Deprecated form of ``assert_close`` (NaNs equal by default, dtypes not checked)."""
    assert_close(_as_tensor(actual), _as_tensor(expected), rtol=rtol, atol=atol,
                 equal_nan=equal_nan, check_dtype=False, check_device=False,
                 msg=msg or None)


def make_tensor(*shape, dtype, device=None, low=None, high=None, requires_grad=False,
                noncontiguous=False, exclude_zero=False, memory_format=None):
    """A tensor of random values in ``[low, high)`` (dtype-dependent defaults), for tests."""
    if len(shape) == 1 and isinstance(shape[0], (tuple, list, _T.Size)):
        shape = tuple(shape[0])
    if dtype is _T.bool:
        t = _T.randint(0, 2, shape, device=device).to(_T.bool)
    elif dtype.is_floating_point:
        lo = -9.0 if low is None else low
        hi = 9.0 if high is None else high
        t = (_T.rand(shape, dtype=_T.float64, device=device) * (hi - lo) + lo).to(dtype)
        if exclude_zero:
            t = t.masked_fill(t == 0, _T.finfo(dtype).tiny)
    else:
        lo = -9 if low is None else int(math.ceil(low))
        hi = 10 if high is None else int(math.ceil(high))
        if dtype is _T.uint8:
            lo = max(lo, 0)
        t = _T.randint(lo, hi, shape, dtype=dtype, device=device)
        if exclude_zero:
            t = t.masked_fill(t == 0, 1)
    if noncontiguous and t.numel() > 1:
        t = _T.repeat_interleave(t, 2, dim=-1)[..., ::2]
    if requires_grad:
        t.requires_grad_(True)
    return t
