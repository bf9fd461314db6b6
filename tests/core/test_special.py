"""disttrain.special and the top-level special functions: values against PyTorch 2.13 (to
1e-12 relative, tails included), gradients by finite differences, and PyTorch's errors."""
import math

import numpy as np
import pytest

import disttrain
import disttrain.special as special
from disttrain.autograd import gradcheck, gradgradcheck

from .conftest import assert_close, leaf, raises

inf, nan = float("inf"), float("nan")

# (function, points, PyTorch 2.13's float64 results)
VALUES = [
    ('erf', [-25.0, -6.3, -2.5, -1.0, -0.3, 0.0, 1e-08, 0.2, 0.7, 1.0, 1.5, 2.0, 3.7, 6.1, 12.5, 27.0],
     [-1.0, -1.0, -0.999593047982555, -0.8427007929497149, -0.3286267594591274, 0.0, 1.1283791670955126e-08, 0.22270258921047847, 0.6778011938374184, 0.8427007929497149, 0.9661051464753108, 0.9953222650189527, 0.9999998328489421, 1.0, 1.0, 1.0]),
    ('erfc', [-25.0, -6.3, -2.5, -1.0, -0.3, 0.0, 1e-08, 0.2, 0.7, 1.0, 1.5, 2.0, 3.7, 6.1, 12.5, 27.0],
     [2.0, 2.0, 1.999593047982555, 1.8427007929497148, 1.3286267594591274, 1.0, 0.9999999887162083, 0.7772974107895215, 0.32219880616258156, 0.15729920705028513, 0.033894853524689274, 0.004677734981047266, 1.6715105790914599e-07, 6.3146021501937184e-18, 6.231942781979911e-70, 5.23705e-319]),
    ('erfcx', [-25.0, -6.3, -2.5, -1.0, -0.3, 0.0, 1e-08, 0.2, 0.7, 1.0, 1.5, 2.0, 3.7, 6.1, 12.5, 27.0],
     [5.4335189393274735e+271, 3.452852150033081e+17, 1035.8148429726227, 5.008980080762283, 1.4537492328427655, 1.0, 0.9999999887162083, 0.8090195199015808, 0.525930337349441, 0.427583576155807, 0.3215854164543176, 0.2553956763105058, 0.14743499753718506, 0.09129430036868383, 0.04499209900102792, 0.02088160799042094]),
    ('erfinv', [-1.0, -0.999999999999, -0.7, -0.3, 0.0, 1e-10, 0.2, 0.5, 0.9, 0.9999999, 0.999999999999999, 1.0],
     [-inf, -5.042031898572696, -0.7328690779592167, -0.2724627147267543, 0.0, 8.862269254527581e-11, 0.1791434546212917, 0.4769362762044699, 1.1630871536766743, 3.7665625816384707, 5.675915739744713, inf]),
    ('ndtr', [-2.0, -0.5, 0.0, 0.3, 1.0, 3.0, 8.0],
     [0.02275013194817921, 0.3085375387259869, 0.5, 0.6179114221889527, 0.841344746068543, 0.9986501019683699, 0.9999999999999993]),
    ('ndtri', [1e-300, 1e-20, 1e-05, 0.025, 0.3, 0.5, 0.500000000001, 0.9, 0.999999, 0.999999999999999],
     [-37.0470962993612, -9.262340089798409, -4.264890793922825, -1.9599639845400545, -0.5244005127080409, 0.0, 2.5065728237018607e-12, 1.2815515655446004, 4.753424308817087, 7.941444487415979]),
    ('log_ndtr', [-40.0, -10.0, -1.5, -1.0, -0.2, 0.0, 2.0, 9.0],
     [-804.6084420137539, -53.23128515051248, -2.7059444008238898, -1.841021645009264, -0.8657395226815952, -0.6931471805599453, -0.02301290932896348, -1.1285884059538295e-19]),
    ('gammaln', [1e-300, 1e-08, 0.1, 0.5, 1.0, 1.0000001, 1.4616321449683622, 2.0, 2.5, 7.3, 12.0, 55.5, 1000000.0, -0.5, -1.5, -2.4566, -7.25, -30.1],
     [690.7755278982137, 18.42068073818021, 2.252712651734206, 0.5723649429247001, 0.0, -5.772155829918507e-08, -0.12148629053584961, 0.0, 0.2846828704729192, 7.147892523022248, 17.502307845873887, 166.32150615984037, 12815504.569147611, 1.2655121234846454, 0.860047015376481, 0.000644611273893234, -7.54188344347575, -72.68108834488714]),
    ('digamma', [1e-300, 1e-08, 0.1, 0.5, 1.0, 1.0000001, 1.4616321449683622, 2.0, 2.5, 7.3, 12.0, 55.5, 1000000.0, -0.5, -1.5, -2.4566, -7.25, -30.1],
     [-9.999999999999999e+299, -100000000.57721564, -10.423754940411076, -1.9635100260214229, -0.5772156649015328, -0.5772155004081377, -4.069010753338098e-16, 0.422784335098467, 0.7031566406452431, 1.917820335637986, 2.4426616799758123, 4.0073469585404435, 13.81551005796419, 0.03648997397857639, 0.7031566406452433, 1.5197312436915316, 5.189977214956288, 13.089872489665069]),
    ('polygamma1', [1e-08, 0.1, 0.5, 1.0, 1.0000001, 1.4616321449683622, 2.0, 2.5, 7.3, 12.0, 55.5, 1000000.0, -0.5, -1.5, -2.4566, -7.25, -30.1],
     [1.0000000000000004e+16, 101.43329914989455, 4.934802202073678, 1.6449340676383375, 1.644933827226989, 0.9676722458946125, 0.6449340670881899, 0.4903577562398206, 0.14679576813395465, 0.08690187287193527, 0.01818131736322176, 1.0000005000001667e-06, 8.934802200117687, 9.37924664484954, 9.720257369044814, 19.610354539291905, 103.32316227902061]),
    ('polygamma3', [1e-08, 0.1, 0.5, 1.0, 1.0000001, 1.4616321449683622, 2.0, 2.5, 7.3, 12.0, 55.5, 1000000.0, -0.5, -1.5, -2.4566, -7.25, -30.1],
     [5.999999999999999e+32, 60004.512876790235, 97.40909103400242, 6.493939402266829, 6.493936913640827, 1.5509985657339072, 0.4939394022668293, 0.2239058488172521, 0.00629315871319849, 0.001310093231070826, 1.2019050440648292e-05, 2.000003000002e-18, 193.40909103400242, 194.59427621918758, 209.62003474874115, 1558.5411952034044, 60014.251821116224]),
    ('i0', [-25.0, -6.3, -2.5, -1.0, -0.3, 0.0, 1e-08, 0.2, 0.7, 1.0, 1.5, 2.0, 3.7, 6.1, 12.5, 27.0],
     [5774560606.4663105, 88.46155270315184, 3.289839144050123, 1.2660658777520082, 1.0226268793515967, 1.0, 0.9999999999999998, 1.0100250277951457, 1.1263030183068092, 1.2660658777520082, 1.6467231897728907, 2.279585302336067, 8.738617524169396, 73.66279370140862, 30596.335155785157, 41042005854.75795]),
    ('i0e', [-25.0, -6.3, -2.5, -1.0, -0.3, 0.0, 1e-08, 0.2, 0.7, 1.0, 1.5, 2.0, 3.7, 6.1, 12.5, 27.0],
     [0.08019677354743669, 0.16244237181219215, 0.27004644161220276, 0.46575960759364043, 0.7575806251825477, 1.0, 0.99999999, 0.8269385516343292, 0.5593055265070683, 0.46575960759364043, 0.36743360905415834, 0.308508322553671, 0.21604944167297369, 0.16521590212003154, 0.1140219294622889, 0.07713963269258334]),
    ('i1', [-25.0, -6.3, -2.5, -1.0, -0.3, 0.0, 1e-08, 0.2, 0.7, 1.0, 1.5, 2.0, 3.7, 6.1, 12.5, 27.0],
     [-5657865129.878702, -81.1000020799505, -2.5167162452886984, -0.5651591039924851, -0.15169384000359282, 0.0, 4.9999999999999985e-09, 0.1005008340281251, 0.37187967777700853, 0.5651591039924851, 0.9816664285779075, 1.5906368546373295, 7.435745796535337, 67.31938495839235, 29345.74964207113, 40274654313.43806]),
    ('i1e', [-25.0, -6.3, -2.5, -1.0, -0.3, 0.0, 1e-08, 0.2, 0.7, 1.0, 1.5, 2.0, 3.7, 6.1, 12.5, 27.0],
     [-0.07857611331929278, -0.1489243212364674, -0.20658464953126654, -0.2079104153497085, -0.11237756063983881, 0.0, 4.999999949999999e-09, 0.08228312352881212, 0.18466998276274726, 0.2079104153497085, 0.21903938742092566, 0.2152692892489377, 0.18383785802735622, 0.1509884754188163, 0.10936143099065089, 0.07569737335825691]),
    ('sinc', [-2.5, -1.0, 0.0, 1e-09, 0.3, 1.5, 4.0],
     [0.12732395447351627, 3.8981718325193755e-17, 1.0, 1.0, 0.8583936913341398, -0.2122065907891938, -3.8981718325193755e-17]),
    ('entr', [0.0, 1e-300, 0.3, 1.0, 2.5],
     [0.0, 6.907755278982137e-298, 0.3611918412977808, -0.0, -2.2907268296853878]),
    ('expit', [-40.0, -1.0, 0.0, 2.0, 40.0],
     [4.248354255291589e-18, 0.2689414213699951, 0.5, 0.8807970779778823, 1.0]),
    ('exp2', [-3.0, 0.0, 0.5, 10.0],
     [0.125, 1.0, 1.4142135623730951, 1024.0]),
]


