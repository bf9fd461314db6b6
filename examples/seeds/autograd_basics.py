"""Autograd: requires_grad, grad_fn, backward of a scalar and of a vector, no_grad.

The "Autograd: 自动求导机制" part of the PyTorch notes tutorial, as written there.
Run: ``python examples/seeds/autograd_basics.py``
"""
import disttrain as torch

# a 2x2 tensor of ones that records its history
matrix_1 = torch.ones(2, 2, requires_grad=True)
matrix_2 = matrix_1 + 2
# grad_fn was created: it holds the history of the computation
print(matrix_2)
print(matrix_2.grad_fn)   # <AddBackward0 object at 0x0000022E29309160>
matrix_3 = matrix_2 * matrix_2 * 3
# the mean
out = matrix_3.mean()
print(matrix_3)
print(out)

# requires_grad defaults to False; requires_grad_() changes it in place
matrix_a = torch.randn(2, 2)
matrix_b = ((matrix_a * 3) / (matrix_a - 1))
print(matrix_b)
matrix_a.requires_grad_(True)
print(matrix_a.requires_grad)
matrix_c = (matrix_a * matrix_a).sum()
print(matrix_c)

# backward of a scalar result
matrix_1 = torch.ones(2, 2, requires_grad=True)
matrix_2 = matrix_1 + 2
matrix_3 = matrix_2 * matrix_2 * 3
out = matrix_3.mean()
print(out.backward())  # None
print(matrix_1.grad)

# backward of a vector result needs a gradient of the same shape
matrix_x = torch.randn(3, requires_grad=True)
matrix_y = matrix_x * 2
while matrix_y.data.norm() < 1000:
    matrix_y = matrix_y * 2
# the result is no longer a scalar
print(matrix_y)
gradients = torch.ones_like(matrix_x)
matrix_y.backward(gradients)
print(matrix_x.grad)

# no_grad stops the recording
print(matrix_1.requires_grad)  # True
print((matrix_1 ** 2).requires_grad)    # True
with torch.no_grad():
    print((matrix_1 ** 2).requires_grad)   # False
