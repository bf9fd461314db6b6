"""Accessing parameters: named_parameters, indexing a Sequential, state_dict entries.

Names get the layer index as a prefix (``0.weight``); ``net[0]`` is the first layer; each
parameter is an ``nn.Parameter``, a Tensor subclass.
Run: ``python examples/seeds/models_parameters.py``
"""
import disttrain as torch
from disttrain import nn


def main():
    net = nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 1))  # initialised already
    print(net)

    X = torch.rand(2, 4)
    Y = net(X).sum()
    print(Y)

    print(type(net.named_parameters()))
    for name, param in net.named_parameters():
        print(name, param.size())

    for name, param in net[0].named_parameters():
        print(name, param.size(), type(param))

    print(*[(name, param.shape) for name, param in net.named_parameters()])
    print(net.state_dict()['2.bias'].data)


if __name__ == "__main__":
    main()
