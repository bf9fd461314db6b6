"""Automatic mixed precision, which the function-reference tutorial (PyTorch 重要函数) names
(``torch.cuda.amp``) without code: the usual ``autocast`` + ``GradScaler`` training loop.

Without a GPU, ``torch.cuda.amp`` warns and disables itself (on stderr), and the loop trains
exactly as plain float32 training: this script shows that, then uses the device-generic
``torch.amp.GradScaler("cpu")``, which does scale on the CPU, with ``unscale_`` before
gradient clipping and the scale growing every ``growth_interval`` steps. Weights start from
fixed values, so every printed number is reproducible.
Run: ``python examples/seeds/misc_amp.py``
"""
import disttrain as torch
import disttrain.nn as nn
from disttrain.cuda.amp import autocast, GradScaler

X = torch.tensor([[1, 2], [3, 4], [5, 6], [7, 8]]).float()
Y = torch.tensor([[3], [7], [11], [15]]).float()


def make_model():
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[0.5, -0.25]]))
        model.bias.fill_(0.1)
    return model


# the AMP training loop
model = make_model()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
loss_fn = nn.MSELoss()
scaler = GradScaler()
for step in range(5):
    optimizer.zero_grad()
    with autocast():
        output = model(X)
        loss = loss_fn(output, Y)
    scaler.scale(loss).backward()
    scaler.step(optimizer)
    scaler.update()
    print(step, f"{loss.item():.4f}", output.dtype)
print(scaler.is_enabled(), scaler.get_scale(), scaler.state_dict())
print(model.weight, model.bias)

# the same loop without AMP gives the same weights
plain = make_model()
optimizer = torch.optim.SGD(plain.parameters(), lr=0.01)
for step in range(5):
    optimizer.zero_grad()
    loss_fn(plain(X), Y).backward()
    optimizer.step()
print(torch.equal(plain.weight, model.weight), torch.equal(plain.bias, model.bias))

# loss scaling on the CPU: the gradients are unscaled before clipping
model = make_model()
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
scaler = torch.amp.GradScaler("cpu", growth_interval=2)
for step in range(5):
    optimizer.zero_grad()
    loss = loss_fn(model(X), Y)
    scaled = scaler.scale(loss)
    print(step, f"{loss.item():.4f}", f"{scaled.item():.1f}", scaler.get_scale())
    scaled.backward()
    scaler.unscale_(optimizer)
    print(model.weight.grad)
    nn.utils.clip_grad_norm_(model.parameters(), max_norm=10.0)
    scaler.step(optimizer)
    scaler.update()
print(scaler.get_scale(), scaler.state_dict())
print(model.weight, model.bias)
