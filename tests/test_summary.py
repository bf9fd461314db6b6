"""summary: torchsummary's table, character for character (expected texts are torchsummary
1.5.1's output for the same models under PyTorch)."""
import pytest

import disttrain
import disttrain.nn as nn
from disttrain.summary import summary, summary_string

RULE, DOUBLE = "-" * 64, "=" * 64
HEADER = [RULE, "        Layer (type)               Output Shape         Param #", DOUBLE]


def table(rows, totals, sizes):
    return "\n".join(HEADER + rows + [DOUBLE] + totals + [RULE] + sizes + [RULE]) + "\n"


SMALL_SIZES = ["Input size (MB): 0.00", "Forward/backward pass size (MB): 0.00",
               "Params size (MB): 0.00", "Estimated Total Size (MB): 0.00"]


class ConvNet(nn.Module):
    """Conv, batch norm, pooling, a Linear with a frozen bias and one with a frozen weight."""

    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 8, 3), nn.BatchNorm2d(8), nn.ReLU(),
                                      nn.MaxPool2d(2))
        self.fc = nn.Linear(8 * 13 * 13, 10)
        self.fc.bias.requires_grad_(False)
        self.head = nn.Linear(10, 3, bias=False)
        self.head.weight.requires_grad_(False)

    def forward(self, x):
        return self.head(self.fc(self.features(x).flatten(1)))


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.a, self.b = nn.Linear(4, 5), nn.Linear(6, 5)

    def forward(self, x, y):
        return self.a(x) + self.b(y)


class Shared(nn.Module):
    """One layer called twice, and a layer never called."""

    def __init__(self):
        super().__init__()
        self.l = nn.Linear(3, 3)
        self.emb = nn.Embedding(1000, 300)

    def forward(self, x):
        return self.l(self.l(x))


def test_tutorial_sequential_exact(capsys):
    """The tutorial's Sequential prints exactly the table shown there, and returns None."""
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    assert summary(model, (2,)) is None
    assert capsys.readouterr().out == table(
        ["            Linear-1                    [-1, 8]              24",
         "              ReLU-2                    [-1, 8]               0",
         "            Linear-3                    [-1, 1]               9"],
        ["Total params: 33", "Trainable params: 33", "Non-trainable params: 0"], SMALL_SIZES)


def test_conv_net_with_frozen_parameters(capsys):
    """Nested containers, thousands separators, and torchsummary's trainable rule (a module
    counts as trainable by its weight's requires_grad) all match."""
    disttrain.summary(ConvNet(), (1, 28, 28))
    assert capsys.readouterr().out == table(
        ["            Conv2d-1            [-1, 8, 26, 26]              80",
         "       BatchNorm2d-2            [-1, 8, 26, 26]              16",
         "              ReLU-3            [-1, 8, 26, 26]               0",
         "         MaxPool2d-4            [-1, 8, 13, 13]               0",
         "            Linear-5                   [-1, 10]          13,530",
         "            Linear-6                    [-1, 3]              30"],
        ["Total params: 13,656", "Trainable params: 13,626", "Non-trainable params: 30"],
        ["Input size (MB): 0.00", "Forward/backward pass size (MB): 0.13",
         "Params size (MB): 0.05", "Estimated Total Size (MB): 0.19"])


def test_batch_size_and_size_estimates(capsys):
    """A given batch_size shows in the shapes and in the MB estimates."""
    model = nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Flatten(), nn.Linear(4 * 64 * 64, 2))
    summary(model, (3, 64, 64), batch_size=8)
    assert capsys.readouterr().out == table(
        ["            Conv2d-1             [8, 4, 64, 64]             112",
         "           Flatten-2                 [8, 16384]               0",
         "            Linear-3                     [8, 2]          32,770"],
        ["Total params: 32,882", "Trainable params: 32,882", "Non-trainable params: 0"],
        ["Input size (MB): 0.38", "Forward/backward pass size (MB): 2.00",
         "Params size (MB): 0.13", "Estimated Total Size (MB): 2.50"])


def test_multiple_inputs(capsys):
    """A list of input sizes feeds one random tensor per model input."""
    summary(TwoInputs(), [(4,), (6,)])
    assert capsys.readouterr().out == table(
        ["            Linear-1                    [-1, 5]              25",
         "            Linear-2                    [-1, 5]              35"],
        ["Total params: 60", "Trainable params: 60", "Non-trainable params: 0"], SMALL_SIZES)


def test_reused_and_unused_layers(capsys):
    """A layer called twice gets two rows; a layer never called gets none."""
    summary(Shared(), (3,), batch_size=64)
    assert capsys.readouterr().out == table(
        ["            Linear-1                    [64, 3]              12",
         "            Linear-2                    [64, 3]              12"],
        ["Total params: 24", "Trainable params: 24", "Non-trainable params: 0"], SMALL_SIZES)


def test_dtypes_and_summary_string():
    """dtypes picks each input's dtype; summary_string returns the text and the counts."""
    model = nn.Sequential(nn.Embedding(10, 3))
    text, counts = summary_string(model, (4,), dtypes=[disttrain.int64])
    assert "       Embedding-1                 [-1, 4, 3]              30" in text
    assert counts == (30, 30)


def test_entry_points_are_the_same_function(capsys):
    """disttrain.summary, disttrain.utils.summary and the imported function all print it."""
    import disttrain.summary as mod
    import disttrain.utils.summary as umod
    model = nn.Sequential(nn.Linear(2, 1))
    outs = []
    for fn in (disttrain.summary, disttrain.utils.summary, mod.summary, umod.summary, mod):
        fn(model, (2,))
        outs.append(capsys.readouterr().out)
    assert len(set(outs)) == 1 and "Linear-1" in outs[0]


def test_hooks_removed_even_when_forward_fails():
    """The forward hooks go away after the run, also when the model raises."""
    model = nn.Sequential(nn.Linear(2, 3), nn.Linear(4, 1))
    with pytest.raises(RuntimeError, match="cannot be multiplied"):
        summary(model, (2,))
    assert all(not m._forward_hooks for m in model.modules())


def test_invalid_device():
    """A device other than cpu/cuda is refused with torchsummary's message."""
    with pytest.raises(ValueError, match="Input device is not valid, please specify 'cuda' or "
                                         "'cpu'"):
        summary(nn.Linear(2, 1), (2,), device="tpu")
