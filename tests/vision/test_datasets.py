"""disttrain.vision.datasets on small files the tests write: MNIST, CIFAR, ImageFolder."""
import os

import numpy as np
import pytest

pytest.importorskip("PIL", reason="disttrain.vision's datasets give PIL images and need "
                                  "Pillow (pip install 'disttrain[vision]')")
from PIL import Image  # noqa: E402

import disttrain  # noqa: E402
from disttrain.utils.data import DataLoader, DistributedSampler  # noqa: E402
from disttrain.vision import datasets, transforms  # noqa: E402


def _write_idx(path, arr):
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(n).to_bytes(4, "big")
                                                    for n in arr.shape)
    path.write_bytes(head + arr.astype(np.uint8).tobytes())


@pytest.mark.parametrize("cls", [datasets.MNIST, datasets.FashionMNIST])
def test_mnist_family_reads_idx_files_as_pil_images(tmp_path, cls):
    """Samples are (PIL 'L' image, int) from root/<Name>/raw, with transforms applied."""
    raw = tmp_path / cls.__name__ / "raw"
    raw.mkdir(parents=True)
    images = (np.arange(5 * 28 * 28).reshape(5, 28, 28) % 251).astype(np.uint8)
    _write_idx(raw / "t10k-images-idx3-ubyte", images)
    _write_idx(raw / "t10k-labels-idx1-ubyte", np.array([3, 1, 4, 1, 5]))
    ds = cls(tmp_path, train=False)
    img, label = ds[2]
    assert isinstance(img, Image.Image) and img.mode == "L" and img.size == (28, 28)
    assert np.array_equal(np.asarray(img), images[2]) and label == 4
    t = cls(tmp_path, train=False, transform=transforms.ToTensor(),
            target_transform=lambda y: y * 10)
    x, y = t[0]
    assert x.shape == (1, 28, 28) and y == 30
    np.testing.assert_allclose(x.numpy()[0], images[0] / 255.0, rtol=1e-6)
    assert repr(ds).startswith(f"Dataset {cls.__name__}\n    Number of datapoints: 5\n")
    assert "    Split: Test" in repr(ds)
    assert len(cls(tmp_path, train=False, download=True)) == 5      # files in place: used
    with pytest.raises(RuntimeError, match="Nothing is downloaded, download=True included"):
        cls(tmp_path / "empty", download=True)


def _write_cifar(folder, files, label_bytes, n=4):
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    written = {}
    for f in files:
        labels = rng.integers(0, 10, (n, label_bytes), dtype=np.uint8)
        pixels = rng.integers(0, 256, (n, 3072), dtype=np.uint8)
        (folder / f).write_bytes(np.concatenate([labels, pixels], 1).tobytes())
        written[f] = (labels, pixels)
    return written


def test_cifar10_binary_version(tmp_path):
    """CIFAR-10's binary batches load as 32x32 RGB images with torchvision's HWC data."""
    files = [f"data_batch_{i}.bin" for i in range(1, 6)] + ["test_batch.bin"]
    written = _write_cifar(tmp_path / "cifar-10-batches-bin", files, 1)
    ds = datasets.CIFAR10(tmp_path, train=True)
    assert len(ds) == 20 and ds.data.shape == (20, 32, 32, 3)
    labels, pixels = written["data_batch_2.bin"]
    img, label = ds[5]                                       # second record of batch 2
    assert label == int(labels[1, 0]) and img.size == (32, 32) and img.mode == "RGB"
    np.testing.assert_array_equal(np.asarray(img),
                                  pixels[1].reshape(3, 32, 32).transpose(1, 2, 0))
    assert ds.classes[0] == "airplane" and ds.class_to_idx["truck"] == 9
    assert len(datasets.CIFAR10(tmp_path, train=False)) == 4


def test_cifar100_fine_labels_and_missing_files(tmp_path):
    """CIFAR-100 takes the fine label (second byte); the pickled version is never read."""
    written = _write_cifar(tmp_path / "cifar-100-binary", ["train.bin", "test.bin"], 2)
    ds = datasets.CIFAR100(tmp_path, train=False)
    assert ds[3][1] == int(written["test.bin"][0][3, 1])
    (tmp_path / "other" / "cifar-10-batches-py").mkdir(parents=True)
    with pytest.raises(RuntimeError, match="reads the binary version of CIFAR .* is the pickled "
                                           "Python version, which is not read"):
        datasets.CIFAR10(tmp_path / "other")
    (tmp_path / "bad" / "cifar-100-binary").mkdir(parents=True)
    (tmp_path / "bad" / "cifar-100-binary" / "train.bin").write_bytes(b"\x00" * 100)
    with pytest.raises(RuntimeError, match="100 bytes is not a whole number of 3074-byte"):
        datasets.CIFAR100(tmp_path / "bad")


