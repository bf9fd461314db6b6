"""SparseAdam on nn.Embedding(sparse=True): PyTorch's updates of the looked-up rows, its
state layout (a Python int step) and errors."""
import copy

import numpy as np
import pytest

import disttrain
from disttrain import nn
from disttrain.optim import SparseAdam

from ._helpers import check_invalid

# Index batches looked up in a 5x2 embedding (row 2 never), the loss
# sum(out * [1, -2] + out ** 2) each time, and PyTorch 2.13's weights and state after the four
# SparseAdam steps (with its sparse gradients).
BATCHES = [[1, 3, 3], [0, 1], [4, 4, 1], [3]]
EXPECTED = [
    ({"lr": 0.1},
     [-0.4744135646985216, -0.22558632669394402, -0.4867109147201191, 0.19861752287843204,
      0.0, 0.09999999999999998, 0.029005543247083945, 0.4709944567529161, 0.3361186456715535,
      0.5638813498393233],
     {"step": 4,
      "exp_avg": [0.01999999999999999, -0.25999999999999995, 0.10519298537775114,
                  -0.5382722397521316, 0.0, 0.0, 0.37200000225876945, -0.3720000022587694,
                  0.35999999999999993, -0.19999999999999996],
      "exp_avg_sq": [4.000000000000002e-05, 0.0067600000000000065, 0.0005615275098474583,
                     0.012068926014631018, 0.0, 0.0, 0.009272160054210478,
                     0.009272160054210476, 0.012960000000000013, 0.0040000000000000036]}),
    ({"lr": 0.05, "betas": (0.5, 0.8), "eps": 1e-3, "maximize": True},
     [-0.35577311208901535, -0.34468293106103953, -0.048071517569974465, -0.2506921533042518,
      0.0, 0.09999999999999998, 0.2954396098468853, 0.20456039015311483, 0.44460229432524256,
      0.4554198439816143],
     {"step": 4,
      "exp_avg": [-0.09999999999999998, 1.3, -0.6502934046548146, 2.050120661679964, 0.0, 0.0,
                  -1.4499601020769977, 1.4499601020769974, -1.8, 1.0],
      "exp_avg_sq": [0.007999999999999995, 1.3519999999999999, 0.2526441575414706,
                     2.6181256958578816, 0.0, 0.0, 1.7043521237658725, 1.7043521237658719,
                     2.5919999999999996, 0.7999999999999998]}),
]


def train(kwargs, batches=BATCHES):
    emb = nn.Embedding(5, 2, sparse=True).double()
    with disttrain.no_grad():
        emb.weight.copy_(disttrain.arange(10, dtype=disttrain.float64).reshape(5, 2) * 0.1 - 0.4)
    opt = SparseAdam(emb.parameters(), **kwargs)
    for idx in batches:
        opt.zero_grad()
        out = emb(disttrain.tensor(idx))
        (out * disttrain.tensor([1.0, -2.0], dtype=disttrain.float64) + out ** 2).sum().backward()
        opt.step()
    return emb, opt


@pytest.mark.parametrize("kwargs,weight,state", EXPECTED, ids=[str(k) for k, _, _ in EXPECTED])
def test_matches_pytorch_on_embedding(kwargs, weight, state):
    """Rows never looked up keep their values and zero moments; the others follow PyTorch's
    masked Adam; ``step`` is a Python int, as in PyTorch."""
    emb, opt = train(kwargs)
    np.testing.assert_allclose(emb.weight.detach().numpy().ravel(), weight, rtol=1e-13,
                               atol=1e-15)
    st = opt.state_dict()["state"][0]
    assert list(st) == ["step", "exp_avg", "exp_avg_sq"]
    assert st["step"] == state["step"] and type(st["step"]) is int
    for name in ("exp_avg", "exp_avg_sq"):
        np.testing.assert_allclose(st[name].numpy().ravel(), state[name], rtol=1e-13,
                                   atol=1e-15)


def test_state_dict_round_trip():
    """A saved state dict loaded into a fresh SparseAdam continues exactly as the original."""
    emb, opt = train({"lr": 0.1}, BATCHES[:2])
    twin = copy.deepcopy(emb)
    other = SparseAdam(twin.parameters(), lr=0.1)
    other.load_state_dict(copy.deepcopy(opt.state_dict()))
    for e, o in ((emb, opt), (twin, other)):
        o.zero_grad()
        e(disttrain.tensor([2, 3])).sum().backward()
        o.step()
    assert disttrain.equal(emb.weight, twin.weight)
    assert other.state[twin.weight]["step"] == 3


def test_rows_with_an_all_zero_gradient_are_skipped():
    """The documented difference: with dense gradients a looked-up row whose gradient is
    exactly zero cannot be told from one not looked up, so it is not stepped."""
    p = disttrain.tensor([[1.0, 2.0], [3.0, 4.0]], requires_grad=True)
    opt = SparseAdam([p], lr=0.1)
    p.grad = disttrain.tensor([[0.0, 0.5], [0.0, 0.0]])
    opt.step()
    np.testing.assert_allclose(p.detach().numpy(), [[1.0, 1.9], [3.0, 4.0]], rtol=1e-6)
    np.testing.assert_allclose(opt.state[p]["exp_avg"].numpy(), [[0.0, 0.05], [0.0, 0.0]],
                               rtol=1e-6)


@pytest.mark.parametrize("kwargs,message", [
    ({"lr": 0.0}, "Invalid learning rate: 0.0"),
    ({"eps": 0.0}, "Invalid epsilon value: 0.0"),
    ({"betas": (1.0, 0.9)}, "Invalid beta parameter at index 0: 1.0"),
    ({"betas": (0.9, -1.0)}, "Invalid beta parameter at index 1: -1.0"),
])
def test_invalid_arguments(kwargs, message):
    """Bad hyperparameters raise PyTorch's ValueError and message (lr and eps must be
    positive)."""
    check_invalid(SparseAdam, kwargs, message)


def test_repr():
    assert repr(SparseAdam([disttrain.zeros(2, requires_grad=True)])) == (
        "SparseAdam (\nParameter Group 0\n    betas: (0.9, 0.999)\n    eps: 1e-08\n"
        "    lr: 0.001\n    maximize: False\n)")
