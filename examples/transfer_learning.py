"""Transfer learning as the torchvision tutorial does it: a ResNet-18 backbone, frozen, with a
new head fine-tuned on an ImageFolder, data-parallel.

    launch --nproc 2 examples/transfer_learning.py [--weights resnet18.pth] [--epochs 4]

The data set is generated on first use (``--data``): small PNG images of three classes told
apart by their colour, in ``train/<class>`` and ``val/<class>`` folders. ``--weights`` takes a
file of torchvision's ResNet-18 weights (``torch.save(model.state_dict())`` in PyTorch, or
the file torchvision downloads); without it the backbone keeps its random initialisation,
which is still enough to separate these classes.
"""
import argparse
import json
import os

import numpy as np

import disttrain as torch
import disttrain.distributed as dist
import disttrain.vision as torchvision
from disttrain import nn
from disttrain.nn.parallel import DistributedDataParallel as DDP
from disttrain.utils.data import DataLoader, DistributedSampler
from disttrain.vision import transforms

CLASSES = ("blue", "green", "red")


def make_image_folder(root, per_class, size=40, seed=0):
    """Write ``per_class`` noisy images per colour class into ``root/<class>/``."""
    from PIL import Image
    rng = np.random.default_rng(seed)
    for c, name in enumerate(CLASSES):
        os.makedirs(os.path.join(root, name), exist_ok=True)
        for i in range(per_class):
            img = rng.integers(0, 120, (size, size, 3))
            img[..., 2 - c] += 120                       # blue, green or red dominates
            Image.fromarray(img.astype(np.uint8)).save(os.path.join(root, name, f"{i}.png"))


def prepare_data(root, rank):
    """Generate the data once (rank 0), then every rank reads it."""
    done = os.path.join(root, ".complete")
    if rank == 0 and not os.path.exists(done):
        make_image_folder(os.path.join(root, "train"), 48, seed=1)
        make_image_folder(os.path.join(root, "val"), 16, seed=2)
        open(done, "w").close()
    if dist.is_initialized():
        dist.barrier()


def build_model(weights, num_classes):
    """ResNet-18 with a frozen backbone and a new, trainable classification head."""
    model = torchvision.models.resnet18(weights=weights)
    for p in model.parameters():
        p.requires_grad = False
    model.fc = nn.Linear(model.fc.in_features, num_classes)
    return model


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", default="transfer_data")
    parser.add_argument("--weights", default=None, help="a local file of ResNet-18 weights")
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--lr", type=float, default=0.01)
    parser.add_argument("--result", default=None, help="write the metrics here as JSON")
    args = parser.parse_args()

    dist.init_process_group()
    rank, world = dist.get_rank(), dist.get_world_size()
    torch.manual_seed(0)
    prepare_data(args.data, rank)

    normalize = transforms.Normalize([0.485, 0.456, 0.406], [0.229, 0.224, 0.225])
    train_set = torchvision.datasets.ImageFolder(
        os.path.join(args.data, "train"),
        transforms.Compose([transforms.RandomResizedCrop(32, scale=(0.5, 1.0)),
                            transforms.RandomHorizontalFlip(), transforms.ToTensor(), normalize]))
    val_set = torchvision.datasets.ImageFolder(
        os.path.join(args.data, "val"),
        transforms.Compose([transforms.Resize(36), transforms.CenterCrop(32),
                            transforms.ToTensor(), normalize]))
    sampler = DistributedSampler(train_set, seed=0)
    loader = DataLoader(train_set, batch_size=args.batch_size, sampler=sampler,
                        num_workers=1, generator=torch.Generator())

    model = DDP(build_model(args.weights, len(train_set.classes)))
    opt = torch.optim.SGD([p for p in model.parameters() if p.requires_grad], lr=args.lr,
                          momentum=0.9)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        sampler.set_epoch(epoch)
        model.train()
        total = count = 0.0
        for x, y in loader:
            opt.zero_grad()
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
            total, count = total + loss.item() * len(y), count + len(y)
        if rank == 0:
            print(f"epoch {epoch}: train loss {total / count:.4f}", flush=True)

    model.eval()
    correct = 0
    with torch.no_grad():
        for x, y in DataLoader(val_set, batch_size=16):
            correct += (model(x).argmax(1) == y).sum().item()
    accuracy = correct / len(val_set)
    if rank == 0:
        print(f"validation accuracy: {accuracy:.3f} ({world} ranks)", flush=True)
        if args.result:
            with open(args.result, "w") as fh:
                json.dump({"accuracy": accuracy, "world_size": world,
                           "classes": train_set.classes}, fh)
    dist.destroy_process_group()


if __name__ == "__main__":
    main()
