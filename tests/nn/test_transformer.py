"""nn.Transformer and its encoder/decoder stacks and layers against PyTorch 2.13: outputs and
gradients from weights set by formula (eval mode), masks, norm_first, batch_first, names,
state_dict keys, reprs and errors."""
import warnings

import pytest

import disttrain
import disttrain.nn as nn
from disttrain.autograd import gradcheck
from tests.nn.spatial_data import fingerprint, seq, set_params, weighted_loss

E = 8


def _close(got, want, tol=1e-5):
    assert got == pytest.approx(want, abs=tol)


def _run(m, *args, **kw):
    """Digests of the output, each input's gradient and the first parameter's gradient."""
    set_params(m.double()).eval()
    ins = [a.clone().requires_grad_(True) for a in args]
    y = m(*ins, **kw)
    weighted_loss(y).backward()
    p = next(iter(m.parameters()))
    return [fingerprint(y)] + [fingerprint(i.grad) for i in ins] + [fingerprint(p.grad)]


def _quiet(fn, *args, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return fn(*args, **kw)


def _data():
    src, tgt = seq(5, 2, E), seq(4, 2, E, phase=1.0)
    kpm = disttrain.tensor([[False] * 5, [False, False, False, True, True]])
    causal = nn.Transformer.generate_square_subsequent_mask(4, dtype=disttrain.float64)
    return src, tgt, kpm, causal


def _check(got, want):
    assert len(got) == len(want)
    for g, w in zip(got, want):
        _close(g, w)


def test_encoder_layer_matches_pytorch():
    """Post-norm, pre-norm + batch_first + key padding, gelu + float mask, unbatched."""
    src, _, kpm, _ = _data()
    _check(_run(nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0), src),
           [(-22.615822, -1.411498), (-2.541937, 5.853345), (3.286854, 2.065419)])
    layer = nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0, norm_first=True, batch_first=True)
    _check(_run(layer, src.transpose(0, 1), src_key_padding_mask=kpm),
           [(-38.409811, -38.99845), (0.130704, 46.686042), (72.228467, -20.357644)])
    layer = nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0, activation="gelu")
    _check(_run(layer, src, src_mask=seq(5, 5, phase=4.0)),
           [(-22.341906, -1.468973), (-3.803215, 6.320071), (4.245305, 1.675013)])
    _check(_run(nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0), seq(5, E)),
           [(-8.121393, -1.810689), (3.750026, 1.163825), (20.300788, 0.824001)])


def test_decoder_layer_matches_pytorch():
    """Causal target mask with memory padding; pre-norm without biases."""
    src, tgt, kpm, causal = _data()
    _check(_run(nn.TransformerDecoderLayer(E, 2, 16, dropout=0.0), tgt, src, tgt_mask=causal,
                memory_key_padding_mask=kpm),
           [(-27.062564, -10.527012), (-0.827953, 1.635708), (-0.729395, -2.178427),
            (0.283551, 1.763602)])
    layer = nn.TransformerDecoderLayer(E, 2, 16, dropout=0.0, norm_first=True, bias=False)
    _check(_run(layer, tgt, src, tgt_mask=causal),
           [(-7.80853, -31.838119), (-0.441038, 41.647171), (1.840286, 6.141053),
            (40.329584, -88.50171)])


def test_transformer_and_encoder_stack_match_pytorch():
    """Full encoder-decoder models (post-norm; pre-norm batch_first with a callable
    activation and a memory mask) and an encoder stack with a final norm."""
    src, tgt, kpm, causal = _data()
    m = _quiet(nn.Transformer, E, 2, 2, 2, 16, dropout=0.0)
    _check(_run(m, src, tgt, tgt_mask=causal, src_key_padding_mask=kpm),
           [(54.121775, -4.317512), (-0.000642, -0.005375), (0.159656, -0.111836),
            (-0.001378, 0.010609)])
    m = _quiet(nn.Transformer, E, 2, 1, 1, 16, dropout=0.0, batch_first=True, norm_first=True,
               activation=disttrain.tanh)
    _check(_run(m, src.transpose(0, 1), tgt.transpose(0, 1), tgt_is_causal=True,
                tgt_mask=causal, memory_mask=seq(4, 5, phase=2.0)),
           [(-3.186671, 6.907614), (0.0, 0.014893), (0.0, 2.267703), (0.140562, -0.140241)])
    enc = _quiet(nn.TransformerEncoder, nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0), 2,
                 norm=nn.LayerNorm(E))
    _check(_run(enc, src, mask=seq(5, 5, phase=3.0)),
           [(92.700545, -0.76803), (9.4e-05, 0.258878), (0.135518, 0.054651)])


