"""Recurrent layers: RNN, LSTM, GRU and their single-step cells, with PyTorch's parameters.

The input-to-hidden products of a whole sequence are one matmul per layer and direction; the
time loop of each layer and direction is one fused graph node with a hand-written
backpropagation through time (``nn._rnn``), and so is each cell step.
Gate order in the stacked weights is PyTorch's: (i, f, g, o) for LSTM, (r, z, n) for GRU.
"""
import math
import numbers
import warnings

import numpy as np

from ...core import creation as _creation, functions as _fn
from ...core.ops import linalg as _linalg

from .. import _rnn
from ..utils import rnn as _packing
from .. import functional as F
from .. import init
from ..parameter import Parameter
from .module import Module

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _linear(x, w, b):
    return _linalg.Linear.apply(x, w, b) if b is not None else _linalg.Linear.apply(x, w)


class RNNBase(Module):
    """Parameters, checks, repr and the multi-layer, bidirectional unrolling of RNN/LSTM/GRU."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__()
        _check_config(mode, hidden_size, num_layers, dropout, proj_size)
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional = float(dropout), bidirectional
        self.proj_size = proj_size
        gate = _GATES[mode] * hidden_size
        real_h = proj_size if proj_size > 0 else hidden_size
        dirs = 2 if bidirectional else 1
        kw = {"device": device, "dtype": dtype}
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_in = input_size if layer == 0 else real_h * dirs
            for d in range(dirs):
                sfx = f"_l{layer}" + ("_reverse" if d else "")
                shapes = [("weight_ih", (gate, layer_in)), ("weight_hh", (gate, real_h))]
                if bias:
                    shapes += [("bias_ih", (gate,)), ("bias_hh", (gate,))]
                if proj_size > 0:
                    shapes.append(("weight_hr", (proj_size, hidden_size)))
                for name, shape in shapes:
                    setattr(self, name + sfx, Parameter(_creation.empty(shape, **kw)))
                    self._flat_weights_names.append(name + sfx)
        self.reset_parameters()

    @property
    def _flat_weights(self):
        return [getattr(self, n) for n in self._flat_weights_names]

    @property
    def all_weights(self):
        per = len(self._flat_weights_names) // (self.num_layers * (2 if self.bidirectional
                                                                    else 1))
        w = self._flat_weights
        return [w[i:i + per] for i in range(0, len(w), per)]

    def flatten_parameters(self):
        """A no-op kept for compatibility: parameters are never packed into one buffer here."""

    def reset_parameters(self):
        """Every weight and bias from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.proj_size != 0:
            s += f", proj_size={self.proj_size}"
        if self.num_layers != 1:
            s += f", num_layers={self.num_layers}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if self.batch_first is not False:
            s += f", batch_first={self.batch_first}"
        if self.dropout != 0:
            s += f", dropout={self.dropout}"
        if self.bidirectional is not False:
            s += f", bidirectional={self.bidirectional}"
        return s

    # -------------------------------------------------------------------- forward
    def _layer_weights(self, layer, d):
        sfx = f"_l{layer}" + ("_reverse" if d else "")
        get = lambda n: getattr(self, n + sfx, None)    # noqa: E731
        return get("weight_ih"), get("bias_ih"), (get("weight_hh"), get("bias_hh"),
                                                  get("weight_hr"))

    def _prepare(self, input, hx):
        """Input as (T, N, I) and the initial state(s), checked and batched."""
        name = type(self).__name__
        if input.dim() not in (2, 3):
            raise ValueError(f"{name}: Expected input to be 2D or 3D, got {input.dim()}D instead")
        batched = input.dim() == 3
        if input.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {input.shape[-1]}")
        if not batched:
            input = input.unsqueeze(1)
        elif self.batch_first:
            input = input.transpose(0, 1)
        if input.shape[0] == 0:
            raise RuntimeError("Expected sequence length to be larger than 0 in RNN")
        states = self._initial_states(input, hx, batched)
        return input, states, batched

    def _initial_states(self, input, hx, batched):
        n = input.shape[1]
        dirs = 2 if self.bidirectional else 1
        real_h = self.proj_size if self.proj_size > 0 else self.hidden_size
        shapes = [(self.num_layers * dirs, n, real_h)]
        if self.mode == "LSTM":
            shapes.append((self.num_layers * dirs, n, self.hidden_size))
        if hx is None:
            return [_creation.zeros(s, dtype=input.dtype, device=input.device) for s in shapes]
        given = list(hx) if self.mode == "LSTM" and isinstance(hx, (tuple, list)) else [hx]
        if self.mode == "LSTM" and len(given) != 2:
            raise RuntimeError("lstm expects two hidden states")
        out = []
        for i, (h, shape) in enumerate(zip(given, shapes)):
            want = 3 if batched else 2
            if h.dim() != want:
                kind = "batched 3-D" if batched else "unbatched 2-D"
                raise RuntimeError(f"For {kind} input, hx should also be {want}-D but got "
                                   f"{h.dim()}-D tensor")
            if not batched:
                h = h.unsqueeze(1)
            if tuple(h.shape) != shape:
                which = f"hidden[{i}]" if self.mode == "LSTM" else "hidden"
                raise RuntimeError(f"Expected {which} size {shape}, got {list(h.shape)}")
            out.append(h)
        return out

    def _unroll(self, x, states, batch_sizes=None):
        dirs = 2 if self.bidirectional else 1
        lstm = self.mode == "LSTM"
        h_n, c_n = [], []
        for layer in range(self.num_layers):
            outs = []
            for d in range(dirs):
                w_ih, b_ih, rec = self._layer_weights(layer, d)
                xw = _linear(x, w_ih, b_ih)                  # (T, N, G*H): one matmul
                k = layer * dirs + d
                c0 = states[1][k] if lstm else None
                res = _rnn.recurrent_layer(self.mode, xw, states[0][k], c0, *rec,
                                           reverse=d == 1, batch_sizes=batch_sizes)
                out, h, c = res if lstm else res + (None,)
                outs.append(out)
                h_n.append(h)
                c_n.append(c)
            x = outs[0] if dirs == 1 else _fn.cat(outs, -1)
            if self.dropout and self.training and layer < self.num_layers - 1:
                x = F.dropout(x, self.dropout, True)
        return x, _fn.stack(h_n), (_fn.stack(c_n) if lstm else None)

    def forward(self, input, hx=None):
        if isinstance(input, _packing.PackedSequence):
            return self._forward_packed(input, hx)
        x, states, batched = self._prepare(input, hx)
        out, h_n, c_n = self._unroll(x, states)
        if not batched:
            out, h_n = out.squeeze(1), h_n.squeeze(1)
            c_n = c_n.squeeze(1) if c_n is not None else None
        elif self.batch_first:
            out = out.transpose(0, 1)
        return (out, (h_n, c_n)) if self.mode == "LSTM" else (out, h_n)

    def _forward_packed(self, packed, hx):
        """A PackedSequence in and out: the layers run on the padded (T, B, *) batch with the
        live rows of each step given by ``batch_sizes``."""
        data = packed.data
        if data.shape[-1] != self.input_size:
            raise RuntimeError(f"input.size(-1) must be equal to input_size. Expected "
                               f"{self.input_size}, got {data.shape[-1]}")
        sizes = _packing._host(packed.batch_sizes)
        n = int(sizes[0])
        idx, _ = _packing._positions(sizes, n)
        src = np.full(len(sizes) * n, data.shape[0], np.int64)
        src[idx] = np.arange(idx.size)
        zero = data[:1] * 0
        x = _packing._gather(_fn.cat([data, zero], 0), src).reshape(len(sizes), n, -1)
        order = packed.sorted_indices
        if hx is not None and order is not None:
            hx = tuple(h.index_select(1, order) for h in hx) if isinstance(hx, (tuple, list)) \
                else hx.index_select(1, order)
        states = self._initial_states(x, hx, True)
        out, h_n, c_n = self._unroll(x, states, sizes.tolist())
        flat = out.reshape((-1,) + tuple(out.shape[2:]))
        out = _packing.PackedSequence(_packing._gather(flat, idx), packed.batch_sizes,
                                      packed.sorted_indices, packed.unsorted_indices)
        if packed.unsorted_indices is not None:
            h_n = h_n.index_select(1, packed.unsorted_indices)
            c_n = c_n.index_select(1, packed.unsorted_indices) if c_n is not None else None
        return (out, (h_n, c_n)) if self.mode == "LSTM" else (out, h_n)


