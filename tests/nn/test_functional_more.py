"""The functional forms added for PyTorch coverage against PyTorch 2.13: activations, shuffles,
distances, norms, margin/Gaussian losses, 3-d convolution and pooling, Lp pooling,
max-unpooling, fold/unfold, conv_tbc, affine_grid/grid_sample, bicubic, nn.grad. Values and
gradients per case (coverage_cases.py) and finite-difference checks; awkward inputs (ties,
duplicate rows, zero variance, wrap-around) included."""
import warnings

import numpy as np
import pytest

import disttrain as torch
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck
from tests.nn.coverage_cases import CASES
from tests.nn.spatial_data import fingerprint, seq, weighted_loss

# PyTorch 2.13 digests (sum, weighted sum) of each case's outputs, then of each input's
# gradient under weighted_loss(first output); None where an input gets no gradient.
EXPECTED = {
    'hardshrink': [(7.75773, 0.932211), (-4.721946, 10.651254)],
    'softshrink': [(4.25773, 0.33383), (-4.721946, 10.651254)],
    'tanhshrink': [(6.894577, 0.5834), (-5.888344, 14.944183)],
    'rrelu_eval': [(5.566405, -0.31971), (-0.248769, 4.719873)],
    'pixel_shuffle': [(1.87829, -0.048169), (-2.073006, -2.16815)],
    'pixel_unshuffle': [(4.609, 4.531151), (-1.093712, -4.291626)],
    'channel_shuffle': [(4.69772, 3.248051), (-2.229722, 0.993727)],
    'pdist': [(9.050718, -3.492848), (-0.0, 1.406467)],
    'pdist_p1': [(14.564643, -5.284593), (0.0, 3.649011)],
    'pdist_dup': [(3.992457, -0.808805), (0.0, -0.164502)],
    'rms_norm': [(4.127494, 0.784858), (1.754347, 2.28372), (0.862687, -1.096283)],
    'rms_norm_noeps': [(6.944232, -1.89151), (-3.560914, 14.964362)],
    'instance_norm': [
        (19.974599, -3.547131), (0.0, 13.440073), (-3.673877, -2.328828), (-1.802361, 1.509867),
    ],
    'instance_norm_running': [(2.890563, 0.658997), (-1.802352, 14.944531)],
    'lrn_3d': [(2.314347, -0.952535), (-1.435773, 11.545173)],
    'lrn_4d': [(4.346094, -1.459717), (-1.797728, 9.074945)],
    'triplet': [
        (0.276526, 0.039023), (0.027326, -0.015811), (0.00382, -0.000615), (-0.031146, 0.016425),
    ],
    'triplet_swap_p1': [
        (5.07644, -2.806682), (-5.124155, -0.405796), (8.769769, 3.38931), (-3.645614, -2.983514),
    ],
    'triplet_dist': [
        (0.597249, 0.084284), (0.007995, 0.018059), (-0.0509, -0.047941), (-0.004763, 0.007013),
    ],
    'multi_margin': [(0.786987, 0.11106), (0.0, -0.079445)],
    'multi_margin_p2_w': [(1.529169, -0.295056), (0.0, -0.507313)],
    'multilabel_margin': [(1.996542, -0.347681), (-0.0, 0.402786)],
    'multilabel_margin_1d': [(0.33768, 0.047653), (0.0, 0.071404)],
    'multilabel_soft': [(0.291683, 0.041162), (-0.00076, 0.00904), None, (0.082287, -0.047551)],
    'gaussian_nll': [
        (0.003883, 0.000548), (0.051868, 0.021617), (-0.051868, -0.021617), (0.017562, -0.030079),
    ],
    'gaussian_nll_full_homo': [
        (13.49428, 1.904313), (1.287051, 0.824015), (-1.287051, -0.824015), (0.649978, -0.347458),
    ],
    'gaussian_nll_small_var': [
        (594352.843389, -99995.0447), (477934.990525, -450069.865843),
        (-477934.990525, 450069.865843), (0.0, 0.0),
    ],
    'max_pool3d': [(10.907692, 0.587717), (-1.454289, 0.74816)],
    'max_pool3d_pad': [(58.047603, -0.333688), (2160.0, 163.786904), (0.08259, 0.779372)],
    'max_pool3d_ties': [(3.0, -1.354729), (56.0, -47.259065), (0.0, 0.0)],
    'max_pool3d_dil': [(24.226028, 0.298298), (0.151493, 0.331897)],
    'avg_pool3d': [(0.673304, 1.255597), (-1.454289, 0.266221)],
    'avg_pool3d_pad_ceil': [(-0.285995, -0.422005), (-0.145067, -0.252251)],
    'avg_pool3d_nopad': [(-1.088398, -1.521913), (0.170296, -1.028106)],
    'avg_pool3d_div': [(0.95121, 1.369903), (-1.631871, 0.729389)],
    'adaptive_avg3d': [(0.001895, 0.021043), (0.170296, -0.003098)],
    'adaptive_max3d': [(7.763368, -0.542294), (272.0, 18.79102), (-0.611952, 0.296036)],
    'adaptive_max1d_idx': [(2.202132, -2.004328), (16.0, -5.504152), (-2.433948, -0.675641)],
    'lp_pool1d': [(7.024711, -2.760909), (-2.97874, -0.928078)],
    'lp_pool2d': [(7.13717, -4.110629), (2.070394, -0.594268)],
    'lp_pool3d': [(13.392072, -1.072324), (1.641112, -1.234825)],
    'max_unpool2d': [(3.822434, -1.431998), (-0.889925, 3.691776)],
    'max_unpool1d_size': [(1.789278, -0.139501), (-1.835952, 3.262914)],
    'max_unpool3d': [(3.84743, -2.268528), (-2.377721, 1.722896)],
    'unfold': [(10.12127, 7.092484), (0.07164, -0.814163)],
    'unfold_dil': [(0.081207, -1.458812), (0.08259, -1.147573)],
    'fold': [(-2.876373, 30.417335), (0.378173, -0.814163)],
    'fold_overlap': [(0.381351, 0.108075), (-1.149529, -2.485058)],
    'conv3d': [
        (87.490248, -45.215754), (0.290975, 5.035534), (6.091495, 23.201617),
        (-1.949517, 1.413364),
    ],
    'conv3d_strided': [(0.209601, -10.621981), (8.311072, -4.578366), (-2.819094, -51.918771)],
    'conv3d_same': [(-72.119296, 23.944209), (0.861605, 53.696875), (-4.494108, 10.913156)],
    'conv_transpose3d': [
        (128.547354, -5.402948), (-8.30658, -18.405853), (-4.099988, -1.435886),
        (-2.331902, 0.950717),
    ],
    'conv_transpose3d_strided': [
        (-6.327332, 1.917026), (2.245565, 6.016774), (37.647379, -2.116967),
    ],
    'conv_tbc': [
        (29.076161, 1.010704), (0.115497, 2.86749), (-14.206322, -0.812703),
        (-1.802361, 1.403593),
    ],
    'affine_grid': [(12.185911, -2.014003), (-8.110753, -3.704262)],
    'affine_grid_ac': [(7.428915, 3.083631), (7.426724, -0.167384)],
    'grid_sample': [(0.145032, 0.426064), (-1.303881, 0.57966), (1.814907, 0.785441)],
    'grid_sample_border_ac': [(-0.649615, -1.378857), (-1.507273, -0.124799), (0.00878, 1.386143)],
    'grid_sample_reflect': [(1.685072, -1.536664), (-1.507273, 1.945595), (-5.823, 0.565624)],
    'grid_sample_reflect_ac': [(2.806595, -0.631301), (-2.433948, 0.340408), (3.822825, 2.380286)],
    'grid_sample_nearest': [(-0.641864, 0.938655), (-1.159039, 1.734935), (0.0, 0.0)],
    'grid_sample_3d': [(1.180816, -0.383468), (-0.362107, 1.348467), (-4.55417, -1.414329)],
    'grid_sample_3d_border': [(0.375245, -0.348974), (-2.268789, 0.149913), (0.0, 0.0)],
    'fractional_max_pool2d': [
        (38.912908, -1.357699), (952.0, -21.170534), (-2.073006, -0.980163), None,
    ],
    'fractional_max_pool2d_ratio': [(25.62395, -0.998548), (0.170296, 11.362314), None],
    'fractional_max_pool3d': [
        (19.714179, -3.936336), (962.0, -65.12147), (-2.229722, 1.446657), None,
    ],
    'ctc': [(1.724553, 0.243369), (0.0, -0.020241)],
    'ctc_concat_none': [(8.574334, -0.702172), (-0.0, 0.252466)],
    'ctc_sum_blank_last': [(6.291254, 0.887822), (0.0, -0.373722)],
    'ctc_empty_target': [(3.469531, 0.48962), (0.0, -0.018015)],
    'ctc_impossible_zero_inf': [(0.0, 0.0), (0.0, 0.0)],
    'interpolate_bicubic': [(14.486699, 1.336455), (0.08259, -1.055225)],
    'interpolate_bicubic_ac': [(4.503938, 1.019623), (-0.660153, 0.603988)],
    'grid_sample_bicubic': [(0.076898, 0.38833), (-1.323058, 0.611699), (-0.859457, 0.354994)],
    'grid_sample_bicubic_border': [
        (-1.275304, -0.164124), (-2.433948, 0.554178), (0.435227, -1.347029),
    ],
    'grid_sample_bicubic_reflect': [
        (3.080178, -0.153949), (-2.433948, 1.621327), (-1.189881, 0.357372),
    ],
    'grad_conv2d_input': [(-0.217583, 0.553456), (1.109168, -0.0662), (0.299597, 4.161088)],
    'grad_conv1d_weight': [(-4.919939, -3.39744), (-11.164766, -3.155021), (7.160001, -0.861939)],
    'grad_conv3d_input': [(-2.466535, 5.304821), (-0.281992, 5.09496), (-1.973333, -2.412805)],
}


