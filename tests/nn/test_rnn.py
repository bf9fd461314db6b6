"""RNN/LSTM/GRU and cells: PyTorch's values, gradients, parameter layout, errors and repr."""
import math
import warnings

import pytest

import disttrain
import disttrain.nn as nn
from disttrain.autograd import gradcheck
from tests.nn.spatial_data import fingerprint, seq, set_params, weighted_loss

CASES = [("GRU", dict(num_layers=2, batch_first=True)),
         ("LSTM", dict(bidirectional=True, num_layers=2)),
         ("RNN", dict(nonlinearity="relu")),
         ("LSTM", dict(proj_size=2)),
         ("GRU", dict(bidirectional=True, bias=False)),
         ("RNN", dict(num_layers=2, bidirectional=True, batch_first=True))]
# output shape; digests of the output, of each final state, of the input grad, of the sum of
# all parameter grads and of the first parameter's grad (PyTorch, weights from set_params)
EXPECTED = [
    ((2, 5, 4), (-22.266456, 1.578821), [(-2.515788, 1.353661)], (-1.170724, 0.547166),
     (-3.722316, -0.525293), (-0.278315, 0.393279)),
    ((2, 5, 8), (-1.560167, 0.595268), [(-5.779952, -0.677778), (-16.045157, 0.576759)],
     (-0.575284, 3.770004), (-1.339103, -0.188974), (1.399842, 2.155629)),
    ((2, 5, 4), (25.844555, -0.532941), [(16.700604, -0.386551)], (6.218966, -2.983497),
     (5.488092, 0.77448), (10.165446, -5.310414)),
    ((2, 5, 2), (4.383309, -1.403456), [(1.205365, -0.466288), (-0.648744, -0.121805)],
     (-1.154962, 7.249311), (5.490044, 0.774755), (8.48746, 2.345124)),
    ((2, 5, 8), (3.121125, 3.774499), [(1.602069, -0.394105)], (4.108618, -0.943983),
     (1.727099, 0.243728), (1.074052, 0.625603)),
    ((2, 5, 8), (-9.233273, 0.483129), [(-0.263714, -2.995772)], (-1.566668, -1.810907),
     (6.100854, 0.860953), (-0.139599, 1.802641)),
]


def _close(got, want, tol=1e-5):
    assert got == pytest.approx(want, abs=tol)


@pytest.mark.parametrize("case,expected", list(zip(CASES, EXPECTED)))
def test_recurrent_layers_match_pytorch(case, expected):
    """Outputs, final states and gradients equal PyTorch's over layers/directions/batch_first."""
    cls, kw = case
    m = set_params(getattr(nn, cls)(3, 4, **kw).double())
    x = seq(2, 5, 3, requires_grad=True)
    out, h = m(x)
    states = h if cls == "LSTM" else (h,)
    (weighted_loss(out) + sum(weighted_loss(t) for t in states)).backward()
    shape, fo, fh, fx, fsum, fw0 = expected
    assert tuple(out.shape) == shape
    _close(fingerprint(out), fo)
    for t, want in zip(states, fh):
        _close(fingerprint(t), want)
    _close(fingerprint(x.grad), fx)
    total = sum(p.grad.sum() for p in m.parameters()).reshape(1)
    _close(fingerprint(total), fsum)
    _close(fingerprint(next(m.parameters()).grad), fw0)


def test_gru_exact_values():
    """A 2-step GRU gives PyTorch's exact output and final state (r, z, n formula)."""
    m = set_params(nn.GRU(2, 3).double())
    out, h = m(seq(2, 1, 2))
    want = disttrain.tensor([[[-0.7474, -0.7020, -0.4120]], [[-0.8409, -0.8836, 0.8670]]],
                            dtype=disttrain.float64)
    assert disttrain.allclose(out, want, atol=1e-4)
    assert disttrain.allclose(h, want[1:], atol=1e-4)


def test_initial_states_and_unbatched_input():
    """h0 for an unbatched GRU and (h0, c0) for an LSTM give PyTorch's results."""
    m = set_params(nn.GRU(3, 4, num_layers=2).double())
    out, h = m(seq(5, 3), seq(2, 4, phase=3.0))
    assert tuple(out.shape) == (5, 4) and tuple(h.shape) == (2, 4)
    _close(fingerprint(out), (-15.075091, 0.459792))
    _close(fingerprint(h), (-2.094092, -2.321231))
    m = set_params(nn.LSTM(3, 4).double())
    out, (h, c) = m(seq(5, 2, 3), (seq(1, 2, 4, phase=3.0), seq(1, 2, 4, phase=4.0)))
    _close(fingerprint(out), (-1.528675, 0.362012))
    _close(fingerprint(h), (0.897939, 0.510149))
    _close(fingerprint(c), (0.813226, 0.615228))


