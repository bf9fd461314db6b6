"""Layers added for PyTorch coverage: reprs, import paths, values and gradients against
PyTorch 2.13 (EmbeddingBag, InstanceNorm running statistics, padding layers, CrossMapLRN2d,
circular Conv3d), lazy layers, SyncBatchNorm and errors."""
import importlib
import warnings

import numpy as np
import pytest

import disttrain
import disttrain.nn as nn
from disttrain.autograd import gradcheck
from tests.nn.spatial_data import fingerprint, seq, set_params, weighted_loss

REPRS = [
    ("ConstantPad2d(1, 3.5)",
     'ConstantPad2d(padding=(1, 1, 1, 1), value=3.5)'),
    ("ConstantPad1d((1, 2), 0.)",
     'ConstantPad1d(padding=(1, 2), value=0.0)'),
    ("ZeroPad2d(1)",
     'ZeroPad2d((1, 1, 1, 1))'),
    ("ZeroPad1d((1, 2))",
     'ZeroPad1d((1, 2))'),
    ("ReflectionPad2d(1)",
     'ReflectionPad2d((1, 1, 1, 1))'),
    ("ReplicationPad3d(1)",
     'ReplicationPad3d((1, 1, 1, 1, 1, 1))'),
    ("CircularPad1d(2)",
     'CircularPad1d((2, 2))'),
    ("PixelShuffle(2)",
     'PixelShuffle(upscale_factor=2)'),
    ("PixelUnshuffle(2)",
     'PixelUnshuffle(downscale_factor=2)'),
    ("ChannelShuffle(3)",
     'ChannelShuffle(groups=3)'),
    ("PairwiseDistance()",
     'PairwiseDistance()'),
    ("CosineSimilarity()",
     'CosineSimilarity()'),
    ("Fold(4, 2)",
     'Fold(output_size=4, kernel_size=2, dilation=1, padding=0, stride=1)'),
    ("Unfold(2)",
     'Unfold(kernel_size=2, dilation=1, padding=0, stride=1)'),
    ("InstanceNorm1d(3)",
     'InstanceNorm1d(3, eps=1e-05, '
     'momentum=0.1, affine=False, bias=False, track_running_stats=False)'),
    ("InstanceNorm2d(3, affine=True, track_running_stats=True)",
     'InstanceNorm2d(3, eps=1e-05, '
     'momentum=0.1, affine=True, bias=True, track_running_stats=True)'),
    ("Hardshrink()",
     'Hardshrink(0.5)'),
    ("Softshrink()",
     'Softshrink(0.5)'),
    ("Tanhshrink()",
     'Tanhshrink()'),
    ("RReLU()",
     'RReLU(lower=0.125, upper=0.3333333333333333)'),
    ("Softmax2d()",
     'Softmax2d()'),
    ("RMSNorm(4)",
     'RMSNorm((4,), eps=None, elementwise_affine=True)'),
    ("RMSNorm([2, 3], eps=1e-5)",
     'RMSNorm((2, 3), eps=1e-05, elementwise_affine=True)'),
    ("LocalResponseNorm(2)",
     'LocalResponseNorm(2, alpha=0.0001, beta=0.75, k=1.0)'),
    ("CrossMapLRN2d(3)",
     'CrossMapLRN2d(3, alpha=0.0001, beta=0.75, k=1)'),
    ("BatchNorm3d(3)",
     'BatchNorm3d(3, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)'),
    ("SyncBatchNorm(3)",
     'SyncBatchNorm(3, eps=1e-05, '
     'momentum=0.1, affine=True, bias=True, track_running_stats=True)'),
    ("Conv3d(2, 3, 2)",
     'Conv3d(2, 3, kernel_size=(2, 2, 2), stride=(1, 1, 1))'),
    ("ConvTranspose3d(2, 3, 2, stride=2)",
     'ConvTranspose3d(2, 3, kernel_size=(2, 2, 2), stride=(2, 2, 2))'),
    ("MaxPool3d(2)",
     'MaxPool3d(kernel_size=2, stride=2, padding=0, dilation=1, ceil_mode=False)'),
    ("AvgPool3d(2)",
     'AvgPool3d(kernel_size=2, stride=2, padding=0)'),
    ("AdaptiveAvgPool3d(2)",
     'AdaptiveAvgPool3d(output_size=2)'),
    ("AdaptiveMaxPool3d(2)",
     'AdaptiveMaxPool3d(output_size=2)'),
    ("LPPool1d(2, 3)",
     'LPPool1d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)'),
    ("LPPool2d(2, 3)",
     'LPPool2d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)'),
    ("LPPool3d(2, 3)",
     'LPPool3d(norm_type=2, kernel_size=3, stride=None, ceil_mode=False)'),
    ("MaxUnpool1d(2)",
     'MaxUnpool1d(kernel_size=(2,), stride=(2,), padding=(0,))'),
    ("MaxUnpool2d(2)",
     'MaxUnpool2d(kernel_size=(2, 2), stride=(2, 2), padding=(0, 0))'),
    ("MaxUnpool3d(2)",
     'MaxUnpool3d(kernel_size=(2, 2, 2), stride=(2, 2, 2), padding=(0, 0, 0))'),
    ("TripletMarginLoss()",
     'TripletMarginLoss()'),
    ("TripletMarginWithDistanceLoss()",
     'TripletMarginWithDistanceLoss(\n  (distance_function): PairwiseDistance()\n)'),
    ("MultiMarginLoss()",
     'MultiMarginLoss()'),
    ("MultiLabelMarginLoss()",
     'MultiLabelMarginLoss()'),
    ("MultiLabelSoftMarginLoss()",
     'MultiLabelSoftMarginLoss()'),
    ("GaussianNLLLoss()",
     'GaussianNLLLoss()'),
    ("AlphaDropout(0.2)",
     'AlphaDropout(p=0.2, inplace=False)'),
    ("FeatureAlphaDropout()",
     'FeatureAlphaDropout(p=0.5, inplace=False)'),
    ("EmbeddingBag(5, 3)",
     "EmbeddingBag(5, 3, mode='mean')"),
    ("EmbeddingBag(5, 3, mode='max', padding_idx=0)",
     "EmbeddingBag(5, 3, mode='max', padding_idx=0)"),
    ("LazyConv2d(3, 2)",
     'LazyConv2d(0, 3, kernel_size=(2, 2), stride=(1, 1))'),
    ("LazyBatchNorm1d()",
     'LazyBatchNorm1d(0, eps=1e-05, '
     'momentum=0.1, affine=True, bias=True, track_running_stats=True)'),
    ("LazyInstanceNorm2d()",
     'LazyInstanceNorm2d(0, eps=1e-05, '
     'momentum=0.1, affine=True, bias=True, track_running_stats=True)'),
    ("LazyConvTranspose1d(3, 2)",
     'LazyConvTranspose1d(0, 3, kernel_size=(2,), stride=(1,))'),
]


