"""The Sequential version of the two-number-addition network, with its torchsummary table.

``nn.Sequential(Linear(2, 8), ReLU(), Linear(8, 1))`` trained from ``DataLoader(batch_size=2,
shuffle=True)``; ``print(summary(model, (2,)))`` prints the layer table (and ``None``, the
function's return value), then the model predicts three validation points. Its state_dict is
saved to ``mymodel.pth`` (in the current directory); a fresh model built in code loads it and
predicts the same values. Run: ``python examples/seeds/summary_sequential.py``
"""
import time

import disttrain as torch
import disttrain.nn as nn
from disttrain.optim import SGD
from disttrain.summary import summary
from disttrain.utils.data import DataLoader, Dataset

device = "cuda" if torch.cuda.is_available() else "cpu"
x = [[1, 2], [3, 4], [5, 6], [7, 8]]
y = [[3], [7], [11], [15]]


class MyDataset(Dataset):
    def __init__(self, x, y):
        self.x = torch.tensor(x).float().to(device)
        self.y = torch.tensor(y).float().to(device)

    def __len__(self):
        return len(self.x)

    def __getitem__(self, ix):
        return self.x[ix], self.y[ix]


def make_model():
    return nn.Sequential(
        nn.Linear(2, 8),
        nn.ReLU(),
        nn.Linear(8, 1)
    ).to(device)


def main():
    ds = MyDataset(x, y)
    dl = DataLoader(ds, batch_size=2, shuffle=True)
    model = make_model()
    print(summary(model, (2,)))
    loss_func = nn.MSELoss()
    opt = SGD(model.parameters(), lr=0.001)
    loss_history = []
    start = time.time()
    for _ in range(50):
        for ix, iy in dl:
            opt.zero_grad()
            loss_value = loss_func(model(ix), iy)
            loss_value.backward()
            opt.step()
            loss_history.append(loss_value.item())
    print(time.time() - start)
    val = [[8, 9], [10, 11], [1.5, 2.5]]
    val = torch.tensor(val).float()
    print(model(val.to(device)))

    print(model.state_dict())
    save_path = "mymodel.pth"
    torch.save(model.state_dict(), save_path)
    model2 = make_model()                       # the same architecture, built in code
    state_dict = torch.load("mymodel.pth")
    model2.load_state_dict(state_dict)
    model2.to(device)
    print(model2(val.to(device)))
    return model, loss_history


if __name__ == "__main__":
    main()
