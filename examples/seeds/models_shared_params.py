"""Tied parameters: one Linear used twice in a Sequential.

Both positions hold the same Parameter objects, so changing one changes the other, and in
backward the gradients of both uses add up in the one ``.grad``.
Run: ``python examples/seeds/models_shared_params.py``
"""
import disttrain as torch
from disttrain import nn


def main():
    X = torch.rand(2, 4)
    # The shared layer needs a name so that its parameters can be referred to.
    shared = nn.Linear(8, 8)
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(),
                        shared, nn.ReLU(),
                        shared, nn.ReLU(),
                        nn.Linear(8, 1))
    net(X)
    # Check that the parameters are the same
    print(net[2].weight.data[0] == net[4].weight.data[0])
    net[2].weight.data[0, 0] = 100
    # They are the same object, not merely equal values
    print(net[2].weight.data[0] == net[4].weight.data[0])
    print([name for name, _ in net.named_parameters()])

    net(X).sum().backward()
    print(net[2].weight.grad is net[4].weight.grad)


if __name__ == "__main__":
    main()
