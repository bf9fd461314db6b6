"""Fused recurrent layers: one graph node per layer and direction over a whole sequence.

``RecurrentLayer`` runs the time loop of an RNN (tanh or relu), LSTM (with an optional
projection) or GRU on raw arrays and keeps the gate activations for a hand-written
backpropagation through time. The input-to-hidden products of the sequence come in already
computed (one matmul by the caller, ``xw``); inside the loop only the hidden-to-hidden product
and the gate arithmetic run per step, in place. The backward batches the weight gradients over
the sequence into one matmul each.

Variable-length batches (packed sequences) pass ``batch_sizes``: at step ``t`` only the first
``batch_sizes[t]`` rows are live (sequences sorted by decreasing length); the other rows keep
their state, and their outputs are zero.

A second derivative is taken by recomputing the layer from the same inputs with Tensor ops
(``composite_layer``) and differentiating that graph, so ``create_graph=True`` works too.
"""
from ..core import functions as _fn
from ..core.autograd import Function
from ..core.device import array_module
from ..core.grad_mode import is_grad_enabled
from ..core.ops import linalg as _linalg
from ..core.tensor import Tensor

__all__ = ["RecurrentLayer", "recurrent_layer", "composite_layer"]

_GATES = {"LSTM": 4, "GRU": 3, "RNN_TANH": 1, "RNN_RELU": 1}


def _sigmoid_(xp, v):
    """The logistic function in place, as 0.5·tanh(x/2) + 0.5 (no overflow, no temporary)."""
    v *= 0.5
    xp.tanh(v, out=v)
    v *= 0.5
    v += 0.5
    return v


def _order(steps, reverse):
    return range(steps - 1, -1, -1) if reverse else range(steps)


def _live(batch_sizes, t, n):
    return n if batch_sizes is None else int(batch_sizes[t])


def recurrent_layer(mode, xw, h0, c0, w_hh, b_hh, w_hr, reverse=False, batch_sizes=None):
    """One layer in one direction: ``(out, h_n)`` or for LSTM ``(out, h_n, c_n)``.

    Args:
        mode (str): 'LSTM', 'GRU', 'RNN_TANH' or 'RNN_RELU'.
        xw (Tensor): (T, N, gates*H) input projections ``x @ w_ih.T + b_ih``.
        h0, c0 (Tensor): (N, R) and, for LSTM, (N, H) initial states.
        w_hh, b_hh, w_hr (Tensor or None): the recurrent weights (PyTorch's shapes).
        reverse (bool): run from the last step to the first.
        batch_sizes (sequence of int, optional): live rows per step (packed input).
    """
    return RecurrentLayer.apply(xw, h0, c0, w_hh, b_hh, w_hr, mode, reverse,
                                None if batch_sizes is None else tuple(batch_sizes))


class RecurrentLayer(Function):
    """The fused time loop; see the module docstring."""

    node_name = "RecurrentLayerBackward0"

    @staticmethod
    def forward(ctx, xw, h0, c0, w_hh, b_hh, w_hr, mode, reverse, batch_sizes):
        arrs = [None if t is None else t._data for t in (xw, h0, c0, w_hh, b_hh, w_hr)]
        ctx.args = (mode, reverse, batch_sizes)
        run = _FORWARD[mode]
        outs, saved = run(*arrs, mode, reverse, batch_sizes)
        if ctx._recording:
            ctx.save_for_backward(xw, h0, c0, w_hh, b_hh, w_hr)
            ctx.buffers = saved
        return outs

    @staticmethod
    def backward(ctx, gout, gh, gc=None):
        mode, reverse, batch_sizes = ctx.args
        xw, h0, c0, w_hh, b_hh, w_hr = ctx.saved_tensors
        if is_grad_enabled():
            return _backward_by_recompute(ctx, (gout, gh, gc), (xw, h0, c0, w_hh, b_hh, w_hr))
        arrs = [None if t is None else t._data for t in (w_hh, b_hh, w_hr)]
        grads = _BACKWARD[mode](ctx.buffers, gout._data, gh._data,
                                None if gc is None else gc._data, *arrs, mode, reverse,
                                batch_sizes)
        needs = ctx.needs_input_grad
        return tuple(Tensor._make(g) if g is not None and needs[i] else None
                     for i, g in enumerate(grads)) + (None, None, None)


