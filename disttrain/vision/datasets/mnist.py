"""MNIST, Fashion-MNIST and Kuzushiji-MNIST from local IDX files, samples as PIL images."""
from ...utils.data import mnist as _idx
from .vision import StandardTransform, VisionDataset

__all__ = ["MNIST", "FashionMNIST", "KMNIST"]


class MNIST(_idx.MNIST, VisionDataset):
    """The MNIST digits from local IDX files, in torchvision's layout ``root/MNIST/raw``.

    Each sample is ``(PIL image of mode "L", int label)``, as torchvision gives it; ``data``
    and ``targets`` hold the uint8 images and int64 labels as tensors.

    Args:
        root (str or os.PathLike): folder holding ``MNIST/raw`` (or the files directly).
        train (bool): the training set, else the test set. Default: ``True``.
        transform, target_transform (callable, optional): applied to image and label.
        download (bool): accepted: files in place are used, nothing is ever fetched.
    """

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        _idx.MNIST.__init__(self, root, train, transform, target_transform, download)
        self.transforms = (StandardTransform(transform, target_transform)
                           if transform is not None or target_transform is not None else None)

    def __getitem__(self, index):
        from PIL import Image
        img = Image.fromarray(self.data[index].numpy(), mode="L")
        target = int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def extra_repr(self):
        return f"Split: {'Train' if self.train else 'Test'}"

    __repr__ = VisionDataset.__repr__


class FashionMNIST(MNIST):
    """Fashion-MNIST from local IDX files in ``root/FashionMNIST/raw``."""

    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


class KMNIST(MNIST):
    """Kuzushiji-MNIST from local IDX files in ``root/KMNIST/raw``."""

    classes = ["o", "ki", "su", "tsu", "na", "ha", "ma", "ya", "re", "wo"]
