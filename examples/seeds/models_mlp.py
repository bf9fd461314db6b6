"""Building a model: the same MLP as an ``nn.Sequential`` and as an ``nn.Module`` subclass.

``net(X)`` calls ``forward`` through ``__call__``; the subclass uses the functional ReLU.
Printing a Sequential shows its layers, numbered.
Run: ``python examples/seeds/models_mlp.py``
"""
import disttrain as torch
from disttrain import nn
from disttrain.nn import functional as F


class MLP(nn.Module):
    # Declare the layers with their parameters: two fully connected layers.
    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(20, 256)  # hidden layer
        self.out = nn.Linear(256, 10)  # output layer

    # Forward propagation: how the output is computed from the input X.
    def forward(self, X):
        return self.out(F.relu(self.hidden(X)))


def main():
    net = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
    X = torch.rand(2, 20)
    print(net(X))

    net = MLP()
    print(net(X))

    net = nn.Sequential(
        nn.Linear(784, 256),
        nn.ReLU(),
        nn.Linear(256, 10),
    )
    print(net)


if __name__ == "__main__":
    main()
