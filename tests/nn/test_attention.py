"""MultiheadAttention and scaled_dot_product_attention against PyTorch; gradcheck; errors."""
import pytest

import disttrain
import disttrain.nn as nn
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck
from tests.nn.spatial_data import fingerprint, seq, set_params, weighted_loss

MHA_CASES = [dict(), dict(batch_first=True), dict(kdim=3, vdim=5),
             dict(add_bias_kv=True, add_zero_attn=True), dict(bias=False)]
# per case, for (no mask, key_padding_mask, float attn_mask per head): digests of the
# output, the weights and the query's gradient (PyTorch)
MHA_EXPECTED = [
    [((-14.998897, -6.654208), (6.0, -1.484203), (22.278696, 7.842688)),
     ((-14.373734, -6.183902), (6.0, -0.617792), (24.49994, 7.369262)),
     ((-15.073932, -6.822167), (12.0, 0.817068), (19.197537, 7.400185))],
    [((-14.800845, -3.701206), (6.0, -0.400027), (6.481424, 1.265701)),
     ((-12.993348, 0.437208), (6.0, 0.489003), (2.920163, -1.134337)),
     ((-14.703628, -3.050437), (12.0, -0.38374), (5.896593, 2.047705))],
    [((-0.439435, -1.77613), (6.0, 0.675513), (5.85277, 2.158338)),
     ((-0.215666, -1.323662), (6.0, 0.070076), (5.123873, 1.872016)),
     ((-0.600667, -1.975759), (12.0, -1.437087), (-1.194938, 3.010774))],
    [((-7.154725, -6.966205), (6.0, 0.126956), (-14.808425, 0.93895)),
     ((-6.657669, -9.109721), (6.0, -0.318262), (-18.303827, 2.346866)),
     ((-6.990152, -7.232791), (12.0, -1.13473), (-16.137147, 0.49569))],
    [((-0.054947, 1.991387), (6.0, -1.178016), (8.690358, 2.102775)),
     ((-0.141377, 4.084415), (6.0, -0.370272), (11.399325, 1.237094)),
     ((-0.077413, 1.608899), (12.0, 1.550626), (9.076265, 2.322715))],
]


def _close(got, want, tol=1e-5):
    assert got == pytest.approx(want, abs=tol)


def _inputs(kw):
    kd, vd = kw.get("kdim", 4), kw.get("vdim", 4)
    if kw.get("batch_first"):
        return seq(2, 3, 4, requires_grad=True), seq(2, 5, kd, phase=1.0), seq(2, 5, vd,
                                                                              phase=2.0)
    return seq(3, 2, 4, requires_grad=True), seq(5, 2, kd, phase=1.0), seq(5, 2, vd, phase=2.0)


@pytest.mark.parametrize("kw,expected", list(zip(MHA_CASES, MHA_EXPECTED)))
def test_multihead_attention_matches_pytorch(kw, expected):
    """Outputs, weights and query grads equal PyTorch's, with and without masks."""
    m = set_params(nn.MultiheadAttention(4, 2, **kw).double())
    q, k, v = _inputs(kw)
    kpm = disttrain.tensor([[False] * 5, [False, False, False, True, True]])
    masks = [dict(), dict(key_padding_mask=kpm),
             dict(attn_mask=seq(3, 5, phase=4.0), average_attn_weights=False)]
    for extra, (fo, fw, fq) in zip(masks, expected):
        q.grad = None
        out, w = m(q, k, v, **extra)
        weighted_loss(out).backward()
        _close(fingerprint(out), fo)
        _close(fingerprint(w), fw)
        _close(fingerprint(q.grad), fq)


def test_multihead_attention_unbatched_and_bool_mask():
    """Unbatched (L, E) inputs work; a boolean attn_mask blocks the masked positions."""
    m = set_params(nn.MultiheadAttention(4, 2).double())
    out, w = m(seq(3, 4), seq(5, 4, phase=1.0), seq(5, 4, phase=2.0))
    assert tuple(out.shape) == (3, 4) and tuple(w.shape) == (3, 5)
    _close(fingerprint(out), (-7.746537, -1.474273))
    _close(fingerprint(w), (3.0, -0.607591))
    causal = disttrain.tensor([[False, True, True], [False, False, True], [False, False, False]])
    x = seq(3, 1, 4)
    out, w = m(x, x, x, attn_mask=causal)
    _close(fingerprint(out), (-8.169402, -1.542756))
    want = [[1.0, 0.0, 0.0], [0.0864, 0.9136, 0.0], [0.1331, 0.2693, 0.5976]]
    assert disttrain.allclose(w[0], disttrain.tensor(want, dtype=disttrain.float64), atol=1e-4)


