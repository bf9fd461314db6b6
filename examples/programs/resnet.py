"""ResNet-18 as torchvision defines it (``BasicBlock``, ``_make_layer``, ``conv3x3``/``conv1x1``,
the kaiming/constant init loop over ``self.modules()``), on 32x32 images.

Trained as pytorch/examples' imagenet/main.py trains it, for two epochs of two batches from a
``DataLoader``: SGD with momentum and weight decay under a ``StepLR`` schedule, the top-k
``accuracy``, BatchNorm in training mode updating its running statistics. Then the running
statistics are recomputed as a plain average (``momentum=None``, as ``swa_utils.update_bn``
does) and the model is evaluated in ``eval()`` mode. Started by ``torchrun`` (or disttrain's
``launch``) it takes the example's distributed path: ``init_process_group``, the batch size
divided among the ranks, ``DistributedDataParallel``, a ``DistributedSampler`` with
``set_epoch``.
``width`` scales the channel counts (64, 128, 256, 512 at ``width=64``, torchvision's) so that
the program runs in seconds on a CPU; the structure is unchanged.

Run: ``python examples/programs/resnet.py`` (``EXAMPLE_FRAMEWORK=torch`` to run it on PyTorch).
"""
import _framework  # noqa: F401  (EXAMPLE_FRAMEWORK=torch: PyTorch; otherwise disttrain)

import os

import torch
import torch.distributed as dist
import torch.nn as nn
import torch.nn.functional as F  # noqa: F401
import torch.utils.data
import torch.utils.data.distributed  # noqa: F401
from torch import Tensor


def conv3x3(in_planes, out_planes, stride=1, groups=1, dilation=1):
    """3x3 convolution with padding"""
    return nn.Conv2d(
        in_planes,
        out_planes,
        kernel_size=3,
        stride=stride,
        padding=dilation,
        groups=groups,
        bias=False,
        dilation=dilation,
    )


def conv1x1(in_planes, out_planes, stride=1):
    """1x1 convolution"""
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion: int = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None, groups=1, base_width=64,
                 dilation=1, norm_layer=None):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        if groups != 1 or base_width != 64:
            raise ValueError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise NotImplementedError("Dilation > 1 not supported in BasicBlock")
        # Both self.conv1 and self.downsample layers downsample the input when stride != 1
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = norm_layer(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = norm_layer(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x: Tensor) -> Tensor:
        identity = x

        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)

        out = self.conv2(out)
        out = self.bn2(out)

        if self.downsample is not None:
            identity = self.downsample(x)

        out += identity
        out = self.relu(out)

        return out


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=1000, zero_init_residual=False, groups=1,
                 width_per_group=64, replace_stride_with_dilation=None, norm_layer=None,
                 width=64):
        super().__init__()
        if norm_layer is None:
            norm_layer = nn.BatchNorm2d
        self._norm_layer = norm_layer

        self.inplanes = width
        self.dilation = 1
        if replace_stride_with_dilation is None:
            # each element in the tuple indicates if we should replace
            # the 2x2 stride with a dilated convolution instead
            replace_stride_with_dilation = [False, False, False]
        if len(replace_stride_with_dilation) != 3:
            raise ValueError(
                "replace_stride_with_dilation should be None "
                f"or a 3-element tuple, got {replace_stride_with_dilation}"
            )
        self.groups = groups
        self.base_width = width_per_group
        self.conv1 = nn.Conv2d(3, self.inplanes, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = norm_layer(self.inplanes)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, width * 2, layers[1], stride=2,
                                       dilate=replace_stride_with_dilation[0])
        self.layer3 = self._make_layer(block, width * 4, layers[2], stride=2,
                                       dilate=replace_stride_with_dilation[1])
        self.layer4 = self._make_layer(block, width * 8, layers[3], stride=2,
                                       dilate=replace_stride_with_dilation[2])
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8 * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

        # Zero-initialize the last BN in each residual branch,
        # so that the residual branch starts with zeros, and each residual block behaves like
        # an identity. This improves the model by 0.2~0.3% according to
        # https://arxiv.org/abs/1706.02677
        if zero_init_residual:
            for m in self.modules():
                if isinstance(m, BasicBlock) and m.bn2.weight is not None:
                    nn.init.constant_(m.bn2.weight, 0)

    def _make_layer(self, block, planes, blocks, stride=1, dilate=False):
        norm_layer = self._norm_layer
        downsample = None
        previous_dilation = self.dilation
        if dilate:
            self.dilation *= stride
            stride = 1
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                norm_layer(planes * block.expansion),
            )

        layers = []
        layers.append(
            block(self.inplanes, planes, stride, downsample, self.groups, self.base_width,
                  previous_dilation, norm_layer)
        )
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(
                block(self.inplanes, planes, groups=self.groups, base_width=self.base_width,
                      dilation=self.dilation, norm_layer=norm_layer)
            )

        return nn.Sequential(*layers)

    def _forward_impl(self, x: Tensor) -> Tensor:
        # See note [TorchScript super()]
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)

        x = self.layer1(x)
        x = self.layer2(x)
        x = self.layer3(x)
        x = self.layer4(x)

        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.fc(x)

        return x

    def forward(self, x: Tensor) -> Tensor:
        return self._forward_impl(x)


def resnet18(**kwargs):
    return ResNet(BasicBlock, [2, 2, 2, 2], **kwargs)


