"""Losses: values against PyTorch's, gradients by finite differences, stability, errors."""
import math
import warnings

import numpy as np
import pytest

import disttrain as torch
from disttrain import nn
from disttrain.autograd import gradcheck, gradgradcheck
import disttrain.nn.functional as F

D = torch.float64
L = [[0.5, -1.2, 2.0, 0.0], [-0.3, 0.8, -2.5, 1.7], [1.1, 0.2, -0.4, -0.9]]
T = [2, 0, 3]
W = [0.5, 1.0, 2.0, 0.25]
P = [[0.1, 0.2, 0.3, 0.4], [0.7, 0.1, 0.1, 0.1], [0.25, 0.25, 0.25, 0.25]]
Y = [[0.3, -1.0, 2.5, 0.2], [0.0, 0.5, -2.0, 3.0], [1.0, 1.0, 1.0, -1.0]]
B = [[0.9, 0.2, 0.6, 0.01], [0.3, 0.7, 0.5, 0.99], [0.1, 0.4, 0.8, 0.55]]
BT = [[1.0, 0.0, 1.0, 0.0], [0.0, 1.0, 0.5, 1.0], [1.0, 0.0, 0.0, 1.0]]

# Computed by PyTorch 2.13 in float64 from the inputs above.
REF = {'bce_edge': [100.0, 100.0, -0.0],
       'bce_mean': 0.6072177550693497,
       'bce_none': [[0.10536051565782628, 0.22314355131420976, 0.5108256237659907,
                     0.010050335853501442],
                    [0.35667494393873234, 0.35667494393873245, 0.6931471805599453,
                     0.01005033585350145],
                    [2.3025850929940455, 0.5108256237659907, 1.6094379124341005,
                     0.5978370007556204]],
       'bce_sum': 7.286613060832197,
       'bce_w_mean': 0.6878550205791636,
       'bce_w_none': [[0.05268025782891314, 0.22314355131420976, 1.0216512475319814,
                       0.0025125839633753605],
                      [0.17833747196936617, 0.35667494393873245, 1.3862943611198906,
                       0.0025125839633753626],
                      [1.1512925464970227, 0.5108256237659907, 3.218875824868201,
                       0.1494592501889051]],
       'bce_w_sum': 8.254260246949963,
       'bcel_big': [10000.0, 10000.0, 1.9287498933537385e-22],
       'bcel_mean': 0.5682674699037699,
       'bcel_none': [[0.4740769841801067, 0.2632824673380312, 0.1269280110429725,
                      0.6931471805599453],
                     [0.5543552444685271, 0.3711006659477777, 1.3288897342925496,
                      0.16778602938626594],
                     [0.2873353251154308, 0.7981388693815918, 0.5130152523999526,
                      1.2411538747320878]],
       'bcel_pw_mean': 0.283257143095748,
       'bcel_pw_none': [[0.11851924604502667, 0.1316412336690156, 0.1269280110429725,
                         0.34657359027997264],
                        [0.27717762223426357, 0.18555033297388884, 1.3091673007194122,
                         0.020973253673283242],
                        [0.0718338312788577, 0.3990694346907959, 0.2565076261999763,
                         0.15514423434151098]],
       'bcel_pw_sum': 3.399085717148976,
       'bcel_sum': 6.819209638845239,
       'ce_1d': 0.33592040393485156,
       'ce_4d': 2.84892932705311,
       'ce_4d_none': [[[3.5359204039348517], [2.442696998580537], [2.5681705786439415]]],
       'ce_all_ignored': math.nan,
       'ce_big': 15000.0,
       'ce_big_grad': [[0.5, 0.0, -0.5], [-0.5, 0.5, 0.0]],
       'ce_ls_mean': 0.7391661427813665,
       'ce_ls_none': [0.8229577220335471, 0.0, 0.8401660992245275],
       'ce_ls_sum': 1.6631238212580746,
       'ce_mean': 1.7822626603864435,
       'ce_none': [0.33592040393485156, 2.442696998580537, 2.5681705786439415],
       'ce_prob_mean': 1.9822626603864435,
       'ce_prob_none': [1.9259204039348516, 2.352696998580537, 1.6681705786439416],
       'ce_prob_sum': 5.94678798115933,
       'ce_prob_w_ls_mean': 1.6403518903221626,
       'ce_prob_w_ls_none': [1.2534544832331906, 2.034941270254602, 1.632659917478695],
       'ce_prob_w_ls_sum': 4.921055670966488,
       'ce_sum': 5.346787981159331,
       'ce_w_mean': 0.9219025279348935,
       'ce_w_none': [0.6718408078697031, 1.2213484992902686, 0.6420426446609854],
       'ce_w_sum': 2.535231951820957,
       'huber_mean': 0.17708333333333334,
       'huber_none': [[0.020000000000000004, 0.01999999999999999, 0.125, 0.020000000000000004],
                      [0.045, 0.04500000000000001, 0.125, 0.665],
                      [0.005000000000000009, 0.315, 0.7349999999999999, 0.0049999999999999975]],
       'huber_sum': 2.125,
       'kl_batchmean': 0.7800638018501488,
       'kl_log_mean': 0.19501595046253717,
       'kl_log_none': [[-0.0466664689059194, 0.38529649830015034, -0.26041572011732533,
                        0.5678518688242786],
                       [1.4602154382492631, -0.09598880944135087, 0.23401119055864922,
                        -0.18598880944135088],
                       [-0.20453094561898727, 0.020469054381012763, 0.17046905438101273,
                        0.29546905438101273]],
       'kl_log_sum': 2.340191405550446,
       'kl_mean': 0.1950159504625372,
       'kl_none': [[-0.046666468905919384, 0.3852964983001503, -0.26041572011732533,
                    0.5678518688242786],
                   [1.4602154382492634, -0.09598880944135085, 0.23401119055864922,
                    -0.18598880944135085],
                   [-0.20453094561898727, 0.020469054381012763, 0.17046905438101273,
                    0.29546905438101273]],
       'kl_sum': 2.3401914055504465,
       'l1_mean': 0.4916666666666667,
       'l1_none': [[0.2, 0.19999999999999996, 0.5, 0.2], [0.3, 0.30000000000000004, 0.5, 1.3],
                   [0.10000000000000009, 0.8, 1.4, 0.09999999999999998]],
       'l1_sum': 5.9,
       'mse_bcast': 2.3333332538604736,
       'mse_mean': 0.42583333333333334,
       'mse_none': [[0.04000000000000001, 0.03999999999999998, 0.25, 0.04000000000000001],
                    [0.09, 0.09000000000000002, 0.25, 1.6900000000000002],
                    [0.010000000000000018, 0.6400000000000001, 1.9599999999999997,
                     0.009999999999999995]],
       'mse_sum': 5.11,
       'nll_mean': -0.85,
       'nll_none': [-2.0, 0.3, 0.0],
       'nll_sum': -1.7,
       'smooth_l1_mean': 0.2975,
       'smooth_l1_none': [[0.04000000000000001, 0.03999999999999998, 0.25, 0.04000000000000001],
                          [0.09, 0.09000000000000002, 0.25, 1.05],
                          [0.010000000000000018, 0.55, 1.15, 0.009999999999999995]],
       'smooth_l1_sum': 3.57}


