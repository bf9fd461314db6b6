"""Saving and loading model parameters: the state_dict round trip, and the whole model.

An MLP's ``state_dict`` goes to ``net.pt``; a second MLP built in code loads it and computes
the same outputs (``Y2 == Y`` is all True). The optimizer has a state_dict too. Saving the
whole model object also works, but loading it runs pickled code, so ``load`` asks for
``weights_only=False``. Writes files in the current directory.
Run: ``python examples/seeds/saveload_state_dict.py``
"""
import disttrain as torch
from disttrain import nn


class MLP(nn.Module):
    def __init__(self):
        super(MLP, self).__init__()
        self.hidden = nn.Linear(3, 2)
        self.act = nn.ReLU()
        self.output = nn.Linear(2, 1)

    def forward(self, x):
        a = self.act(self.hidden(x))
        return self.output(a)


def main():
    net = MLP()
    print(net.state_dict())
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    print(optimizer.state_dict)

    X = torch.randn(2, 3)
    Y = net(X)
    PATH = "./net.pt"
    torch.save(net.state_dict(), PATH)
    net2 = MLP()
    net2.load_state_dict(torch.load(PATH))
    Y2 = net2(X)
    print(Y2 == Y)

    torch.save(net, "whole.pt")                       # the whole model: a pickle section
    net3 = torch.load("whole.pt", weights_only=False)  # runs code: only for trusted files
    print(net3(X) == Y)


if __name__ == "__main__":
    main()
