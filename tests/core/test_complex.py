"""Complex tensors: dtypes and promotion, creation and printing as PyTorch's, the real/imag
views, conj/angle/polar, arithmetic, and gradients with PyTorch's convention (a complex z's
gradient is dL/d(re) + i·dL/d(im)) checked by finite differences through real views."""
import numpy as np
import pytest

import disttrain
from disttrain.autograd import gradcheck

from .conftest import leaf, raises

c64, c128 = disttrain.complex64, disttrain.complex128


def test_dtypes_and_promotion():
    assert (disttrain.cfloat, disttrain.cdouble) == (c64, c128)
    assert disttrain.chalf is disttrain.complex32 and c64.is_complex
    assert not disttrain.float32.is_complex and c64.to_real() is disttrain.float32
    assert disttrain.promote_types(c64, disttrain.float64) is c128
    assert disttrain.promote_types(c64, disttrain.int64) is c64
    assert (disttrain.ones(2, dtype=disttrain.int32) * 1j).dtype is c64
    assert (disttrain.ones(2, dtype=disttrain.float64) * 1j).dtype is c128
    assert (disttrain.tensor(1., dtype=disttrain.float64) * disttrain.ones(2, dtype=c64)).dtype \
        is c64
    assert disttrain.tensor([1 + 2j]).dtype is c64
    assert disttrain.tensor([1 + 2j]).is_complex() and not disttrain.ones(1).is_complex()
    assert disttrain.is_complex(disttrain.zeros(1, dtype=c128))
    assert disttrain.zeros(1, dtype=c64).type() == "disttrain.ComplexFloatTensor"
    assert disttrain.ones(1).type("disttrain.ComplexDoubleTensor").dtype is c128


@pytest.mark.parametrize("expr,shown", [
    ("disttrain.tensor([[1.5+2j, -3.25-1e-3j], [0j, 1j]])",
     "tensor([[ 1.5000+2.0000e+00j, -3.2500-1.0000e-03j],\n"
     "        [ 0.0000+0.0000e+00j,  0.0000+1.0000e+00j]])"),
    ("disttrain.tensor([1+2j], dtype=disttrain.complex128, requires_grad=True)",
     "tensor([1.+2.j], dtype=disttrain.complex128, requires_grad=True)"),
    ("disttrain.tensor([1e10+1j, -2.5j])", "tensor([1.0000e+10+1.0000j, -0.0000e+00-2.5000j])"),
    ("disttrain.zeros(0, dtype=disttrain.complex64)", "tensor([], dtype=disttrain.complex64)"),
    ("disttrain.arange(12.).reshape(3, 4) * (1+1j)",
     "tensor([[ 0.+0.j,  1.+1.j,  2.+2.j,  3.+3.j],\n"
     "        [ 4.+4.j,  5.+5.j,  6.+6.j,  7.+7.j],\n"
     "        [ 8.+8.j,  9.+9.j, 10.+10.j, 11.+11.j]])"),
])
def test_printing_matches_pytorch(expr, shown):
    assert repr(eval(expr)) == shown


def test_parts_and_elementwise_values():
    z = disttrain.tensor([3 + 4j, -1 + 0j, 0j])
    assert z.abs().tolist() == [5.0, 1.0, 0.0]
    np.testing.assert_allclose(z.angle().numpy(), [0.9272952079772949, np.pi, 0.0], rtol=1e-7)
    np.testing.assert_allclose(disttrain.angle(disttrain.tensor([-2., 0., 3.])).numpy(),
                               [np.pi, 0, 0], rtol=1e-7)
    assert z.conj().tolist() == [3 - 4j, -1 - 0j, -0j]
    assert z.real.tolist() == [3.0, -1.0, 0.0] and z.imag.tolist() == [4.0, 0.0, 0.0]
    np.testing.assert_allclose(np.asarray(z.sgn().tolist()), [0.6 + 0.8j, -1, 0], rtol=1e-7)
    p = disttrain.polar(disttrain.tensor([2.]), disttrain.tensor([0.5]))
    np.testing.assert_allclose(p.tolist(), [1.7551651000976562 + 0.9588510990142822j],
                               rtol=1e-7)
    assert disttrain.complex(disttrain.tensor([1.]), disttrain.tensor([2.])).dtype is c64
    a = disttrain.tensor([1 + 1j, 2 - 1j])
    b = disttrain.tensor([[1j, 2], [3, -1j]])
    assert (a @ b).tolist() == [5 - 2j, 1 + 0j]
    assert (a / b[0]).tolist() == [1 - 1j, 1 - 0.5j]
    assert (disttrain.tensor([1, 2]) + 1j).tolist() == [1 + 1j, 2 + 1j]
    assert (a ** 2).tolist() == [2j, 3 - 4j]
    # var/std of complex numbers are real: the mean of |z - mean|²
    v = disttrain.tensor([1 + 1j, 3 - 1j, 2j]).var()
    assert v.dtype is disttrain.float32 and v.item() == pytest.approx(14 / 3)


