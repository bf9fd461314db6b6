"""Tensors: creation, size, the syntaxes of addition, indexing, view and item.

The "Tensor" and "Operations" parts of the PyTorch notes tutorial (PyTorch学习笔记总结),
as written there. Run: ``python examples/seeds/tensors_basics.py``
"""
from __future__ import print_function

import disttrain as torch

# an uninitialised 5x3 matrix (this engine zero-fills "uninitialised" memory)
x = torch.empty(5, 3)
print(x)

# a randomly initialised matrix
x = torch.rand(5, 3)
print(x)

# a matrix of zeros of dtype long
x = torch.zeros(5, 3, dtype=torch.long)
print(x)

# a tensor built directly from data
x = torch.tensor([5.5, 3])
print(x)

# new tensors reusing the properties of an existing one unless overridden
x = x.new_ones(5, 3, dtype=torch.double)      # new_* methods take in sizes
print(x)
x = torch.randn_like(x, dtype=torch.float)    # override dtype!
print(x)                                      # result has the same size

print(x.size())

# addition: syntax 1
y = torch.rand(5, 3)
print(x + y)

# addition: syntax 2
print(torch.add(x, y))

# addition: an output tensor as argument
result = torch.empty(5, 3)
torch.add(x, y, out=result)
print(result)

# addition: in place
# adds x to y
y.add_(x)
print(y)

# NumPy-like indexing
print(x[:, 1])

# resizing with view
x = torch.randn(4, 4)
y = x.view(16)
z = x.view(-1, 8)  # the size -1 is inferred from other dimensions
print(x.size(), y.size(), z.size())

# a one-element tensor as a Python number
x = torch.randn(1)
print(x)
print(x.item())