def _backward_by_recompute(ctx, grads, inputs):
    """Gradients with a graph (``create_graph=True``): rebuild the layer with Tensor ops from
    the saved inputs and differentiate that."""
    from ..core.engine import grad as _grad
    mode, reverse, batch_sizes = ctx.args
    needs = ctx.needs_input_grad
    outs = composite_layer(mode, *inputs, reverse, batch_sizes)
    pairs = [(o, g) for o, g in zip(outs, grads) if g is not None]
    wrt = [t for i, t in enumerate(inputs) if t is not None and needs[i]]
    got = iter(_grad([o for o, _ in pairs], wrt, [g for _, g in pairs], create_graph=True,
                     allow_unused=True))
    res = [next(got) if t is not None and needs[i] else None for i, t in enumerate(inputs)]
    return tuple(r if r is not None or not needs[i] else inputs[i] * 0
                 for i, r in enumerate(res)) + (None, None, None)


# ------------------------------------------------------------------------------ forward
def _common(xw, h0, w_hh):
    xp = array_module(xw)
    steps, n, _ = xw.shape
    return xp, steps, n, w_hh.T


def _fw_lstm(xw, h0, c0, w_hh, b_hh, w_hr, mode, reverse, batch_sizes):
    xp, steps, n, whh_t = _common(xw, h0, w_hh)
    hid = c0.shape[1]
    # All four activations by one tanh over the gate row: σ(x) = tanh(x/2)/2 + 1/2, so the
    # i, f, o columns are halved before (folded into the weights and the input projections,
    # once per call) and halved and shifted after; g's column is plain tanh.
    scale = xp.full(4 * hid, 0.5, xw.dtype)
    scale[2 * hid:3 * hid] = 1
    shift = xp.full(4 * hid, 0.5, xw.dtype)
    shift[2 * hid:3 * hid] = 0
    whh_t = xp.ascontiguousarray((w_hh * scale[:, None]).T)
    pre = xw * scale
    if b_hh is not None:
        pre += b_hh * scale
    gates = xp.empty(xw.shape, xw.dtype)            # activated (i, f, g, o) per step
    tanh_c = xp.zeros((steps, n, hid), xw.dtype)
    h_prev = xp.zeros((steps, n, h0.shape[1]), xw.dtype)
    c_prev = xp.zeros((steps, n, hid), xw.dtype)
    mem = xp.zeros((steps, n, hid), xw.dtype) if w_hr is not None else None
    out = xp.zeros((steps, n, h0.shape[1]), xw.dtype)
    h, c = h0.copy(), c0.copy()
    whr_t = None if w_hr is None else w_hr.T
    for t in _order(steps, reverse):
        b = _live(batch_sizes, t, n)
        g = gates[t, :b]
        h_prev[t, :b] = h[:b]
        c_prev[t, :b] = c[:b]
        xp.matmul(h[:b], whh_t, out=g)
        g += pre[t, :b]
        xp.tanh(g, out=g)
        g *= scale
        g += shift
        ct = g[:, hid:2 * hid] * c[:b]
        ct += g[:, :hid] * g[:, 2 * hid:3 * hid]
        tc = tanh_c[t, :b]
        xp.tanh(ct, out=tc)
        if w_hr is None:
            xp.multiply(g[:, 3 * hid:], tc, out=out[t, :b])
        else:
            m = mem[t, :b]
            xp.multiply(g[:, 3 * hid:], tc, out=m)
            xp.matmul(m, whr_t, out=out[t, :b])
        h[:b] = out[t, :b]
        c[:b] = ct
    return (out, h, c), (gates, tanh_c, h_prev, c_prev, mem)