@pytest.mark.parametrize("cls,expected", [
    ("RNNCell", [(0.519884, 0.817237)]),
    ("LSTMCell", [(-1.345769, 1.287113), (-2.217171, 1.62612)]),
    ("GRUCell", [(-4.59076, -0.788621)])])
def test_cells_match_pytorch(cls, expected):
    """One step of each cell gives PyTorch's new state(s)."""
    m = set_params(getattr(nn, cls)(3, 4).double())
    hx = (seq(2, 4, phase=3.0), seq(2, 4, phase=4.0)) if cls == "LSTMCell" else \
        seq(2, 4, phase=3.0)
    y = m(seq(2, 3), hx)
    for t, want in zip(y if isinstance(y, tuple) else (y,), expected):
        _close(fingerprint(t), want)


@pytest.mark.parametrize("cls,kw", [("GRU", dict(bidirectional=True)), ("LSTM", dict()),
                                    ("RNN", dict(num_layers=2)),
                                    ("LSTM", dict(proj_size=1, batch_first=True))])
def test_recurrent_gradcheck_inputs_and_parameters(cls, kw):
    """Gradients w.r.t. input, initial state and every weight match finite differences."""
    m = set_params(getattr(nn, cls)(2, 2, **kw).double())
    x = seq(2, 2, 2, requires_grad=True)
    params = list(m.parameters())

    def fn(inp, *ps):
        out, h = m(inp)
        return (out,) + (tuple(h) if isinstance(h, tuple) else (h,))
    assert gradcheck(fn, (x, *params))


def test_gru_gradcheck_through_initial_state():
    """The gradient reaches h0."""
    m = set_params(nn.GRU(2, 2).double())
    h0 = seq(1, 1, 2, phase=2.0, requires_grad=True)
    assert gradcheck(lambda h: m(seq(3, 1, 2), h)[0], (h0,))


def test_parameter_names_shapes_and_init():
    """PyTorch's names/shapes (gates stacked), and U(±1/sqrt(hidden)) init, reproducible."""
    disttrain.manual_seed(1)
    m = nn.LSTM(3, 4, bidirectional=True, num_layers=2)
    got = [(n, tuple(p.shape)) for n, p in m.named_parameters()]
    want = []
    for layer, size_in in ((0, 3), (1, 8)):
        for sfx in ("", "_reverse"):
            want += [(f"weight_ih_l{layer}{sfx}", (16, size_in)),
                     (f"weight_hh_l{layer}{sfx}", (16, 4)),
                     (f"bias_ih_l{layer}{sfx}", (16,)), (f"bias_hh_l{layer}{sfx}", (16,))]
    assert got == want
    bound = 1 / math.sqrt(4)
    assert all(p.abs().max().item() <= bound for p in m.parameters())
    disttrain.manual_seed(1)
    m2 = nn.LSTM(3, 4, bidirectional=True, num_layers=2)
    assert all(disttrain.equal(a, b) for a, b in zip(m.parameters(), m2.parameters()))
    gru = nn.GRU(10, 20)
    assert tuple(gru.weight_ih_l0.shape) == (60, 10)
    assert [n for n, _ in nn.LSTM(3, 4, proj_size=2).named_parameters()][-1] == "weight_hr_l0"


def test_dropout_between_layers_only_in_training():
    """dropout applies between layers in train mode and not at all in eval mode."""
    disttrain.manual_seed(0)
    m = nn.GRU(3, 4, num_layers=2, dropout=0.5).double()
    x = seq(4, 2, 3)
    m.eval()
    a, b = m(x)[0], m(x)[0]
    assert disttrain.equal(a, b)
    m.train()
    c = m(x)[0]
    assert not disttrain.allclose(a, c)


def test_gru_seed_tutorial_shapes():
    """The tutorial's GRU(10, 20, num_layers=2, batch_first=True) shapes and repr."""
    gru = nn.GRU(input_size=10, hidden_size=20, num_layers=2, batch_first=True)
    assert repr(gru) == "GRU(10, 20, num_layers=2, batch_first=True)"
    out, h = gru(disttrain.randn(3, 5, 10))
    assert tuple(out.shape) == (3, 5, 20) and tuple(h.shape) == (2, 3, 20)
    assert type(out.grad_fn).__name__ == "TransposeBackward0"


