"""The ``torch.*`` forms of nn.functional ops (``torch.conv2d``, ``torch.embedding(weight,
indices)``, ``torch.kl_div(..., reduction=1)`` ...): PyTorch's operator signatures, values
and gradients equal to PyTorch 2.13's (``torch_forms_data.py``)."""
import warnings

import numpy as np
import pytest

import disttrain as T
from disttrain.nn import _torch_forms

from .torch_forms_data import REF


def cases(T):
    d = T.float64
    def X(*shape, k=1.0):
        n = 1
        for s in shape: n *= s
        return (T.arange(n, dtype=d).reshape(*shape) * k).sin()
    x3 = X(2, 4, 6)                       # (N, C, L)
    x4 = X(2, 4, 5, 5)
    x5 = X(1, 2, 4, 4, 4)
    w1 = X(3, 4, 3, k=0.7); w2 = X(3, 4, 3, 3, k=0.7); w3 = X(3, 2, 2, 2, 2, k=0.7)
    wt1 = X(4, 3, 3, k=0.3); wt2 = X(4, 3, 3, 3, k=0.3); wt3 = X(2, 3, 2, 2, 2, k=0.3)
    b3 = X(3, k=2.0)
    out = {}
    out["conv1d"] = T.conv1d(x3, w1, b3, 2, 1)
    out["conv2d"] = T.conv2d(x4, w2, b3, 1, 1, 1, 1)
    out["conv3d"] = T.conv3d(x5, w3, None, 2)
    out["conv_transpose1d"] = T.conv_transpose1d(x3, wt1, b3, 2, 1, 1)
    out["conv_transpose2d"] = T.conv_transpose2d(x4, wt2, None, 2, 1)
    out["conv_transpose3d"] = T.conv_transpose3d(x5, wt3, None, 1)
    out["avg_pool1d"] = T.avg_pool1d(x3, 3)
    out["avg_pool1d_s"] = T.avg_pool1d(x3, 3, 2, 1, False, False)
    out["max_pool1d"] = T.max_pool1d(x3, 2)
    out["max_pool2d"] = T.max_pool2d(x4, 2, [], 0, 1, True)
    out["max_pool3d"] = T.max_pool3d(x5, 2)
    v, i = T.max_pool1d_with_indices(x3, 3, 2)
    out["max_pool1d_with_indices"] = v; out["max_pool1d_with_indices_i"] = i
    out["adaptive_avg_pool1d"] = T.adaptive_avg_pool1d(x3, 4)
    v, i = T.adaptive_max_pool1d(x3, 4)
    out["adaptive_max_pool1d"] = v; out["adaptive_max_pool1d_i"] = i
    rm, rv = T.zeros(4, dtype=d), T.ones(4, dtype=d)
    out["batch_norm"] = T.batch_norm(x4, X(4, k=3.0), X(4, k=5.0), rm, rv, True, 0.1, 1e-5, True)
    out["batch_norm_running_mean"] = rm
    out["batch_norm_eval"] = T.batch_norm(x4, None, None, rm, rv, False, 0.1, 1e-5, False)
    out["layer_norm"] = T.layer_norm(x3, (6,), X(6, k=3.0), None, 1e-5, True)
    out["group_norm"] = T.group_norm(x4, 2, X(4, k=3.0), X(4, k=4.0))
    out["instance_norm"] = T.instance_norm(x3, None, None, None, None, True, 0.1, 1e-5, False)
    out["rms_norm"] = T.rms_norm(x3, (6,), X(6, k=2.0), 1e-6)
    emb_w = X(5, 3, k=0.9)
    idx = T.tensor([[0, 2, 4], [4, 1, 0]])
    out["embedding"] = T.embedding(emb_w, idx)
    out["pixel_shuffle"] = T.pixel_shuffle(X(1, 8, 2, 2), 2)
    out["pixel_unshuffle"] = T.pixel_unshuffle(X(1, 2, 4, 4), 2)
    out["channel_shuffle"] = T.channel_shuffle(X(1, 6, 2, 2), 3)
    out["native_channel_shuffle"] = T.native_channel_shuffle(X(1, 6, 2, 2), 2)
    a, b = X(4, 5), X(4, 5, k=1.3)
    out["cosine_similarity"] = T.cosine_similarity(a, b)
    out["pairwise_distance"] = T.pairwise_distance(a, b, 3.0)
    out["pdist"] = T.pdist(a)
    out["prelu"] = T.prelu(x3, X(4, k=0.1))
    out["selu"] = T.selu(x3)
    out["celu"] = T.celu(x3, 0.5)
    out["rrelu_eval"] = T.rrelu(x3, 0.1, 0.3)
    g = T.Generator().manual_seed(7)
    out["rrelu_train_nonneg"] = (T.rrelu(x3, 0.1, 0.3, True, g) >= x3).to(d)
    out["threshold"] = T.threshold(x3, 0.2, -5.0)
    out["hardshrink"] = T.hardshrink(x3, 0.6)
    p = X(3, 4, k=0.4).softmax(-1).log(); q = X(3, 4, k=0.9).softmax(-1)
    t01 = (X(3, 4, k=2.1) > 0).to(d)
    lp0 = X(6, 2, 4, k=0.37).log_softmax(2)
    out["kl_div_default"] = T.kl_div(p, q)
    out["kl_div_mean"] = T.kl_div(p, q, 1)
    out["kl_div_none"] = T.kl_div(p, q, 0)
    out["kl_div_sum_logt"] = T.kl_div(p, q.log(), 2, log_target=True)
    t01 = (X(3, 4, k=2.1) > 0).to(d)
    out["bce_logits"] = T.binary_cross_entropy_with_logits(X(3, 4), t01, None, X(4, k=3.0).abs() + 0.5, 1)
    out["bce_logits_none"] = T.binary_cross_entropy_with_logits(X(3, 4), t01, X(4, k=1.1), None, 0)
    out["bilinear"] = T.bilinear(X(3, 2), X(3, 4, k=0.5), X(5, 2, 4, k=0.2), X(5))
    y = T.tensor([1.0, -1.0, 1.0, -1.0], dtype=d)
    out["cosine_embedding_loss"] = T.cosine_embedding_loss(a, b, y, 0.1, 2)
    out["margin_ranking_loss"] = T.margin_ranking_loss(X(4), X(4, k=1.7), y, 0.2)
    out["margin_ranking_loss_mean"] = T.margin_ranking_loss(X(4), X(4, k=1.7), y, 0.2, 1)
    out["bce_logits_default"] = T.binary_cross_entropy_with_logits(X(3, 4), t01)
    out["ctc_default"] = T.ctc_loss(lp0, T.tensor([[1, 2], [3, 3]]), [6, 5], [2, 2])
    out["kl_div_other"] = T.kl_div(p, q, 7)
    out["hinge_embedding_loss"] = T.hinge_embedding_loss(X(4, 3), T.tensor([1.0, -1.0, 1.0], dtype=d), 0.8, 0)
    out["triplet_margin_loss"] = T.triplet_margin_loss(a, b, X(4, 5, k=0.6), 1.0, 2.0, 1e-6, True, 1)
    out["poisson_nll_loss"] = T.poisson_nll_loss(X(3, 4), X(3, 4, k=0.8).abs() * 3, True, True, 1e-8, 1)
    out["poisson_nll_loss_lin"] = T.poisson_nll_loss(X(3, 4).abs() + 0.1, X(3, 4, k=0.8).abs() * 3, False, False, 1e-8, 2)
    lp = X(6, 2, 4, k=0.37).log_softmax(2)
    out["ctc_loss"] = T.ctc_loss(lp, T.tensor([[1, 2], [3, 3]]), [6, 5], [2, 2], 0, 1, False)
    out["ctc_loss_sum"] = T.ctc_loss(lp, T.tensor([1, 2, 3, 3]), T.tensor([6, 5]), T.tensor([2, 2]), 0, 2, True)
    out["constant_pad_nd"] = T.constant_pad_nd(X(2, 3), [1, 2, 0, 1], 9.0)
    out["selu_"] = T.selu_(X(2, 3))
    out["celu_"] = T.celu_(X(2, 3), 2.0)
    out["threshold_"] = T.threshold_(X(2, 3), 0.1, 7.0)
    out["rrelu_"] = T.rrelu_(X(2, 3), 0.2, 0.4)
    return out


