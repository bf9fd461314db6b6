"""Model definitions with torchvision's module names, so torchvision's weights load.

Nothing downloads: ``weights`` is ``None`` or the path of a ``.pth``/``.safetensors`` file of
torchvision weights the user has (read by ``disttrain.load``, which never runs code).
"""
from .alexnet import AlexNet, alexnet
from .mobilenetv2 import InvertedResidual, MobileNetV2, mobilenet_v2
from .resnet import (BasicBlock, Bottleneck, ResNet, resnet18, resnet34, resnet50, resnet101,
                     resnet152, resnext50_32x4d, wide_resnet50_2)
from .vgg import VGG, vgg11, vgg11_bn, vgg13, vgg13_bn, vgg16, vgg16_bn, vgg19, vgg19_bn
from ._api import get_model, list_models

__all__ = ["AlexNet", "alexnet", "MobileNetV2", "InvertedResidual", "mobilenet_v2", "ResNet",
           "BasicBlock", "Bottleneck", "resnet18", "resnet34", "resnet50", "resnet101",
           "resnet152", "resnext50_32x4d", "wide_resnet50_2", "VGG", "vgg11", "vgg11_bn",
           "vgg13", "vgg13_bn", "vgg16", "vgg16_bn", "vgg19", "vgg19_bn", "get_model",
           "list_models"]
