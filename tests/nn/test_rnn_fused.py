"""Fused recurrent layers and packed sequences against PyTorch 2.13's numbers.

The weights, inputs and loss are deterministic functions of their index (the same program
was run under PyTorch to record the expected values): outputs, final states and input
gradients are compared element by element; each parameter gradient by two sums,
sum(g * sin(arange)) and sum(|g|).
"""
import numpy as np
import pytest

import disttrain
from disttrain import nn
from disttrain.autograd import gradcheck, gradgradcheck
from disttrain.nn.utils import rnn as rnn_utils

CASES = [('LSTM',
  {'bidirectional': True, 'hidden_size': 3, 'input_size': 2, 'num_layers': 2, 'proj_size': 2},
  True,
  {'g_bias_hh_l0': [1.029632448784, 3.082950936227],
   'g_bias_hh_l0_reverse': [1.21942414617, 5.110325924451],
   'g_bias_hh_l1': [-3.547163872386, 14.574323491532],
   'g_bias_hh_l1_reverse': [-1.573486168622, 5.214535250278],
   'g_bias_ih_l0': [1.029632448784, 3.082950936227],
   'g_bias_ih_l0_reverse': [1.21942414617, 5.110325924451],
   'g_bias_ih_l1': [-3.547163872386, 14.574323491532],
   'g_bias_ih_l1_reverse': [-1.573486168622, 5.214535250278],
   'g_weight_hh_l0': [-0.036028518036, 0.437722093192],
   'g_weight_hh_l0_reverse': [-0.115870648936, 1.726060249479],
   'g_weight_hh_l1': [0.046457924169, 8.090349157514],
   'g_weight_hh_l1_reverse': [0.098629151559, 0.603267943394],
   'g_weight_hr_l0': [-0.187788205918, 0.882763583206],
   'g_weight_hr_l0_reverse': [0.02252792965, 2.853405636164],
   'g_weight_hr_l1': [4.958410833586, 7.651614723291],
   'g_weight_hr_l1_reverse': [0.342791430131, 0.724503412228],
   'g_weight_ih_l0': [-0.106953360087, 1.724495860445],
   'g_weight_ih_l0_reverse': [1.125544155208, 3.739517373998],
   'g_weight_ih_l1': [0.148957666054, 11.426673245104],
   'g_weight_ih_l1_reverse': [0.246190418215, 4.000620004377],
   'gx0': [-0.133321573678, -0.331961409322, 0.088417378219, -0.020549078438, 0.218818051421,
           0.051909309782],
   'gx1': [-0.076318756532, -0.413656210057],
   'gx2': [-0.501441700651, -0.438163262955, -0.208703556049, -0.2386562756],
   'h0': [-0.140740134056, 0.09556152066, -0.254360145587, 0.084769626189, -0.127491721801,
          0.099098688124, -0.038822109691, 0.110613534613, -0.181729464801, 0.151920941842,
          -0.201409917098, 0.526901466466, -0.56330309956, 0.668163979641, -0.316079073773,
          0.391523828486, -0.479044154109, 0.572824569123, -0.249044304914, 0.083724739788,
          -0.115951504337, 0.044434338516, -0.195251807061, 0.060136902746],
   'h1': [0.057035845246, 0.410530104313, 0.390281270199, 0.35296322401, 0.397643805115,
          0.248120846704, -0.004938661754, 0.396174995316, 0.377363436628, -0.376324603557,
          0.056338831562, -0.055982571619, -0.438580165062, 0.029086862766, 0.340382008765,
          -1.07648806498, -0.554617185788, 0.449662578222, -0.827059718707, -0.935861050592,
          -0.954483609213, -0.397389526595, -0.451724847069, -0.510466122092, -0.62812563557,
          -0.791675972334, -0.741824946625, 0.174741037443, -0.452090595357, -0.709799498583,
          0.056608588191, -0.150109382428, -0.33300349967, 0.145280029774, -0.373752153024,
          -0.507181390112],
   'out': [-0.315504995696, 0.388396763259, -0.249044304914, 0.083724739788, -0.312345198272,
           0.376366779619, -0.195251807061, 0.060136902746, -0.316079073773, 0.391523828486,
           -0.115951504337, 0.044434338516, -0.482098884871, 0.575729018073, -0.191607614858,
           0.055915589364, -0.479044154109, 0.572824569123, -0.115691739985, 0.039522515593,
           -0.56330309956, 0.668163979641, -0.114334847433, 0.037602275061]}),
 ('GRU', {'bidirectional': True, 'hidden_size': 2, 'input_size': 2}, True,
  {'g_bias_hh_l0': [0.40489062589, 2.050129707114],
   'g_bias_hh_l0_reverse': [-0.120022266616, 0.833382141783],
   'g_bias_ih_l0': [1.487558735883, 3.267622189104],
   'g_bias_ih_l0_reverse': [-0.233614794189, 1.111350591229],
   'g_weight_hh_l0': [-0.16109520569, 0.495958162938],
   'g_weight_hh_l0_reverse': [0.048597538437, 0.114545677762],
   'g_weight_ih_l0': [-0.687446773022, 2.710114528833],
   'g_weight_ih_l0_reverse': [-0.437961221146, 1.776700422172],
   'gx0': [0.125199381715, 0.201360126575, 0.074697769686, 0.02570040852, 0.339569827932,
           0.249700050157],
   'gx1': [-0.247905475011, -0.521685121255],
   'gx2': [-0.076441824033, -0.350659905957, -0.006320088031, -0.060970646167],
   'h0': [-0.512822991215, -0.525348020063, -0.476988811931, -0.244346686568, -0.471223776356,
          -0.586805551444, 0.206787399775, -0.085149041527, 0.0823158505, -0.139460299137,
          0.276079952955, 0.104304355642],
   'out': [-0.541617344539, 0.354128118224, 0.206787399775, -0.085149041527, -0.350362464519,
           -0.455933080293, 0.276079952955, 0.104304355642, -0.476988811931, -0.244346686568,
           0.0823158505, -0.139460299137, -0.552733496886, -0.269767645292, 0.263133462496,
           0.080937983579, -0.471223776356, -0.586805551444, 0.089029789085, 0.012233160095,
           -0.512822991215, -0.525348020063, 0.126500718034, 0.078613830559]}),
 ('RNN', {'bidirectional': True, 'hidden_size': 2, 'input_size': 3, 'nonlinearity': 'relu'}, False,
  {'g_bias_hh_l0': [7.527391221281, 20.819951391756],
   'g_bias_hh_l0_reverse': [6.410992674858, 8.902510275193],
   'g_bias_ih_l0': [7.527391221281, 20.819951391756],
   'g_bias_ih_l0_reverse': [6.410992674858, 8.902510275193],
   'g_weight_hh_l0': [10.220967539226, 30.797153611027],
   'g_weight_hh_l0_reverse': [3.254693330417, 12.990018430777],
   'g_weight_ih_l0': [11.601630745994, 34.749995042383],
   'g_weight_ih_l0_reverse': [-1.927408879119, 7.116957562319],
   'gx0': [1.190821833635, 2.503139030892, 2.638190829294, -1.251429821736, -1.232126739578,
           -0.633335199285, 1.475802769888, 2.498346111693, 2.345878239434, 0.766507213478,
           1.272553662736, 1.18009824021, 0.542390259435, 3.01713925415, 4.072880513536,
           0.493391544214, -0.18267667853, -0.772829204959],
   'h0': [2.932378214552, 0.634210322974, 0.0, 0.387626288832, 0.0, 1.705848946675, 0.670478358868,
          0.705548949984],
   'out': [0.736183996884, 0.629210258087, 0.0, 1.705848946675, 0.158988682963, 0.0,
           0.670478358868, 0.705548949984, 2.122492101602, 0.654231657282, 0.0, 2.110097436136,
           0.0, 0.0, 0.928042343729, 0.206967473797, 2.932378214552, 0.634210322974, 0.0,
           1.611524035184, 0.0, 0.387626288832, 0.537885230611, 0.17714858481]}),
 ('LSTM', {'bidirectional': True, 'hidden_size': 2, 'input_size': 3, 'num_layers': 2}, False,
  {'g_bias_hh_l0': [2.330839531399, 3.969546763224],
   'g_bias_hh_l0_reverse': [2.450745505484, 3.095468584597],
   'g_bias_hh_l1': [0.164807798616, 2.073295146068],
   'g_bias_hh_l1_reverse': [4.444554354438, 6.978325561586],
   'g_bias_ih_l0': [2.330839531399, 3.969546763224],
   'g_bias_ih_l0_reverse': [2.450745505484, 3.095468584597],
   'g_bias_ih_l1': [0.164807798616, 2.073295146068],
   'g_bias_ih_l1_reverse': [4.444554354438, 6.978325561586],
   'g_weight_hh_l0': [-0.270115034554, 2.246700920267],
   'g_weight_hh_l0_reverse': [-0.046972373943, 0.62918526241],
   'g_weight_hh_l1': [0.103108231989, 0.609854330685],
   'g_weight_hh_l1_reverse': [0.047238763423, 3.326425124988],
   'g_weight_ih_l0': [-1.201455845831, 4.336970898444],
   'g_weight_ih_l0_reverse': [0.083496843168, 6.179884270642],
   'g_weight_ih_l1': [0.18603861477, 1.399309751093],
   'g_weight_ih_l1_reverse': [-0.479864397721, 3.537404433344],
   'gx0': [0.094332392053, 0.170448918046, 0.166400654545, -0.173727330141, -0.185456154524,
           -0.109962051603, -0.037861875845, 0.10218676813, 0.194175378341, -0.268709570895,
           -0.032965655522, 0.218282522745, 0.016621313583, 0.317407812455, 0.468912457496,
           -0.601919211418, -0.24885795518, 0.221245085893],
   'h0': [-0.530844265519, -0.496149399806, -0.158438491027, -0.037105734389, 0.055023319876,
          0.003368854433, -0.141439168484, -0.14046049694, 0.064026909769, 0.300256748759,
          0.146031543015, 0.216593438488, -0.322134779184, -0.393447753793, -0.332739490959,
          -0.425453512069],
   'h1': [-0.779699343504, -0.76068367077, -0.387470636385, -0.046024280831, 0.401000553638,
          0.012389464094, -0.308637734601, -0.916322128462, 0.097644390953, 0.576595281913,
          0.222697007513, 0.383110436986, -0.771668914617, -0.671022960239, -0.884429979906,
          -0.720556124556],
   'out': [0.080209558418, 0.14320952869, -0.322134779184, -0.393447753793, 0.101304516425,
           0.13112021186, -0.332739490959, -0.425453512069, 0.073668095168, 0.237437809596,
           -0.285001158, -0.337636245992, 0.136333716532, 0.190825949113, -0.306328800535,
           -0.37560339639, 0.064026909769, 0.300256748759, -0.190808394212, -0.253449513399,
           0.146031543015, 0.216593438488, -0.237731979331, -0.257750469279]})]