def t(data, dtype=D, **kw):
    return torch.tensor(data, dtype=dtype, **kw)


def _cases(r):
    lg, tg, w, p = t(L), torch.tensor(T), t(W), t(P)
    lsm = F.log_softmax(lg, 1)
    return {
        f"mse_{r}": lambda: F.mse_loss(lg, t(Y), reduction=r),
        f"l1_{r}": lambda: F.l1_loss(lg, t(Y), reduction=r),
        f"smooth_l1_{r}": lambda: F.smooth_l1_loss(lg, t(Y), reduction=r, beta=0.5),
        f"huber_{r}": lambda: F.huber_loss(lg, t(Y), reduction=r, delta=0.7),
        f"ce_{r}": lambda: F.cross_entropy(lg, tg, reduction=r),
        f"ce_w_{r}": lambda: F.cross_entropy(lg, tg, weight=w, reduction=r),
        f"ce_ls_{r}": lambda: F.cross_entropy(lg, tg, weight=w, reduction=r,
                                              label_smoothing=0.2, ignore_index=0),
        f"ce_prob_{r}": lambda: F.cross_entropy(lg, p, reduction=r),
        f"ce_prob_w_ls_{r}": lambda: F.cross_entropy(lg, p, weight=w, reduction=r,
                                                     label_smoothing=0.1),
        f"nll_{r}": lambda: F.nll_loss(lg, tg, reduction=r, ignore_index=3),
        f"bce_{r}": lambda: F.binary_cross_entropy(t(B), t(BT), reduction=r),
        f"bce_w_{r}": lambda: F.binary_cross_entropy(t(B), t(BT), weight=w, reduction=r),
        f"bcel_{r}": lambda: F.binary_cross_entropy_with_logits(lg, t(BT), reduction=r),
        f"bcel_pw_{r}": lambda: F.binary_cross_entropy_with_logits(
            lg, t(BT), weight=w[:1], pos_weight=w, reduction=r),
        f"kl_{r}": lambda: F.kl_div(lsm, p, reduction=r),
        f"kl_log_{r}": lambda: F.kl_div(lsm, p.log(), reduction=r, log_target=True),
    }


