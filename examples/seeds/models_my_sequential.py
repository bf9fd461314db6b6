"""A hand-written Sequential: modules stored in ``_modules`` and run in insertion order.

``_modules`` is an ordered dict, so iterating over its values keeps the order the blocks
were added in. The first form keys each block by the block itself, the second by its
index as a string (the form ``nn.Sequential`` uses, which also names the parameters).
Run: ``python examples/seeds/models_my_sequential.py``
"""
import disttrain as torch
from disttrain import nn


class MySequential(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for block in args:
            # `block` is a Module; it goes into the ordered dict `_modules`.
            self._modules[block] = block

    def forward(self, X):
        # The OrderedDict keeps the order in which the members were added.
        for block in self._modules.values():
            X = block(X)
        return X


class MySequentialIdx(nn.Module):
    def __init__(self, *args):
        super().__init__()
        for idx, module in enumerate(args):
            self._modules[str(idx)] = module

    def forward(self, X):
        for block in self._modules.values():
            X = block(X)
        return X


def main():
    X = torch.rand(2, 20)
    net = MySequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
    print(net(X))

    net = MySequentialIdx(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
    print(net(X))
    print(net)
    print(*[(name, param.shape) for name, param in net.named_parameters()])


if __name__ == "__main__":
    main()