def _weights(shapes):
    return [np.sin(np.arange(int(np.prod(s))) * 0.7 + k).reshape(s) * 0.6
            for k, s in enumerate(shapes)]


def _run(cls, kw, packed):
    m = getattr(nn, cls)(**kw).double()
    with disttrain.no_grad():
        for p, w in zip(m.parameters(), _weights([tuple(p.shape) for p in m.parameters()])):
            p.copy_(disttrain.tensor(w))
    if packed:
        leaves = [disttrain.tensor(np.cos(np.arange(n * kw["input_size"]) * 0.9 + i)
                                   .reshape(n, -1), requires_grad=True)
                  for i, n in enumerate((3, 1, 2))]
        out, h = m(rnn_utils.pack_sequence(leaves, enforce_sorted=False))
        assert isinstance(out, rnn_utils.PackedSequence)
        assert out.batch_sizes.tolist() == [3, 2, 1]
        assert out.sorted_indices.tolist() == [0, 2, 1]
        o = out.data
    else:
        x = disttrain.tensor(np.cos(np.arange(6 * kw["input_size"]) * 0.9).reshape(3, 2, -1),
                             requires_grad=True)
        out, h = m(x)
        o, leaves = out, [x]
    hs = h if isinstance(h, tuple) else (h,)
    weight = disttrain.tensor(np.sin(np.arange(o.numel()) * 1.3).reshape(tuple(o.shape)))
    loss = (o * weight).sum() + sum((t * t).sum() for t in hs)
    loss.backward()
    got = {"out": o, **{f"h{i}": t for i, t in enumerate(hs)},
           **{f"gx{i}": t.grad for i, t in enumerate(leaves)}}
    for name, p in m.named_parameters():
        g = p.grad.numpy()
        got["g_" + name] = [float((g * np.sin(np.arange(g.size)).reshape(g.shape)).sum()),
                            float(np.abs(g).sum())]
    return got