_FUNCS = {"polygamma1": lambda x: special.polygamma(1, x),
          "polygamma3": lambda x: special.polygamma(3, x)}


@pytest.mark.parametrize("name,points,expected", VALUES, ids=[v[0] for v in VALUES])
def test_values_match_pytorch(name, points, expected):
    fn = _FUNCS.get(name) or getattr(special, name)
    got = fn(disttrain.tensor(points, dtype=disttrain.float64))
    assert got.dtype == disttrain.float64
    np.testing.assert_allclose(got.numpy(), np.array(expected), rtol=1e-12, atol=0)


def test_ndtr_keeps_its_precision_in_the_left_tail():
    # Φ(-5) = erfc(5/√2)/2; PyTorch's own ndtr loses digits here (2.8665157186802404e-07)
    got = special.ndtr(disttrain.tensor([-5.0, -8.4, -30.0], dtype=disttrain.float64))
    np.testing.assert_allclose(got.numpy(), [2.8665157187919455e-07, 2.232393197288055e-17,
                                             4.906713927148187e-198], rtol=1e-12)


def test_edges_infinities_and_nan():
    t = disttrain.tensor([-inf, nan, -1.0, 0.0, -0.0], dtype=disttrain.float64)
    np.testing.assert_array_equal(disttrain.lgamma(t).numpy(), [inf, nan, inf, inf, inf])
    np.testing.assert_array_equal(disttrain.digamma(t[2:]).numpy(), [nan, -inf, inf])
    np.testing.assert_array_equal(special.erfinv(disttrain.tensor([1.5, -1.0])).numpy(),
                                  [nan, -inf])
    np.testing.assert_array_equal(special.entr(disttrain.tensor([-1.0, 0.0])).numpy(),
                                  [-inf, 0.0])
    assert special.i0(disttrain.tensor([1000.0])).item() == inf
    assert special.i0e(disttrain.tensor([inf], dtype=disttrain.float64)).item() == 0


