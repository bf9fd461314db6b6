"""CIFAR-10 and CIFAR-100 from their binary version (the pickled Python version is never
read: unpickling a downloaded file can run code).

Binary layout: records of ``<label byte(s)><3072 bytes: 1024 red, 1024 green, 1024 blue>``,
rows of 32 pixels. CIFAR-10 (``cifar-10-batches-bin``): one label byte, files
``data_batch_1.bin`` .. ``data_batch_5.bin`` and ``test_batch.bin``. CIFAR-100
(``cifar-100-binary``): a coarse then a fine label byte, files ``train.bin`` and ``test.bin``.
"""
import os

import numpy as np

from .vision import VisionDataset

__all__ = ["CIFAR10", "CIFAR100"]

_PIXELS = 3 * 32 * 32


class CIFAR10(VisionDataset):
    """CIFAR-10 from the binary version's files in ``root/cifar-10-batches-bin``.

    Each sample is ``(PIL RGB image 32x32, int label)``; ``data`` is a uint8 numpy array of
    shape ``(N, 32, 32, 3)`` and ``targets`` a list of ints, as in torchvision.

    Args:
        root (str or os.PathLike): folder holding ``cifar-10-batches-bin``.
        train (bool): the 50k training images, else the 10k test images. Default: ``True``.
        transform, target_transform (callable, optional): applied to image and label.
        download (bool): accepted as torchvision's: files in place are used; nothing is
            fetched, so missing files raise an error that says where to put them.
    """

    base_folder = "cifar-10-batches-bin"
    train_list = [f"data_batch_{i}.bin" for i in range(1, 6)]
    test_list = ["test_batch.bin"]
    label_bytes = 1
    meta_file = "batches.meta.txt"
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        super().__init__(root, transform=transform, target_transform=target_transform)
        folder = os.path.join(self.root, self.base_folder)
        self.train = train
        images, labels = [], []
        for name in self.train_list if train else self.test_list:
            img, lbl = self._read(os.path.join(folder, name))
            images.append(img)
            labels.append(lbl)
        self.data = np.concatenate(images).reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1).copy()
        self.targets = np.concatenate(labels).astype(np.int64).tolist()
        meta = os.path.join(folder, self.meta_file)
        if os.path.isfile(meta):
            with open(meta, encoding="utf-8") as fh:
                names = [line.strip() for line in fh if line.strip()]
            if names:
                self.classes = names
        self.class_to_idx = {c: i for i, c in enumerate(self.classes)}

    def _read(self, path):
        if not os.path.isfile(path):
            pickled = os.path.join(self.root, self.base_folder.replace("-bin", "-py"))
            hint = (f" ({pickled} is the pickled Python version, which is not read: unpickling "
                    f"can run code)" if os.path.isdir(pickled) else "")
            raise RuntimeError(f"{type(self).__name__}: {path} not found. This dataset reads "
                               f"the binary version of CIFAR (the '{self.base_folder}' folder)"
                               f"{hint}; nothing is downloaded, download=True included.")
        raw = np.fromfile(path, dtype=np.uint8)
        record = self.label_bytes + _PIXELS
        if raw.size % record:
            raise RuntimeError(f"{path}: {raw.size} bytes is not a whole number of "
                               f"{record}-byte CIFAR records (a truncated or foreign file)")
        rows = raw.reshape(-1, record)
        return rows[:, self.label_bytes:], rows[:, self.label_bytes - 1]

    def __getitem__(self, index):
        from PIL import Image
        img, target = Image.fromarray(self.data[index]), self.targets[index]
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    def __len__(self):
        return len(self.data)

    def extra_repr(self):
        return f"Split: {'Train' if self.train is True else 'Test'}"


class CIFAR100(CIFAR10):
    """CIFAR-100 from the binary version's files in ``root/cifar-100-binary`` (fine labels,
    names from ``fine_label_names.txt`` when present)."""

    base_folder = "cifar-100-binary"
    train_list = ["train.bin"]
    test_list = ["test.bin"]
    label_bytes = 2
    meta_file = "fine_label_names.txt"
    classes = [str(i) for i in range(100)]