def test_multihead_attention_need_weights_false_and_params():
    """need_weights=False returns None weights; parameters carry PyTorch's names and shapes."""
    m = nn.MultiheadAttention(8, 2)
    x = disttrain.randn(4, 3, 8)
    out, w = m(x, x, x, need_weights=False)
    assert w is None and tuple(out.shape) == (4, 3, 8)
    assert [(n, tuple(p.shape)) for n, p in m.named_parameters()] == [
        ("in_proj_weight", (24, 8)), ("in_proj_bias", (24,)), ("out_proj.weight", (8, 8)),
        ("out_proj.bias", (8,))]
    sep = nn.MultiheadAttention(8, 2, kdim=4, vdim=6)
    assert [n for n, _ in sep.named_parameters()] == [
        "q_proj_weight", "k_proj_weight", "v_proj_weight", "in_proj_bias", "out_proj.weight",
        "out_proj.bias"]
    assert disttrain.equal(m.in_proj_bias, disttrain.zeros(24))
    assert disttrain.equal(m.out_proj.bias, disttrain.zeros(8))


def test_multihead_attention_repr_matches_pytorch():
    """print(mha) shows the NonDynamicallyQuantizableLinear out_proj as PyTorch does."""
    assert repr(nn.MultiheadAttention(8, 2)) == (
        "MultiheadAttention(\n  (out_proj): NonDynamicallyQuantizableLinear(in_features=8, "
        "out_features=8, bias=True)\n)")
    assert repr(nn.MultiheadAttention(8, 2, bias=False)).endswith("bias=False)\n)")


def test_multihead_attention_gradcheck_parameters():
    """Gradients w.r.t. query and every projection weight match finite differences."""
    m = set_params(nn.MultiheadAttention(4, 2).double())
    q = seq(2, 1, 4, requires_grad=True)
    kv = seq(3, 1, 4, phase=1.0)
    params = list(m.parameters())
    assert gradcheck(lambda a, *ps: m(a, kv, kv)[0], (q, *params))


def test_attention_dropout_only_in_training():
    """Attention dropout changes outputs in train mode and is off in eval mode."""
    disttrain.manual_seed(0)
    m = nn.MultiheadAttention(4, 2, dropout=0.5).double()
    x = seq(3, 2, 4)
    m.eval()
    assert disttrain.equal(m(x, x, x)[0], m(x, x, x)[0])
    m.train()
    assert not disttrain.allclose(m(x, x, x)[0], m.eval()(x, x, x)[0])


SDPA_CASES = [dict(), dict(is_causal=True), dict(attn_mask="float"), dict(attn_mask="bool"),
              dict(scale=0.3)]
SDPA_EXPECTED = [((-0.833583, -1.78379), (0.768043, -0.182393)),
                 ((8.888255, -3.166588), (2.47575, -1.308252)),
                 ((-0.881264, -1.139863), (0.754447, -0.169939)),
                 ((-2.855911, -1.683653), (-0.442175, -0.723609)),
                 ((-1.061857, -1.150565), (0.235291, -0.100763))]


@pytest.mark.parametrize("kw,expected", list(zip(SDPA_CASES, SDPA_EXPECTED)))
def test_scaled_dot_product_attention_matches_pytorch(kw, expected):
    """SDPA with causal/float/bool masks and a custom scale gives PyTorch's values and grads."""
    kw = dict(kw)
    if kw.get("attn_mask") == "float":
        kw["attn_mask"] = seq(3, 5, phase=4.0)
    elif kw.get("attn_mask") == "bool":
        kw["attn_mask"] = disttrain.tensor([[True, False, True, True, False]] * 3)
    q = seq(2, 3, 4, requires_grad=True)
    y = F.scaled_dot_product_attention(q, seq(2, 5, 4, phase=1.0), seq(2, 5, 3, phase=2.0), **kw)
    weighted_loss(y).backward()
    _close(fingerprint(y), expected[0])
    _close(fingerprint(q.grad), expected[1])


def test_sdpa_fully_masked_query_gives_zeros_and_finite_grads():
    """A query allowed to see no key outputs zeros (PyTorch) and its gradients stay finite."""
    q = seq(1, 2, 4, requires_grad=True)
    mask = disttrain.tensor([[True, False], [False, False]])
    y = F.scaled_dot_product_attention(q, q, q, attn_mask=mask)
    assert disttrain.equal(y[0, 1], disttrain.zeros(4, dtype=disttrain.float64))
    y.sum().backward()
    assert disttrain.isfinite(q.grad).all()


def test_sdpa_gradcheck():
    """SDPA's gradients in query, key and value match finite differences."""
    q = seq(1, 2, 3, requires_grad=True)
    k = seq(1, 3, 3, phase=1.0, requires_grad=True)
    v = seq(1, 3, 2, phase=2.0, requires_grad=True)
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, is_causal=True),
                     (q, k, v))


def test_mha_errors():
    """Bad configurations raise PyTorch's errors."""
    with pytest.raises(ValueError, match="embed_dim and num_heads must be greater than 0, got "
                                         "embed_dim=0 and num_heads=2 instead"):
        nn.MultiheadAttention(0, 2)
    with pytest.raises(AssertionError, match="embed_dim must be divisible by num_heads"):
        nn.MultiheadAttention(6, 4)
    m = nn.MultiheadAttention(4, 2)
    with pytest.raises(AssertionError, match="query should be unbatched 2D or batched 3D tensor "
                                             "but received 4-D query tensor"):
        x = disttrain.randn(1, 2, 3, 4)
        m(x, x, x)