@pytest.mark.parametrize("ctor,want", REPRS, ids=[c for c, _ in REPRS])
def test_repr_matches_pytorch(ctor, want):
    """print(layer) shows what PyTorch shows."""
    assert repr(eval("nn." + ctor)) == want


PATHS = ["nn.modules.activation.MultiheadAttention", "nn.modules.linear.Identity",
         "nn.modules.linear.NonDynamicallyQuantizableLinear",
         "nn.modules.transformer.TransformerEncoderLayer", "nn.modules.conv._ConvNd",
         "nn.modules.conv.Conv3d", "nn.modules.batchnorm._BatchNorm",
         "nn.modules.batchnorm._NormBase", "nn.modules.module.Module", "nn.modules.loss._Loss",
         "nn.modules.loss._WeightedLoss", "nn.modules.utils._pair", "nn.modules.utils._single",
         "nn.modules.utils._triple", "nn.modules.utils._quadruple", "nn.modules.utils._ntuple",
         "nn.modules.pooling._MaxPoolNd", "nn.modules.pooling._AvgPoolNd",
         "nn.modules.dropout._DropoutNd", "nn.modules.instancenorm._InstanceNorm",
         "nn.modules.padding._ConstantPadNd", "nn.modules.pixelshuffle.PixelShuffle",
         "nn.modules.distance.CosineSimilarity", "nn.modules.fold.Fold",
         "nn.modules.channelshuffle.ChannelShuffle", "nn.modules.sparse.EmbeddingBag",
         "nn.modules.normalization.RMSNorm", "nn.modules.adaptive.AdaptiveLogSoftmaxWithLoss",
         "nn.modules.linear_cross_entropy.LinearCrossEntropyLoss", "nn.common_types._size_2_t",
         "nn.grad.conv2d_input", "nn.attention.SDPBackend", "nn.attention.sdpa_kernel"]