def _eval(expr, ins):
    ns = dict(F=F, torch=torch, T=torch.tensor, **dict(zip("xyz", ins)))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return eval(expr, ns)


@pytest.mark.parametrize("name,expr,shapes,check", CASES, ids=[c[0] for c in CASES])
def test_matches_pytorch_and_finite_differences(name, expr, shapes, check):
    """Outputs (and indices) and input gradients equal PyTorch's; gradients match finite
    differences where the function is smooth at the inputs."""
    ins = [seq(*s, phase=float(i), requires_grad=True) for i, s in enumerate(shapes)]
    r = _eval(expr, ins)
    rs = r if isinstance(r, tuple) else (r,)
    weighted_loss(rs[0]).backward()
    got = [fingerprint(t) for t in rs] + [None if i.grad is None else fingerprint(i.grad)
                                          for i in ins]
    want = EXPECTED[name]
    assert len(got) == len(want)
    for g, w in zip(got, want):
        assert (g is None) == (w is None)
        if g is not None:
            np.testing.assert_allclose(g, w, atol=1e-5)
    if check:
        def fn(*a):
            out = _eval(expr, a)
            return out[0] if isinstance(out, tuple) else out
        assert gradcheck(fn, tuple(ins))


def test_gumbel_softmax_soft_hard_and_straight_through():
    """Soft samples are distributions; hard ones are one-hot with the soft sample's gradient
    (straight-through); the noise repeats under manual_seed."""
    logits = seq(4, 5, requires_grad=True)
    torch.manual_seed(1)
    soft = F.gumbel_softmax(logits, tau=0.5)
    np.testing.assert_allclose(soft.sum(-1).tolist(), [1.0] * 4, atol=1e-12)
    torch.manual_seed(1)
    hard = F.gumbel_softmax(logits, tau=0.5, hard=True)
    assert sorted(set(hard.reshape(-1).tolist())) == [0.0, 1.0]
    assert hard.sum(-1).tolist() == [1.0] * 4
    assert torch.equal(hard.argmax(-1), soft.argmax(-1))
    w = seq(4, 5, phase=2.0)
    (g_soft,) = torch.autograd.grad((soft * w).sum(), logits)
    (g_hard,) = torch.autograd.grad((hard * w).sum(), logits)
    assert torch.allclose(g_soft, g_hard)