def _check_config(mode, hidden_size, num_layers, dropout, proj_size):
    if not isinstance(dropout, numbers.Number) or not 0 <= dropout <= 1 or \
            isinstance(dropout, bool):
        raise ValueError("dropout should be a number in range [0, 1] representing the "
                         "probability of an element being zeroed")
    if dropout > 0 and num_layers == 1:
        warnings.warn(f"dropout option adds dropout after all but last recurrent layer, so "
                      f"non-zero dropout expects num_layers greater than 1, but got "
                      f"dropout={dropout} and num_layers={num_layers}")
    if not isinstance(hidden_size, int) or isinstance(hidden_size, bool):
        raise TypeError(f"hidden_size should be of type int, got: {type(hidden_size).__name__}")
    if hidden_size <= 0:
        raise ValueError("hidden_size must be greater than zero")
    if num_layers <= 0:
        raise ValueError("num_layers must be greater than zero")
    if proj_size < 0:
        raise ValueError("proj_size should be a positive integer or zero to disable projections")
    if proj_size >= hidden_size:
        raise ValueError("proj_size has to be smaller than hidden_size")
    if proj_size and mode != "LSTM":
        raise ValueError("proj_size argument is only supported for LSTM, not RNN or GRU")


_RNN_ARGS = ("input_size", "hidden_size", "num_layers", "bias", "batch_first", "dropout",
             "bidirectional", "proj_size", "device", "dtype")