@pytest.mark.parametrize("cls,kw,packed,expected", CASES,
                         ids=["lstm-proj-bidir-2layer-packed", "gru-bidir-packed",
                              "rnn-relu-bidir", "lstm-bidir-2layer"])
def test_fused_layers_match_pytorch(cls, kw, packed, expected):
    got = _run(cls, kw, packed)
    assert sorted(got) == sorted(expected)
    for key, want in expected.items():
        have = got[key]
        have = have.detach().numpy().reshape(-1) if isinstance(have, disttrain.Tensor) else have
        np.testing.assert_allclose(have, want, rtol=1e-9, atol=1e-11, err_msg=key)


def _seqs(lengths, width, seed):
    rng = np.random.default_rng(seed)
    return [disttrain.tensor(rng.standard_normal((n, width)), requires_grad=True)
            for n in lengths]


@pytest.mark.parametrize("cls,kw", [("LSTM", {"proj_size": 2, "bidirectional": True}),
                                    ("GRU", {"num_layers": 2}),
                                    ("RNN", {"bidirectional": True})])
def test_packed_gradcheck_with_initial_states(cls, kw):
    """Inputs, initial states and every weight pass gradcheck through a packed, unsorted
    batch (sequences end at different steps in both directions)."""
    disttrain.manual_seed(0)
    m = getattr(nn, cls)(2, 3, **kw).double()
    dirs = 2 if kw.get("bidirectional") else 1
    layers = kw.get("num_layers", 1)
    rng = np.random.default_rng(1)
    h0 = disttrain.tensor(rng.standard_normal((dirs * layers, 3, kw.get("proj_size", 3))),
                          requires_grad=True)
    c0 = disttrain.tensor(rng.standard_normal((dirs * layers, 3, 3)), requires_grad=True)
    seqs = _seqs((2, 3, 1), 2, 2)
    params = list(m.parameters())

    def fn(*args):
        s, h, c = args[:3], args[3], args[4]
        out, hn = m(rnn_utils.pack_sequence(list(s), enforce_sorted=False),
                    (h, c) if cls == "LSTM" else h)
        hn = hn if isinstance(hn, tuple) else (hn,)
        return (out.data,) + hn

    assert gradcheck(fn, (*seqs, h0, c0))
    assert gradcheck(lambda *ps: fn(*seqs, h0, c0), params)     # perturbs the weights


