"""Complex numbers at the top level: ``disttrain.complex``, ``polar``, ``real``, ``imag``,
``view_as_real``, ``view_as_complex``, ``conj``, ``angle``, ``is_complex``, ``sgn``."""
from ..tensor import Tensor
from ..ops import complex_ops as C

__all__ = ["complex", "polar", "real", "imag", "view_as_real", "view_as_complex", "conj",
           "conj_physical", "resolve_conj", "is_conj", "is_neg", "resolve_neg", "angle",
           "is_complex", "sgn"]


def complex(real, imag, *, out=None):
    """The complex tensor ``real + i·imag`` (both float32 or both float64, broadcast)."""
    return C.Complex.apply(real, imag)


def polar(abs, angle, *, out=None):
    """The complex tensor ``abs·(cos(angle) + i·sin(angle))``."""
    return C.Complex.apply(abs * angle.cos(), abs * angle.sin())


def real(input):
    """The real parts of a complex tensor, as a view; a real tensor itself."""
    if input._data.dtype.kind != "c":
        return input
    return C.Real.apply(input)


def imag(input):
    """The imaginary parts of a complex tensor, as a view."""
    return C.Imag.apply(input)


def view_as_real(input):
    """A complex tensor's memory as a real tensor with a last dim of 2 (real, imag)."""
    return C.ViewAsReal.apply(input)


def view_as_complex(input):
    """A real tensor with a last dim of 2 as the complex tensor it stores."""
    return C.ViewAsComplex.apply(input)


def conj(input):
    """The complex conjugate (the tensor itself when real)."""
    if input._data.dtype.kind != "c":
        return input
    return C.Conj.apply(input)


conj_physical = conj


def resolve_conj(input):
    """Conjugation is never lazy here: the tensor itself."""
    return input


def is_conj(input):
    """Whether ``input`` carries PyTorch's lazy-conjugation bit: never here, where ``conj``
    computes the conjugated values (so ``x.conj().is_conj()`` is False, True in PyTorch;
    code that tests it before ``resolve_conj`` works the same)."""
    _check_tensor(input, "is_conj")
    return False


def is_neg(input):
    """Whether ``input`` carries PyTorch's lazy-negation bit: never here (see ``is_conj``)."""
    _check_tensor(input, "is_neg")
    return False


def resolve_neg(input):
    """Negation is never lazy here: the tensor itself."""
    return input


def _check_tensor(input, name):
    if not isinstance(input, Tensor):
        raise TypeError(f"{name}(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")


def angle(input, *, out=None):
    """The argument of each element, atan2(imag, real) (0 or π for real inputs)."""
    return C.Angle.apply(input)


def is_complex(input):
    """Whether ``input`` holds complex numbers."""
    if not isinstance(input, Tensor):
        raise TypeError(f"is_complex(): argument 'input' (position 1) must be Tensor, not "
                        f"{type(input).__name__}")
    return input._data.dtype.kind == "c"


def sgn(input):
    """z/|z| for complex elements (0 at 0), the sign for real ones."""
    if input._data.dtype.kind != "c":
        return input.sign()
    # as a quotient, so that its gradient (sgn is not holomorphic) follows from |z|'s
    a = input.abs()
    zero = a == 0
    return (input / a.masked_fill(zero, 1)).masked_fill(zero, 0)
