"""VGG (Simonyan and Zisserman, 2014) as torchvision defines it: same modules, names, init."""
from ... import nn
from ._api import build, register

__all__ = ["VGG", "vgg11", "vgg11_bn", "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19",
           "vgg19_bn"]

# channels per 3x3 convolution, "M" a 2x2 max-pool: configurations A (11), B (13), D (16), E (19)
CFGS = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512,
          "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M", 512,
          512, 512, 512, "M"],
}


def make_layers(cfg, batch_norm=False):
    """The ``features`` stack of one configuration."""
    layers, in_channels = [], 3
    for v in cfg:
        if v == "M":
            layers.append(nn.MaxPool2d(kernel_size=2, stride=2))
            continue
        conv = nn.Conv2d(in_channels, v, kernel_size=3, padding=1)
        layers += [conv, nn.BatchNorm2d(v), nn.ReLU(inplace=True)] if batch_norm else [
            conv, nn.ReLU(inplace=True)]
        in_channels = v
    return nn.Sequential(*layers)


class VGG(nn.Module):
    """VGG: a stack of 3x3 convolutions, 7x7 adaptive pooling and a 3-layer classifier.

    Args:
        features (nn.Module): the convolution stack (``make_layers``).
        num_classes (int): outputs. Default: 1000.
        init_weights (bool): torchvision's initialisation. Default: True.
        dropout (float): dropout of the classifier. Default: 0.5.
    """

    def __init__(self, features, num_classes=1000, init_weights=True, dropout=0.5):
        super().__init__()
        self.features = features
        self.avgpool = nn.AdaptiveAvgPool2d((7, 7))
        self.classifier = nn.Sequential(
            nn.Linear(512 * 7 * 7, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, 4096), nn.ReLU(True), nn.Dropout(p=dropout),
            nn.Linear(4096, num_classes))
        if init_weights:
            for m in self.modules():
                if isinstance(m, nn.Conv2d):
                    nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                    if m.bias is not None:
                        nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.BatchNorm2d):
                    nn.init.constant_(m.weight, 1)
                    nn.init.constant_(m.bias, 0)
                elif isinstance(m, nn.Linear):
                    nn.init.normal_(m.weight, 0, 0.01)
                    nn.init.constant_(m.bias, 0)

    def forward(self, x):
        x = self.avgpool(self.features(x))
        return self.classifier(x.flatten(1))


def _vgg(name, cfg, batch_norm, weights, kwargs):
    if weights is not None:
        kwargs["init_weights"] = False
    return build(name, lambda **kw: VGG(make_layers(CFGS[cfg], batch_norm), **kw), weights,
                 kwargs)


def _builder(name, cfg, batch_norm, depth):
    def make(*, weights=None, progress=True, **kwargs):
        return _vgg(name, cfg, batch_norm, weights, kwargs)
    make.__name__ = make.__qualname__ = name
    make.__doc__ = (f"VGG-{depth}{' with batch normalization' if batch_norm else ''}. "
                    f"``weights``: None or a local file of torchvision's weights.")
    return register(make)


vgg11 = _builder("vgg11", "A", False, 11)
vgg11_bn = _builder("vgg11_bn", "A", True, 11)
vgg13 = _builder("vgg13", "B", False, 13)
vgg13_bn = _builder("vgg13_bn", "B", True, 13)
vgg16 = _builder("vgg16", "D", False, 16)
vgg16_bn = _builder("vgg16_bn", "D", True, 16)
vgg19 = _builder("vgg19", "E", False, 19)
vgg19_bn = _builder("vgg19_bn", "E", True, 19)
