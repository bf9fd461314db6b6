"""Embedding: lookup values, padding_idx gradients, max_norm, from_pretrained, errors."""
import numpy as np
import pytest

import disttrain as torch
from disttrain import nn
from disttrain.autograd import gradcheck, gradgradcheck
import disttrain.nn.functional as F

TABLE = [[0.5, -1.0], [2.0, 0.3], [-0.4, 0.9], [3.0, 4.0]]
IDX = [[1, 0, 3], [3, 3, 2]]


def test_lookup_and_padding_gradient_match_pytorch():
    """Rows are gathered by index; repeated rows accumulate; the padding row gets zero grad."""
    w = torch.tensor(TABLE, dtype=torch.float64, requires_grad=True)
    out = F.embedding(torch.tensor(IDX), w, padding_idx=3)
    assert out.tolist() == [[[2.0, 0.3], [0.5, -1.0], [3.0, 4.0]],
                            [[3.0, 4.0], [3.0, 4.0], [-0.4, 0.9]]]
    assert type(out.grad_fn).__name__ == "EmbeddingBackward0"
    (out * torch.arange(12, dtype=torch.float64).view(2, 3, 2)).sum().backward()
    assert w.grad.tolist() == [[2.0, 3.0], [0.0, 1.0], [10.0, 11.0], [0.0, 0.0]]


@pytest.mark.parametrize("idx_shape", [(5,), (2, 3), (2, 2, 2)])
@pytest.mark.parametrize("padding_idx", [None, 1])
def test_gradcheck(idx_shape, padding_idx):
    """The table's gradient agrees with finite differences, also for second order.

    With a padding row the first-order check cannot hold by design (that row is frozen),
    so only the second-order one runs there.
    """
    torch.manual_seed(0)
    w = torch.randn(4, 3, dtype=torch.float64, requires_grad=True)
    idx = torch.randint(0, 4, idx_shape)
    fn = lambda w: F.embedding(idx, w, padding_idx=padding_idx) ** 2  # noqa: E731
    if padding_idx is None:
        assert gradcheck(fn, (w,))
    assert gradgradcheck(fn, (w,))


def test_module_init_padding_and_repr():
    """nn.Embedding draws N(0, 1), zeroes the padding row and prints like PyTorch."""
    torch.manual_seed(0)
    e = nn.Embedding(1000, 8, padding_idx=-2)
    assert e.padding_idx == 998 and e.weight[998].tolist() == [0.0] * 8
    w = e.weight.detach().numpy()
    assert abs(w.mean()) < 0.05 and abs(w.std() - 1) < 0.05
    assert repr(nn.Embedding(10, 3)) == "Embedding(10, 3)"
    assert repr(nn.Embedding(10, 3, padding_idx=0, max_norm=1.0)) == \
        "Embedding(10, 3, padding_idx=0, max_norm=1.0)"
    assert repr(nn.Embedding(5, 2, norm_type=1.0, scale_grad_by_freq=True, sparse=True)) == \
        "Embedding(5, 2, norm_type=1.0, scale_grad_by_freq=True, sparse=True)"
    x = e(torch.tensor([[1, 998]]))
    x.sum().backward()
    assert e.weight.grad[998].tolist() == [0.0] * 8 and e.weight.grad[1].tolist() == [1.0] * 8


def test_max_norm_renormalises_looked_up_rows_in_place():
    """Rows used in a lookup with a norm above max_norm are scaled down to it, in place."""
    w = torch.tensor(TABLE)
    out = F.embedding(torch.tensor([1, 3]), w, max_norm=1.5)
    np.testing.assert_allclose(out.numpy(), [[1.4834044, 0.22251067], [0.9, 1.2]], rtol=1e-6)
    np.testing.assert_allclose(w.numpy(), [[0.5, -1.0], [1.4834044, 0.22251067], [-0.4, 0.9],
                                           [0.9, 1.2]], rtol=1e-6)