CASES = {}
for _r in ("mean", "sum", "none"):
    CASES.update(_cases(_r))


@pytest.mark.parametrize("name", sorted(CASES))
def test_values_match_pytorch(name):
    """Every loss, weighting option and reduction gives PyTorch's float64 value."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        got = CASES[name]()
    np.testing.assert_allclose(got.numpy(), REF[name], rtol=1e-12, atol=1e-15)


def test_module_forms_match_functional():
    """Each loss layer computes what its functional form computes."""
    lg, tg, w = t(L), torch.tensor(T), t(W)
    pairs = [
        (nn.MSELoss(reduction="sum")(lg, t(Y)), REF["mse_sum"]),
        (nn.L1Loss()(lg, t(Y)), REF["l1_mean"]),
        (nn.SmoothL1Loss(beta=0.5)(lg, t(Y)), REF["smooth_l1_mean"]),
        (nn.HuberLoss(delta=0.7)(lg, t(Y)), REF["huber_mean"]),
        (nn.CrossEntropyLoss(weight=w)(lg, tg), REF["ce_w_mean"]),
        (nn.CrossEntropyLoss(weight=w, ignore_index=0, label_smoothing=0.2,
                             reduction="none")(lg, tg), REF["ce_ls_none"]),
        (nn.NLLLoss(ignore_index=3)(lg, tg), REF["nll_mean"]),
        (nn.BCELoss(weight=w)(t(B), t(BT)), REF["bce_w_mean"]),
        (nn.BCEWithLogitsLoss(weight=w[:1], pos_weight=w)(lg, t(BT)), REF["bcel_pw_mean"]),
        (nn.KLDivLoss(reduction="batchmean")(F.log_softmax(lg, 1), t(P)), REF["kl_batchmean"]),
        (nn.KLDivLoss(reduction="sum", log_target=True)(F.log_softmax(lg, 1), t(P).log()),
         REF["kl_log_sum"]),
    ]
    for got, want in pairs:
        np.testing.assert_allclose(got.numpy(), want, rtol=1e-12)


def test_cross_entropy_spatial_and_unbatched():
    """(N, C, d1, d2) logits with (N, d1, d2) targets, and a (C,) logit vector, work."""
    lg = t(L).T.reshape(1, 4, 3, 1)
    tg = torch.tensor([[[1], [0], [3]]])
    out = F.cross_entropy(lg, tg)
    assert out.item() == pytest.approx(REF["ce_4d"], rel=1e-12)
    np.testing.assert_allclose(F.cross_entropy(lg, tg, reduction="none").numpy(),
                               REF["ce_4d_none"], rtol=1e-12)
    assert F.cross_entropy(t(L)[0], torch.tensor(2)).item() == pytest.approx(REF["ce_1d"])


def test_large_logits_are_finite():
    """Logits of ±1e4 give PyTorch's finite loss and gradients (log-sum-exp, stable BCE)."""
    x = torch.tensor([[1e4, 0.0, -1e4], [0.0, 1e4, 5.0]], requires_grad=True)
    loss = F.cross_entropy(x, torch.tensor([2, 0]))
    assert loss.item() == REF["ce_big"]
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), REF["ce_big_grad"], atol=1e-7)
    z = torch.tensor([1e4, -1e4, 50.0], requires_grad=True)
    bl = F.binary_cross_entropy_with_logits(z, torch.tensor([0.0, 1.0, 1.0]), reduction="none")
    np.testing.assert_allclose(bl.detach().numpy(), REF["bcel_big"], rtol=1e-6)
    bl.sum().backward()
    assert np.isfinite(z.grad.numpy()).all()
    edge = F.binary_cross_entropy(torch.tensor([0.0, 1.0, 1.0]), torch.tensor([1.0, 0.0, 1.0]),
                                  reduction="none")
    assert edge.tolist() == REF["bce_edge"]