def accuracy(output, target, topk=(1,)):
    """Computes the accuracy over the k top predictions for the specified values of k"""
    with torch.no_grad():
        maxk = max(topk)
        batch_size = target.size(0)

        _, pred = output.topk(maxk, 1, True, True)
        pred = pred.t()
        correct = pred.eq(target.view(1, -1).expand_as(pred))

        res = []
        for k in topk:
            correct_k = correct[:k].reshape(-1).float().sum(0, keepdim=True)
            res.append(correct_k.mul_(100.0 / batch_size))
        return res


@torch.no_grad()
def update_bn(loader, model):
    """Recompute BatchNorm's running statistics as a plain average over ``loader``'s batches
    (what ``torch.optim.swa_utils.update_bn`` does)."""
    momenta = {}
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.reset_running_stats()
            momenta[module] = module.momentum
    if not momenta:
        return
    was_training = model.training
    model.train()
    for module in momenta.keys():
        module.momentum = None
    for input in loader:
        model(input)
    for bn_module in momenta.keys():
        bn_module.momentum = momenta[bn_module]
    model.train(was_training)


def train(train_loader, model, criterion, optimizer, epoch, rank):
    # switch to train mode
    model.train()
    losses = []
    for i, (images, target) in enumerate(train_loader):
        # compute output
        output = model(images)
        loss = criterion(output, target)

        # measure accuracy and record loss
        acc1, acc5 = accuracy(output, target, topk=(1, 5))
        losses.append(loss.item())

        # compute gradient and do SGD step
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if rank == 0:
            print(f"epoch {epoch} step {i} loss {loss.item():.6f} acc@1 {acc1[0]:.3f} "
                  f"acc@5 {acc5[0]:.3f}")
    return losses


def main(epochs=2, batch_size=8, dtype=None):
    # torchrun (or launch) sets WORLD_SIZE: then train data-parallel as the imagenet example does
    distributed = int(os.environ.get("WORLD_SIZE", 1)) > 1
    rank = 0
    if distributed:
        dist.init_process_group(backend="gloo")
        rank = dist.get_rank()
        # When using a single GPU per process and per DistributedDataParallel, we need to divide
        # the batch size ourselves based on the total number of GPUs we have
        batch_size = int(batch_size / dist.get_world_size())

    model = resnet18(num_classes=10, width=8)
    if dtype is not None:
        model.to(dtype)
    _framework.fill_(model, scale=1.5)
    if rank == 0:
        print(f"parameters {sum(p.numel() for p in model.parameters())}")
    if distributed:
        model = torch.nn.parallel.DistributedDataParallel(model)

    criterion = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=0.02, momentum=0.9, weight_decay=5e-4)
    """Sets the learning rate to the initial LR decayed by 10 every 30 epochs"""
    scheduler = torch.optim.lr_scheduler.StepLR(optimizer, step_size=1, gamma=0.1)

    # 16 fixed 32x32 "images" in place of an ImageFolder; no shuffling, whose order would come
    # from the framework's own generator
    images = _framework.det(16, 3, 32, 32, seed=1, dtype=dtype)
    labels = torch.arange(16) % 10
    train_dataset = torch.utils.data.TensorDataset(images, labels)
    if distributed:
        train_sampler = torch.utils.data.distributed.DistributedSampler(train_dataset,
                                                                        shuffle=False)
    else:
        train_sampler = None
    train_loader = torch.utils.data.DataLoader(
        train_dataset, batch_size=batch_size, shuffle=False,
        num_workers=0, pin_memory=False, sampler=train_sampler)

    losses = []
    for epoch in range(epochs):
        if distributed:
            train_sampler.set_epoch(epoch)
        losses += train(train_loader, model, criterion, optimizer, epoch, rank)
        scheduler.step()

    # the running statistics that training left (momentum 0.1 over the batches; under DDP the
    # buffers are rank 0's, broadcast at every forward)
    net = model.module if distributed else model
    bn = net.layer4[1].bn2
    trained_stats = {"running_mean": bn.running_mean.tolist(),
                     "running_var": bn.running_var.tolist(),
                     "num_batches_tracked": net.bn1.num_batches_tracked.item()}
    if rank == 0:
        print(f"num_batches_tracked {trained_stats['num_batches_tracked']}")
        print("running_var", [round(v, 6) for v in bn.running_var[:4].tolist()])

    # a few batches' worth of statistics are far from the data's: recompute them before eval
    update_bn([images[:8], images[8:]], net)
    net.eval()
    with torch.no_grad():
        output = net(images)
        eval_loss = criterion(output, labels).item()
    if rank == 0:
        print(f"final eval_loss {eval_loss:.6f} "
              f"num_batches_tracked {net.bn1.num_batches_tracked.item()}")
    if distributed:
        dist.destroy_process_group()
    return {"losses": losses, "eval_loss": eval_loss, **trained_stats}


if __name__ == "__main__":
    import argparse
    parser = argparse.ArgumentParser(description='ResNet-18 Training')
    parser.add_argument('--epochs', default=2, type=int, help='number of total epochs to run')
    parser.add_argument('-b', '--batch-size', default=8, type=int,
                        help='mini-batch size, the total over all processes')
    parser.add_argument('--double', action='store_true', help='train in float64')
    args = parser.parse_args()
    main(args.epochs, args.batch_size, torch.float64 if args.double else None)