def grads(T):
    """Gradients that depend on the forms' own conventions."""
    d = T.float64
    w = (T.arange(15, dtype=d).reshape(5, 3) * 0.9).sin().requires_grad_()
    idx = T.tensor([[0, 2, 4], [4, 1, 0]])
    res = {}
    for pad in (-1, 4):
        w.grad = None
        (T.embedding(w, idx, pad) * T.arange(18, dtype=d).reshape(2, 3, 3)).sum().backward()
        res[f"embedding_grad_pad{pad}"] = w.grad.clone()
    x = (T.arange(48, dtype=d).reshape(2, 4, 6) * 0.5).sin().requires_grad_()
    T.batch_norm(x, None, None, None, None, True, 0.1, 1e-5, True).pow(3).sum().backward()
    res["batch_norm_grad"] = x.grad.clone()
    return res


OUT = {}


def _results():
    if not OUT:
        with warnings.catch_warnings():
            warnings.simplefilter("error", UserWarning)  # PyTorch's operators warn of none
            OUT.update(cases(T))
            OUT.update(grads(T))
    return OUT


@pytest.mark.parametrize("name", sorted(REF))
def test_values_match_pytorch(name):
    shape, dtype, values = REF[name]
    got = _results()[name]
    assert tuple(got.shape) == shape and got.dtype == getattr(T, dtype)
    np.testing.assert_allclose(got.detach().numpy().reshape(-1), values, rtol=1e-10,
                               atol=1e-12)


