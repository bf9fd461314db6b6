"""Deferred initialisation with ``nn.LazyLinear``: input sizes come from the first batch.

Before the first call the weights are uninitialised and ``in_features`` shows 0; after it
the layers are ordinary Linear layers of the right size.
Run: ``python examples/seeds/models_lazy.py``
"""
import disttrain as torch
from disttrain import nn


def main():
    net = nn.Sequential(nn.LazyLinear(256), nn.ReLU(), nn.LazyLinear(10))
    print(net)
    print(net[0].weight)

    X = torch.rand(2, 20)
    net(X)
    print(net)
    print(net[0].weight.shape)


if __name__ == "__main__":
    main()
