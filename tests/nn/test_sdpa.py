"""scaled_dot_product_attention as one node: PyTorch's values and gradients for GQA,
broadcast batch dims and float-mask gradients; finite-difference checks (first and second
order); fully-masked rows; dropout from the default generator; MultiheadAttention's paths."""
import pytest

import disttrain
import disttrain.nn as nn
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck, gradgradcheck
from tests.nn.spatial_data import fingerprint, seq, set_params, weighted_loss


def _close(got, want, tol=1e-5):
    assert got == pytest.approx(want, abs=tol)


def test_sdpa_is_one_node():
    """The whole attention records a single backward node."""
    q = seq(2, 3, 4, requires_grad=True)
    y = F.scaled_dot_product_attention(q, q, q)
    assert type(y.grad_fn).__name__ == "ScaledDotProductAttentionBackward0"


def test_sdpa_grouped_query_attention_matches_pytorch():
    """enable_gqa shares each key/value head between Hq / H query heads (PyTorch's values)."""
    q = seq(2, 4, 3, 4, requires_grad=True)
    k = seq(2, 2, 5, 4, phase=1.0, requires_grad=True)
    v = seq(2, 2, 5, 3, phase=2.0, requires_grad=True)
    y = F.scaled_dot_product_attention(q, k, v, enable_gqa=True)
    weighted_loss(y).backward()
    _close(fingerprint(y), (1.05358, -4.67243))
    _close(fingerprint(q.grad), (-0.237437, -1.211503))
    _close(fingerprint(k.grad), (0.0, 1.638597))
    _close(fingerprint(v.grad), (0.08259, -4.327874))
    assert gradcheck(lambda a, b, c: F.scaled_dot_product_attention(a, b, c, enable_gqa=True),
                     (seq(1, 4, 2, 3, requires_grad=True),
                      seq(1, 2, 3, 3, phase=1.0, requires_grad=True),
                      seq(1, 2, 3, 2, phase=2.0, requires_grad=True)))


def test_sdpa_broadcast_batch_and_float_mask_gradient():
    """Batch dims broadcast; a float mask that requires grad receives its gradient."""
    q = seq(2, 1, 3, 4, requires_grad=True)
    k = seq(3, 5, 4, phase=1.0, requires_grad=True)
    v = seq(1, 3, 5, 3, phase=2.0, requires_grad=True)
    m = seq(3, 1, 5, phase=4.0, requires_grad=True)
    y = F.scaled_dot_product_attention(q, k, v, attn_mask=m)
    assert tuple(y.shape) == (2, 3, 3, 3)
    weighted_loss(y).backward()
    _close(fingerprint(y), (-4.807617, 0.039702))
    _close(fingerprint(q.grad), (-0.000179, -0.040745))
    _close(fingerprint(k.grad), (0.0, 0.756362))
    _close(fingerprint(v.grad), (0.158802, -0.828044))
    _close(fingerprint(m.grad), (0.0, -0.053453))
    assert gradcheck(lambda a, b, c, d: F.scaled_dot_product_attention(a, b, c, attn_mask=d),
                     (seq(2, 1, 2, 3, requires_grad=True),
                      seq(3, 3, 3, phase=1.0, requires_grad=True),
                      seq(1, 3, 3, 2, phase=2.0, requires_grad=True),
                      seq(3, 1, 3, phase=4.0, requires_grad=True)))


@pytest.mark.parametrize("kw", [dict(), dict(is_causal=True), dict(scale=0.3),
                                dict(mask=[[True, False, True], [False, False, False]])])
def test_sdpa_second_derivatives(kw):
    """Backward is built from differentiable ops: double backward matches finite differences,
    including a row that sees no key (the second row of the boolean mask)."""
    kw = dict(kw)
    if "mask" in kw:
        kw["attn_mask"] = disttrain.tensor(kw.pop("mask"))
    args = (seq(1, 2, 3, requires_grad=True), seq(1, 3, 3, phase=1.0, requires_grad=True),
            seq(1, 3, 2, phase=2.0, requires_grad=True))
    fn = lambda a, b, c: F.scaled_dot_product_attention(a, b, c, **kw)  # noqa: E731
    assert gradcheck(fn, args)
    assert gradgradcheck(fn, args)


def test_sdpa_fully_masked_rows_float_mask():
    """A float mask of -inf over a whole row gives zeros and zero gradient there (PyTorch)."""
    q = seq(1, 2, 4, requires_grad=True)
    m = disttrain.tensor([[0.0, 0.0], [float("-inf")] * 2], dtype=disttrain.float64)
    y = F.scaled_dot_product_attention(q, q, q, attn_mask=m)
    assert disttrain.equal(y[0, 1], disttrain.zeros(4, dtype=disttrain.float64))
    y.sum().backward()
    assert disttrain.isfinite(q.grad).all()


