"""The IDX reader and the MNIST dataset over small IDX files made by the tests."""
import gzip
import struct

import numpy as np
import pytest

import disttrain
from disttrain.utils.data import DataLoader
from disttrain.utils.data.mnist import MNIST, read_idx

_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D,
          np.float64: 0x0E}


def idx_bytes(arr):
    """The IDX encoding of ``arr``: magic, big-endian dims, big-endian data."""
    head = bytes([0, 0, _CODES[arr.dtype.type], arr.ndim])
    head += struct.pack(f">{arr.ndim}I", *arr.shape)
    return head + arr.astype(arr.dtype.newbyteorder(">")).tobytes()


def write(path, data, gz=False):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(gzip.compress(data) if gz else data)
    return path


def make_mnist(folder, prefix, n, gz=True, dotted=False, seed=0):
    """Write an n-sample MNIST split (images n x 28 x 28, labels n) and return the arrays."""
    rng = np.random.default_rng(seed)
    images = rng.integers(0, 256, (n, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, n, dtype=np.uint8)
    sep = "." if dotted else "-"
    ext = ".gz" if gz else ""
    write(folder / f"{prefix}-images{sep}idx3-ubyte{ext}", idx_bytes(images), gz)
    write(folder / f"{prefix}-labels{sep}idx1-ubyte{ext}", idx_bytes(labels), gz)
    return images, labels


@pytest.mark.parametrize("dtype", list(_CODES))
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_every_type(tmp_path, dtype, gz):
    """Every IDX element type reads back with its values, plain or gzip-compressed."""
    arr = (np.arange(24) - 5).reshape(2, 3, 4).astype(dtype)
    out = read_idx(write(tmp_path / "a.idx", idx_bytes(arr), gz))
    assert out.dtype == np.dtype(dtype) and out.shape == (2, 3, 4)
    assert np.array_equal(out, arr)


@pytest.mark.parametrize("layout", ["torchvision", "flat", "dotted"])
def test_mnist_dataset_layouts(tmp_path, layout):
    """MNIST finds its files in torchvision's MNIST/raw folder, a flat folder or dotted names."""
    folder = tmp_path / "MNIST" / "raw" if layout == "torchvision" else tmp_path
    images, labels = make_mnist(folder, "t10k", 5, gz=layout != "flat",
                                dotted=layout == "dotted")
    ds = MNIST(tmp_path, train=False)
    assert len(ds) == 5 and ds.data.dtype == disttrain.uint8
    assert ds.targets.dtype == disttrain.int64
    img, target = ds[3]
    assert img.shape == disttrain.Size([28, 28]) and np.array_equal(img.numpy(), images[3])
    assert type(target) is int and target == labels[3]


def test_mnist_transforms_and_loader(tmp_path):
    """transform/target_transform apply per sample; a DataLoader batches the result."""
    images, labels = make_mnist(tmp_path, "train", 6)
    ds = MNIST(str(tmp_path), train=True, transform=lambda x: x.float().div(255).unsqueeze(0),
               target_transform=lambda y: y + 100)
    x, y = next(iter(DataLoader(ds, batch_size=4)))
    assert x.shape == disttrain.Size([4, 1, 28, 28]) and x.dtype == disttrain.float32
    assert np.allclose(x.numpy()[0, 0], images[0] / 255.0)
    assert y.tolist() == (labels[:4].astype(int) + 100).tolist()
    assert ds.class_to_idx["3 - three"] == 3
    assert repr(ds).splitlines()[:2] == ["Dataset MNIST", "    Number of datapoints: 6"]


def test_mnist_never_downloads(tmp_path):
    """Missing files name where they were looked for, download=True or not; with the files
    in place download=True just uses them, as torchvision does when they are there."""
    for download in (False, True):
        with pytest.raises(RuntimeError, match="MNIST file train-images-idx3-ubyte\\[.gz\\] "
                                               "not found under .*Nothing is downloaded"):
            MNIST(tmp_path, download=download)
    make_mnist(tmp_path, "train", 4)
    assert len(MNIST(tmp_path, download=True)) == 4


def test_mnist_count_mismatch(tmp_path):
    """Images and labels of different lengths are refused, naming both files."""
    make_mnist(tmp_path, "train", 4)
    write(tmp_path / "train-labels-idx1-ubyte.gz", idx_bytes(np.zeros(3, np.uint8)), gz=True)
    with pytest.raises(ValueError, match="has 4 images but .*train-labels-idx1-ubyte.gz has 3 "
                                         "labels"):
        MNIST(tmp_path)


def _corrupt_cases():
    good = idx_bytes(np.zeros((2, 28, 28), np.uint8))
    return [
        (b"\x01\x02\x08\x03" + good[4:], "not an IDX file \\(magic number 0x01020803"),
        (b"\x00\x00\x07\x03" + good[4:], "not an IDX file"),
        (good[:3], "expected a 4-byte magic number, found 3 bytes"),
        (good[:9], "expected 12 bytes of dimensions, found 5"),
        (good[:-100], r"expected 1568 bytes of data for shape \(2, 28, 28\), found 1468"),
        (good + b"\x00", "extra bytes after the 1568 bytes"),
        (bytes([0, 0, 8, 3]) + struct.pack(">3I", 2 ** 31, 2 ** 31, 2 ** 31) + bytes(10),
         "expected 9903520314283042199192993792 bytes of data"),
    ]


@pytest.mark.parametrize("data,message", _corrupt_cases())
@pytest.mark.parametrize("gz", [False, True])
def test_read_idx_errors_name_the_file(tmp_path, data, message, gz):
    """Bad magic, truncation and extra bytes raise errors that start with the file name."""
    path = write(tmp_path / "bad-images-idx3-ubyte", data, gz)
    with pytest.raises(ValueError, match=f"^{path}: .*{message}"):
        read_idx(path)


def test_read_idx_wrong_rank_and_broken_gzip(tmp_path):
    """A labels file where images are expected, and a damaged gzip stream, are refused."""
    labels = write(tmp_path / "l.idx", idx_bytes(np.zeros(3, np.uint8)))
    with pytest.raises(ValueError, match="IDX file has 1 dimensions, expected 3"):
        read_idx(labels, expected_ndim=3)
    broken = write(tmp_path / "b.gz", gzip.compress(idx_bytes(np.zeros(50, np.uint8)))[:-12])
    with pytest.raises(ValueError, match=f"^{broken}: unreadable IDX file"):
        read_idx(broken)