def test_real_imag_and_view_as_real_share_memory():
    v = disttrain.tensor([1 + 2j, 3 + 4j])
    r = disttrain.view_as_real(v)
    r[0, 1] = 9
    assert v.tolist() == [1 + 9j, 3 + 4j]
    v.real.mul_(2)
    assert v.tolist() == [2 + 9j, 6 + 4j]
    w = disttrain.view_as_complex(disttrain.tensor([[1., 2.], [3., 4.]]))
    assert w.tolist() == [1 + 2j, 3 + 4j] and w.dtype is c64


R, C = disttrain.view_as_real, disttrain.view_as_complex
rng = np.random.default_rng(3)
GRADS = [
    ("mul", lambda a, b: R(C(a) * C(b)), [(3, 2), (3, 2)]),
    ("mul_by_real", lambda a, b: R(C(a) * b), [(3, 2), (3,)]),
    ("div", lambda a, b: R(C(a) / C(b)), [(3, 2), (3, 2)]),
    ("add_real_and_complex", lambda a, b: R(C(a) + b - C(a) * 1j), [(3, 2), (3,)]),
    ("matmul", lambda a, b: R(C(a) @ C(b)), [(2, 3, 2), (3, 2, 2)]),
    ("mv_batched", lambda a, b: R(C(a) @ C(b)), [(2, 2, 3, 2), (3, 2)]),
    ("abs", lambda a: C(a).abs(), [(4, 2)]),
    ("angle", lambda a: C(a).angle(), [(4, 2)]),
    ("conj", lambda a: R(C(a).conj() * C(a) * (2 + 1j)), [(3, 2)]),
    ("real_imag", lambda a: C(a).real * 2 + C(a).imag ** 2, [(3, 2)]),
    ("complex", lambda a, b: R(disttrain.complex(a, b) * (1 - 2j)), [(3,), (3,)]),
    ("polar", lambda r, t: R(disttrain.polar(r, t)), [(3,), (3,)]),
    ("sum_of_product", lambda a: (C(a) * C(a)).sum().abs(), [(3, 2)]),
    ("exp_log_sqrt", lambda a: R(C(a).exp() + C(a).log() * C(a).sqrt()), [(3, 2)]),
    ("trig", lambda a: R(C(a).sin() * C(a).cos() + C(a).tanh() + C(a).sigmoid()), [(3, 2)]),
    ("powers", lambda a: R(C(a) ** 2 + C(a) ** 3 + C(a).reciprocal()), [(3, 2)]),
    ("sgn_and_mean", lambda a: R(C(a).sgn().mean(0, keepdim=True) * C(a)), [(3, 2)]),
    ("var_std", lambda a: C(a).var(0).sum() + C(a).std(1).sum(), [(3, 2, 2)]),
]


@pytest.mark.parametrize("name,fn,shapes", GRADS, ids=[g[0] for g in GRADS])
def test_gradients_follow_pytorch_convention(name, fn, shapes):
    assert gradcheck(fn, tuple(leaf(rng.standard_normal(s)) for s in shapes))


def test_complex_leaf_gradient_is_conjugate_wirtinger():
    # L = |z|² = a² + b²: dL/da + i dL/db = 2a + 2ib = 2z
    z = disttrain.tensor([3 + 4j, -1 + 0.5j], dtype=c128, requires_grad=True)
    (z * z.conj()).real.sum().backward()
    assert z.grad.tolist() == [6 + 8j, -2 + 1j]
    # a real leaf that meets complex numbers gets a real gradient
    x = leaf([1.0, 2.0])
    (x * (1 + 2j)).abs().sum().backward()
    assert x.grad.dtype is disttrain.float64
    np.testing.assert_allclose(x.grad.numpy(), [5 ** 0.5, 5 ** 0.5])


def test_errors_match_pytorch():
    with raises(RuntimeError, "Expected object of scalar type Float but got scalar type Double "
                              "for second argument"):
        disttrain.complex(disttrain.tensor([1.]), disttrain.tensor([2.], dtype=disttrain.float64))
    with raises(RuntimeError, "Expected both inputs to be Half, Float or Double tensors but got "
                              "Long and Long"):
        disttrain.complex(disttrain.tensor([1]), disttrain.tensor([2]))
    with raises(RuntimeError, "Tensor must have a last dimension of size 2"):
        disttrain.view_as_complex(disttrain.ones(3))
    with raises(RuntimeError, "view_as_real is only supported for complex tensors"):
        disttrain.view_as_real(disttrain.ones(3))
    with raises(RuntimeError, "imag is not implemented for tensors with non-complex dtypes."):
        disttrain.ones(3).imag
    w = disttrain.ones(2, dtype=c64, requires_grad=True)
    with raises(RuntimeError, "grad can be implicitly created only for real scalar outputs but "
                              "got disttrain.complex64"):
        (w * w).sum().backward()
    with raises(RuntimeError, "expected m1 and m2 to have the same dtype, but got: "
                              "c10::complex<float> != float"):
        disttrain.ones(2, 2, dtype=c64) @ disttrain.ones(2, 2)
    with raises(NotImplementedError, "\"lt_cpu\" not implemented for 'ComplexFloat'"):
        disttrain.ones(2, dtype=c64) < 1
    assert (disttrain.ones(2, dtype=c64) == 1).tolist() == [True, True]


