"""The common layers one by one: Linear, ReLU, Sigmoid, softmax, and a loss backward.

Run: ``python examples/seeds/models_layers.py``
"""
import disttrain as torch
import disttrain.nn as nn
import disttrain.nn.functional as F


def main():
    # a linear layer with 5 input and 3 output features
    linear_layer = nn.Linear(in_features=5, out_features=3)
    print(linear_layer)
    print(linear_layer.weight.shape, linear_layer.bias.shape)

    relu = nn.ReLU()
    sigmoid = nn.Sigmoid()
    print(relu, sigmoid)
    x = torch.tensor([-2.0, 0.0, 3.0])
    print(relu(x), sigmoid(x))

    # a batch of 3 samples with 4 classes
    logits = torch.randn(3, 4)
    probabilities = F.softmax(logits, dim=1)
    print(probabilities.sum(dim=1))
    print(torch.softmax(logits, 1).shape)

    # one linear layer, its MSE loss and the gradients of its parameters
    model = nn.Linear(in_features=1, out_features=1)
    x = torch.randn(10, 1)
    y = torch.randn(10, 1)
    output = model(x)
    criterion = nn.MSELoss()
    loss = criterion(output, y)
    loss.backward()
    print(loss.grad_fn, model.weight.grad.shape, model.bias.grad.shape)

    # CrossEntropyLoss applies log-softmax itself: it takes raw logits
    target = torch.tensor([0, 3, 1])
    print(nn.CrossEntropyLoss()(logits, target).shape)


if __name__ == "__main__":
    main()
