"""Datasets read from local files, shaped like torchvision's (nothing downloads)."""
from .vision import VisionDataset, StandardTransform
from .mnist import MNIST, FashionMNIST, KMNIST
from .cifar import CIFAR10, CIFAR100
from .folder import (DatasetFolder, ImageFolder, IMG_EXTENSIONS, default_loader, pil_loader,
                     find_classes, make_dataset, has_file_allowed_extension)
from .fakedata import FakeData

__all__ = ["VisionDataset", "StandardTransform", "MNIST", "FashionMNIST", "KMNIST", "CIFAR10",
           "CIFAR100", "DatasetFolder", "ImageFolder", "IMG_EXTENSIONS", "default_loader",
           "pil_loader", "find_classes", "make_dataset", "has_file_allowed_extension",
           "FakeData"]
