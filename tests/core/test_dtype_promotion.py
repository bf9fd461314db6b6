"""dtypes and PyTorch's type promotion: inference from data, tensor/tensor, 0-dim and Python
scalar operands, division, reductions, conversions and aliases (tables from PyTorch 2.13)."""
import numpy as np
import pytest

import disttrain

D = {"b": disttrain.bool, "u8": disttrain.uint8, "i8": disttrain.int8, "i16": disttrain.int16,
     "i32": disttrain.int32, "i64": disttrain.int64, "f16": disttrain.float16,
     "f32": disttrain.float32, "f64": disttrain.float64}
ORDER = ["b", "u8", "i8", "i16", "i32", "i64", "f16", "f32", "f64"]

# row: dtype of a tensor with dims; column: dtype of the other operand (PyTorch 2.13)
TENSOR_TENSOR = {
    "b": "b u8 i8 i16 i32 i64 f16 f32 f64", "u8": "u8 u8 i16 i16 i32 i64 f16 f32 f64",
    "i8": "i8 i16 i8 i16 i32 i64 f16 f32 f64", "i16": "i16 i16 i16 i16 i32 i64 f16 f32 f64",
    "i32": "i32 i32 i32 i32 i32 i64 f16 f32 f64", "i64": "i64 i64 i64 i64 i64 i64 f16 f32 f64",
    "f16": "f16 f16 f16 f16 f16 f16 f16 f32 f64", "f32": "f32 f32 f32 f32 f32 f32 f32 f32 f64",
    "f64": "f64 f64 f64 f64 f64 f64 f64 f64 f64",
}
TENSOR_ZERO_DIM = {
    "b": "b u8 i8 i16 i32 i64 f16 f32 f64", "u8": "u8 u8 u8 u8 u8 u8 f16 f32 f64",
    "i8": "i8 i8 i8 i8 i8 i8 f16 f32 f64", "i16": "i16 i16 i16 i16 i16 i16 f16 f32 f64",
    "i32": "i32 i32 i32 i32 i32 i32 f16 f32 f64", "i64": "i64 i64 i64 i64 i64 i64 f16 f32 f64",
    "f16": "f16 f16 f16 f16 f16 f16 f16 f16 f16", "f32": "f32 f32 f32 f32 f32 f32 f32 f32 f32",
    "f64": "f64 f64 f64 f64 f64 f64 f64 f64 f64",
}
# columns: True, 2, 2.5
TENSOR_SCALAR = {"b": "b i64 f32", "u8": "u8 u8 f32", "i8": "i8 i8 f32", "i16": "i16 i16 f32",
                 "i32": "i32 i32 f32", "i64": "i64 i64 f32", "f16": "f16 f16 f16",
                 "f32": "f32 f32 f32", "f64": "f64 f64 f64"}


def _pairs(table):
    return [(a, b, want) for a, row in table.items() for b, want in zip(ORDER, row.split())]


@pytest.mark.parametrize("a, b, want", _pairs(TENSOR_TENSOR))
def test_tensor_tensor_promotion(a, b, want):
    """Two tensors with dims promote as in PyTorch, for arithmetic, maximum, where and cat,
    and ``promote_types`` agrees."""
    x, y = disttrain.ones(2, dtype=D[a]), disttrain.ones(2, dtype=D[b])
    assert (x + y).dtype == D[want] and (y * x).dtype == D[want]
    assert disttrain.promote_types(D[a], D[b]) == D[want]
    if "b" not in (a, b):
        assert disttrain.maximum(x, y).dtype == D[want]
    assert disttrain.where(x > 0, x, y).dtype == D[want]
    assert disttrain.cat([x, y]).dtype == D[want]


@pytest.mark.parametrize("a, b, want", _pairs(TENSOR_ZERO_DIM))
def test_zero_dim_tensor_does_not_upcast_same_category(a, b, want):
    """A 0-dim operand changes the result only when its category is higher."""
    x, z = disttrain.ones(2, dtype=D[a]), disttrain.ones((), dtype=D[b])
    assert (x + z).dtype == D[want] and (z + x).dtype == D[want]


@pytest.mark.parametrize("a, want", TENSOR_SCALAR.items())
def test_python_scalars_are_weak(a, want):
    """Python bool/int/float scalars only promote to a higher category (float -> default)."""
    x = disttrain.ones(2, dtype=D[a])
    for s, w in zip([True, 2, 2.5], want.split()):
        assert (x * s).dtype == D[w] and (s * x).dtype == D[w]


def test_dtype_inferred_from_data():
    """tensor() infers float32 for floats (also mixed with ints), int64 for ints, bool for
    bools, and keeps numpy's dtypes."""
    t = disttrain.tensor
    assert t([1., 2.]).dtype == disttrain.float32 and t([1, 2.0]).dtype == disttrain.float32
    assert t([1, 2]).dtype == disttrain.int64 and t([True, 2]).dtype == disttrain.int64
    assert t([True]).dtype == disttrain.bool and t(3).dtype == disttrain.int64
    assert t(3.).dtype == disttrain.float32 and t([[1], [2.5]]).dtype == disttrain.float32
    assert t(np.array([1., 2.])).dtype == disttrain.float64
    assert t(np.array([1, 2], dtype=np.int32)).dtype == disttrain.int32
    assert t(np.float64(1.)).dtype == disttrain.float64


