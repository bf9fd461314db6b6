"""The tutorial's learning-rate schedulers, each driving 100 epochs of training.

``scheduler.step()`` follows every epoch (after ``optimizer.step()``); ReduceLROnPlateau is
given the validation loss instead. Run: ``python examples/seeds/train_schedulers.py``
"""
import disttrain as torch
import disttrain.nn as nn

X = torch.tensor([[1, 2], [3, 4], [5, 6], [7, 8]]).float()
Y = torch.tensor([[3], [7], [11], [15]]).float()
VAL_X = torch.tensor([[8, 9], [10, 11], [1.5, 2.5]])
VAL_Y = torch.tensor([[17], [21], [4.0]])

SCHEDULERS = {
    "StepLR": lambda optimizer: torch.optim.lr_scheduler.StepLR(
        optimizer, step_size=30, gamma=0.1),
    "MultiStepLR": lambda optimizer: torch.optim.lr_scheduler.MultiStepLR(
        optimizer, milestones=[30, 80], gamma=0.1),
    "ExponentialLR": lambda optimizer: torch.optim.lr_scheduler.ExponentialLR(
        optimizer, gamma=0.9),
    "ReduceLROnPlateau": lambda optimizer: torch.optim.lr_scheduler.ReduceLROnPlateau(
        optimizer, "min"),
    "CosineAnnealingLR": lambda optimizer: torch.optim.lr_scheduler.CosineAnnealingLR(
        optimizer, T_max=50, eta_min=0),
}


def train(model, optimizer, loss_fn):
    optimizer.zero_grad()
    loss = loss_fn(model(X), Y)
    loss.backward()
    optimizer.step()
    return loss.item()


def validate(model, loss_fn):
    with torch.no_grad():
        return loss_fn(model(VAL_X), VAL_Y).item()


def run(name, epochs=100):
    """Train with scheduler ``name``; returns the lr in force at each epoch and the losses."""
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(2, 8), nn.ReLU(), nn.Linear(8, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.001, momentum=0.9)
    scheduler = SCHEDULERS[name](optimizer)
    loss_fn = nn.MSELoss()
    lrs, val_losses = [], []
    for epoch in range(epochs):
        lrs.append(optimizer.param_groups[0]["lr"])
        train(model, optimizer, loss_fn)
        val_loss = validate(model, loss_fn)
        val_losses.append(val_loss)
        if name == "ReduceLROnPlateau":
            scheduler.step(val_loss)
        else:
            scheduler.step()
    return lrs, val_losses


def main():
    out = {}
    for name in SCHEDULERS:
        lrs, val_losses = run(name)
        out[name] = (lrs, val_losses)
        print(f"{name:18s} lr {lrs[0]:.3g} -> {lrs[-1]:.3g}   val loss {val_losses[-1]:.4f}")
    return out


if __name__ == "__main__":
    main()