def test_all_targets_ignored_gives_nan():
    """A mean over no counted targets is nan, as in PyTorch."""
    assert math.isnan(F.cross_entropy(t(L), torch.tensor([-100, -100, -100])).item())


def test_grad_fn_names():
    """Loss nodes carry PyTorch's names (the tutorial prints MseLossBackward0)."""
    x = t(L, requires_grad=True)
    names = [(F.mse_loss(x, t(Y)), "MseLossBackward0"),
             (F.cross_entropy(x, torch.tensor(T)), "NllLossBackward0"),
             (F.cross_entropy(x.T.reshape(1, 4, 3, 1), torch.tensor([[[1], [0], [3]]])),
              "NllLoss2DBackward0"),
             (F.smooth_l1_loss(x, t(Y)), "SmoothL1LossBackward0"),
             (F.huber_loss(x, t(Y)), "HuberLossBackward0"),
             (F.l1_loss(x, t(Y)), "MeanBackward0"),
             (F.binary_cross_entropy(x.sigmoid(), t(BT)), "BinaryCrossEntropyBackward0"),
             (F.binary_cross_entropy_with_logits(x, t(BT)),
              "BinaryCrossEntropyWithLogitsBackward0")]
    for out, name in names:
        assert type(out.grad_fn).__name__ == name
    assert repr(F.mse_loss(x, t(Y)).float()).startswith("tensor(0.4258")


GRAD_CASES = {
    "mse": lambda x, y: F.mse_loss(x, y),
    "mse_none": lambda x, y: F.mse_loss(x, y, reduction="none"),
    "l1": lambda x, y: F.l1_loss(x, y, reduction="sum"),
    "smooth_l1": lambda x, y: F.smooth_l1_loss(x, y, beta=0.5),
    "smooth_l1_beta0": lambda x, y: F.smooth_l1_loss(x, y, beta=0.0),
    "huber": lambda x, y: F.huber_loss(x, y, delta=0.7, reduction="none"),
    "bce": lambda x, y: F.binary_cross_entropy(x.sigmoid(), y.sigmoid()),
    "bcel": lambda x, y: F.binary_cross_entropy_with_logits(x, y.sigmoid(), reduction="sum"),
    "kl": lambda x, y: F.kl_div(F.log_softmax(x, 1), F.softmax(y, 1), reduction="batchmean"),
    "kl_log": lambda x, y: F.kl_div(x, y, reduction="sum", log_target=True),
    "ce_prob": lambda x, y: F.cross_entropy(x, F.softmax(y, 1), label_smoothing=0.1),
}


@pytest.mark.parametrize("name", sorted(GRAD_CASES))
def test_gradcheck_input_and_target(name):
    """Gradients with respect to both input and target agree with finite differences."""
    torch.manual_seed(0)
    x = torch.randn(3, 4, dtype=D, requires_grad=True)
    y = torch.randn(3, 4, dtype=D, requires_grad=True)
    assert gradcheck(GRAD_CASES[name], (x, y))


@pytest.mark.parametrize("kw", [{}, {"weight": W}, {"reduction": "sum"},
                                {"reduction": "none", "ignore_index": 0},
                                {"weight": W, "label_smoothing": 0.3, "ignore_index": 3}])
