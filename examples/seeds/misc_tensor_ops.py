"""The tensor functions the function-reference tutorial (PyTorch 重要函数) lists first:
joining, splitting and reshaping (cat, chunk, index_select, reshape, squeeze, stack,
transpose), arithmetic (add, sub, mul, div, matmul) and activations (sigmoid, tanh, softmax).

The tutorial only names these functions; each gets the common calls here, on small tensors
with fixed values. Run: ``python examples/seeds/misc_tensor_ops.py``
"""
import disttrain as torch

x = torch.arange(6.).reshape(2, 3)
y = torch.tensor([[1., -1., 2.], [0.5, 3., -2.]])

# torch.cat joins along an existing dimension
print(torch.cat((x, y), dim=0))
print(torch.cat((x, y), dim=1))
# torch.chunk splits into (at most) n pieces; the last one may be smaller
print(torch.chunk(torch.arange(7), 3))
print(torch.chunk(x, 2, dim=1))
# torch.index_select picks whole slices by index
print(torch.index_select(x, 1, torch.tensor([0, 2])))
print(torch.index_select(y, 0, torch.tensor([1, 1, 0])))
# torch.reshape: -1 is inferred from the other sizes
print(torch.reshape(x, (3, 2)))
print(torch.reshape(x, (-1,)))
# torch.squeeze drops dimensions of size 1 (all of them, or the one named)
a = torch.zeros(2, 1, 3, 1)
print(torch.squeeze(a).size(), torch.squeeze(a, 1).size(), torch.squeeze(a, 0).size())
# torch.stack joins along a new dimension
print(torch.stack((x, y)))
print(torch.stack((x, y), dim=2).shape)
# torch.transpose swaps two dimensions
print(torch.transpose(x, 0, 1))
print(torch.transpose(torch.zeros(2, 3, 4), 0, 2).shape)

# element-wise arithmetic, with broadcasting and scalars
print(torch.add(x, y))
print(torch.add(x, 10, alpha=2))
print(torch.sub(x, y))
print(torch.sub(x, torch.tensor([1., 2., 3.])))
print(torch.mul(x, y))
print(torch.mul(x, 2))
print(torch.div(x, y))
print(torch.div(x, 4, rounding_mode='floor'))
print(torch.div(torch.tensor([7, -7]), 2, rounding_mode='trunc'))
print(torch.div(torch.tensor([7, -7]), 2))
# matrix products: matrix @ matrix, matrix @ vector, batched
print(torch.matmul(x, y.T))
print(torch.matmul(x, torch.ones(3)))
print(torch.matmul(torch.ones(4, 2, 3), torch.ones(3, 5)).shape)

# activations
print(torch.sigmoid(y))
print(torch.tanh(y))
print(torch.softmax(y, dim=1))
print(torch.softmax(y, dim=0).sum(dim=0))