def _bw_lstm(saved, gout, gh, gc, w_hh, b_hh, w_hr, mode, reverse, batch_sizes):
    gates, tanh_c, h_prev, c_prev, mem = saved
    xp = array_module(gates)
    steps, n, four_h = gates.shape
    hid = four_h // 4
    # Everything that does not depend on the incoming gradient, for all steps at once:
    # the activations' derivatives (σ' = s(1-s), tanh' = 1-t²), the factors dL/dc_t brings to
    # (i, f, g) and the factor dL/dh_t brings to c_t.
    act = gates * (1 - gates)
    gg = gates[..., 2 * hid:3 * hid]
    act[..., 2 * hid:3 * hid] = 1 - gg * gg
    to_ifg = xp.empty((steps, n, 3, hid), gates.dtype)
    to_ifg[:, :, 0] = gg
    to_ifg[:, :, 1] = c_prev
    to_ifg[:, :, 2] = gates[..., :hid]
    to_c = 1 - tanh_c * tanh_c
    to_c *= gates[..., 3 * hid:]
    forget = gates[..., hid:2 * hid]
    dgates4 = xp.zeros((steps, n, 4, hid), gates.dtype)     # the gates as a separate axis
    dgates = dgates4.reshape(steps, n, four_h)
    dh, dc = gh.copy(), gc.copy()
    d_out = xp.zeros_like(gout) if w_hr is not None else None
    for t in _order(steps, not reverse):
        b = _live(batch_sizes, t, n)
        dht = dh[:b] + gout[t, :b]
        if w_hr is not None:
            d_out[t, :b] = dht
            dht = dht @ w_hr
        dg = dgates[t, :b]
        xp.multiply(dht, tanh_c[t, :b], out=dg[:, 3 * hid:])      # dL/do
        dht *= to_c[t, :b]
        dht += dc[:b]                                               # dL/dc_t
        xp.multiply(to_ifg[t, :b], dht[:, None, :], out=dgates4[t, :b, :3])  # dL/d(i, f, g)
        xp.multiply(dht, forget[t, :b], out=dc[:b])
        dg *= act[t, :b]
        xp.matmul(dg, w_hh, out=dh[:b])
    flat = dgates.reshape(-1, four_h)
    gw_hh = flat.T @ h_prev.reshape(-1, h_prev.shape[2])
    gb_hh = flat.sum(0) if b_hh is not None else None
    gw_hr = None
    if w_hr is not None:
        gw_hr = d_out.reshape(-1, d_out.shape[2]).T @ mem.reshape(-1, hid)
    return dgates, dh, dc, gw_hh, gb_hh, gw_hr


def _fw_gru(xw, h0, c0, w_hh, b_hh, w_hr, mode, reverse, batch_sizes):
    xp, steps, n, whh_t = _common(xw, h0, w_hh)
    hid = h0.shape[1]
    gates = xp.empty(xw.shape, xw.dtype)            # r, z, n
    h_n = xp.zeros((steps, n, hid), xw.dtype)      # W_hn h + b_hn
    h_prev = xp.zeros((steps, n, hid), xw.dtype)
    out = xp.zeros((steps, n, hid), xw.dtype)
    h = h0.copy()
    for t in _order(steps, reverse):
        b = _live(batch_sizes, t, n)
        hp = h[:b]
        h_prev[t, :b] = hp
        gh = hp @ whh_t
        if b_hh is not None:
            gh += b_hh
        g = gates[t, :b]
        xp.add(xw[t, :b, :2 * hid], gh[:, :2 * hid], out=g[:, :2 * hid])
        _sigmoid_(xp, g[:, :2 * hid])
        hn = h_n[t, :b]
        hn[...] = gh[:, 2 * hid:]
        nt = g[:, 2 * hid:]
        xp.multiply(g[:, :hid], hn, out=nt)
        nt += xw[t, :b, 2 * hid:]
        xp.tanh(nt, out=nt)
        o = out[t, :b]
        xp.subtract(hp, nt, out=o)                      # n + z·(h - n)
        o *= g[:, hid:2 * hid]
        o += nt
        h[:b] = o
    return (out, h), (gates, h_n, h_prev)


def _bw_gru(saved, gout, gh, gc, w_hh, b_hh, w_hr, mode, reverse, batch_sizes):
    gates, h_n, h_prev = saved
    xp = array_module(gates)
    steps, n, three_h = gates.shape
    hid = three_h // 3
    dxw = xp.zeros_like(gates)
    dgh = xp.zeros_like(gates)
    dh = gh.copy()
    for t in _order(steps, not reverse):
        b = _live(batch_sizes, t, n)
        g = gates[t, :b]
        r, z, nt = g[:, :hid], g[:, hid:2 * hid], g[:, 2 * hid:]
        hp = h_prev[t, :b]
        dht = dh[:b] + gout[t, :b]
        dx = dxw[t, :b]
        d_n = dx[:, 2 * hid:]
        xp.multiply(dht, 1 - z, out=d_n)
        d_n *= 1 - nt * nt                              # through tanh
        d_z = dx[:, hid:2 * hid]
        xp.subtract(hp, nt, out=d_z)
        d_z *= dht
        d_z *= z * (1 - z)
        d_r = dx[:, :hid]
        xp.multiply(d_n, h_n[t, :b], out=d_r)
        d_r *= r * (1 - r)
        dg = dgh[t, :b]
        dg[:, :2 * hid] = dx[:, :2 * hid]
        xp.multiply(d_n, r, out=dg[:, 2 * hid:])
        dht *= z
        dht += dg @ w_hh
        dh[:b] = dht
    flat = dgh.reshape(-1, three_h)
    gw_hh = flat.T @ h_prev.reshape(-1, hid)
    gb_hh = flat.sum(0) if b_hh is not None else None
    return dxw, dh, None, gw_hh, gb_hh, None


