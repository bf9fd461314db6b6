"""The OpenBLAS kernel choice made at import: Haswell's kernels on AMD Zen 4, nothing elsewhere,
never against the user's ``OPENBLAS_CORETYPE`` or ``DISTTRAIN_BLAS_TUNING=0``."""
import os
import subprocess
import sys

import pytest

from disttrain.core._blas import openblas_corename, prefers_haswell_kernels

ZEN4 = """processor\t: 0
vendor_id\t: AuthenticAMD
cpu family\t: 25
model\t\t: 17
flags\t\t: fpu sse sse2 avx avx2 fma avx512f avx512dq avx512bw avx512vl

processor\t: 1
vendor_id\t: AuthenticAMD
"""


def test_the_rule_names_zen4_only():
    assert prefers_haswell_kernels(ZEN4)
    zen3 = ZEN4.replace(" avx512f avx512dq avx512bw avx512vl", "")
    assert not prefers_haswell_kernels(zen3)
    zen5 = ZEN4.replace("cpu family\t: 25", "cpu family\t: 26")
    assert not prefers_haswell_kernels(zen5)
    intel = ZEN4.replace("AuthenticAMD", "GenuineIntel").replace(": 25", ": 6")
    assert not prefers_haswell_kernels(intel)
    assert not prefers_haswell_kernels("")


# numpy first, as most programs import it: the switch must still take effect
PROBE = """
import numpy as np
import disttrain
from disttrain.core._blas import openblas_corename
rng = np.random.default_rng(0)
a = rng.standard_normal((300, 200)).astype(np.float32)
b = rng.standard_normal((200, 500)).astype(np.float32)
err = np.abs(a @ b - a.astype(np.float64) @ b.astype(np.float64)).max()
print(openblas_corename(), err)
"""


def _probe(**env):
    full = dict(os.environ)
    full.pop("OPENBLAS_CORETYPE", None)
    full.update(env)
    out = subprocess.run([sys.executable, "-c", PROBE], env=full, capture_output=True,
                         text=True, timeout=120, check=True).stdout.split()
    return out[0], float(out[1])


def test_import_switches_zen4_to_haswell_and_respects_the_user():
    if openblas_corename() is None:
        pytest.skip("numpy here is not linked against OpenBLAS")
    own, err = _probe(DISTTRAIN_BLAS_TUNING="0")
    assert err < 1e-3
    try:
        with open("/proc/cpuinfo") as fh:
            zen4 = prefers_haswell_kernels(fh.read())
    except OSError:
        zen4 = False
    tuned, err = _probe()
    assert err < 1e-3                   # the switched kernels compute the same products
    assert tuned == ("Haswell" if zen4 and own == "SkylakeX" else own)
    forced, _ = _probe(OPENBLAS_CORETYPE="Sandybridge")
    assert forced == "Sandybridge"      # the user's choice stands
