"""numpy's OpenBLAS, reached through ctypes: its thread count, and its kernels on the CPUs where
we measured a better choice than the one it makes.

numpy's wheels bundle OpenBLAS with prefixed and suffixed symbol names
(``scipy_openblas_set_num_threads64_``); the library is found among this process's mappings,
where importing numpy put it.

Kernels: OpenBLAS built for many CPUs (``DYNAMIC_ARCH``, as in numpy's wheels) runs its
AVX-512 "SkylakeX" kernels on AMD Zen 4. There its AVX2 "Haswell" kernels train faster: in
float32, one thread, the MLP's gemms 256x784x1024 4.33 -> 3.94 ms and 256x1024x1024 5.62 ->
5.13 ms, a 64x576x4096 convolution gemm 4.08 -> 3.26 ms (a few shapes lose: 512x4608x16 1.15
-> 1.27 ms, 64x64x64 by 1 µs), and every model of ``benchmarks/models.py`` trains 0-10% faster
(MLP 30.5 -> 28.1 ms, LSTM 61.4 -> 54.9, DCGAN 44.4 -> 41.6 in one comparison). So on Zen 4,
when OpenBLAS chose SkylakeX and the user set no ``OPENBLAS_CORETYPE``, import switches it to
Haswell through OpenBLAS's own start-up path: ``gotoblas_dynamic_quit`` clears the kernel
table, ``gotoblas_dynamic_init`` picks one again reading ``OPENBLAS_CORETYPE`` (set only for
that call). ``DISTTRAIN_BLAS_TUNING=0`` keeps OpenBLAS's choice; ``OPENBLAS_CORETYPE`` set by
the user is always left to OpenBLAS.
"""
import ctypes
import os

__all__ = ["openblas_threads", "openblas_corename", "tune_blas", "prefers_haswell_kernels"]

_AFFIXES = (("", ""), ("scipy_", "64_"), ("", "64_"), ("scipy_", ""))


def _libraries():
    """The OpenBLAS libraries mapped into this process, loaded through ctypes."""
    try:
        with open("/proc/self/maps") as fh:
            paths = {line.split()[-1] for line in fh if "openblas" in line.lower()}
    except OSError:
        return []
    libs = []
    for path in sorted(paths):
        try:
            libs.append(ctypes.CDLL(path))
        except OSError:
            continue
    return libs


def _symbol(lib, name):
    """OpenBLAS's function ``name`` under whichever prefix and suffix this build uses."""
    for pre, suf in _AFFIXES:
        fn = getattr(lib, f"{pre}{name}{suf}", None)
        if fn is not None:
            return fn
    return None


def openblas_threads():
    """``(set, get)`` of the thread count of the OpenBLAS numpy loaded, or None."""
    for lib in _libraries():
        setter = _symbol(lib, "openblas_set_num_threads")
        getter = _symbol(lib, "openblas_get_num_threads")
        if setter is not None and getter is not None:
            setter.argtypes, setter.restype = [ctypes.c_int], None
            getter.argtypes, getter.restype = [], ctypes.c_int
            return setter, getter
    return None


def _corename(lib):
    fn = _symbol(lib, "openblas_get_corename")
    if fn is None:
        return None
    fn.argtypes, fn.restype = [], ctypes.c_char_p
    return fn().decode()


def openblas_corename():
    """The kernel set numpy's OpenBLAS runs (``"Haswell"``, ``"SkylakeX"`` ...), or None."""
    import numpy  # noqa: F401  (the library is mapped once numpy is imported)
    for lib in _libraries():
        name = _corename(lib)
        if name is not None:
            return name
    return None


def prefers_haswell_kernels(cpuinfo):
    """Whether the CPU described by ``/proc/cpuinfo``'s text is one where OpenBLAS's Haswell
    kernels were measured faster than its SkylakeX ones: AMD family 25 with AVX-512 (Zen 4;
    Zen 3, the same family without AVX-512, gets Haswell's kernels from OpenBLAS already)."""
    fields = {}
    for line in cpuinfo.splitlines():
        if not line.strip():
            break                           # the first processor's block is enough
        key, _, value = line.partition(":")
        fields[key.strip()] = value.strip()
    return fields.get("vendor_id") == "AuthenticAMD" and fields.get("cpu family") == "25" \
        and "avx512f" in fields.get("flags", "").split()


def tune_blas():
    """Switch numpy's OpenBLAS to the kernels measured faster on this CPU (see the module's
    text); returns the kernel set now in use when it switched, else None."""
    if os.environ.get("DISTTRAIN_BLAS_TUNING", "1") == "0" or "OPENBLAS_CORETYPE" in os.environ:
        return None
    try:
        with open("/proc/cpuinfo") as fh:
            if not prefers_haswell_kernels(fh.read()):
                return None
    except OSError:
        return None
    import numpy  # noqa: F401  (maps the library)
    switched = None
    for lib in _libraries():            # numpy's, and scipy's own copy when it is loaded
        quit_, init = getattr(lib, "gotoblas_dynamic_quit", None), \
            getattr(lib, "gotoblas_dynamic_init", None)
        if quit_ is None or init is None or _corename(lib) != "SkylakeX":
            continue
        quit_.argtypes = init.argtypes = []
        quit_.restype = init.restype = None
        os.environ["OPENBLAS_CORETYPE"] = "Haswell"
        try:
            quit_()
            init()
        finally:
            del os.environ["OPENBLAS_CORETYPE"]
        switched = _corename(lib)
    return switched