def test_random_complex_samples():
    disttrain.manual_seed(0)
    z = disttrain.randn(20000, dtype=c64)
    assert z.dtype is c64
    # each part has variance 1/2, so E|z|² = 1
    assert abs(z.abs().pow(2).mean().item() - 1) < 0.05
    u = disttrain.rand(1000, dtype=c128)
    assert u.dtype is c128 and 0 <= u.real.min().item() and u.imag.max().item() < 1


def test_gradcheck_takes_complex_inputs_and_outputs():
    z = disttrain.tensor(rng.standard_normal(4) + 1j * rng.standard_normal(4), dtype=c128,
                         requires_grad=True)
    w = disttrain.tensor(rng.standard_normal(4) + 1j * rng.standard_normal(4), dtype=c128,
                         requires_grad=True)
    assert gradcheck(lambda a, b: a * b.conj() + a.exp() / b, (z, w))
    assert gradcheck(disttrain.fft.fft, (z,))
    assert gradcheck(lambda a: a.abs() + a.angle(), (z,))

    # a wrong complex gradient (no conjugate) is caught
    class NoConj(disttrain.autograd.Function):
        @staticmethod
        def forward(ctx, a):
            ctx.save_for_backward(a)
            return a * a

        @staticmethod
        def backward(ctx, g):
            a, = ctx.saved_tensors
            return g * 2 * a

    assert not gradcheck(NoConj.apply, (z,), raise_exception=False)


def _c(*shape, seed=0):
    rng = np.random.default_rng(seed)
    return disttrain.tensor(rng.standard_normal(shape) + 1j * rng.standard_normal(shape),
                            dtype=disttrain.complex128, requires_grad=True)


@pytest.mark.parametrize("fn", [
    lambda a, b: disttrain.view_as_real(a * b / (b + 3)),
    lambda a, b: disttrain.view_as_real(a @ b),
    lambda a, b: disttrain.view_as_real((a.exp() + b.sigmoid() + a.tanh()) ** 2),
    lambda a, b: disttrain.view_as_real(a.sqrt().log() + b.reciprocal().asin()),
    lambda a, b: disttrain.view_as_real(disttrain.linalg.solve(a, b).sum(0)),
    lambda a, b: (disttrain.fft.fft(a).abs() + b.angle()).mean(),
    lambda a, b: disttrain.real(a[1:, ::2] * disttrain.cat([b, b]).conj()[:2, :2]),
])
def test_ops_on_the_complex_list_have_right_gradients(fn):
    """Every op allowed to record complex inputs passes a complex gradcheck."""
    assert gradcheck(fn, (_c(3, 3), _c(3, 3, seed=1)))


@pytest.mark.parametrize("op", [lambda x: x.prod(), lambda x: x.softmax(0),
                                lambda x: x.cumprod(0), lambda x: x ** x,
                                lambda x: disttrain.nn.functional.linear(x, x.view(1, 3))])
def test_ops_without_a_complex_gradient_refuse_instead_of_being_wrong(op):
    """An op whose backward is not right for complex inputs raises when it would record one,
    and still runs on data that needs no gradient."""
    with pytest.raises(NotImplementedError, match="gradient of this operation for complex "
                                                  "inputs is not implemented"):
        op(_c(3))
    op(_c(3).detach())


def test_conj_and_neg_bits_and_their_resolution():
    """No tensor carries PyTorch's lazy conjugate or negative bit here (``conj`` computes the
    values): the queries answer False and the resolvers return the tensor itself, as
    PyTorch 2.13 does for a tensor without the bits."""
    x = disttrain.tensor([1.0, -2.0])
    assert disttrain.resolve_neg(x) is x and x.resolve_neg() is x and x.resolve_conj() is x
    assert not (x.is_conj() or x.is_neg() or disttrain.is_conj(x) or disttrain.is_neg(x))
    c = disttrain.tensor([1 + 2j])
    assert c.conj_physical_() is c and c.tolist() == [1 - 2j]
    assert disttrain.conj_physical_(c) is c and c.tolist() == [1 + 2j]
    with pytest.raises(TypeError, match=r"^is_conj\(\): argument 'input' \(position 1\) must be "
                                        r"Tensor, not list$"):
        disttrain.is_conj([1])


def test_in_place_special_functions_at_top_level():
    # PyTorch 2.13: erf_(0.5), logit_(0.25), xlogy_(2, 3), sinc_(0.5), i0_(1), erfc_(0.5)
    cases = [(disttrain.erf_, [0.5], (), 0.5204998778130465),
             (disttrain.logit_, [0.25], (), -1.0986122886681098),
             (disttrain.xlogy_, [2.0], (3.0,), 2.1972245773362196),
             (disttrain.sinc_, [0.5], (), 0.6366197723675814),
             (disttrain.i0_, [1.0], (), 1.2660658777520082),
             (disttrain.erfc_, [0.5], (), 0.4795001221869535)]
    for fn, value, args, want in cases:
        x = disttrain.tensor(value, dtype=disttrain.float64)
        assert fn(x, *args) is x and x.item() == pytest.approx(want, rel=1e-14)