def test_every_form_is_a_top_level_name():
    assert set(_torch_forms.__all__) == T._NN_FORMS
    for name in _torch_forms.__all__:
        assert getattr(T, name) is getattr(_torch_forms, name)


def test_reduction_is_atens_integer():
    p, q = T.tensor([[-1.0, -2.0]]), T.tensor([[0.3, 0.7]])
    # PyTorch 2.13: any integer but 1 (mean) and 2 (sum) reduces nothing
    assert T.kl_div(p, q, 7).tolist()[0] == pytest.approx([-0.0611918568611145, 1.150327444076538],
                                                          rel=1e-6)
    with pytest.raises(TypeError, match=r"^kl_div\(\): argument 'reduction' \(position 3\) must "
                                        r"be int, not str$"):
        T.kl_div(p, q, "mean")
    with pytest.raises(TypeError, match="must be int, not bool"):
        T.kl_div(p, q, True)


def test_embedding_padding_idx_is_atens():
    """``torch.embedding``'s -1 is no padding row (``F.embedding``'s -1 is the last row)."""
    w = T.ones(4, 2, requires_grad=True)
    T.embedding(w, T.tensor([0, 3, 3])).sum().backward()
    assert w.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [2.0, 2.0]]
    w.grad = None
    T.embedding(w, T.tensor([0, 3, 3]), 3).sum().backward()
    assert w.grad.tolist() == [[1.0, 1.0], [0.0, 0.0], [0.0, 0.0], [0.0, 0.0]]


def test_rrelu_draws_from_the_given_generator():
    x = -T.ones(2, 5, dtype=T.float64)
    a = T.rrelu(x, 0.1, 0.3, True, T.Generator().manual_seed(3))
    b = T.rrelu(x, 0.1, 0.3, True, T.Generator().manual_seed(3))
    assert a.tolist() == b.tolist() and -0.3 <= a.min().item() and a.max().item() <= -0.1
    assert len(set(a.reshape(-1).tolist())) > 1
