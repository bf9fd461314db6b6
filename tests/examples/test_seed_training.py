"""The tutorials' training loops that use nn and optim: the two-number-addition network
learns as it does under PyTorch, and the optimizer and scheduler snippets run and train."""
import math

import numpy as np
import pytest

import disttrain as torch

from ._seeds import load_seed


# MyNeuralNet's parameters after torch.manual_seed(0) in PyTorch 2.13, and the loss of each of
# the 50 epochs of SGD(lr=0.001) that PyTorch then records.
TORCH_INIT = {
    "input_to_hidden_layer.weight": [
        [-0.005293981172144413, 0.37932288646698], [-0.5819807648658752, -0.5203874707221985],
        [-0.27234524488449097, 0.1896158903837204], [-0.014010033570230007, 0.5606575012207031],
        [-0.06275151669979095, 0.1871093362569809], [-0.2136969119310379, -0.13899271190166473],
        [-0.6755334138870239, -0.4683041572570801], [-0.2914857566356659, 0.026193760335445404]],
    "input_to_hidden_layer.bias": [
        0.2795442044734955, 0.42428016662597656, -0.47937673330307007, -0.3079187273979187,
        0.2568332850933075, 0.5871729254722595, -0.14552269876003265, 0.5291363000869751],
    "hidden_to_output_layer.weight": [[
        -0.05698692053556442, 0.037410933524370193, 0.3201341927051544, -0.32798099517822266,
        -0.22257526218891144, -0.08950743079185486, -0.13781508803367615, 0.30547040700912476]],
    "hidden_to_output_layer.bias": [-0.22916610538959503],
}
TORCH_LOSS_HISTORY = [
    132.0424346923828, 121.02224731445312, 113.113525390625, 106.8970947265625,
    101.53559875488281, 96.8778076171875, 92.25465393066406, 87.2239990234375,
    81.57917785644531, 75.17436218261719, 67.95008850097656, 59.940914154052734,
    51.31978988647461, 42.40452575683594, 33.63051223754883, 25.48123550415039,
    18.38617706298828, 12.621570587158203, 8.257407188415527, 5.173592567443848,
    3.130031108856201, 1.8510169982910156, 1.0885636806488037, 0.6518282294273376,
    0.409426212310791, 0.27807706594467163, 0.2081325799226761, 0.17131060361862183,
    0.1520313322544098, 0.1419185996055603, 0.13655038177967072, 0.13362038135528564,
    0.13193774223327637, 0.13089066743850708, 0.13016773760318756, 0.12960945069789886,
    0.1291351616382599, 0.12870420515537262, 0.1282954216003418, 0.127898707985878,
    0.12750853598117828, 0.1271224468946457, 0.1267387568950653, 0.1263573169708252,
    0.1259772926568985, 0.12559884786605835, 0.12522158026695251, 0.12484550476074219,
    0.12447056174278259, 0.12409694492816925]
TORCH_PREDICTION = 20.331247329711914     # mynet([[10, 11]]) after training


def test_two_number_addition_follows_pytorch():
    """From PyTorch's initial weights, 50 SGD epochs give PyTorch's loss history and its
    prediction for the unseen input [10, 11]."""
    m = load_seed("train_two_number_addition")
    net = m.MyNeuralNet()
    net.load_state_dict({k: torch.tensor(v) for k, v in TORCH_INIT.items()})
    history = m.train(net, torch.tensor(m.x).float(), torch.tensor(m.y).float())
    np.testing.assert_allclose(history, TORCH_LOSS_HISTORY, rtol=2e-5)
    assert net(torch.tensor([[10.0, 11.0]])).item() == pytest.approx(TORCH_PREDICTION,
                                                                     rel=1e-5)


def test_two_number_addition_reaches_the_tutorial_loss():
    """From our own random initialisations the loss falls from tens to well below 1 within
    the tutorial's 50 epochs, and the script's prediction for [10, 11] is close to 21."""
    m = load_seed("train_two_number_addition")
    X, Y = torch.tensor(m.x).float(), torch.tensor(m.y).float()
    finals = []
    for seed in range(4):
        torch.manual_seed(seed)
        history = m.train(m.MyNeuralNet(), X, Y)
        assert history[0] > 10 * history[-1]
        finals.append(history[-1])
    assert sorted(finals)[2] < 0.5
    history = m.main()
    assert len(history) == 50 and history[-1] < 0.5


def test_optimizer_snippets(capsys):
    """SGD+momentum, Adam and the fully spelled-out RMSprop all train the MLP; the optimizer's
    bound state_dict prints as PyTorch's; a saved model+optimizer resumes identically."""
    m = load_seed("train_optimizers")
    results = m.main(epochs=300)
    for name, history in results.items():
        assert history[-1] < 0.05 * history[0], name
    out = capsys.readouterr().out
    assert out.startswith("<bound method Optimizer.state_dict of SGD (\nParameter Group 0\n"
                          "    dampening: 0\n")
    assert "    momentum: 0.9\n    nesterov: False\n    weight_decay: 0\n)>\n" in out
    assert "resumed: True" in out


def test_scheduler_snippets():
    """Each tutorial scheduler sets PyTorch's lr over 100 epochs while the model trains."""
    m = load_seed("train_schedulers")
    expected = {
        "StepLR": lambda e: 1e-3 * 0.1 ** (e // 30),
        "MultiStepLR": lambda e: 1e-3 * 0.1 ** ((e >= 30) + (e >= 80)),
        "ExponentialLR": lambda e: 1e-3 * 0.9 ** e,
        "CosineAnnealingLR": lambda e: 1e-3 * (1 + math.cos(math.pi * e / 50)) / 2,
    }
    for name, lr_at in expected.items():
        lrs, val_losses = m.run(name)
        np.testing.assert_allclose(lrs, [lr_at(e) for e in range(100)], rtol=1e-9,
                                   atol=1e-15, err_msg=name)
        assert min(val_losses) < 1.0
    lrs, val_losses = m.run("ReduceLROnPlateau")
    assert all(b <= a for a, b in zip(lrs, lrs[1:])) and lrs[0] == 1e-3
    assert all(any(math.isclose(lr, 1e-3 * 0.1 ** k, rel_tol=1e-9) for k in range(6))
               for lr in lrs)
