"""Reading intermediate values: call the layers directly, or return them from forward.

MyNeuralNet's forward returns the output and the hidden activations; ``mynet(X)[1]`` is
the hidden layer after ReLU. The same network written with raw ``nn.Parameter`` matrices
registers those parameters just as ``nn.Linear`` does.
Run: ``python examples/seeds/models_intermediate.py``
"""
import disttrain as torch
from disttrain import nn

x = [[1, 2], [3, 4], [5, 6], [7, 8]]
y = [[3], [7], [11], [15]]


class MyNeuralNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_to_hidden_layer = nn.Linear(2, 8)
        self.hidden_layer_activation = nn.ReLU()
        self.hidden_to_output_layer = nn.Linear(8, 1)

    def forward(self, x):
        hidden1 = self.input_to_hidden_layer(x)
        hidden2 = self.hidden_layer_activation(hidden1)
        x = self.hidden_to_output_layer(hidden2)
        return x, hidden2


class MyNeuralNetParams(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_to_hidden_layer = nn.Parameter(torch.rand(2, 8))
        self.hidden_layer_activation = nn.ReLU()
        self.hidden_to_output_layer = nn.Parameter(torch.rand(8, 1))

    def forward(self, x):
        x = x @ self.input_to_hidden_layer
        x = self.hidden_layer_activation(x)
        x = x @ self.hidden_to_output_layer
        return x


def main():
    X = torch.tensor(x).float()
    Y = torch.tensor(y).float()
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    X = X.to(device)
    Y = Y.to(device)

    torch.manual_seed(0)
    mynet = MyNeuralNet().to(device)
    print(mynet.input_to_hidden_layer.weight)
    for param in mynet.parameters():
        print(param)

    print(mynet.hidden_layer_activation(mynet.input_to_hidden_layer(X)))
    print(mynet(X)[1])

    loss_func = nn.MSELoss()
    _Y, _ = mynet(X)
    loss_value = loss_func(_Y, Y)
    print(loss_value)

    raw = MyNeuralNetParams().to(device)
    print([(name, tuple(p.shape)) for name, p in raw.named_parameters()])
    print(raw(X).shape)


if __name__ == "__main__":
    main()