def test_fused_lstm_and_gru_double_backward():
    """create_graph=True goes through a recomputation with Tensor ops: second derivatives
    are right."""
    disttrain.manual_seed(0)
    for cls in ("LSTM", "GRU"):
        m = getattr(nn, cls)(2, 2).double()
        x = disttrain.randn(3, 1, 2, dtype=disttrain.float64, requires_grad=True)
        assert gradgradcheck(lambda t: m(t)[0], (x,))


def test_cells_fused_step_gradcheck():
    disttrain.manual_seed(0)
    x = disttrain.randn(2, 3, dtype=disttrain.float64, requires_grad=True)
    h = disttrain.randn(2, 4, dtype=disttrain.float64, requires_grad=True)
    c = disttrain.randn(2, 4, dtype=disttrain.float64, requires_grad=True)
    lstm, gru = nn.LSTMCell(3, 4).double(), nn.GRUCell(3, 4).double()
    rnn = nn.RNNCell(3, 4, nonlinearity="relu").double()
    assert gradcheck(lambda a, b, d: lstm(a, (b, d)), (x, h, c))
    assert gradcheck(lambda a, b: gru(a, b), (x, h))
    assert gradcheck(lambda a, b: rnn(a, b), (x, h))


# ------------------------------------------------------------------------- the utilities
def test_pack_and_pad_round_trip_like_pytorch():
    a, b, c = disttrain.tensor([1., 2, 3]), disttrain.tensor([4., 5]), disttrain.tensor([6.])
    p = rnn_utils.pack_sequence([b, a, c], enforce_sorted=False)
    assert p.data.tolist() == [1., 4, 6, 2, 5, 3]
    assert p.batch_sizes.tolist() == [3, 2, 1] and p.batch_sizes.dtype == disttrain.int64
    assert p.sorted_indices.tolist() == [1, 0, 2] and p.unsorted_indices.tolist() == [1, 0, 2]
    padded, lengths = rnn_utils.pad_packed_sequence(p, batch_first=True, total_length=4)
    assert padded.tolist() == [[4., 5, 0, 0], [1, 2, 3, 0], [6, 0, 0, 0]]
    assert lengths.tolist() == [2, 3, 1]
    assert [t.tolist() for t in rnn_utils.unpack_sequence(p)] == [[4., 5], [1, 2, 3], [6.]]
    left = rnn_utils.pad_sequence([b, a, c], padding_side="left", padding_value=-1)
    assert left.tolist() == [[-1., 1, -1], [4, 2, -1], [5, 3, 6]]
    assert rnn_utils.pad_sequence(disttrain.arange(6.).reshape(2, 3)).tolist() == \
        [[0., 3], [1, 4], [2, 5]]
    parts = rnn_utils.unpad_sequence(disttrain.arange(6.).reshape(3, 2), disttrain.tensor([3, 1]))
    assert [t.tolist() for t in parts] == [[0., 2, 4], [1.]]
    sorted_p = rnn_utils.pack_padded_sequence(disttrain.tensor([[1., 2, 3], [4, 5, 0]]), [3, 2],
                                              batch_first=True)
    assert sorted_p.data.tolist() == [1., 4, 2, 5, 3] and sorted_p.sorted_indices is None
    assert sorted_p.to(disttrain.float64).data.dtype == disttrain.float64
    assert sorted_p.to("cpu") is sorted_p and sorted_p.is_cuda is False
    assert sorted_p.double().batch_sizes.dtype == disttrain.int64


