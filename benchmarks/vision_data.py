"""Image data pipeline throughput: ImageFolder + augmentation through DataLoader, disttrain
beside torchvision when it is installed.

Usage::

    python benchmarks/vision_data.py [--images 512] [--size 64] [--crop 48]
                                     [--batch-size 32] [--workers 0 2] [--epochs 2]

An ImageFolder of ``images`` PNG files (``size`` x ``size``, 4 classes) is written to a
temporary folder once; each epoch decodes every file and applies the training transforms of
the ImageNet examples (RandomResizedCrop to ``crop``, RandomHorizontalFlip, ColorJitter,
ToTensor, Normalize), with fresh workers each epoch. Printed per pipeline and number of
workers: the best epoch's images/s, and the ratio to torchvision's in the same run. Nothing
is asserted: this prints a table.
"""
import argparse
import os
import sys
import tempfile
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def write_folder(root, n, size):
    from PIL import Image
    rng = np.random.default_rng(0)
    for i in range(n):
        folder = os.path.join(root, f"class_{i % 4}")
        os.makedirs(folder, exist_ok=True)
        Image.fromarray(rng.integers(0, 256, (size, size, 3), dtype=np.uint8)).save(
            os.path.join(folder, f"{i}.png"))


def pipeline(lib, root, crop):
    """``(dataset, DataLoader class)`` of disttrain.vision or torchvision."""
    if lib == "disttrain":
        from disttrain.utils.data import DataLoader
        from disttrain.vision import datasets, transforms
    else:
        from torch.utils.data import DataLoader
        from torchvision import datasets, transforms
    t = transforms.Compose([transforms.RandomResizedCrop(crop), transforms.RandomHorizontalFlip(),
                            transforms.ColorJitter(0.4, 0.4, 0.4), transforms.ToTensor(),
                            transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])])
    return datasets.ImageFolder(root, transform=t), DataLoader


def images_per_second(lib, root, args, workers):
    ds, loader_cls = pipeline(lib, root, args.crop)
    best = 0.0
    for _ in range(args.epochs):
        start = time.perf_counter()
        n = 0
        for x, _ in loader_cls(ds, batch_size=args.batch_size, shuffle=True,
                               num_workers=workers):
            n += len(x)
        best = max(best, n / (time.perf_counter() - start))
    return best


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=512)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--crop", type=int, default=48)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--workers", type=int, nargs="+", default=[0, 2])
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--no-torch", action="store_true")
    args = parser.parse_args()
    try:
        if args.no_torch:
            raise ImportError
        import torchvision  # noqa: F401
        libs = ["disttrain", "torchvision"]
    except Exception:
        libs = ["disttrain"]
    with tempfile.TemporaryDirectory() as root:
        write_folder(root, args.images, args.size)
        print(f"ImageFolder: {args.images} PNG images {args.size}x{args.size}, crop {args.crop},"
              f" batch {args.batch_size}")
        print(f"{'workers':>8} {'disttrain img/s':>16} {'torchvision img/s':>18} {'ratio':>6}")
        for w in args.workers:
            rates = {lib: images_per_second(lib, root, args, w) for lib in libs}
            tv = rates.get("torchvision")
            ratio = f"{tv / rates['disttrain']:.2f}x" if tv else "-"
            print(f"{w:>8} {rates['disttrain']:>16.0f} {tv or float('nan'):>18.0f} {ratio:>6}")
        print("ratio: torchvision's images/s over disttrain's (above 1: disttrain slower)")


if __name__ == "__main__":
    main()
