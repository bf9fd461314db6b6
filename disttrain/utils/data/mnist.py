"""MNIST from local files: a reader for the IDX format and an ``MNIST`` dataset over it.

IDX (the format MNIST is distributed in): a 4-byte magic number ``00 00 TT NN`` where ``TT``
is the element type (0x08 uint8, 0x09 int8, 0x0B int16, 0x0C int32, 0x0D float32,
0x0E float64) and ``NN`` the number of dimensions; then ``NN`` big-endian uint32 sizes; then
the elements, big-endian, row-major. MNIST's images are ``00 00 08 03`` (2051) and its
labels ``00 00 08 01`` (2049). Files may be gzip-compressed (``.gz``).

Nothing here downloads: a user who has the files points ``root`` at them.
"""
import gzip
import os

import numpy as np

from ...core.creation import from_numpy
from .dataset import Dataset

__all__ = ["read_idx", "MNIST"]

_IDX_TYPES = {0x08: ">u1", 0x09: ">i1", 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


def _open(path):
    with open(path, "rb") as fh:
        head = fh.read(2)
    return gzip.open(path, "rb") if head == b"\x1f\x8b" else open(path, "rb")


def read_idx(path, expected_ndim=None):
    """Read an IDX file (plain or gzip) into a numpy array in native byte order.

    Args:
        path (str or os.PathLike): the file.
        expected_ndim (int, optional): refuse files of another rank (3 for images, 1 for
            labels).

    Raises:
        ValueError: naming the file, for a bad magic number, a wrong rank, a truncated file or
            extra bytes after the data.

    Example::

        >>> labels = read_idx("MNIST/raw/t10k-labels-idx1-ubyte.gz", expected_ndim=1)
    """
    path = os.fspath(path)
    try:
        with _open(path) as fh:
            head = fh.read(4)
            dtype, ndim = _parse_magic(path, head)
            if expected_ndim is not None and ndim != expected_ndim:
                raise ValueError(f"{path}: IDX file has {ndim} dimensions, expected "
                                 f"{expected_ndim}")
            raw_dims = fh.read(4 * ndim)
            if len(raw_dims) < 4 * ndim:
                raise ValueError(f"{path}: truncated IDX file (expected {4 * ndim} bytes of "
                                 f"dimensions, found {len(raw_dims)})")
            shape = tuple(int(d) for d in np.frombuffer(raw_dims, dtype=">u4"))
            return _read_data(path, fh, dtype, shape)
    except (OSError, EOFError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise ValueError(f"{path}: unreadable IDX file ({e})") from None


def _parse_magic(path, head):
    if len(head) < 4:
        raise ValueError(f"{path}: truncated IDX file (expected a 4-byte magic number, found "
                         f"{len(head)} bytes)")
    magic = int.from_bytes(head, "big")
    if head[0] != 0 or head[1] != 0 or head[2] not in _IDX_TYPES or head[3] == 0:
        raise ValueError(f"{path}: not an IDX file (magic number {magic:#010x}; expected "
                         f"0x00000801 for labels or 0x00000803 for images)")
    return np.dtype(_IDX_TYPES[head[2]]), head[3]


def _read_data(path, fh, dtype, shape):
    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
    data = _read_upto(fh, nbytes)
    if len(data) < nbytes:
        raise ValueError(f"{path}: truncated IDX file (expected {nbytes} bytes of data for "
                         f"shape {shape}, found {len(data)})")
    if fh.read(1):
        raise ValueError(f"{path}: extra bytes after the {nbytes} bytes of data for shape "
                         f"{shape}")
    return np.frombuffer(data, dtype=dtype).astype(dtype.newbyteorder("=")).reshape(shape)


def _read_upto(fh, n, chunk=1 << 24):
    """Up to ``n`` bytes, read in chunks so that a lying header can't make us allocate more
    than the file really holds."""
    parts, got = [], 0
    while got < n:
        part = fh.read(min(chunk, n - got))
        if not part:
            break
        parts.append(part)
        got += len(part)
    return b"".join(parts)


def _find(root, stem, dataset="MNIST"):
    """The first existing spelling of an MNIST-format file under ``root`` (torchvision's
    ``root/<dataset>/raw`` layout, a flat folder, the dotted ``.idx3-ubyte`` names, with or
    without ``.gz``)."""
    kind, rank = stem
    names = [f"{kind}-idx{rank}-ubyte", f"{kind}.idx{rank}-ubyte"]
    for folder in (os.path.join(root, dataset, "raw"), os.path.join(root, "raw"), root):
        for name in names:
            for suffix in ("", ".gz"):
                p = os.path.join(folder, name + suffix)
                if os.path.isfile(p):
                    return p
    raise RuntimeError(f"{dataset} file {names[0]}[.gz] not found under {root} (looked in "
                       f"{root}/{dataset}/raw, {root}/raw and {root}). Nothing is downloaded, "
                       f"download=True included: place the {dataset} files there.")


class MNIST(Dataset):
    """The MNIST digits from local IDX files.

    Args:
        root (str or os.PathLike): folder holding the files, directly or in ``MNIST/raw``
            (torchvision's layout); names like ``train-images-idx3-ubyte[.gz]``.
        train (bool): the 60k training set, else the 10k test set. Default: ``True``.
        transform (Callable, optional): applied to each image.
        target_transform (Callable, optional): applied to each label.
        download (bool): accepted as torchvision's: files already in place are used; nothing
            is ever fetched, so missing files raise an error that says where to put them.

    Each sample is ``(image, label)``: image a ``uint8`` tensor of shape ``(28, 28)`` and
    label an ``int``. For torchvision's ``ToTensor()`` layout use
    ``transform=lambda x: x.float().div(255).unsqueeze(0)``.

    Example::

        >>> ds = MNIST("data", train=False)
        >>> image, label = ds[0]
    """

    classes = ["0 - zero", "1 - one", "2 - two", "3 - three", "4 - four", "5 - five",
               "6 - six", "7 - seven", "8 - eight", "9 - nine"]

    def __init__(self, root, train=True, transform=None, target_transform=None,
                 download=False):
        name = type(self).__name__
        self.root = os.fspath(root)
        self.train = train
        self.transform = transform
        self.target_transform = target_transform
        prefix = "train" if train else "t10k"
        img_path = _find(self.root, (f"{prefix}-images", 3), name)
        lbl_path = _find(self.root, (f"{prefix}-labels", 1), name)
        images = read_idx(img_path, expected_ndim=3)
        labels = read_idx(lbl_path, expected_ndim=1)
        if len(images) != len(labels):
            raise ValueError(f"{name}: {img_path} has {len(images)} images but {lbl_path} has "
                             f"{len(labels)} labels")
        self.data = from_numpy(images.astype(np.uint8, copy=False))
        self.targets = from_numpy(labels.astype(np.int64))

    def __len__(self):
        return len(self.data)

    def __getitem__(self, index):
        img, target = self.data[index], int(self.targets[index])
        if self.transform is not None:
            img = self.transform(img)
        if self.target_transform is not None:
            target = self.target_transform(target)
        return img, target

    @property
    def class_to_idx(self):
        return {c: i for i, c in enumerate(self.classes)}

    def __repr__(self):
        split = "Train" if self.train else "Test"
        return (f"Dataset {type(self).__name__}\n    Number of datapoints: {len(self)}\n"
                f"    Root location: {self.root}\n    Split: {split}")