def test_cross_entropy_gradcheck(kw):
    """Cross-entropy over class indices passes gradcheck and gradgradcheck."""
    kw = dict(kw)
    if "weight" in kw:
        kw["weight"] = t(kw["weight"])
    torch.manual_seed(1)
    x = torch.randn(3, 4, dtype=D, requires_grad=True)
    fn = lambda x: F.cross_entropy(x, torch.tensor(T), **kw)  # noqa: E731
    assert gradcheck(fn, (x,))
    assert gradgradcheck(fn, (x,))


def test_nll_spatial_gradcheck():
    """NLL on (N, C, d) log-probabilities with weights passes gradcheck."""
    torch.manual_seed(2)
    x = torch.randn(2, 3, 4, dtype=D, requires_grad=True)
    tg = torch.tensor([[0, 2, 1, 1], [2, 2, 0, -100]])
    assert gradcheck(lambda x: F.nll_loss(F.log_softmax(x, 1), tg, weight=t([1., 2., .5])),
                     (x,))


def test_bce_weight_and_pos_weight_gradcheck():
    """BCE-with-logits is differentiable in its weight and pos_weight too."""
    torch.manual_seed(3)
    x = torch.randn(3, 4, dtype=D, requires_grad=True)
    w = torch.rand(4, dtype=D, requires_grad=True)
    pw = torch.rand(4, dtype=D, requires_grad=True)
    y = torch.rand(3, 4, dtype=D)
    assert gradcheck(lambda x, w, pw: F.binary_cross_entropy_with_logits(
        x, y, weight=w, pos_weight=pw), (x, w, pw))
    assert gradcheck(lambda p, w: F.binary_cross_entropy(p.sigmoid(), y, weight=w), (x, w))


def test_mse_broadcast_warning():
    """A target of another shape warns as PyTorch does and then broadcasts."""
    with pytest.warns(UserWarning) as rec:
        out = F.mse_loss(torch.tensor([[1.0], [2.0], [3.0]]), torch.tensor([1.0, 2.0, 4.0]))
    assert str(rec[0].message) == (
        "Using a target size (disttrain.Size([3])) that is different to the input size "
        "(disttrain.Size([3, 1])). This will likely lead to incorrect results due to "
        "broadcasting. Please ensure they have the same size.")
    assert out.item() == pytest.approx(REF["mse_bcast"], rel=1e-6)
    for fn in (F.l1_loss, F.smooth_l1_loss, F.huber_loss):
        with pytest.warns(UserWarning, match="Using a target size"):
            fn(torch.ones(3, 1), torch.ones(3))