def test_rrelu_and_alpha_dropout_functional_training():
    """rrelu in training keeps positives and scales negatives by slopes in [lower, upper];
    alpha_dropout keeps SELU's mean 0 / variance 1 and is the identity when not training."""
    torch.manual_seed(0)
    x = torch.randn(4000, dtype=torch.float64)
    y = F.rrelu(x, 0.2, 0.4, training=True)
    neg = x < 0
    ratio = (y[neg] / x[neg])
    assert torch.equal(y[~neg], x[~neg])
    assert 0.2 <= float(ratio.min()) and float(ratio.max()) <= 0.4
    assert torch.equal(F.alpha_dropout(x, 0.5, training=False), x)
    z = F.alpha_dropout(x, 0.2, training=True)
    assert abs(float(z.mean())) < 0.1 and abs(float(z.std()) - 1.0) < 0.1
    z = F.feature_alpha_dropout(torch.randn(8, 16, 3, dtype=torch.float64), 0.5, True)
    per_channel = z.std(-1)
    assert int((per_channel < 1e-12).sum()) > 0     # whole channels take one constant value


def test_upsample_bicubic_layer_and_errors():
    """nn.Upsample(mode='bicubic') runs the bicubic resize; bicubic needs 4-d input, as in
    PyTorch."""
    x = seq(1, 1, 3, 3)
    up = torch.nn.Upsample(scale_factor=2, mode="bicubic", align_corners=False)
    assert torch.allclose(up(x), F.interpolate(x, scale_factor=2, mode="bicubic",
                                               align_corners=False))
    with pytest.raises(NotImplementedError, match="got 3D\\) for the modes"):
        F.interpolate(seq(1, 1, 4), scale_factor=2, mode="bicubic")
    with pytest.raises(RuntimeError, match="bicubic interpolation only supports 4D input"):
        F.grid_sample(seq(1, 1, 2, 2, 2), seq(1, 1, 1, 1, 3), mode="bicubic",
                      align_corners=False)
