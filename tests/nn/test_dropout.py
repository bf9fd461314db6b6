"""Dropout layers: train/eval behaviour, scaling, channel masks, seeding, errors."""
import numpy as np
import pytest

import disttrain as torch
from disttrain import nn
import disttrain.nn.functional as F
from disttrain.autograd import gradcheck


def test_eval_mode_is_identity():
    """In eval mode (and with p=0) dropout returns its input untouched."""
    x = torch.randn(4, 5)
    m = nn.Dropout(0.5).eval()
    assert m(x) is x
    assert F.dropout(x, 0.0) is x and F.dropout(x, 0.7, training=False) is x


@pytest.mark.parametrize("p", [0.1, 0.5, 0.9])
def test_scaling_and_rate(p):
    """Kept elements are scaled by 1/(1-p); the dropped fraction is close to p."""
    torch.manual_seed(0)
    x = torch.ones(200, 200)
    y = nn.Dropout(p)(x).numpy()
    kept = y != 0
    assert np.allclose(y[kept], 1 / (1 - p))
    assert abs((1 - kept.mean()) - p) < 0.02
    assert abs(y.mean() - 1.0) < 0.05


def test_p_one_zeroes_everything():
    """p=1 drops every element (no division by zero)."""
    y = F.dropout(torch.ones(3, 3), 1.0)
    assert y.tolist() == [[0.0] * 3] * 3


def test_gradient_uses_the_same_mask():
    """The gradient is the mask times 1/(1-p): dropped elements get zero gradient."""
    torch.manual_seed(1)
    x = torch.ones(10, 10, requires_grad=True)
    y = F.dropout(x, 0.3)
    y.sum().backward()
    assert np.array_equal(x.grad.numpy(), y.detach().numpy())
    assert type(y.grad_fn).__name__ == "MulBackward0"


def test_manual_seed_reproduces_masks():
    """The same seed draws the same mask."""
    torch.manual_seed(5)
    a = F.dropout(torch.ones(50), 0.5)
    torch.manual_seed(5)
    b = F.dropout(torch.ones(50), 0.5)
    assert a.tolist() == b.tolist()


def test_inplace():
    """inplace=True writes into the input."""
    torch.manual_seed(0)
    x = torch.ones(20)
    assert nn.Dropout(0.5, inplace=True)(x) is x
    assert set(x.tolist()) <= {0.0, 2.0} and 0.0 in x.tolist()


def test_dropout2d_drops_whole_channels():
    """Dropout2d zeroes entire (H, W) maps of some channels and scales the others."""
    torch.manual_seed(0)
    y = nn.Dropout2d(0.5)(torch.ones(4, 16, 3, 3)).numpy()
    per_channel = y.reshape(4, 16, 9)
    assert ((per_channel == 0).all(-1) | (per_channel == 2.0).all(-1)).all()
    assert 0 < (per_channel == 0).all(-1).sum() < 64


def test_dropout1d_and_3d_channel_masks():
    """Dropout1d and Dropout3d use one mask value per (sample, channel)."""
    torch.manual_seed(0)
    y = nn.Dropout1d(0.5)(torch.ones(4, 8, 5)).numpy()
    assert ((y == 0).all(-1) | (y == 2.0).all(-1)).all()
    z = nn.Dropout3d(0.5)(torch.ones(2, 8, 2, 2, 2)).numpy().reshape(2, 8, 8)
    assert ((z == 0).all(-1) | (z == 2.0).all(-1)).all()


def test_dropout2d_odd_ranks_warn():
    """Dropout2d on 3-d or 2-d input warns as PyTorch does."""
    with pytest.warns(UserWarning, match="dropout2d: Received a 3D input to dropout2d and "
                                         "assuming that channel-wise 1D dropout behavior is "
                                         "desired"):
        F.dropout2d(torch.randn(2, 3, 4), 0.5)
    with pytest.warns(UserWarning, match="dropout2d: Received a 2-D input to dropout2d, which "
                                         "is deprecated"):
        F.dropout2d(torch.randn(2, 3), 0.5)


def test_probability_validation():
    """p outside [0, 1] is PyTorch's ValueError, both functional and layer."""
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but "
                                         "got 1.5"):
        F.dropout(torch.ones(2), 1.5)
    with pytest.raises(ValueError, match="dropout probability has to be between 0 and 1, but "
                                         "got -0.1"):
        nn.Dropout(-0.1)
    with pytest.raises(RuntimeError, match="dropout1d: Expected 2D or 3D input, but received a "
                                           "4D input."):
        F.dropout1d(torch.ones(1, 2, 3, 4))


def test_reprs():
    """Dropout layers print p and inplace like PyTorch."""
    assert repr(nn.Dropout()) == "Dropout(p=0.5, inplace=False)"
    assert repr(nn.Dropout(0.2, True)) == "Dropout(p=0.2, inplace=True)"
    assert repr(nn.Dropout2d(0.3)) == "Dropout2d(p=0.3, inplace=False)"
    assert repr(nn.Dropout1d()) == "Dropout1d(p=0.5, inplace=False)"


def test_float64_and_dtype_preserved():
    """The mask has the input's dtype."""
    assert F.dropout(torch.ones(3, dtype=torch.float64), 0.5).dtype is torch.float64


@pytest.mark.parametrize("fn", [lambda x: F.dropout(x, 0.4), lambda x: F.dropout2d(x, 0.5),
                                lambda x: nn.Dropout1d(0.3)(x.flatten(2))])
def test_gradcheck_with_a_fixed_mask(fn):
    """With the mask fixed by reseeding before each call, dropout passes gradcheck."""
    x = torch.randn(2, 3, 2, 2, dtype=torch.float64, requires_grad=True)

    def seeded(t):
        torch.manual_seed(11)
        return fn(t)
    assert gradcheck(seeded, (x,))
