"""Blocks with code and blocks of blocks: FixedHiddenMLP, NestMLP and their chimera.

FixedHiddenMLP multiplies by a constant random matrix that is not a parameter, reuses its
linear layer (two layers sharing weights) and halves its output in a Python ``while`` loop
until the sum of absolute values is at most 1. NestMLP nests a Sequential. The chimera
chains them all.
Run: ``python examples/seeds/models_nested.py``
"""
import disttrain as torch
from disttrain import nn
from disttrain.nn import functional as F


class FixedHiddenMLP(nn.Module):
    def __init__(self):
        super().__init__()
        # A random weight that gets no gradient: it stays constant during training.
        self.rand_weight = torch.rand((20, 20), requires_grad=False)
        self.linear = nn.Linear(20, 20)

    def forward(self, X):
        X = self.linear(X)
        # Use the constant weight with the relu and mm functions.
        X = F.relu(torch.mm(X, self.rand_weight) + 1)
        # Reuse the fully connected layer: the two layers share parameters.
        X = self.linear(X)
        # Control flow
        while X.abs().sum() > 1:
            X /= 2
        return X.sum()


class NestMLP(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 64), nn.ReLU(),
                                 nn.Linear(64, 32), nn.ReLU())
        self.linear = nn.Linear(32, 16)

    def forward(self, X):
        return self.linear(self.net(X))


def main():
    X = torch.rand(2, 20)
    net = FixedHiddenMLP()
    print(net(X))

    chimera = nn.Sequential(NestMLP(), nn.Linear(16, 20), FixedHiddenMLP())
    print(chimera(X))
    print(chimera)


if __name__ == "__main__":
    main()
