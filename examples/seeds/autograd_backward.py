"""tensor.backward and torch.autograd.backward, and the creation and statistics functions of
the function reference tutorial (PyTorch 重要函数): tensor, zeros, ones, randn, from_numpy,
mean, std, var, and no_grad.

Run: ``python examples/seeds/autograd_backward.py``
"""
import numpy as np

import disttrain as torch

# creating tensors
x = torch.tensor([1, 2, 3])
y = x.new_ones(3, 3)
z = torch.zeros(2, 2)
print(x, y, z, sep="\n")
y = torch.tensor([[1, 2], [3, 4]])
z = torch.tensor([1, 2, 3], dtype=torch.float32)
print(y, z, sep="\n")
x = torch.zeros(3, 3)
y = torch.zeros(2, 2, dtype=torch.float32)
print(x, y, sep="\n")
x = torch.ones(3, 3)
y = torch.ones(2, 2, dtype=torch.float32)
print(x, y, sep="\n")
x = torch.randn(2, 3)
print(x.shape, x.dtype)

numpy_array = np.array([1, 2, 3])
tensor = torch.from_numpy(numpy_array)
print(tensor)

# mean, std and var, of everything and along a dimension
x = torch.tensor([1.0, 2.0, 3.0, 4.0])
mean_val = torch.mean(x)
y = torch.tensor([[1.0, 2.0], [3.0, 4.0]])
mean_val_dim = torch.mean(y, dim=0)
print(mean_val, mean_val_dim)
std_val = torch.std(x)
std_val_dim = torch.std(y, dim=0)
print(std_val, std_val_dim)
# RESULT
# tensor([1.4142, 1.4142])
var_val = torch.var(x)
var_val_dim = torch.var(y, dim=0)
print(var_val, var_val_dim)

# tensor.backward(): a tensor that records its history
x = torch.tensor([2.0], requires_grad=True)
# a function of it
y = x * x * 3
# backward computes the gradient
y.backward()
# the gradient
print(x.grad)  # dy/dx

# torch.autograd.backward() with several results and their gradients
w = torch.tensor([1.0, -2.0, 0.5], requires_grad=True)
loss1 = (w * w).sum()
loss2 = w * 3
grad1 = torch.tensor(1.0)
grad2 = torch.ones(3)
torch.autograd.backward([loss1, loss2], [grad1, grad2])
print(w.grad)

# gradients accumulate until they are cleared
w.grad.zero_()
(w * 2).sum().backward()
print(w.grad)

# no_grad for inference
with torch.no_grad():
    prediction = w * 2
print(prediction, prediction.requires_grad)