def test_true_division_and_integer_results():
    """int / int is float32; floor division and integer reductions stay integral (int64
    for sums and products)."""
    t = disttrain.tensor
    assert (t([1, 2]) / t([2, 2])).dtype == disttrain.float32
    assert (t([1, 2]) / 2).dtype == disttrain.float32 and (t([True]) / 2).dtype == \
        disttrain.float32
    assert (t([1, 2], dtype=disttrain.int32) // 2).dtype == disttrain.int32
    assert (t([1, 2]) * 0.5).tolist() == [0.5, 1.0]
    assert t([1, 2], dtype=disttrain.int8).sum().dtype == disttrain.int64
    assert t([True, True]).sum().item() == 2
    assert t([1, 2], dtype=disttrain.int32).cumsum(0).dtype == disttrain.int64
    assert t([1, 2], dtype=disttrain.int16).prod().dtype == disttrain.int64
    assert t([1., 2.], dtype=disttrain.float16).sum().dtype == disttrain.float16
    assert t([1, 2]).sum(dtype=disttrain.float64).dtype == disttrain.float64


def test_float_math_on_integers_uses_the_default_dtype():
    """exp/sqrt/sigmoid of ints give float32; abs/neg/clamp keep the integer dtype."""
    t = disttrain.tensor
    for fn in (lambda x: x.exp(), lambda x: x.sqrt(), lambda x: x.sigmoid()):
        assert fn(t([1, 2])).dtype == disttrain.float32
    assert t([True]).exp().dtype == disttrain.float32
    assert t([-1, 2]).abs().dtype == disttrain.int64
    assert (-t([1, 2], dtype=disttrain.uint8)).tolist() == [255, 254]
    assert t([1, 2]).clamp(0, 1).dtype == disttrain.int64


def test_default_dtype_changes_float_results():
    """With float64 as default, float scalars, int division and float data use it; a
    float32 tensor keeps its dtype."""
    t = disttrain.tensor
    disttrain.set_default_dtype(disttrain.float64)
    try:
        assert (t([1, 2]) * 0.5).dtype == disttrain.float64
        assert (t([1, 2]) / 2).dtype == disttrain.float64
        assert t([1.5]).dtype == disttrain.float64 and disttrain.ones(2).dtype == \
            disttrain.float64
        assert (t([1.], dtype=disttrain.float32) * 2.5).dtype == disttrain.float32
        assert t([1, 2]).exp().dtype == disttrain.float64
    finally:
        disttrain.set_default_dtype(disttrain.float32)
    assert disttrain.get_default_dtype() == disttrain.float32


def test_numpy_operands_behave_like_pytorch():
    """numpy scalars are weak like Python numbers; numpy arrays act as tensors."""
    assert (disttrain.ones(2) * np.float64(0.5)).dtype == disttrain.float32
    assert (np.float32(2) * disttrain.ones(2, dtype=disttrain.float16)).dtype == disttrain.float16
    assert (disttrain.ones(2, dtype=disttrain.int32) + np.int64(7)).dtype == disttrain.int32
    r = disttrain.ones(2) + np.array([1., 2.])
    assert isinstance(r, disttrain.Tensor) and r.dtype == disttrain.float64
    assert (disttrain.ones(2, dtype=disttrain.int32) * np.array([1, 2])).dtype == disttrain.int64


def test_integer_overflow_wraps_like_pytorch():
    """Out-of-range Python ints and conversions wrap into small integer dtypes."""
    t = disttrain.tensor
    assert (t([1, 2], dtype=disttrain.int8) * 1000).tolist() == [-24, -48]
    assert (t([1, 2], dtype=disttrain.uint8) - 3).tolist() == [254, 255]
    assert t([300, -1]).to(disttrain.uint8).tolist() == [44, 255]
    assert (t([1, 2], dtype=disttrain.int32) + t(2 ** 40)).dtype == disttrain.int32


def test_conversions_and_aliases():
    """Conversion methods truncate toward zero, bool() tests non-zero, and the aliases name
    the same dtype objects as PyTorch's."""
    x = disttrain.tensor([1.5, -2.7])
    assert x.long().tolist() == [1, -2] and x.int().dtype == disttrain.int32
    assert x.short().dtype == disttrain.int16 and x.char().dtype == disttrain.int8
    assert x.half().dtype == disttrain.float16 and x.double().dtype == disttrain.float64
    assert x.to(disttrain.int32).tolist() == [1, -2] and x.type(disttrain.int64).tolist() == [1, -2]
    assert disttrain.tensor([0.5, 0.0]).bool().tolist() == [True, False]
    assert x.type() == "disttrain.FloatTensor" and disttrain.tensor([1]).type() == \
        "disttrain.LongTensor"
    assert disttrain.float is disttrain.float32 and disttrain.double is disttrain.float64
    assert disttrain.half is disttrain.float16 and disttrain.long is disttrain.int64
    assert disttrain.int is disttrain.int32 and disttrain.short is disttrain.int16
    assert repr(disttrain.float32) == "disttrain.float32"
    assert disttrain.float16.is_floating_point and not disttrain.int64.is_floating_point
    assert disttrain.int8.is_signed and not disttrain.uint8.is_signed
    assert disttrain.float32.itemsize == 4 and disttrain.int16.itemsize == 2
    assert x.to(disttrain.float32) is x


def test_comparisons_across_dtypes():
    """Comparing integer and float tensors promotes before comparing."""
    t = disttrain.tensor
    assert (t([1, 2]) == t([1., 2.5])).tolist() == [True, False]
    assert (t([1, 2], dtype=disttrain.uint8) < 1.5).tolist() == [True, False]
