"""dtypes with PyTorch's names and its type-promotion rules, each backed by a numpy dtype."""
import numpy as np

from . import _names

__all__ = ["dtype", "float16", "float32", "float64", "bfloat16", "int8", "int16", "int32",
           "int64", "uint8", "bool", "half", "float", "double", "short", "int", "long",
           "get_default_dtype", "set_default_dtype", "promote_types", "complex32", "complex64",
           "complex128", "chalf", "cfloat", "cdouble"]

_builtin_bool, _builtin_float, _builtin_int = bool, float, int


class dtype:
    """A tensor element type; ``repr`` is the module-qualified name (``disttrain.float32``)."""

    __slots__ = ("name", "np", "is_floating_point", "is_signed", "itemsize", "_category")

    def __init__(self, name, np_dtype, category):
        self.name = name
        self.np = np.dtype(np_dtype)
        self._category = category          # 0 bool, 1 int, 2 floating, 3 complex: promotion
        self.is_floating_point = category == 2
        self.is_signed = category == 2 or self.np.kind == "i"
        self.itemsize = self.np.itemsize

    def __repr__(self):
        return _names.qualified(self.name)

    def __reduce__(self):
        return (_by_name, (self.name,))

    @property
    def is_complex(self):
        return self._category == 3

    def to_real(self):
        """The real dtype of a complex one's parts (complex64 -> float32); itself if real."""
        return _REAL_OF.get(self.name, self)

    def to_complex(self):
        """The complex dtype with this float dtype's parts (float64 -> complex128)."""
        return _COMPLEX_OF.get(self.name, self)


float16 = half = dtype("float16", np.float16, 2)
float32 = float = dtype("float32", np.float32, 2)
float64 = double = dtype("float64", np.float64, 2)
# numpy has no bfloat16; it is accepted as a name and stored as float32.
bfloat16 = dtype("bfloat16", np.float32, 2)
int8 = dtype("int8", np.int8, 1)
int16 = short = dtype("int16", np.int16, 1)
int32 = int = dtype("int32", np.int32, 1)
int64 = long = dtype("int64", np.int64, 1)
uint8 = dtype("uint8", np.uint8, 1)
bool = dtype("bool", np.bool_, 0)
complex64 = cfloat = dtype("complex64", np.complex64, 3)
complex128 = cdouble = dtype("complex128", np.complex128, 3)
# numpy has no complex32 (two float16 parts); it is accepted as a name and stored as complex64
complex32 = chalf = dtype("complex32", np.complex64, 3)

_ALL = [float16, float32, float64, int8, int16, int32, int64, uint8, bool, complex64,
        complex128]
_FROM_NP = {d.np: d for d in _ALL}
_BY_NAME = {d.name: d for d in _ALL + [bfloat16, complex32]}
_REAL_OF = {"complex64": float32, "complex128": float64, "complex32": float16}
_COMPLEX_OF = {"float32": complex64, "float64": complex128, "float16": complex32,
               "bfloat16": complex64}


def _by_name(name):
    return _BY_NAME[name]


_default = [float32]


def get_default_dtype():
    return _default[0]


def set_default_dtype(d):
    d = to_dtype(d)
    if d not in (float16, float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got {d}")
    _default[0] = d


def from_numpy_dtype(npd):
    try:
        return _FROM_NP[np.dtype(npd)]
    except KeyError:
        raise TypeError(
            f"can't convert np.ndarray of type {np.dtype(npd)}. The only supported types are: "
            f"float64, float32, float16, complex64, complex128, int64, int32, int16, int8, "
            f"uint8, and bool.") from None


def to_dtype(d):
    """Accept our dtype, a numpy dtype, or the Python types float/int/bool."""
    if d is None or isinstance(d, dtype):
        return d
    if d is _builtin_float:
        return float64
    if d is _builtin_int:
        return int64
    if d is _builtin_bool:
        return bool
    if isinstance(d, str) and d in _BY_NAME:
        return _BY_NAME[d]
    return from_numpy_dtype(d)


def promote_types(a, b):
    """Result dtype of two tensor dtypes: the higher category wins, then the wider type."""
    if a is b:
        return a
    if a._category != b._category:
        hi, lo = (a, b) if a._category > b._category else (b, a)
        if hi._category == 3 and lo._category == 2:
            # complex64 with float64 is complex128: the parts take the wider float
            return promote_types(hi.to_real(), lo).to_complex()
        return hi
    return from_numpy_dtype(np.promote_types(a.np, b.np))


def scalar_dtype(x):
    """The dtype a Python scalar takes when it stands alone."""
    if isinstance(x, _builtin_bool) or isinstance(x, np.bool_):
        return bool
    if isinstance(x, (_builtin_int, np.integer)):
        return int64
    if isinstance(x, (complex, np.complexfloating)):
        return default_complex_dtype()
    return get_default_dtype()


def default_complex_dtype():
    """complex128 when the default dtype is float64, else complex64 (PyTorch's rule)."""
    return complex128 if _default[0] is float64 else complex64


def scalar_category(x):
    if isinstance(x, (_builtin_bool, np.bool_)):
        return 0
    if isinstance(x, (_builtin_int, np.integer)):
        return 1
    if isinstance(x, (complex, np.complexfloating)):
        return 3
    return 2


def result_type(operands):
    """PyTorch's promotion over tensors (dim > 0), zero-dim tensors and Python scalars.

    A lower-priority group (zero-dim tensors, then scalars) changes the result only when
    its category (bool < int < float) is higher than every higher-priority operand's.
    """
    dims = zero = scal = None
    for x in operands:
        d = getattr(x, "dtype", None)
        if isinstance(d, dtype):
            if x.ndim:
                dims = d if dims is None else promote_types(dims, d)
            else:
                zero = d if zero is None else promote_types(zero, d)
        else:
            c = scalar_category(x)
            if scal is None or c > scal:
                scal = c
    out = dims
    if zero is not None:
        if out is None or zero._category > out._category:
            out = zero
    if scal is not None:
        if out is None:
            out = (bool, int64, get_default_dtype(), default_complex_dtype())[scal]
        elif scal > out._category:
            if scal == 3:
                out = out.to_complex() if out._category == 2 else default_complex_dtype()
            else:
                out = int64 if scal == 1 else get_default_dtype()
    return out