def test_state_dict_keys_match_pytorch_and_load():
    """state_dict keys are PyTorch's, so its checkpoints load; values round-trip."""
    m = _quiet(nn.Transformer, E, 2, 1, 1, 16)
    keys = list(m.state_dict().keys())
    layer = ["self_attn.in_proj_weight", "self_attn.in_proj_bias", "self_attn.out_proj.weight",
             "self_attn.out_proj.bias"]
    ff = ["linear1.weight", "linear1.bias", "linear2.weight", "linear2.bias"]
    cross = ["multihead_attn." + k.split(".", 1)[1] for k in layer]
    norms = lambda n: [f"norm{i}.{w}" for i in range(1, n + 1) for w in ("weight", "bias")]  # noqa
    want = ([f"encoder.layers.0.{k}" for k in layer + ff + norms(2)]
            + ["encoder.norm.weight", "encoder.norm.bias"]
            + [f"decoder.layers.0.{k}" for k in layer + cross + ff + norms(3)]
            + ["decoder.norm.weight", "decoder.norm.bias"])
    assert keys == want
    other = _quiet(nn.Transformer, E, 2, 1, 1, 16)
    other.load_state_dict(set_params(m).state_dict())
    assert all(disttrain.equal(a, b) for a, b in zip(m.parameters(), other.parameters()))


def test_reprs_match_pytorch():
    """print(layer) lists the submodules in PyTorch's order and words."""
    assert repr(nn.TransformerEncoderLayer(E, 2, 16)) == (
        "TransformerEncoderLayer(\n"
        "  (self_attn): MultiheadAttention(\n"
        "    (out_proj): NonDynamicallyQuantizableLinear(in_features=8, out_features=8, "
        "bias=True)\n  )\n"
        "  (linear1): Linear(in_features=8, out_features=16, bias=True)\n"
        "  (dropout): Dropout(p=0.1, inplace=False)\n"
        "  (linear2): Linear(in_features=16, out_features=8, bias=True)\n"
        "  (norm1): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)\n"
        "  (norm2): LayerNorm((8,), eps=1e-05, elementwise_affine=True, bias=True)\n"
        "  (dropout1): Dropout(p=0.1, inplace=False)\n"
        "  (dropout2): Dropout(p=0.1, inplace=False)\n)")
    r = repr(nn.TransformerDecoder(nn.TransformerDecoderLayer(E, 2, 16), 1))
    assert r.startswith("TransformerDecoder(\n  (layers): ModuleList(\n    (0): "
                        "TransformerDecoderLayer(\n      (self_attn): MultiheadAttention(")
    assert "(multihead_attn): MultiheadAttention(" in r and "(dropout3): Dropout(p=0.1" in r


def test_square_subsequent_mask_and_causal_detection():
    """The static causal mask is PyTorch's; the stacks detect it and pass is_causal on."""
    mask = nn.Transformer.generate_square_subsequent_mask(3)
    inf = float("-inf")
    assert mask.dtype == disttrain.float32
    assert mask.tolist() == [[0.0, inf, inf], [0.0, 0.0, inf], [0.0, 0.0, 0.0]]
    from disttrain.nn.modules.transformer import _detect_is_causal_mask
    assert _detect_is_causal_mask(mask) is True
    assert _detect_is_causal_mask(mask.clone().fill_(0.0)) is False
    assert _detect_is_causal_mask(None, True) is True


def test_defaults_warning_and_dropout_in_training():
    """PyTorch's defaults; its enable_nested_tensor warning; dropout only in training."""
    layer = nn.TransformerEncoderLayer(E, 2)
    assert layer.linear1.out_features == 2048 and layer.dropout.p == 0.1
    assert layer.norm1.eps == 1e-5 and not layer.norm_first and layer.activation_relu_or_gelu
    with pytest.warns(UserWarning, match="enable_nested_tensor is True, but "
                                         "self.use_nested_tensor is False because "
                                         "encoder_layer.norm_first was True"):
        enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, 2, 16, norm_first=True), 2)
    assert not enc.use_nested_tensor and enc.enable_nested_tensor
    assert enc.layers[0] is not enc.layers[1]
    disttrain.manual_seed(0)
    x = seq(5, 2, E, dtype=disttrain.float32)
    layer = nn.TransformerEncoderLayer(E, 2, 16, dropout=0.5)
    assert not disttrain.allclose(layer(x), layer(x))
    layer.eval()
    assert disttrain.equal(layer(x), layer(x))