def test_sdpa_dropout_uses_the_default_generator():
    """Dropout on the weights repeats under manual_seed; p=1 drops everything; gradients of
    a fixed draw match finite differences."""
    q, k, v = seq(2, 3, 4), seq(2, 5, 4, phase=1.0), seq(2, 5, 3, phase=2.0)
    disttrain.manual_seed(3)
    a = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    disttrain.manual_seed(3)
    b = F.scaled_dot_product_attention(q, k, v, dropout_p=0.5)
    assert disttrain.equal(a, b)
    assert not disttrain.allclose(a, F.scaled_dot_product_attention(q, k, v))
    assert disttrain.equal(F.scaled_dot_product_attention(q, k, v, dropout_p=1.0),
                           disttrain.zeros(2, 3, 3, dtype=disttrain.float64))

    def fn(a, b, c):
        disttrain.manual_seed(5)
        return F.scaled_dot_product_attention(a, b, c, dropout_p=0.4)
    assert gradcheck(fn, (seq(1, 2, 3, requires_grad=True),
                          seq(1, 3, 3, phase=1.0, requires_grad=True),
                          seq(1, 3, 2, phase=2.0, requires_grad=True)))


def test_sdpa_errors():
    """PyTorch's errors for mismatched dtypes, integer masks and uneven GQA heads."""
    q = seq(1, 4, 3, 4)
    with pytest.raises(RuntimeError, match="Expected query, key, and value to have the same "
                                           "dtype, but got query.dtype: double key.dtype: "
                                           "float and value.dtype: float instead."):
        F.scaled_dot_product_attention(q, q.float(), q.float())
    with pytest.raises(RuntimeError, match="Expected attn_mask dtype to be bool or float"):
        F.scaled_dot_product_attention(q, q, q, attn_mask=disttrain.ones(3, 3,
                                                                         dtype=disttrain.int64))
    with pytest.raises(RuntimeError, match="Number of heads in key and value must divide"):
        kv = seq(1, 3, 3, 4)
        F.scaled_dot_product_attention(q, kv, kv, enable_gqa=True)
    with pytest.raises(RuntimeError, match="Explicit attn_mask should not be set"):
        F.scaled_dot_product_attention(q, q, q, is_causal=True,
                                       attn_mask=disttrain.ones(3, 3, dtype=disttrain.bool))


def test_mha_fully_masked_key_padding_nan_with_weights_zero_without():
    """A batch entry whose keys are all padding: NaN output when the weights are returned,
    zeros when they are not (PyTorch's two paths)."""
    m = set_params(nn.MultiheadAttention(4, 2).double())
    with disttrain.no_grad():
        m.out_proj.bias.zero_()
    x = seq(3, 2, 4)
    kpm = disttrain.tensor([[True] * 3, [False] * 3])
    out, w = m(x, x, x, key_padding_mask=kpm)
    assert disttrain.isnan(out[:, 0]).all() and disttrain.isfinite(out[:, 1]).all()
    out, w = m(x, x, x, key_padding_mask=kpm, need_weights=False)
    assert w is None and disttrain.equal(out[:, 0], disttrain.zeros(3, 4,
                                                                    dtype=disttrain.float64))


def test_mha_weights_are_differentiable():
    """The returned (averaged) weights carry gradients back to the query."""
    m = set_params(nn.MultiheadAttention(4, 2).double())
    q = seq(2, 1, 4, requires_grad=True)
    kv = seq(3, 1, 4, phase=1.0)
    assert gradcheck(lambda a: m(a, kv, kv)[1], (q,))


def test_sdpa_kernel_selection():
    """sdpa_kernel: the fused kernel serves MATH/FLASH/EFFICIENT; enabling only backends it
    does not serve raises PyTorch's error; the previous choice comes back after the block."""
    from disttrain.nn.attention import SDPBackend, sdpa_kernel
    q = seq(1, 2, 3, 4)
    want = F.scaled_dot_product_attention(q, q, q)
    with sdpa_kernel(SDPBackend.FLASH_ATTENTION):
        assert disttrain.equal(F.scaled_dot_product_attention(q, q, q), want)
    with sdpa_kernel([SDPBackend.CUDNN_ATTENTION]):
        with pytest.raises(RuntimeError, match="No viable backend for "
                                               "scaled_dot_product_attention was found"):
            F.scaled_dot_product_attention(q, q, q)
    assert disttrain.equal(F.scaled_dot_product_attention(q, q, q), want)
    assert int(SDPBackend.MATH) == 0 and SDPBackend.FLASH_ATTENTION.name == "FLASH_ATTENTION"