def test_zeta_xlogy_logit_multigammaln():
    z = special.zeta(disttrain.tensor([2.0, 3.0, 4.5, 2.0, 1.0, 0.5], dtype=disttrain.float64),
                     disttrain.tensor([1.0, 0.5, 3.0, -2.5, 1.0, 1.0], dtype=disttrain.float64))
    np.testing.assert_allclose(z.numpy(), [1.6449340668482266, 8.414398322117158,
                                           0.010513336937295045, 9.539246644989124, inf,
                                           nan], rtol=1e-12)
    x = disttrain.tensor([0.0, 0.3, -0.7, 0.0, 2.0, -1.0], dtype=disttrain.float64)
    y = disttrain.tensor([0.0, 2.0, 1.5, -1.0, 0.0, nan], dtype=disttrain.float64)
    np.testing.assert_allclose(special.xlogy(x, y).numpy(), [
        0.0, 0.2079441541679836, -0.28382557567571504, 0.0, -inf, nan], rtol=1e-12)
    np.testing.assert_allclose(special.xlog1py(x, y - 0.5).numpy(), [
        0.0, 0.27488721956224654, -0.48520302639196167, 0.0, -1.3862943611198906, nan],
        rtol=1e-12)
    p = disttrain.tensor([0.0, 0.2, 0.5, 1.0, 1.2], dtype=disttrain.float64)
    np.testing.assert_allclose(disttrain.logit(p).numpy(),
                               [-inf, -1.3862943611198906, 0.0, inf, nan])
    np.testing.assert_allclose(p.logit(eps=0.05).numpy(), [
        -2.9444389791664403, -1.3862943611198906, 0.0, 2.9444389791664394,
        2.9444389791664394], rtol=1e-12)
    m = disttrain.mvlgamma(disttrain.tensor([2.5, 3.0, 10.0], dtype=disttrain.float64), 3)
    np.testing.assert_allclose(m.numpy(), [1.8809954616117743, 2.694924879806965,
                                           36.81285863239809], rtol=1e-12)
    assert special.multigammaln is disttrain.mvlgamma