def _bind(args, kwargs, names):
    if len(args) > len(names):
        raise TypeError(f"takes at most {len(names)} positional arguments ({len(args)} given)")
    bound = dict(zip(names, args))
    for k in kwargs:
        if k in bound:
            raise TypeError(f"got multiple values for argument '{k}'")
    bound.update(kwargs)
    return bound


class RNN(RNNBase):
    """Elman RNN: h_t = tanh(W_ih x_t + b_ih + W_hh h_(t-1) + b_hh) (or relu), stacked.

    Args:
        input_size (int): features of x.
        hidden_size (int): features of h.
        num_layers (int): stacked layers. Default 1.
        nonlinearity (str): 'tanh' or 'relu'. Default 'tanh'.
        bias (bool): use b_ih and b_hh. Default True.
        batch_first (bool): input and output are (N, L, H). Default False.
        dropout (float): dropout on the outputs of all but the last layer. Default 0.
        bidirectional (bool): run a reverse direction too. Default False.

    Shape:
        - Input: (L, N, H_in), (N, L, H_in) with ``batch_first``, or (L, H_in); h_0:
          (D * num_layers, N, H_out) or (D * num_layers, H_out).
        - Output: (L, N, D * H_out) and h_n like h_0.

    Example::

        >>> rnn = nn.RNN(10, 20, 2)
        >>> out, hn = rnn(disttrain.randn(5, 3, 10), disttrain.randn(2, 3, 20))
        >>> out.shape, hn.shape
        (disttrain.Size([5, 3, 20]), disttrain.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        names = ("input_size", "hidden_size", "num_layers", "nonlinearity") + _RNN_ARGS[3:7] + \
            ("device", "dtype")
        bound = _bind(args, kwargs, names)
        nonlinearity = bound.pop("nonlinearity", "tanh")
        if nonlinearity not in ("tanh", "relu"):
            raise ValueError(f"Unknown nonlinearity '{nonlinearity}'. Select from 'tanh' or "
                             f"'relu'.")
        self.nonlinearity = nonlinearity
        super().__init__("RNN_TANH" if nonlinearity == "tanh" else "RNN_RELU", **bound)


class LSTM(RNNBase):
    """Long short-term memory, stacked; gates (i, f, g, o) stacked in that order.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional:
            as for ``RNN``.
        proj_size (int): project h to this size with ``weight_hr``. Default 0 (off).

    Shape:
        - Input: as ``RNN``; (h_0, c_0) each (D * num_layers, N, H) or unbatched.
        - Output: (output, (h_n, c_n)).

    Example::

        >>> lstm = nn.LSTM(10, 20, 2)
        >>> out, (hn, cn) = lstm(disttrain.randn(5, 3, 10))
        >>> out.shape
        disttrain.Size([5, 3, 20])
    """

    def __init__(self, *args, **kwargs):
        super().__init__("LSTM", **_bind(args, kwargs, _RNN_ARGS))


class GRU(RNNBase):
    """Gated recurrent unit, stacked; gates (r, z, n) stacked in that order.

    r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
    n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.

    Args:
        input_size, hidden_size, num_layers, bias, batch_first, dropout, bidirectional:
            as for ``RNN``.

    Example::

        >>> gru = nn.GRU(input_size=10, hidden_size=20, num_layers=2, batch_first=True)
        >>> gru
        GRU(10, 20, num_layers=2, batch_first=True)
        >>> out, hn = gru(disttrain.randn(3, 5, 10))
        >>> out.shape, hn.shape
        (disttrain.Size([3, 5, 20]), disttrain.Size([2, 3, 20]))
    """

    def __init__(self, *args, **kwargs):
        bound = _bind(args, kwargs, _RNN_ARGS[:7] + ("device", "dtype"))
        super().__init__("GRU", **bound)


# ------------------------------------------------------------------------------- cells


class RNNCellBase(Module):
    """Parameters, checks and repr of the single-step cells."""

    def __init__(self, input_size, hidden_size, bias, num_chunks, device=None, dtype=None):
        super().__init__()
        self.input_size, self.hidden_size, self.bias = input_size, hidden_size, bias
        kw = {"device": device, "dtype": dtype}
        self.weight_ih = Parameter(_creation.empty((num_chunks * hidden_size, input_size), **kw))
        self.weight_hh = Parameter(_creation.empty((num_chunks * hidden_size, hidden_size), **kw))
        if bias:
            self.bias_ih = Parameter(_creation.empty(num_chunks * hidden_size, **kw))
            self.bias_hh = Parameter(_creation.empty(num_chunks * hidden_size, **kw))
        else:
            self.register_parameter("bias_ih", None)
            self.register_parameter("bias_hh", None)
        self.reset_parameters()

    def reset_parameters(self):
        stdv = 1.0 / math.sqrt(self.hidden_size) if self.hidden_size > 0 else 0
        for w in self.parameters():
            init.uniform_(w, -stdv, stdv)

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if self.bias is not True:
            s += f", bias={self.bias}"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s

    def _batch(self, input, hx, n_states):
        name = type(self).__name__
        if input.dim() not in (1, 2):
            raise ValueError(f"{name}: Expected input to be 1D or 2D, got {input.dim()}D instead")
        if hx is not None:
            for h in (hx if n_states == 2 else (hx,)):
                if h.dim() not in (1, 2):
                    raise ValueError(f"{name}: Expected hidden to be 1D or 2D, got {h.dim()}D "
                                     f"instead")
        batched = input.dim() == 2
        if not batched:
            input = input.unsqueeze(0)
        if input.shape[1] != self.input_size:
            raise RuntimeError(f"input has inconsistent input_size: got {input.shape[1]} "
                               f"expected {self.input_size}")
        if hx is None:
            zeros = _creation.zeros((input.shape[0], self.hidden_size), dtype=input.dtype,
                                    device=input.device)
            states = [zeros] * n_states
        else:
            states = list(hx) if n_states == 2 else [hx]
            if len(states) != n_states:
                raise RuntimeError("lstm_cell expects two hidden states")
            states = [s if batched else s.unsqueeze(0) for s in states]
            for i, s in enumerate(states):
                if s.shape[0] != input.shape[0]:
                    raise RuntimeError(f"Input batch size {input.shape[0]} doesn't match "
                                       f"hidden{i} batch size {s.shape[0]}")
                if s.shape[1] != self.hidden_size:
                    raise RuntimeError(f"hidden{i} has inconsistent hidden_size: got "
                                       f"{s.shape[1]}, expected {self.hidden_size}")
        return input, states, batched


def _cell_step(cell, mode, x, h, c):
    """One fused step: the layer kernel over a sequence of length 1."""
    xw = _linear(x, cell.weight_ih, cell.bias_ih).unsqueeze(0)
    return _rnn.recurrent_layer(mode, xw, h, c, cell.weight_hh, cell.bias_hh, None)


class RNNCell(RNNCellBase):
    """One step of an Elman RNN: h' = tanh(W_ih x + b_ih + W_hh h + b_hh) (or relu).

    Example::

        >>> cell = nn.RNNCell(10, 20)
        >>> cell(disttrain.randn(3, 10)).shape
        disttrain.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        super().__init__(input_size, hidden_size, bias, 1, device, dtype)
        self.nonlinearity = nonlinearity

    def forward(self, input, hx=None):
        x, (h,), batched = self._batch(input, hx, 1)
        if self.nonlinearity not in ("tanh", "relu"):
            raise RuntimeError(f"Unknown nonlinearity: {self.nonlinearity}")
        mode = "RNN_TANH" if self.nonlinearity == "tanh" else "RNN_RELU"
        h = _cell_step(self, mode, x, h, None)[1]
        return h if batched else h.squeeze(0)


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c').

    Example::

        >>> cell = nn.LSTMCell(10, 20)
        >>> h, c = cell(disttrain.randn(3, 10))
        >>> h.shape
        disttrain.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 4, device, dtype)

    def forward(self, input, hx=None):
        x, (h, c), batched = self._batch(input, hx, 2)
        _, h, c = _cell_step(self, "LSTM", x, h, c)
        return (h, c) if batched else (h.squeeze(0), c.squeeze(0))


class GRUCell(RNNCellBase):
    """One GRU step with PyTorch's formula (see ``GRU``).

    Example::

        >>> cell = nn.GRUCell(10, 20)
        >>> cell(disttrain.randn(3, 10)).shape
        disttrain.Size([3, 20])
    """

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__(input_size, hidden_size, bias, 3, device, dtype)

    def forward(self, input, hx=None):
        x, (h,), batched = self._batch(input, hx, 1)
        h = _cell_step(self, "GRU", x, h, None)[1]
        return h if batched else h.squeeze(0)
