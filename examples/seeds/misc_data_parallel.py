"""``nn.DataParallel``, which the function-reference tutorial (PyTorch 重要函数) names for
multi-GPU training (with ``torch.nn.parallel``) but shows no code for.

This is the usual pattern: wrap the model, move it to the device, call it as before. On a
machine without a GPU the wrapper simply runs the model (``device_ids`` is empty), as in
PyTorch; its parameters are the model's, under a ``module.`` prefix in the state_dict, so
the inner ``model.module.state_dict()`` is what gets saved. Weights start from fixed values
and the data are fixed, so every printed number is reproducible.
Run: ``python examples/seeds/misc_data_parallel.py``
"""
import disttrain as torch
import disttrain.nn as nn

X = torch.tensor([[1, 2], [3, 4], [5, 6], [7, 8]]).float()
Y = torch.tensor([[3], [7], [11], [15]]).float()


class MyNeuralNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.input_to_hidden_layer = nn.Linear(2, 3)
        self.hidden_layer_activation = nn.ReLU()
        self.hidden_to_output_layer = nn.Linear(3, 1)
        with torch.no_grad():
            self.input_to_hidden_layer.weight.copy_(
                torch.tensor([[0.5, -0.2], [0.1, 0.4], [-0.3, 0.3]]))
            self.input_to_hidden_layer.bias.fill_(0.1)
            self.hidden_to_output_layer.weight.copy_(torch.tensor([[0.6, 0.7, -0.5]]))
            self.hidden_to_output_layer.bias.fill_(0.0)

    def forward(self, x):
        x = self.input_to_hidden_layer(x)
        x = self.hidden_layer_activation(x)
        return self.hidden_to_output_layer(x)


device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = MyNeuralNet()
if torch.cuda.device_count() > 1:
    print("Let's use", torch.cuda.device_count(), "GPUs!")
model = nn.DataParallel(model)
model.to(device)
print(model)
print(model.device_ids, type(model.module).__name__)
print(list(model.state_dict()))
print(model(X.to(device)))

# train it exactly as the bare model
optimizer = torch.optim.SGD(model.parameters(), lr=0.001)
loss_func = nn.MSELoss()
for _ in range(50):
    optimizer.zero_grad()
    loss_value = loss_func(model(X.to(device)), Y.to(device))
    loss_value.backward()
    optimizer.step()
print(f"{loss_value.item():.4f}")
bare = MyNeuralNet().to(device)
optimizer = torch.optim.SGD(bare.parameters(), lr=0.001)
for _ in range(50):
    optimizer.zero_grad()
    loss_func(bare(X.to(device)), Y.to(device)).backward()
    optimizer.step()
print(all(torch.equal(a, b) for a, b in zip(bare.parameters(), model.parameters())))
# save the inner module's state_dict, so it loads into a bare model
state = model.module.state_dict()
print(list(state))
fresh = MyNeuralNet()
print(fresh.load_state_dict(state))
print(model(torch.tensor([[10, 11]]).float().to(device)))
