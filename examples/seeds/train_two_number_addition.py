"""Teach a tiny network to add two numbers: the tutorial's first training loop.

A 2-8-1 MLP (``MyNeuralNet``) learns y = x1 + x2 from four points with MSE loss and plain
SGD (lr=0.001) for 50 epochs, keeping the loss of every epoch in ``loss_history``; then it
predicts the sum for an unseen input. Run: ``python examples/seeds/train_two_number_addition.py``
"""
import disttrain as torch
import disttrain.nn as nn
from disttrain.optim import SGD

x = [[1, 2], [3, 4], [5, 6], [7, 8]]
y = [[3], [7], [11], [15]]


class MyNeuralNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_to_hidden_layer = nn.Linear(2, 8)
        self.hidden_layer_activation = nn.ReLU()
        self.hidden_to_output_layer = nn.Linear(8, 1)

    def forward(self, x):
        x = self.input_to_hidden_layer(x)
        x = self.hidden_layer_activation(x)
        x = self.hidden_to_output_layer(x)
        return x


def train(mynet, X, Y, epochs=50, lr=0.001):
    """The tutorial's loop: zero the grads, forward, loss, backward, step; one loss per epoch."""
    loss_func = nn.MSELoss()
    opt = SGD(mynet.parameters(), lr=lr)
    loss_history = []
    for _ in range(epochs):
        opt.zero_grad()
        loss_value = loss_func(mynet(X), Y)
        loss_value.backward()
        opt.step()
        loss_history.append(loss_value.item())
    return loss_history


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    X = torch.tensor(x).float().to(device)
    Y = torch.tensor(y).float().to(device)
    torch.manual_seed(0)
    mynet = MyNeuralNet().to(device)
    print(nn.MSELoss()(mynet(X), Y))
    loss_history = train(mynet, X, Y)
    print("loss_history:", [round(v, 4) for v in loss_history])
    val_x = torch.tensor([[10, 11]]).float().to(device)
    print(mynet(val_x))
    return loss_history


if __name__ == "__main__":
    main()