def test_dtypes_follow_pytorch():
    assert disttrain.erf(disttrain.tensor([1, 2])).dtype == disttrain.float32
    assert special.xlogy(disttrain.tensor([1, 2]), disttrain.tensor([1, 3])).dtype == \
        disttrain.float32
    assert special.xlogy(disttrain.tensor([1, 2]), 2.5).dtype == disttrain.float32
    assert disttrain.erfinv(disttrain.tensor([0.5], dtype=disttrain.float16)).dtype == \
        disttrain.float16
    assert disttrain.xlogy(2, disttrain.tensor([3.0])).item() == pytest.approx(2 * math.log(3))


_GRAD_CASES = [
    ("erf", lambda x: disttrain.erf(x), [-2.0, 0.0, 0.4, 3.0]),
    ("erfc", lambda x: disttrain.erfc(x), [-2.0, 0.0, 0.4, 3.0]),
    ("erfcx", special.erfcx, [-1.5, 0.0, 0.6, 12.0]),
    ("erfinv", disttrain.erfinv, [-0.9, 0.0, 0.3, 0.999]),
    ("ndtr", special.ndtr, [-3.0, 0.0, 1.2]),
    ("ndtri", special.ndtri, [1e-4, 0.3, 0.5, 0.97]),
    ("log_ndtr", special.log_ndtr, [-30.0, -1.0, 0.0, 4.0]),
    ("lgamma", disttrain.lgamma, [-2.5, 0.3, 1.0, 2.0, 15.0]),
    ("digamma", disttrain.digamma, [-1.5, 0.2, 1.4616, 11.0]),
    ("polygamma2", lambda x: disttrain.polygamma(2, x), [-0.5, 0.7, 4.0]),
    ("mvlgamma", lambda x: disttrain.mvlgamma(x, 3), [1.3, 2.5, 7.0]),
    ("i0", special.i0, [-2.0, 0.0, 1.0, 35.0]),
    ("i0e", special.i0e, [-2.0, 0.5, 1.0, 35.0]),
    ("i1", special.i1, [-2.0, 0.0, 1.0, 35.0]),
    ("i1e", special.i1e, [-2.0, 0.0, 1.0, 35.0]),
    ("sinc", disttrain.sinc, [-1.5, 0.0, 0.25, 3.0]),
    ("entr", special.entr, [0.2, 1.0, 2.5]),
    ("logit", lambda x: disttrain.logit(x, eps=0.1), [0.05, 0.3, 0.5, 0.95]),
    ("exp2", disttrain.exp2, [-3.0, 0.0, 1.5]),
]


