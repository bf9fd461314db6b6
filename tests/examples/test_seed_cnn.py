"""The tutorials' CNN and GRU snippets, run as the scripts under examples/seeds: exact text
where the output is deterministic, shapes and structure where it depends on random draws."""
import re

import disttrain as torch

from ._seeds import load_seed as _load


EDGE = """\
tensor([[ 0.,  1.,  0.,  0.,  0., -1.,  0.],
        [ 0.,  1.,  0.,  0.,  0., -1.,  0.],
        [ 0.,  1.,  0.,  0.,  0., -1.,  0.],
        [ 0.,  1.,  0.,  0.,  0., -1.,  0.],
        [ 0.,  1.,  0.,  0.,  0., -1.,  0.],
        [ 0.,  1.,  0.,  0.,  0., -1.,  0.]])
"""

# PyTorch 2.13's output of the same script started from the kernel [[0.3, -0.2]]
KERNEL_LEARNING_FROM_FIXED_INIT = EDGE + """\
epoch 2, loss 2.861
epoch 4, loss 0.503
epoch 6, loss 0.094
epoch 8, loss 0.020
epoch 10, loss 0.005
tensor([[ 0.9967, -0.9860]])
""" + EDGE + "True\n"


def test_kernel_learning_prints_pytorch_text_from_fixed_init(capsys):
    """From a fixed kernel, the loop prints PyTorch's losses and learned kernel exactly."""
    _load("cnn_conv2d_kernel_learning").main(init=[[0.3, -0.2]])
    assert capsys.readouterr().out == KERNEL_LEARNING_FROM_FIXED_INIT


def test_kernel_learning_from_random_init_converges(capsys):
    """From the default random kernel, the loss falls and the kernel approaches [1, -1]."""
    torch.manual_seed(0)
    conv2d, losses = _load("cnn_conv2d_kernel_learning").main(epochs=30)
    out = capsys.readouterr().out
    assert out.startswith(EDGE)
    assert re.search(r"^epoch 30, loss \d+\.\d{3}$", out, re.M)
    assert losses[-1] < losses[0] / 100
    assert torch.allclose(conv2d.weight.data.reshape(2), torch.tensor([1.0, -1.0]), atol=0.02)


NET_HEAD = """\
Net(
  (conv1): Conv2d(1, 6, kernel_size=(3, 3), stride=(1, 1))
  (fc1): Linear(in_features=1350, out_features=10, bias=True)
)
4
disttrain.Size([6, 1, 3, 3])
"""
NET_SIZES = """\
disttrain.Size([1, 1, 32, 32])
disttrain.Size([1, 6, 30, 30])
disttrain.Size([1, 6, 15, 15])
disttrain.Size([1, 1350])
"""


def test_net_tutorial_prints_structure_sizes_and_grads(capsys):
    """Net prints PyTorch's layout and sizes; the loss and bias grad appear where PyTorch's do."""
    torch.manual_seed(0)
    net, bias_before = _load("cnn_net_tutorial").main()
    out = capsys.readouterr().out
    float_ = r"-?\d+\.\d{4}"
    pattern = (re.escape(NET_HEAD + NET_SIZES) + re.escape("disttrain.Size([1, 10])\n")
               + re.escape(NET_SIZES) + rf"tensor\({float_}, grad_fn=<MseLossBackward0>\)\n"
               + re.escape("conv1.bias.grad before backward\nNone\n"
                           "conv1.bias.grad after backward\n")
               + rf"tensor\(\[ *{float_}(, +{float_}){{5}}\]\)\n"
               + re.escape(NET_SIZES) + "$")
    assert re.match(pattern, out), out
    # the SGD step moved conv1's bias by -lr * grad
    assert not torch.equal(net.conv1.bias.detach(), bias_before)
    assert torch.allclose(net.conv1.bias.detach(), bias_before - 0.01 * net.conv1.bias.grad)


MYMODEL_TEXT = """\
MyModel(
  (conv1): Conv2d(1, 20, kernel_size=(5, 5), stride=(1, 1))
  (conv2): Conv2d(20, 50, kernel_size=(5, 5), stride=(1, 1))
  (fc1): Linear(in_features=800, out_features=500, bias=True)
  (fc2): Linear(in_features=500, out_features=10, bias=True)
)
disttrain.Size([8, 10])
"""


def test_mymodel_prints_layers_and_trains(capsys):
    """MyModel prints PyTorch's layout, its loss falls over SGD steps, F.conv2d shapes match."""
    torch.manual_seed(0)
    model, losses, output = _load("cnn_mymodel").main(steps=3)
    out = capsys.readouterr().out
    assert out.startswith(MYMODEL_TEXT)
    assert re.search(r"^loss \d\.\d{4} -> \d\.\d{4}$", out, re.M)
    assert out.endswith("disttrain.Size([1, 33, 10, 10])\n")
    assert losses[-1] < losses[0]
    assert bool((output >= 0).all())


GRU_TEXT = """\
GRU(10, 20, num_layers=2, batch_first=True)
weight_ih_l0 disttrain.Size([60, 10])
weight_hh_l0 disttrain.Size([60, 20])
bias_ih_l0 disttrain.Size([60])
bias_hh_l0 disttrain.Size([60])
weight_ih_l1 disttrain.Size([60, 20])
weight_hh_l1 disttrain.Size([60, 20])
bias_ih_l1 disttrain.Size([60])
bias_hh_l1 disttrain.Size([60])
disttrain.Size([3, 5, 20])
disttrain.Size([2, 3, 20])
True
True
"""


def test_gru_tutorial_prints_pytorch_text(capsys):
    """The GRU example prints exactly what PyTorch prints (layer, parameters, shapes)."""
    _load("rnn_gru").main()
    assert capsys.readouterr().out == GRU_TEXT