def test_from_pretrained():
    """from_pretrained wraps a given table, frozen by default."""
    e = nn.Embedding.from_pretrained(torch.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert repr(e) == "Embedding(2, 2)" and not e.weight.requires_grad
    assert e(torch.tensor([1])).tolist() == [[3.0, 4.0]]
    e2 = nn.Embedding.from_pretrained(torch.ones(3, 2), freeze=False, padding_idx=0)
    assert e2.weight.requires_grad and e2.padding_idx == 0
    with pytest.raises(AssertionError, match="Embeddings parameter is expected to be "
                                             "2-dimensional"):
        nn.Embedding.from_pretrained(torch.ones(3))


def test_int32_indices_accepted():
    """Int32 indices work like int64 ones."""
    w = torch.tensor(TABLE)
    assert F.embedding(torch.tensor([2], dtype=torch.int32), w).tolist() == [
        pytest.approx([-0.4, 0.9])]


ERRORS = [
    (lambda: F.embedding(torch.tensor([0.0, 1.0]), torch.randn(3, 2)), RuntimeError,
     "Expected tensor for argument #1 'indices' to have one of the following scalar types: "
     "Long, Int; but got disttrain.FloatTensor instead (while checking arguments for "
     "embedding)"),
    (lambda: F.embedding(torch.tensor([0, 5]), torch.randn(3, 2)), IndexError,
     "index out of range in self"),
    (lambda: F.embedding(torch.tensor([0, -1]), torch.randn(3, 2)), IndexError,
     "index out of range in self"),
    (lambda: nn.Embedding(3, 2, padding_idx=5), AssertionError,
     "Padding_idx must be within num_embeddings"),
    (lambda: nn.Embedding(3, 2, padding_idx=-5), AssertionError,
     "Padding_idx must be within num_embeddings"),
]


@pytest.mark.parametrize("fn,exc,msg", ERRORS, ids=[m[:30] for _, _, m in ERRORS])
def test_errors(fn, exc, msg):
    """Bad indices and padding indices raise PyTorch's exception and message."""
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == msg


def test_one_hot():
    """one_hot gives int64 indicators; bad input raises PyTorch's errors."""
    assert F.one_hot(torch.tensor([0, 2, 1])).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 0]]
    out = F.one_hot(torch.tensor([[1], [0]]), num_classes=3)
    assert out.shape == (2, 1, 3) and out.dtype is torch.int64
    cases = [(torch.tensor([0.0, 1.0]), -1,
              "one_hot is only applicable to index tensor of type LongTensor."),
             (torch.tensor([0, -1]), -1, "Class values must be non-negative."),
             (torch.tensor([0, 3]), 3, "Class values must be smaller than num_classes."),
             (torch.tensor([], dtype=torch.int64), -1,
              "Can not infer total number of classes from empty tensor.")]
    for x, n, msg in cases:
        with pytest.raises(RuntimeError) as info:
            F.one_hot(x, n)
        assert str(info.value) == msg


def test_normalize_and_cosine_similarity():
    """normalize divides by the clamped p-norm; cosine_similarity matches its formula."""
    x = torch.tensor([[3.0, 4.0], [0.0, 0.0]], dtype=torch.float64, requires_grad=True)
    assert F.normalize(x).tolist() == [[0.6, 0.8], [0.0, 0.0]]
    assert F.normalize(x, p=1, dim=0).tolist() == [[1.0, 1.0], [0.0, 0.0]]
    torch.manual_seed(0)
    a = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    b = torch.randn(3, 4, dtype=torch.float64, requires_grad=True)
    assert gradcheck(lambda a: F.normalize(a, dim=1), (a,))
    cos = F.cosine_similarity(a, b)
    an, bn = a.detach().numpy(), b.detach().numpy()
    ref = (an * bn).sum(1) / np.linalg.norm(an, axis=1) / np.linalg.norm(bn, axis=1)
    np.testing.assert_allclose(cos.detach().numpy(), ref, rtol=1e-12)
    assert gradcheck(F.cosine_similarity, (a, b))