@pytest.mark.parametrize("name,fn,points", _GRAD_CASES, ids=[c[0] for c in _GRAD_CASES])
def test_gradients_match_finite_differences(name, fn, points):
    x = leaf(points)
    assert gradcheck(fn, (x,))


@pytest.mark.parametrize("fn,points", [(disttrain.lgamma, [0.3, 1.7, 2.2]),
                                       (special.erfcx, [-0.4, 1.7, 12.0]),
                                       (disttrain.erfinv, [-0.6, 0.1, 0.9]),
                                       (special.i1, [0.0, 1.7, 40.0])],
                         ids=["lgamma", "erfcx", "erfinv", "i1"])
def test_second_derivatives(fn, points):
    assert gradgradcheck(fn, (leaf(points),))


def test_gradients_at_awkward_points_match_pytorch():
    x = leaf([0.0, 1e-3, -2.0])
    special.i1(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0.5, 0.500000187500013, 1.484266875017402],
                               rtol=1e-12)
    x, y = leaf([0.0, 0.0, 1.0]), leaf([0.0, -1.0, 0.0])
    disttrain.xlogy(x, y).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, -inf])
    np.testing.assert_array_equal(y.grad.numpy(), [nan, -0.0, inf])
    x = leaf([0.0, 1.0, 0.02, 0.5])
    disttrain.logit(x, eps=0.05).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, 0.0, 0.0, 4.0])
    x = leaf([0.0, 1.0, -0.5, 0.5, 1.5])
    disttrain.logit(x).backward(disttrain.ones(5, dtype=disttrain.float64))
    np.testing.assert_array_equal(x.grad.numpy(), [inf, inf, nan, 4.0, nan])
    x = leaf([0.0, 1.0])
    disttrain.sinc(x).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [0.0, -1.0])


def test_xlogy_gradients_broadcast_and_scalars():
    x, y = leaf([[0.5, 0.0, 2.0]]), leaf([[1.5], [0.5]])
    assert gradcheck(special.xlogy, (x, y))
    assert gradcheck(special.xlog1py, (x, y))
    assert gradcheck(lambda a: special.xlogy(2.0, a), (leaf([0.5, 3.0]),))
    q = leaf([0.7, 2.0, 5.0])
    assert gradcheck(lambda a: special.zeta(3.0, a), (q,))


def test_errors_match_pytorch():
    x = disttrain.tensor([1.0, 2.0], requires_grad=True)
    with raises(RuntimeError, "polygamma(n, x) does not support negative n."):
        disttrain.polygamma(-1, x)
    with raises(RuntimeError, "p has to be greater than or equal to 1"):
        disttrain.mvlgamma(x, 0)
    with raises(NotImplementedError, "the derivative for 'zeta' is not implemented."):
        special.zeta(x, x).sum().backward()
    with pytest.raises(TypeError, match=r"^xlogy\(\) received an invalid combination"):
        special.xlogy(2, 3)


def test_methods_inplace_and_node_names():
    x = disttrain.tensor([0.25, 0.5], dtype=disttrain.float64, requires_grad=True)
    assert x.erf().grad_fn.name() == "ErfBackward0"
    assert x.lgamma().grad_fn.name() == "LgammaBackward0"
    assert x.polygamma(1).grad_fn.name() == "PolygammaBackward0"
    assert special.ndtri(x).grad_fn.name() == "SpecialNdtriBackward0"
    y = x.detach().clone()
    y.erfinv_()
    assert_close(y, disttrain.erfinv(x).detach().numpy())
    y.erf_()
    assert_close(y, [0.25, 0.5], atol=1e-14)
    for name in ("erfc", "digamma", "i0", "sinc", "exp2", "logit"):
        assert getattr(y, name)().tolist() == getattr(disttrain, name)(y).tolist()
    assert disttrain.special.expit is disttrain.sigmoid
    assert special.psi is special.digamma


