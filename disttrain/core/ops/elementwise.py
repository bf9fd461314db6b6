"""Elementwise ops with broadcasting, gathered in one namespace from the modules that
define them: ``arithmetic`` (+ - * /, remainders, powers), ``unary`` (exp, log, trigonometry,
rounding ...), ``compare`` (comparisons, maximum/minimum, clamp, where, logical and bitwise
ops) and ``copies`` (casts, clone, fill/zero/copy nodes)."""
from ._util import broadcast_msg as _broadcast_msg  # noqa: F401  (imported from here elsewhere)
from .arithmetic import (  # noqa: F401
    Add, Sub, Rsub, RsubTensor, Mul, Div, DivMode, FloorDivide, Remainder, RemainderScalar,
    Fmod, FmodScalar, Neg, PowScalar, Pow, RPow, Atan2)
from .unary import (  # noqa: F401
    Exp, Expm1, Log, Log2, Log10, Log1p, Sqrt, Rsqrt, Reciprocal, Square, Sin, Cos, Tan, Tanh,
    Sigmoid, Asin, Acos, Atan, Sinh, Cosh, Relu, Abs, Sign, Floor, Ceil, Trunc, Frac, Round,
    RoundDecimals)
from .compare import (  # noqa: F401
    Clamp, ClampTensor, Maximum, Minimum, Where, Eq, Ne, Lt, Le, Gt, Ge, BitwiseAnd,
    BitwiseOr, BitwiseXor, BitwiseNot, Logical)
from .copies import Cast, ToDevice, Clone, Fill, FillTensor, Zero, Copy  # noqa: F401

__all__ = []
