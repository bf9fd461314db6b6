"""The tutorials' optimizer snippets, run: SGD with momentum and its ``state_dict``, Adam,
RMSprop with every argument spelled out, and saving/restoring a model with its optimizer.

Each optimizer trains the two-number-addition MLP (y = x1 + x2) for a few hundred steps.
Run: ``python examples/seeds/train_optimizers.py``
"""
import os
import tempfile

import disttrain as torch
import disttrain.nn as nn
import disttrain.optim as optim

X = torch.tensor([[1, 2], [3, 4], [5, 6], [7, 8]]).float()
Y = torch.tensor([[3], [7], [11], [15]]).float()


class MLP(nn.Module):
    """The 3-2-1 perceptron whose optimizer ``state_dict`` the first tutorial prints."""

    def __init__(self):
        super(MLP, self).__init__()
        self.hidden = nn.Linear(3, 2)
        self.act = nn.ReLU()
        self.output = nn.Linear(2, 1)

    def forward(self, x):
        a = self.act(self.hidden(x))
        return self.output(a)


def make_model():
    return nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))


def fit(model, optimizer, epochs):
    """Full-batch training on the addition data; returns the loss of every epoch."""
    loss_fn = nn.MSELoss()
    history = []
    for _ in range(epochs):
        optimizer.zero_grad()
        loss = loss_fn(model(X), Y)
        loss.backward()
        optimizer.step()
        history.append(loss.item())
    return history


def optimizers(model):
    """The tutorials' optimizer constructions, by name."""
    return {
        "SGD": optim.SGD(model.parameters(), lr=0.001, momentum=0.9),
        "Adam": optim.Adam(model.parameters(), lr=0.001),
        "RMSprop": optim.RMSprop(model.parameters(), lr=0.01, alpha=0.99, eps=1e-08,
                                 weight_decay=0, momentum=0, centered=False),
    }


def checkpoint_round_trip(model, optimizer, path):
    """Save model and optimizer state as the tutorial does, then restore both into new ones."""
    torch.save({
        "model_state_dict": model.state_dict(),
        "optimizer_state_dict": optimizer.state_dict(),
    }, path)
    model2 = make_model()
    optimizer2 = optim.Adam(model2.parameters(), lr=0.001)
    checkpoint = torch.load(path)
    model2.load_state_dict(checkpoint["model_state_dict"])
    optimizer2.load_state_dict(checkpoint["optimizer_state_dict"])
    return model2, optimizer2


def main(epochs=300):
    torch.manual_seed(0)
    net = MLP()
    optimizer = torch.optim.SGD(net.parameters(), lr=0.001, momentum=0.9)
    print(optimizer.state_dict)
    results = {}
    for name in ("SGD", "Adam", "RMSprop"):
        torch.manual_seed(0)
        model = make_model()
        history = fit(model, optimizers(model)[name], epochs)
        results[name] = history
        print(f"{name:8s} loss {history[0]:9.4f} -> {history[-1]:.4f}")
    torch.manual_seed(0)
    model = make_model()
    optimizer = optim.Adam(model.parameters(), lr=0.001)
    fit(model, optimizer, 10)
    with tempfile.TemporaryDirectory() as tmp:
        model2, optimizer2 = checkpoint_round_trip(
            model, optimizer, os.path.join(tmp, "model_and_optimizer.pth"))
    print("resumed:", fit(model, optimizer, 5) == fit(model2, optimizer2, 5))
    return results


if __name__ == "__main__":
    main()
