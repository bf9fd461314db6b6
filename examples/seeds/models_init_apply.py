"""Custom initialisation through ``Module.apply``: ``my_init`` on every Linear.

Weights are drawn from U(-10, 10) and those with absolute value under 5 are zeroed.
Run: ``python examples/seeds/models_init_apply.py``
"""
import disttrain as torch
from disttrain import nn


def my_init(m):
    if type(m) == nn.Linear:
        print("Init", *[(name, param.shape) for name, param in m.named_parameters()][0])
        nn.init.uniform_(m.weight, -10, 10)  # uniform random weights for the linear layer
        m.weight.data *= m.weight.data.abs() >= 5  # zero the weights with |w| < 5


class MyModel(nn.Module):
    def __init__(self):
        super(MyModel, self).__init__()
        self.fc1 = nn.Linear(10, 20)
        self.fc2 = nn.Linear(20, 30)
        self.fc3 = nn.Linear(30, 2)

        self.apply(my_init)  # initialise the model with my_init

    def forward(self, x):
        x = nn.functional.relu(self.fc1(x))
        x = nn.functional.relu(self.fc2(x))
        x = self.fc3(x)
        return x


def main():
    net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    net.apply(my_init)
    print(net[0].weight[:2])

    model = MyModel()
    print(model(torch.rand(3, 10)).shape)


if __name__ == "__main__":
    main()