def test_incomplete_gamma():
    pts = [(0.5, 0.1), (0.5, 3.0), (2.0, 3.0), (7.5, 1.0), (22.574035436971545, 22.596632498281505),
           (31.2, 27.0), (150.0, 160.0), (3.0, 40.0), (1e-3, 1e-3)]
    a = disttrain.tensor([p[0] for p in pts], dtype=disttrain.float64)
    x = disttrain.tensor([p[1] for p in pts], dtype=disttrain.float64)
    # exact values (40-digit arithmetic); PyTorch's own differ by up to 1e-9 near x = a > 20
    np.testing.assert_allclose(special.gammainc(a, x).numpy(), [
        0.345279153981423, 0.9856941215645704, 0.8008517265285442, 2.9654977282546156e-05,
        0.5298844481099504, 0.23325528695219647, 0.7956261882343224, 0.9999999999999964,
        0.9936876467088603], rtol=1e-12)
    np.testing.assert_allclose(disttrain.igammac(a, x).numpy(), [
        0.654720846018577, 0.01430587843542964, 0.19914827347145578, 0.9999703450227174,
        0.4701155518900496, 0.7667447130478036, 0.20437381176567754, 3.572865928700226e-15,
        0.00631235329113971], rtol=1e-11)
    # PyTorch's edges: x = 0, a = 0, negatives, infinities, nan
    a = disttrain.tensor([0., 0., 1., -1., 1., 2., inf, 1., 3.], dtype=disttrain.float64)
    x = disttrain.tensor([0., 1., 0., 1., -1., inf, 5., nan, 1e-300], dtype=disttrain.float64)
    np.testing.assert_array_equal(special.gammainc(a, x).numpy(),
                                  [nan, 1.0, 0.0, nan, nan, 1.0, 0.0, nan, 0.0])
    np.testing.assert_array_equal(a.igammac(x).numpy(),
                                  [nan, 0.0, 1.0, nan, nan, 0.0, 1.0, nan, 1.0])
    xs = leaf([0.3, 2.5, 28.0])
    assert gradcheck(lambda t: special.gammainc(leaf([0.5, 2.0, 30.0], False), t), (xs,))
    assert gradcheck(lambda t: special.gammaincc(2.5, t), (xs,))
    y = disttrain.igamma(leaf([2.0]), xs[:1])
    assert y.grad_fn.name() == "IgammaBackward0"
    with raises(NotImplementedError, "the derivative for 'igamma: input' is not implemented."):
        y.backward()
    with raises(NotImplementedError, "\"igamma_cpu\" not implemented for 'Long'"):
        disttrain.igamma(disttrain.tensor([1, 2]), disttrain.tensor([1, 2]))


def test_bessel_j0_j1():
    pts = [0.0, 1e-5, 0.7, 2.0, 2.404825557695773, 5.0, 9.3, 20.0, 26.5, 100.0, -3.0]
    x = disttrain.tensor(pts, dtype=disttrain.float64, requires_grad=True)
    # exact values (40-digit arithmetic); PyTorch's own are off by up to 4e-7 near x = 5
    j0, j1 = special.bessel_j0(x), special.bessel_j1(x)
    np.testing.assert_allclose(j0.detach().numpy(), [
        1.0, 0.999999999975, 0.8812008886074053, 0.22389077914123567, -6.10876525973673e-17,
        -0.1775967713143383, -0.1576551899434031, 0.16702466434058316, 0.1298776261133854,
        0.019985850304223122, -0.26005195490193345], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(j1.detach().numpy(), [
        0.0, 4.9999999999375e-06, 0.32899574154005895, 0.5767248077568734, 0.5191474972894667,
        -0.32757913759146523, 0.2004139278437022, 0.06683312417585005, 0.08702780753733148,
        -0.07714535201411216, -0.3390589585259365], rtol=1e-12, atol=1e-15)
    assert j0.grad_fn is None and not j0.requires_grad
    assert np.isnan(special.bessel_j0(disttrain.tensor([inf])).item())
