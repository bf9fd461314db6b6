"""disttrain.vision.models: torchvision's architectures, names, sizes and numbers.

Parameter counts, state_dict keys (with shapes, as a digest) and outputs from fixed weights
were recorded from torchvision 0.28 with PyTorch 2.13.
"""
import hashlib
import math

import numpy as np
import pytest

import disttrain
from disttrain import nn
from disttrain.vision import models

# name: (parameter count, state_dict entries, digest of "key:shape" lines)
TORCHVISION = {
    "resnet18": (11689512, 122, "3e58b0798c806a0c"),
    "resnet34": (21797672, 218, "97e365907d64da74"),
    "resnet50": (25557032, 320, "781bb16f43b8f96f"),
    "vgg11": (132863336, 22, "5e6ee14c22dc415d"),
    "vgg11_bn": (132868840, 62, "96ee5d41fde5cc7f"),
    "vgg16": (138357544, 32, "77334610293d95e2"),
    "vgg16_bn": (138365992, 97, "a463166a74dc0850"),
    "mobilenet_v2": (3504872, 314, "2a375ead3e9604e1"),
    "alexnet": (61100840, 16, "7cf57469ad654ca3"),
}


def key_digest(sd):
    lines = "\n".join(f"{k}:{tuple(v.shape)}" for k, v in sd.items())
    return hashlib.sha256(lines.encode()).hexdigest()[:16]


@pytest.mark.parametrize("name", sorted(TORCHVISION))
def test_architecture_equals_torchvision(name):
    """Same parameter count and the same state_dict keys and shapes as torchvision."""
    count, entries, digest = TORCHVISION[name]
    model = models.get_model(name)
    sd = model.state_dict()
    assert sum(p.numel() for p in model.parameters()) == count
    assert len(sd) == entries and key_digest(sd) == digest


def fixed_weights(model):
    """Every parameter and buffer set from a formula, as the reference run set them."""
    new = {}
    for i, (k, v) in enumerate(model.state_dict().items()):
        if k.endswith("num_batches_tracked"):
            new[k] = v
            continue
        n = v.numel()
        a = np.sin(np.arange(n) * 0.37 + i).reshape(tuple(v.shape))
        if k.endswith("running_var"):
            a = 1.0 + 0.5 * np.abs(a)
        else:
            a = a / math.sqrt(n / v.shape[0] if v.ndim > 1 else 1)
        new[k] = disttrain.tensor(a.astype(np.float32))
    model.load_state_dict(new)
    return model.eval()


@pytest.mark.parametrize("name,row0", [
    ("resnet18", [-14.41951, -1.89314, 12.83248, 17.42573, 7.87459, -8.16448, -17.6695]),
    ("mobilenet_v2", [-7.1677, 7.54806, -5.8915, -0.51304, 6.45879, -7.6299, 6.47772]),
    ("resnet50", [-33.01318, 26.19307, -12.17597, -8.84908, 25.27836, -31.68719, 27.07525]),
])
def test_outputs_equal_torchvision_from_the_same_weights(name, row0):
    """Eval-mode outputs from fixed weights equal torchvision's (float32 rounding)."""
    model = fixed_weights(models.get_model(name, num_classes=7))
    x = disttrain.tensor(np.sin(np.arange(2 * 3 * 32 * 32) * 0.01).reshape(2, 3, 32, 32)
                         .astype(np.float32))
    with disttrain.no_grad():
        y = model(x)
    assert y.shape == (2, 7)
    np.testing.assert_allclose(y[0].numpy(), row0, rtol=1e-4, atol=1e-4)


def test_weights_from_a_local_file_and_no_downloads(tmp_path):
    """weights= takes a local .pth (PyTorch's format); enums and pretrained=True explain."""
    src = fixed_weights(models.resnet18(num_classes=5))
    disttrain.save(src.state_dict(), tmp_path / "r18.pth")
    disttrain.save({"state_dict": src.state_dict(), "epoch": 3}, tmp_path / "ckpt.pth")
    for path in (tmp_path / "r18.pth", str(tmp_path / "ckpt.pth")):
        m = models.resnet18(weights=path, num_classes=5)
        assert disttrain.equal(m.fc.weight, src.fc.weight)
    with pytest.raises(ValueError, match=r"resnet18\(weights='DEFAULT'\): disttrain.vision "
                                         r"downloads nothing"):
        models.resnet18(weights="DEFAULT")
    with pytest.raises(ValueError, match="downloads nothing"):
        models.alexnet(pretrained=True)
    with pytest.raises(ValueError, match="Unknown model resnet7"):
        models.get_model("resnet7")


def test_transfer_learning_freezes_the_backbone():
    """Frozen backbone, new head: only the head changes and only it gets gradients."""
    disttrain.manual_seed(0)
    model = models.resnet18()
    for p in model.parameters():
        p.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, 3)
    before = model.layer1[0].conv1.weight.clone()
    opt = disttrain.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=0.1)
    x = disttrain.randn(4, 3, 32, 32)
    loss = nn.functional.cross_entropy(model(x), disttrain.tensor([0, 1, 2, 0]))
    loss.backward()
    opt.step()
    assert model.layer1[0].conv1.weight.grad is None
    assert disttrain.equal(model.layer1[0].conv1.weight, before)
    assert model.fc.weight.grad is not None


def test_model_options():
    """zero_init_residual, width_mult, dropout and num_classes behave as torchvision's."""
    m = models.resnet18(zero_init_residual=True, num_classes=3)
    assert float(m.layer2[1].bn2.weight.abs().sum()) == 0.0 and m.fc.out_features == 3
    small = models.mobilenet_v2(width_mult=0.5, num_classes=4)
    assert small.features[0][0].out_channels == 16 and small.last_channel == 1280
    assert models.alexnet(dropout=0.3).classifier[0].p == 0.3
    assert "resnet18" in models.list_models() and "vgg16_bn" in models.list_models()
