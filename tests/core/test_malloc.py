"""The malloc tuning done at import: applied on Linux/glibc, skipped when switched off."""
import sys

import pytest

from disttrain.core._malloc import tune_malloc


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt is Linux-only")
def test_tuning_applies_and_can_be_switched_off(monkeypatch):
    import ctypes
    if not hasattr(ctypes.CDLL(None), "mallopt"):
        pytest.skip("this libc has no mallopt (not glibc)")
    assert tune_malloc() is True
    monkeypatch.setenv("DISTTRAIN_MALLOC_TUNING", "0")
    assert tune_malloc() is False