def test_errors():
    """PyTorch's errors for a bad activation name and mismatched src/tgt."""
    with pytest.raises(RuntimeError, match="activation should be relu/gelu, not tanh"):
        nn.TransformerEncoderLayer(E, 2, activation="tanh")
    m = _quiet(nn.Transformer, E, 2, 1, 1, 16)
    with pytest.raises(RuntimeError, match="the batch number of src and tgt must be equal"):
        m(disttrain.rand(5, 2, E), disttrain.rand(4, 3, E))
    with pytest.raises(RuntimeError, match="the feature number of src and tgt must be equal "
                                           "to d_model"):
        m(disttrain.rand(5, 2, 4), disttrain.rand(4, 2, 4))
    layer = nn.TransformerEncoderLayer(E, 2, 16)
    with pytest.raises(AssertionError, match="only bool and floating types of "
                                             "src_key_padding_mask are supported"):
        layer(disttrain.rand(5, 2, E), src_key_padding_mask=disttrain.zeros(2, 5,
                                                                           dtype=disttrain.int64))


def test_encoder_layer_gradcheck():
    """Gradients through a whole layer (attention, feed-forward, norms) match finite
    differences, including through a key-padding mask."""
    layer = set_params(nn.TransformerEncoderLayer(4, 2, 6, dropout=0.0).double())
    kpm = disttrain.tensor([[False, False, True]])
    x = seq(3, 1, 4, requires_grad=True)
    assert gradcheck(lambda a: layer(a, src_key_padding_mask=kpm), (x,))


def test_pytorch_language_model_program_trains():
    """The shape of PyTorch's word-language-model tutorial (embedding, sinusoidal positions,
    causal TransformerEncoder, Adam) runs unchanged and learns to continue a counting
    sequence."""
    import math
    torch = disttrain

    class PositionalEncoding(nn.Module):
        def __init__(self, d_model, max_len=64):
            super().__init__()
            position = torch.arange(max_len).unsqueeze(1)
            div_term = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
            pe = torch.zeros(max_len, 1, d_model)
            pe[:, 0, 0::2] = torch.sin(position * div_term)
            pe[:, 0, 1::2] = torch.cos(position * div_term)
            self.register_buffer("pe", pe)

        def forward(self, x):
            return x + self.pe[:x.size(0)]

    class Model(nn.Module):
        def __init__(self, ntoken, d_model=32, nhead=4, nlayers=2):
            super().__init__()
            self.embedding = nn.Embedding(ntoken, d_model)
            self.pos = PositionalEncoding(d_model)
            layer = nn.TransformerEncoderLayer(d_model, nhead, 64, dropout=0.1)
            self.encoder = nn.TransformerEncoder(layer, nlayers, enable_nested_tensor=False)
            self.out = nn.Linear(d_model, ntoken)
            self.d_model = d_model

        def forward(self, src, mask):
            x = self.pos(self.embedding(src) * math.sqrt(self.d_model))
            return self.out(self.encoder(x, mask, is_causal=True))

    torch.manual_seed(0)
    ntoken, L, N = 11, 12, 8
    model = Model(ntoken)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    crit = nn.CrossEntropyLoss()
    mask = nn.Transformer.generate_square_subsequent_mask(L)
    base = torch.arange(L + 1)
    losses = []
    for _ in range(60):
        start = torch.randint(0, ntoken, (1, N))
        seq_ = (base.unsqueeze(1) + start) % ntoken
        out = model(seq_[:-1], mask)
        loss = crit(out.reshape(-1, ntoken), seq_[1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[0] > 2.0 and sum(losses[-5:]) / 5 < 0.2


def test_encoder_inference_zeroes_padding_like_pytorch_nested_path():
    """In eval under no_grad with right padding PyTorch's encoder returns zeros (then the
    final norm) at padded positions; with gradients, or padding not at the end, the padded
    positions hold computed values. Both as PyTorch."""
    enc = nn.TransformerEncoder(
        nn.TransformerEncoderLayer(E, 2, 16, dropout=0.0, batch_first=True), 2,
        norm=nn.LayerNorm(E))
    set_params(enc.double()).eval()
    x = seq(2, 5, E)
    kpm = disttrain.tensor([[False] * 5, [False, False, False, True, True]])
    with disttrain.no_grad():
        _close(fingerprint(enc(x, src_key_padding_mask=kpm)), (84.804359, -4.192855))
    _close(fingerprint(enc(x, src_key_padding_mask=kpm)), (92.484411, -0.734151))
    inner = disttrain.tensor([[False] * 5, [True, False, False, True, True]])
    with disttrain.no_grad():
        _close(fingerprint(enc(x, src_key_padding_mask=inner)), (92.506123, -0.728286))