def make_image_folder(root, classes=("cat", "dog"), per_class=3, size=(10, 8)):
    for c, name in enumerate(classes):
        os.makedirs(root / name, exist_ok=True)
        for i in range(per_class):
            arr = np.full((size[1], size[0], 3), 40 * c + i, dtype=np.uint8)
            Image.fromarray(arr).save(root / name / f"{i}.png")
    return root


def test_image_folder_layout_and_loading(tmp_path):
    """Classes sorted, samples sorted, images RGB; other files and empty classes handled."""
    root = make_image_folder(tmp_path / "train")
    (root / "dog" / "notes.txt").write_text("not an image")
    ds = datasets.ImageFolder(root, transform=transforms.ToTensor())
    assert ds.classes == ["cat", "dog"] and ds.class_to_idx == {"cat": 0, "dog": 1}
    assert len(ds) == 6 and ds.targets == [0, 0, 0, 1, 1, 1] and ds.imgs == ds.samples
    assert [os.path.basename(p) for p, _ in ds.samples[:3]] == ["0.png", "1.png", "2.png"]
    x, y = ds[4]
    assert x.shape == (3, 8, 10) and y == 1
    assert x[0, 0, 0].item() == pytest.approx(41 / 255)
    os.makedirs(root / "empty")
    with pytest.raises(FileNotFoundError, match="Found no valid file for the classes empty. "
                                                "Supported extensions are: .jpg, .jpeg"):
        datasets.ImageFolder(root)
    assert len(datasets.ImageFolder(root, allow_empty=True)) == 6
    with pytest.raises(FileNotFoundError, match="Couldn't find any class folder in"):
        datasets.ImageFolder(tmp_path / "train" / "cat")


def test_dataset_folder_with_custom_loader(tmp_path):
    """DatasetFolder takes any loader and file filter."""
    for c in ("a", "b"):
        os.makedirs(tmp_path / c)
        (tmp_path / c / "x.num").write_text(str(ord(c)))
    ds = datasets.DatasetFolder(tmp_path, loader=lambda p: int(open(p).read()),
                                extensions=(".num",))
    assert [ds[i] for i in range(2)] == [(97, 0), (98, 1)]


def test_fake_data_is_fixed_per_index_and_leaves_the_global_rng():
    """FakeData sample i is always the same and does not move the global generator."""
    ds = datasets.FakeData(size=4, image_size=(3, 6, 5), num_classes=3,
                           transform=transforms.ToTensor())
    disttrain.manual_seed(0)
    before = disttrain.rand(1).item()
    disttrain.manual_seed(0)
    a, ya = ds[1]
    b, yb = ds[1]
    assert disttrain.rand(1).item() == before
    assert a.shape == (3, 6, 5) and disttrain.equal(a, b) and ya == yb and 0 <= ya < 3
    assert not disttrain.equal(a, ds[2][0])
    with pytest.raises(IndexError, match="FakeData index out of range"):
        ds[4]


def test_image_folder_with_loader_workers_and_distributed_sampler(tmp_path):
    """ImageFolder feeds a DataLoader with worker processes, split by DistributedSampler."""
    root = make_image_folder(tmp_path, per_class=4)
    ds = datasets.ImageFolder(root, transform=transforms.Compose(
        [transforms.RandomHorizontalFlip(), transforms.ToTensor()]))
    seen = []
    for rank in range(2):
        sampler = DistributedSampler(ds, num_replicas=2, rank=rank, shuffle=True, seed=1)
        loader = DataLoader(ds, batch_size=2, sampler=sampler, num_workers=2)
        for x, y in loader:
            assert x.shape == (2, 3, 8, 10)
            seen += [round(v * 255) for v in x[:, 0, 0, 0].tolist()]
    assert sorted(seen) == sorted([40 * c + i for c in range(2) for i in range(4)])