REPRS = [
    (lambda: nn.GRU(10, 20), "GRU(10, 20)"),
    (lambda: nn.LSTM(3, 4, bidirectional=True, dropout=0.5, num_layers=2),
     "LSTM(3, 4, num_layers=2, dropout=0.5, bidirectional=True)"),
    (lambda: nn.RNN(3, 4, nonlinearity="relu", bias=False), "RNN(3, 4, bias=False)"),
    (lambda: nn.LSTM(3, 4, proj_size=2), "LSTM(3, 4, proj_size=2)"),
    (lambda: nn.RNNCell(3, 4), "RNNCell(3, 4)"),
    (lambda: nn.LSTMCell(3, 4, bias=False), "LSTMCell(3, 4, bias=False)"),
    (lambda: nn.GRUCell(3, 4), "GRUCell(3, 4)"),
    (lambda: nn.RNNCell(3, 4, nonlinearity="relu"), "RNNCell(3, 4, nonlinearity=relu)"),
]


@pytest.mark.parametrize("make,text", REPRS)
def test_recurrent_repr_matches_pytorch(make, text):
    """print(layer) shows what PyTorch shows."""
    assert repr(make()) == text


_G = nn.GRU(10, 20, num_layers=2, batch_first=True)
_L = nn.LSTM(10, 20)
_C = nn.GRUCell(3, 4)
ERRORS = [
    (lambda: _G(disttrain.randn(3, 5)), RuntimeError,
     "input.size(-1) must be equal to input_size. Expected 10, got 5"),
    (lambda: _G(disttrain.randn(3, 5, 10, 2)), ValueError,
     "GRU: Expected input to be 2D or 3D, got 4D instead"),
    (lambda: _G(disttrain.randn(3, 5, 10), disttrain.randn(2, 5, 20)), RuntimeError,
     "Expected hidden size (2, 3, 20), got [2, 5, 20]"),
    (lambda: _G(disttrain.randn(5, 10), disttrain.randn(1, 3, 20)), RuntimeError,
     "For unbatched 2-D input, hx should also be 2-D but got 3-D tensor"),
    (lambda: _G(disttrain.randn(3, 5, 10), disttrain.randn(2, 20)), RuntimeError,
     "For batched 3-D input, hx should also be 3-D but got 2-D tensor"),
    (lambda: _G(disttrain.randn(5, 10), disttrain.randn(3, 20)), RuntimeError,
     "Expected hidden size (2, 1, 20), got [3, 1, 20]"),
    (lambda: _L(disttrain.randn(3, 5, 10), (disttrain.randn(1, 5, 20), disttrain.randn(1, 4, 20))),
     RuntimeError, "Expected hidden[1] size (1, 5, 20), got [1, 4, 20]"),
    (lambda: nn.GRU(10, 20, dropout=1.5), ValueError,
     "dropout should be a number in range [0, 1] representing the probability of an element "
     "being zeroed"),
    (lambda: nn.GRU(10, 0), ValueError, "hidden_size must be greater than zero"),
    (lambda: nn.GRU(10, 20, num_layers=0), ValueError, "num_layers must be greater than zero"),
    (lambda: nn.RNN(10, 20, nonlinearity="gelu"), ValueError,
     "Unknown nonlinearity 'gelu'. Select from 'tanh' or 'relu'."),
    (lambda: nn.GRU(10, 20, proj_size=2), ValueError,
     "proj_size argument is only supported for LSTM, not RNN or GRU"),
    (lambda: nn.LSTM(10, 20, proj_size=20), ValueError,
     "proj_size has to be smaller than hidden_size"),
    (lambda: _C(disttrain.randn(2, 3, 3)), ValueError,
     "GRUCell: Expected input to be 1D or 2D, got 3D instead"),
    (lambda: _C(disttrain.randn(2, 5)), RuntimeError,
     "input has inconsistent input_size: got 5 expected 3"),
    (lambda: _C(disttrain.randn(2, 3), disttrain.randn(3, 4)), RuntimeError,
     "Input batch size 2 doesn't match hidden0 batch size 3"),
    (lambda: nn.LSTMCell(3, 4)(disttrain.randn(2, 3), (disttrain.randn(2, 4),)), RuntimeError,
     "lstm_cell expects two hidden states"),
]


@pytest.mark.parametrize("fn,exc,msg", ERRORS)
def test_recurrent_errors_match_pytorch(fn, exc, msg):
    """Bad inputs, states and configurations raise PyTorch's exception and message."""
    with pytest.raises(exc) as info:
        fn()
    assert str(info.value) == msg


def test_single_layer_dropout_warns():
    """dropout with one layer warns as PyTorch does (it would never be applied)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        nn.GRU(10, 20, dropout=0.5)
    assert any("non-zero dropout expects num_layers greater than 1, but got dropout=0.5 and "
               "num_layers=1" in str(w.message) for w in caught)
