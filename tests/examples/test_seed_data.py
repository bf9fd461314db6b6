"""The tutorials' data loading, summary and save/load snippets, run as the scripts under
examples/seeds: they print what the tutorials print wherever that output is deterministic."""
import re

import pytest

import disttrain as torch
from disttrain.utils.data import DataLoader

from ._seeds import load_seed


SUMMARY_TABLE = """\
----------------------------------------------------------------
        Layer (type)               Output Shape         Param #
================================================================
            Linear-1                    [-1, 8]              24
              ReLU-2                    [-1, 8]               0
            Linear-3                    [-1, 1]               9
================================================================
Total params: 33
Trainable params: 33
Non-trainable params: 0
----------------------------------------------------------------
Input size (MB): 0.00
Forward/backward pass size (MB): 0.00
Params size (MB): 0.00
Estimated Total Size (MB): 0.00
----------------------------------------------------------------
None
"""

SGD_STATE_DICT_METHOD = """\
<bound method Optimizer.state_dict of SGD (
Parameter Group 0
    dampening: 0
    differentiable: False
    foreach: None
    fused: None
    lr: 0.001
    maximize: False
    momentum: 0.9
    nesterov: False
    weight_decay: 0
)>"""

# PyTorch 2.13: the loss of each of the 100 steps (50 epochs x 2 batches, in order) of the
# MyDataset/DataLoader loop from fixed_init's weights, and the prediction for [10, 11].
TORCH_BATCH_LOSSES = [
    26.040125, 154.962082, 23.62919, 141.678192, 20.345366, 122.993286, 16.100979, 98.414795,
    11.191657, 69.78466, 6.43916, 41.949959, 2.86225, 20.633278, 0.914683, 8.264279, 0.203737,
    2.816582, 0.065361, 0.896316, 0.087828, 0.302388, 0.125904, 0.123581, 0.15072, 0.066369,
    0.163665, 0.045938, 0.169658, 0.03777, 0.172067, 0.034191, 0.172728, 0.0325, 0.172553,
    0.031637, 0.171986, 0.031151, 0.171237, 0.030837, 0.170405, 0.030606, 0.169536, 0.030412,
    0.168654, 0.030237, 0.167767, 0.030071, 0.16688, 0.029909, 0.165997, 0.02975, 0.165117,
    0.029593, 0.164241, 0.029438, 0.16337, 0.029283, 0.162504, 0.02913, 0.161643, 0.028976,
    0.160785, 0.028825, 0.159933, 0.028674, 0.159085, 0.028524, 0.158242, 0.028375, 0.157404,
    0.028225, 0.156569, 0.028078, 0.15574, 0.02793, 0.154914, 0.027784, 0.154094, 0.027639,
    0.153278, 0.027495, 0.152465, 0.027351, 0.151658, 0.027207, 0.150855, 0.027065, 0.150056,
    0.026924, 0.149262, 0.026783, 0.148471, 0.026643, 0.147685, 0.026504, 0.146903, 0.026366,
    0.146126, 0.026228]
TORCH_PREDICTION = 20.53299331665039


def fixed_init(net):
    """Deterministic weights, set the same way in the PyTorch run that made the literals."""
    with torch.no_grad():
        for i, p in enumerate(net.parameters()):
            n = p.numel()
            p.copy_(((torch.arange(n, dtype=torch.float32) % 5) - 2 + 0.5 * i).reshape(p.shape)
                    / 10)


def test_saveload_tensors_prints_tutorial_output(tmp_path, monkeypatch, capsys):
    """A tensor, a list and a dict of tensors come back and print as in the tutorial."""
    monkeypatch.chdir(tmp_path)
    load_seed("saveload_tensors").main()
    assert capsys.readouterr().out == (
        "tensor([0, 1, 2, 3])\n"
        "(tensor([0, 1, 2, 3]), tensor([0., 0., 0., 0.]))\n"
        "tensor([0, 1, 2, 3])\n"
        "tensor([0., 0., 0., 0.])\n"
        "{'x': tensor([0, 1, 2, 3]), 'y': tensor([0., 0., 0., 0.])}\n")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mydict", "x-file", "x-files"]


def test_saveload_state_dict_round_trip(tmp_path, monkeypatch, capsys):
    """The state_dict prints as an OrderedDict, the optimizer's bound method as in PyTorch,
    and the reloaded network (and the reloaded whole model) give Y2 == Y all True."""
    monkeypatch.chdir(tmp_path)
    load_seed("saveload_state_dict").main()
    out = capsys.readouterr().out
    assert re.match(r"OrderedDict\(\[\('hidden\.weight', tensor\(\[\[.*\('hidden\.bias', "
                    r"tensor\(\[.*\('output\.weight', tensor\(\[\[.*\('output\.bias', "
                    r"tensor\(\[[^\]]*\]\)\)\]\)\n", out, re.S)
    assert SGD_STATE_DICT_METHOD in out
    assert out.endswith("tensor([[True],\n        [True]])\n" * 2)


def test_summary_sequential_prints_table(tmp_path, monkeypatch, capsys):
    """print(summary(model, (2,))) gives the tutorial's table and None; the reloaded model
    predicts exactly what the trained one predicted."""
    monkeypatch.chdir(tmp_path)
    torch.manual_seed(0)
    model, loss_history = load_seed("summary_sequential").main()
    out = capsys.readouterr().out
    assert out.startswith(SUMMARY_TABLE)
    preds = re.findall(r"tensor\(\[\[[ \d.]+\],\n\s+\[[ \d.]+\],\n\s+\[[ \d.]+\]\], "
                       r"grad_fn=<AddmmBackward0>\)", out)
    assert len(preds) == 2 and preds[0] == preds[1]
    assert len(loss_history) == 100 and loss_history[-1] < loss_history[0]
    assert (tmp_path / "mymodel.pth").exists()


def test_mydataset_training_follows_pytorch():
    """From fixed weights and the unshuffled batch order, 100 mini-batch SGD steps give
    PyTorch's losses and prediction."""
    m = load_seed("data_mydataset_training")
    X, Y = torch.tensor(m.x).float(), torch.tensor(m.y).float()
    net = m.MyNeuralNet()
    fixed_init(net)
    losses = m.train(net, DataLoader(m.MyDataset(X, Y), batch_size=2, shuffle=False))
    assert losses == pytest.approx(TORCH_BATCH_LOSSES, rel=1e-4, abs=1e-5)
    assert net(torch.tensor([[10.0, 11.0]])).item() == pytest.approx(TORCH_PREDICTION, rel=1e-5)


def test_mydataset_training_script(capsys):
    """The script prints two shuffled batches of matching pairs, then learns to add."""
    torch.manual_seed(0)
    losses = load_seed("data_mydataset_training").main()
    out = capsys.readouterr().out
    assert out.count("tensor([[") == 5          # 2 batches x (x, y), then the prediction
    assert len(losses) == 100 and losses[-1] < 0.1 < 10 < losses[0]
    prediction = float(re.search(r"tensor\(\[\[([\d.]+)\]\], grad_fn", out).group(1))
    assert prediction == pytest.approx(21.0, abs=1.0)