def test_packing_gradients_flow_to_the_padded_input():
    x = disttrain.tensor([[1., 2, 3], [4, 5, 6]], requires_grad=True)
    p = rnn_utils.pack_padded_sequence(x, [3, 1], batch_first=True)
    (p.data * disttrain.tensor([1., 2, 3, 4])).sum().backward()
    assert x.grad.tolist() == [[1., 3, 4], [2, 0, 0]]


@pytest.mark.parametrize("call,exc,msg", [
    (lambda: rnn_utils.pack_sequence([disttrain.ones(1), disttrain.ones(2)]), RuntimeError,
     "`lengths` array must be sorted in decreasing order when `enforce_sorted` is True."),
    (lambda: rnn_utils.pack_padded_sequence(disttrain.zeros(3, 2), disttrain.tensor([0, 2]),
                                            enforce_sorted=False), RuntimeError,
     "Length of all samples has to be greater than 0, but found an element in 'lengths' "
     "that is <= 0"),
    (lambda: rnn_utils.pack_padded_sequence(disttrain.zeros(3, 2), disttrain.tensor([3, 2, 1])),
     RuntimeError, "Expected `len(lengths)` to be equal to batch_size, but got 3 "
                   "(batch_size=2)"),
    (lambda: rnn_utils.pad_sequence([disttrain.zeros(2)], padding_side="up"), RuntimeError,
     "Expected padding_side to be one of left or right, but got up."),
    (lambda: rnn_utils.pad_packed_sequence(
        rnn_utils.pack_sequence([disttrain.ones(3), disttrain.ones(1)]), total_length=2),
     ValueError, "Expected total_length to be at least the length of the longest sequence in "
                 "input, but got total_length=2 and max sequence length being 3"),
])
def test_packing_errors_match_pytorch(call, exc, msg):
    with pytest.raises(exc) as info:
        call()
    assert msg in str(info.value)
