"""Train the two-number-addition network from mini-batches: the tutorial's Dataset/DataLoader
version.

``MyDataset`` holds the four points; ``DataLoader(ds, batch_size=2, shuffle=True)`` yields two
random batches per epoch, so 50 epochs make 100 SGD steps (twice as many as full-batch
training). Prints the batches of one epoch, the training time and the prediction for
[10, 11]. Run: ``python examples/seeds/data_mydataset_training.py``
"""
import time

import disttrain as torch
import disttrain.nn as nn
from disttrain.optim import SGD
from disttrain.utils.data import DataLoader, Dataset

x = [[1, 2], [3, 4], [5, 6], [7, 8]]
y = [[3], [7], [11], [15]]


class MyDataset(Dataset):
    def __init__(self, x, y):
        self.x = x.clone().detach()     # keep gradient history out of the dataset
        self.y = y.clone().detach()

    def __len__(self):
        return len(self.x)

    def __getitem__(self, ix):
        return self.x[ix], self.y[ix]


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


def train(mynet, dl, epochs=50, lr=0.001):
    """One SGD step per batch; returns the loss of every step."""
    loss_func = nn.MSELoss()
    opt = SGD(mynet.parameters(), lr=lr)
    loss_history = []
    for _ in range(epochs):
        for data in dl:
            x, y = data
            opt.zero_grad()
            loss_value = loss_func(mynet(x), y)
            loss_value.backward()
            opt.step()
            loss_history.append(loss_value.item())
    return loss_history


def main():
    device = "cuda" if torch.cuda.is_available() else "cpu"
    X = torch.tensor(x).float().to(device)
    Y = torch.tensor(y).float().to(device)
    ds = MyDataset(X, Y)
    dl = DataLoader(ds, batch_size=2, shuffle=True)
    for x_, y_ in dl:
        print(x_, y_)
    mynet = MyNeuralNet().to(device)
    start = time.time()
    loss_history = train(mynet, dl)
    print(time.time() - start)
    val_x = torch.tensor([[10, 11]]).float().to(device)
    print(mynet(val_x))
    return loss_history


if __name__ == "__main__":
    main()