ERRORS = [
    (lambda: F.cross_entropy(t(L), t([0.0, 1.0, 2.0])), RuntimeError,
     "expected target dtype to be Long or Byte, but got Double"),
    (lambda: F.nll_loss(t(L), torch.tensor([0, 1, 2], dtype=torch.int32)), RuntimeError,
     "expected target dtype to be Long or Byte, but got Int"),
    (lambda: F.cross_entropy(t(L), torch.zeros(3, 4, dtype=torch.int64)), RuntimeError,
     "Expected floating point type for target with class probabilities, got Long"),
    (lambda: F.cross_entropy(t(L), torch.tensor([0, 1])), ValueError,
     "Expected input batch_size (3) to match target batch_size (2)."),
    (lambda: F.cross_entropy(t(L), torch.tensor([0, 1, 7])), IndexError,
     "Target 7 is out of bounds."),
    (lambda: F.cross_entropy(t(L), torch.tensor([0, 1, -3])), IndexError,
     "Target -3 is out of bounds."),
    (lambda: F.cross_entropy(t(L), torch.tensor(T), label_smoothing=1.5), RuntimeError,
     "label_smoothing must be between 0.0 and 1.0. Got: 1.5"),
    (lambda: F.cross_entropy(t(L), torch.tensor(T), weight=torch.ones(2)), RuntimeError,
     "weight tensor should be defined either for all 4 classes or no classes but got weight "
     "tensor of shape: [2]"),
    (lambda: F.cross_entropy(t(L), t(P), ignore_index=1), RuntimeError,
     "ignore_index is not supported for floating point target"),
    (lambda: F.cross_entropy(t(L), t(P)[:, :3]), RuntimeError,
     "0D or 1D target tensor expected, multi-target not supported"),
    (lambda: F.cross_entropy(torch.randn(2, 3, 4), torch.zeros(2, 5, dtype=torch.int64)),
     RuntimeError, "Expected target size [2, 4], got [2, 5]"),
    (lambda: F.mse_loss(torch.randn(3, 2), torch.randn(3)), RuntimeError,
     "The size of tensor a (2) must match the size of tensor b (3) at non-singleton "
     "dimension 1"),
    (lambda: F.mse_loss(torch.randn(3), torch.randn(3), reduction="foo"), ValueError,
     "foo is not a valid value for reduction"),
    (lambda: F.smooth_l1_loss(torch.randn(3), torch.randn(3), beta=-1.0), RuntimeError,
     "smooth_l1_loss does not support negative values for beta."),
    (lambda: F.huber_loss(torch.randn(3), torch.randn(3), delta=0.0), RuntimeError,
     "huber_loss does not support non-positive values for delta."),
    (lambda: F.binary_cross_entropy(torch.rand(3, 1), torch.rand(3)), ValueError,
     "Using a target size (disttrain.Size([3])) that is different to the input size "
     "(disttrain.Size([3, 1])) is deprecated. Please ensure they have the same size."),
    (lambda: F.binary_cross_entropy(torch.tensor([1.5]), torch.rand(1)), RuntimeError,
     "all elements of input should be between 0 and 1"),
    (lambda: F.binary_cross_entropy(torch.rand(3), torch.tensor([1, 0, 1])), RuntimeError,
     "Found dtype Long but expected Float"),
    (lambda: F.binary_cross_entropy_with_logits(torch.rand(3, 1), torch.rand(3)), ValueError,
     "Target size (disttrain.Size([3])) must be the same as input size "
     "(disttrain.Size([3, 1]))"),
]


@pytest.mark.filterwarnings("ignore:Using a target size")
@pytest.mark.parametrize("fn,exc,msg", ERRORS, ids=[m[:40] for _, _, m in ERRORS])
def test_errors_match_pytorch(fn, exc, msg):
    """Wrong target shapes, dtypes and options raise PyTorch's exception and message."""
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == msg


def test_kl_div_mean_warns():
    """reduction='mean' for KL warns that it is not the mathematical KL."""
    with pytest.warns(UserWarning, match="reduction: 'mean' divides the total loss by both the "
                                         "batch size and the support size."):
        F.kl_div(torch.rand(3), torch.rand(3))


def test_legacy_size_average_and_reduce():
    """The deprecated size_average/reduce flags map to a reduction, with a warning."""
    with pytest.warns(UserWarning, match="size_average and reduce args will be deprecated, "
                                         "please use reduction='sum' instead."):
        m = nn.MSELoss(size_average=False)
    assert m.reduction == "sum"
    with pytest.warns(UserWarning, match="reduction='none'"):
        out = F.l1_loss(torch.ones(2), torch.zeros(2), reduce=False)
    assert out.tolist() == [1.0, 1.0]


def test_weight_is_a_buffer():
    """A loss's class weight is a buffer: saved in state_dict and moved by .to()."""
    m = nn.CrossEntropyLoss(weight=torch.ones(3))
    assert list(m.state_dict()) == ["weight"]
    assert m.double().weight.dtype is D
    assert list(nn.BCEWithLogitsLoss(pos_weight=torch.ones(2)).state_dict()) == ["pos_weight"]
    assert repr(m) == "CrossEntropyLoss()" and repr(nn.MSELoss()) == "MSELoss()"


def test_mse_loss_seed_example():
    """The tutorial's MSE step: a scalar loss with MseLossBackward0 that backpropagates."""
    torch.manual_seed(0)
    model = nn.Linear(1, 1)
    x, y = torch.randn(10, 1), torch.randn(10, 1)
    loss = nn.MSELoss()(model(x), y)
    assert loss.dim() == 0 and "grad_fn=<MseLossBackward0>" in repr(loss)
    loss.backward()
    assert model.weight.grad.shape == (1, 1)
    expect = (2 * (model(x) - y) * x).mean().item()
    assert model.weight.grad.item() == pytest.approx(expect, rel=1e-5)