@pytest.mark.parametrize("path", PATHS)
def test_pytorch_import_paths(path):
    """The module paths PyTorch code imports from resolve (as attributes too)."""
    mod, _, name = path.rpartition(".")
    assert getattr(importlib.import_module("disttrain." + mod), name) is not None
    obj = disttrain
    for part in path.split("."):
        obj = getattr(obj, part)


def test_module_utils_helpers():
    """_pair and friends turn an int into a tuple and keep iterables."""
    from disttrain.nn.modules.utils import _pair, _reverse_repeat_tuple, _triple
    assert _pair(3) == (3, 3) and _pair((1, 2)) == (1, 2) and _triple(1) == (1, 1, 1)
    assert _reverse_repeat_tuple((1, 2), 2) == (2, 2, 1, 1)


def _run(m, *ins, **kw):
    ins = [i.clone().requires_grad_(True) if i.dtype.is_floating_point else i for i in ins]
    y = m(*ins, **kw)
    weighted_loss(y).backward()
    ps = list(m.parameters())
    return [fingerprint(y)] + [fingerprint(i.grad) for i in ins if i.dtype.is_floating_point] \
        + ([fingerprint(ps[0].grad)] if ps else [])


def _check(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        np.testing.assert_allclose(g, w, atol=1e-5)


IDX = [1, 2, 4, 5, 4, 3, 2, 0]
OFF = [0, 3, 3, 6]
BAGS = [(dict(mode="sum"), [(-1.729236, -4.75776), (0.288969, -1.438435)]),
        (dict(mode="mean"), [(-0.186867, -1.769413), (-0.428054, -0.475433)]),
        (dict(mode="max"), [(5.208387, -2.151771), (-0.428054, 3.236564)]),
        (dict(mode="mean", padding_idx=2), [(0.828125, -2.750054), (-0.428054, 1.07641)])]


@pytest.mark.parametrize("kw,want", BAGS)
def test_embedding_bag_matches_pytorch(kw, want):
    """Bags from offsets (one empty) reduce by sum/mean/max; padding_idx is left out."""
    m = set_params(nn.EmbeddingBag(6, 3, dtype=disttrain.float64, **kw))
    _check(_run(m, disttrain.tensor(IDX), disttrain.tensor(OFF)), want)


def test_embedding_bag_weights_2d_last_offset_and_gradcheck():
    """per_sample_weights, fixed-size 2-d bags, include_last_offset; finite differences."""
    m = set_params(nn.EmbeddingBag(6, 3, mode="sum", dtype=disttrain.float64))
    _check(_run(m, disttrain.tensor(IDX), disttrain.tensor(OFF),
                per_sample_weights=seq(8, phase=2.0)),
           [(1.686747, 2.766355), (-2.135773, -0.009893)])
    m = set_params(nn.EmbeddingBag(6, 3, mode="max", dtype=disttrain.float64))
    _check(_run(m, disttrain.tensor([[1, 2, 1], [0, 5, 3]])),
           [(4.817681, -1.550731), (-2.433948, -0.301266)])
    w = disttrain.arange(18.0).reshape(6, 3)
    out = nn.functional.embedding_bag(disttrain.tensor(IDX), w, disttrain.tensor(OFF),
                                      mode="sum", include_last_offset=True)
    assert out.tolist() == [[21.0, 24.0, 27.0], [0.0, 0.0, 0.0], [36.0, 39.0, 42.0]]
    for mode in ("sum", "mean", "max"):
        fn = lambda t: nn.functional.embedding_bag(  # noqa: E731
            disttrain.tensor(IDX), t, disttrain.tensor(OFF), mode=mode)
        assert gradcheck(fn, (seq(6, 3, requires_grad=True),))
    with pytest.raises(ValueError, match="mode has to be one of sum, mean or max"):
        nn.functional.embedding_bag(disttrain.tensor(IDX), w, disttrain.tensor(OFF), mode="x")


def test_instance_norm_running_stats_match_pytorch():
    """Training updates the running statistics as PyTorch; eval uses them (unbatched too)."""
    m = set_params(nn.InstanceNorm1d(3, affine=True, track_running_stats=True,
                                     dtype=disttrain.float64))
    _check(_run(m, seq(2, 3, 5)),
           [(27.373824, -2.245909), (0.0, 11.387027), (-3.673877, -2.328828)])
    np.testing.assert_allclose(m.running_mean.tolist(), [0.029571, 0.064404, -0.065069],
                               atol=1e-6)
    np.testing.assert_allclose(m.running_var.tolist(), [0.922953, 0.912667, 0.912396],
                               atol=1e-6)
    m.eval()
    _check(_run(m, seq(3, 5, phase=1.0)),
           [(11.097212, -1.864271), (-1.521983, 5.208739), (-5.022294, -4.186204)])
    with pytest.raises(ValueError, match="expected input's size at dim=1 to match num_features "
                                         "\\(3\\), but got: 4."):
        m(seq(2, 4, 5))


PADS = [("ReflectionPad3d((1, 0, 1, 1, 0, 1))", [(-3.891787, -3.484774), (-2.343536, 0.420289)]),
        ("ReplicationPad2d((2, 0, 1, 3))", [(16.101583, -2.726857), (-2.493418, -4.703436)]),
        ("CircularPad3d(1)", [(8.539988, -6.700619), (-2.690734, -6.958774)]),
        ("CircularPad1d((3, 1))", [(9.39544, 0.190906), (-2.073006, 0.109684)]),
        ("ConstantPad3d((1, 2, 0, 1, 1, 0), -0.5)", [(-53.618649, -5.708052),
                                                    (-12.934259, -0.679998)]),
        ("ZeroPad3d(1)", [(0.381351, -1.41429), (-1.031822, -1.809284)])]


@pytest.mark.parametrize("ctor,want", PADS)
def test_padding_layers_match_pytorch(ctor, want):
    """Padding layers give PyTorch's values and gradients (wrap-around included)."""
    x = seq(1, 2, 3, 2, 3) if "3d" in ctor else seq(2, 3, 4)
    _check(_run(eval("nn." + ctor), x), want)


def test_circular_padding_gradcheck_and_errors():
    """Wrap-around padding sends gradients to the wrapped positions (finite differences);
    a wrong padding length is rejected."""
    assert gradcheck(nn.CircularPad2d((2, 1, 1, 0)), (seq(1, 1, 2, 3, requires_grad=True),))
    assert gradcheck(nn.ReflectionPad1d(2), (seq(1, 3, requires_grad=True),))
    with pytest.raises(ValueError):
        nn.ZeroPad2d((1, 2, 3))


def test_softmax2d_and_conv3d_circular_match_pytorch():
    """Softmax2d normalises over channels; Conv3d with circular padding_mode."""
    _check(_run(nn.Softmax2d(), seq(2, 3, 2, 2)), [(8.0, -1.473452), (0.0, 3.318245)])
    m = set_params(nn.Conv3d(2, 3, (2, 3, 2), padding=1, padding_mode="circular").double())
    _check(_run(m, seq(1, 2, 3, 3, 4)),
           [(170.663313, 28.16661), (-0.863882, -3.288881), (26.260962, 61.890129)])
    m = nn.ConvTranspose3d(2, 3, 2, stride=2)
    assert tuple(m(disttrain.randn(1, 2, 2, 2, 2), output_size=(5, 4, 5)).shape) == \
        (1, 3, 5, 4, 5)


def test_cross_map_lrn2d_values_and_gradcheck():
    """CrossMapLRN2d's values are PyTorch's (its channel windows included). Its gradient is
    the exact derivative: PyTorch's hand-written backward assumes a symmetric window and
    differs, so it is checked by finite differences instead."""
    y = nn.CrossMapLRN2d(3, 0.1, 0.75, 2)(seq(2, 6, 2, 2))
    np.testing.assert_allclose(fingerprint(y), (1.099575, 0.393567), atol=1e-5)
    y = nn.CrossMapLRN2d(4, 0.3, 0.5, 1)(seq(1, 7, 2, 1))
    np.testing.assert_allclose(fingerprint(y), (1.77671, 1.662491), atol=1e-5)
    assert gradcheck(nn.CrossMapLRN2d(4, 0.3, 0.5, 1), (seq(1, 7, 1, 2, requires_grad=True),))


def test_lazy_layers_materialise_and_become_plain():
    """Lazy layers take their channels from the first input, then become the plain layer."""
    m = nn.LazyConv3d(4, 2)
    y = m(disttrain.ones(1, 3, 3, 3, 3))
    assert type(m) is nn.Conv3d and tuple(m.weight.shape) == (4, 3, 2, 2, 2)
    assert tuple(y.shape) == (1, 4, 2, 2, 2)
    assert repr(m) == "Conv3d(3, 4, kernel_size=(2, 2, 2), stride=(1, 1, 1))"
    m = nn.LazyConvTranspose2d(4, 2, stride=2)
    assert tuple(m(disttrain.ones(1, 3, 3, 3)).shape) == (1, 4, 6, 6)
    assert type(m) is nn.ConvTranspose2d and tuple(m.weight.shape) == (3, 4, 2, 2)
    m = nn.LazyBatchNorm2d()
    m(disttrain.ones(2, 3, 2, 2))
    assert type(m) is nn.BatchNorm2d and tuple(m.weight.shape) == (3,)
    assert m.running_mean.tolist() == pytest.approx([0.1, 0.1, 0.1])
    assert int(m.num_batches_tracked) == 1
    m = nn.LazyInstanceNorm2d()
    m(disttrain.ones(2, 5, 2, 2))
    assert type(m) is nn.InstanceNorm2d and m.num_features == 5


def test_sync_batch_norm_is_batch_norm_in_one_process():
    """One process: SyncBatchNorm equals BatchNorm; convert_sync_batchnorm keeps parameters."""
    x = seq(4, 3, 5)
    bn, sbn = nn.BatchNorm1d(3).double(), nn.SyncBatchNorm(3).double()
    assert disttrain.allclose(bn(x), sbn(x))
    assert disttrain.allclose(bn.running_var, sbn.running_var)
    net = nn.Sequential(nn.Conv2d(1, 2, 1), nn.BatchNorm2d(2))
    conv = nn.SyncBatchNorm.convert_sync_batchnorm(net)
    assert type(conv[1]) is nn.SyncBatchNorm and conv[1].weight is net[1].weight
    assert isinstance(conv[1], nn.modules.batchnorm._BatchNorm)
    assert not isinstance(nn.InstanceNorm1d(3), nn.modules.batchnorm._BatchNorm)


def test_random_layers_and_deprecations():
    """RReLU draws slopes in [lower, upper] only in training; AlphaDropout is the identity in
    eval; NLLLoss2d warns that it is deprecated."""
    disttrain.manual_seed(0)
    m = nn.RReLU(0.1, 0.3)
    y = m(-disttrain.ones(1000))
    assert -0.3 <= float(y.min()) and float(y.max()) <= -0.1 and float(y.std()) > 0.01
    m.eval()
    assert disttrain.allclose(m(-disttrain.ones(3)), disttrain.full((3,), -0.2))
    x = disttrain.randn(5000)
    d = nn.AlphaDropout(0.3)
    assert disttrain.equal(d.eval()(x), x)
    y = d.train()(x)
    assert abs(float(y.mean())) < 0.1 and abs(float(y.std()) - 1) < 0.1
    with pytest.warns(FutureWarning, match="`NLLLoss2d` has been deprecated"):
        nn.NLLLoss2d()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        nn.NLLLoss()


def test_adaptive_log_softmax_matches_pytorch():
    """Per-target log-probabilities, loss, gradients and log_prob equal PyTorch's; predict
    agrees with log_prob's argmax; unbatched input; bad targets raise PyTorch's error."""
    m = set_params(nn.AdaptiveLogSoftmaxWithLoss(8, 10, [3, 6], div_value=2.0, head_bias=True,
                                                 dtype=disttrain.float64))
    x = seq(5, 8, requires_grad=True)
    out = m(x, disttrain.tensor([0, 4, 9, 2, 7]))
    (out.loss + weighted_loss(out.output)).backward()
    _check([fingerprint(out.output), fingerprint(x.grad), fingerprint(m.tail[1][0].weight.grad)],
           [(-16.341777, 11.341467), (-12.300988, 4.353052), (-2.42991, 0.611835)])
    assert out.loss.item() == pytest.approx(3.268355, abs=1e-6)
    _check([fingerprint(m.log_prob(seq(4, 8, phase=1.0)))], [(-233.626784, 18.473672)])
    probe = disttrain.randn(64, 8, dtype=disttrain.float64) * 4
    assert disttrain.equal(m.predict(probe), m.log_prob(probe).argmax(1))
    single = m(seq(8, phase=2.0), disttrain.tensor(5))
    assert single.output.dim() == 0
    assert single.output.item() == pytest.approx(-4.229155, abs=1e-6)
    assert gradcheck(lambda a: m(a, disttrain.tensor([1, 5, 8])).output,
                     (seq(3, 8, requires_grad=True),))
    with pytest.raises(RuntimeError, match=r"Target values should be in \[0, 9\]"):
        m(seq(2, 8), disttrain.tensor([1, 10]))
    with pytest.raises(ValueError, match="cutoffs should be a sequence of unique, positive"):
        nn.AdaptiveLogSoftmaxWithLoss(8, 10, [6, 3])