def _fw_rnn(xw, h0, c0, w_hh, b_hh, w_hr, mode, reverse, batch_sizes):
    xp, steps, n, whh_t = _common(xw, h0, w_hh)
    h_prev = xp.zeros((steps, n, h0.shape[1]), xw.dtype)
    out = xp.zeros((steps, n, h0.shape[1]), xw.dtype)
    h = h0.copy()
    for t in _order(steps, reverse):
        b = _live(batch_sizes, t, n)
        h_prev[t, :b] = h[:b]
        o = out[t, :b]
        xp.matmul(h[:b], whh_t, out=o)
        o += xw[t, :b]
        if b_hh is not None:
            o += b_hh
        if mode == "RNN_TANH":
            xp.tanh(o, out=o)
        else:
            xp.maximum(o, 0, out=o)
        h[:b] = o
    return (out, h), (out, h_prev)


def _bw_rnn(saved, gout, gh, gc, w_hh, b_hh, w_hr, mode, reverse, batch_sizes):
    out, h_prev = saved
    xp = array_module(out)
    steps, n, hid = out.shape
    da = xp.zeros_like(out)
    dh = gh.copy()
    for t in _order(steps, not reverse):
        b = _live(batch_sizes, t, n)
        d = da[t, :b]
        xp.add(dh[:b], gout[t, :b], out=d)
        y = out[t, :b]
        if mode == "RNN_TANH":
            d *= 1 - y * y
        else:
            d *= y > 0
        xp.matmul(d, w_hh, out=dh[:b])
    flat = da.reshape(-1, hid)
    gw_hh = flat.T @ h_prev.reshape(-1, hid)
    gb_hh = flat.sum(0) if b_hh is not None else None
    return da, dh, None, gw_hh, gb_hh, None


_FORWARD = {"LSTM": _fw_lstm, "GRU": _fw_gru, "RNN_TANH": _fw_rnn, "RNN_RELU": _fw_rnn}
_BACKWARD = {"LSTM": _bw_lstm, "GRU": _bw_gru, "RNN_TANH": _bw_rnn, "RNN_RELU": _bw_rnn}


# ---------------------------------------------------------------------- composite (Tensor ops)
def _linear(x, w, b):
    return _linalg.Linear.apply(x, w, b) if b is not None else _linalg.Linear.apply(x, w)


def composite_layer(mode, xw, h0, c0, w_hh, b_hh, w_hr, reverse=False, batch_sizes=None):
    """``recurrent_layer`` written with differentiable Tensor ops (any-order gradients)."""
    steps, n = xw.shape[0], xw.shape[1]
    h, c = h0, c0
    outs = [None] * steps
    for t in _order(steps, reverse):
        b = _live(batch_sizes, t, n)
        x_t, hb = xw[t], h
        cb = c
        if b < n:
            x_t, hb = x_t[:b], h[:b]
            cb = c[:b] if c is not None else None
        nh, nc = _step(mode, x_t, hb, cb, w_hh, b_hh, w_hr)
        if b < n:
            outs[t] = _fn.cat([nh, h[b:] * 0], 0)
            nh = _fn.cat([nh, h[b:]], 0)
            nc = _fn.cat([nc, c[b:]], 0) if nc is not None else None
        else:
            outs[t] = nh
        h, c = nh, nc
    out = _fn.stack(outs)
    return (out, h, c) if mode == "LSTM" else (out, h)


def _step(mode, xw, h, c, w_hh, b_hh, w_hr):
    gh = _linear(h, w_hh, b_hh)
    if mode == "LSTM":
        i, f, g, o = (xw + gh).chunk(4, -1)
        c = f.sigmoid() * c + i.sigmoid() * g.tanh()
        h = o.sigmoid() * c.tanh()
        if w_hr is not None:
            h = h.matmul(w_hr.t())
        return h, c
    if mode == "GRU":
        xr, xz, xn = xw.chunk(3, -1)
        hr, hz, hn = gh.chunk(3, -1)
        r = (xr + hr).sigmoid()
        z = (xz + hz).sigmoid()
        n = (xn + r * hn).tanh()
        return n + z * (h - n), None
    a = xw + gh
    return (a.tanh() if mode == "RNN_TANH" else a.relu()), None


def gate_count(mode):
    """Stacked gates per mode: 4 for LSTM, 3 for GRU, 1 for the plain RNNs."""
    return _GATES[mode]
