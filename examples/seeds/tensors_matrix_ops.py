"""Matrix operations of the notes: creation, max and sum along rows, the three additions,
in-place add, indexing, view, item, and the numpy round trip.

The "利用pytorch对矩阵的操作" to "pytorch与numpy" parts of the PyTorch notes tutorial, as
written there. Run: ``python examples/seeds/tensors_matrix_ops.py``
"""
import numpy as np

import disttrain as torch

# a 5x3 matrix, uninitialised
matrix_1 = torch.empty(5, 3)
print(matrix_1)
# the maximum along each row
max_value, max_idx = torch.max(matrix_1, dim=1)
print(max_value, max_idx)
# the sum of each row
sum_matrix = torch.sum(matrix_1, dim=1)
print(sum_matrix)
# a randomly initialised matrix
matrix_2 = torch.rand(5, 3)
print(matrix_2)
# a matrix of zeros of dtype long
matrix_3 = torch.zeros(5, 3, dtype=torch.long)
print(matrix_3)

# a tensor from existing data
matrix_4 = torch.tensor([5.5, 3])
print(matrix_4)
# new_ones keeps matrix_4's properties unless a new dtype is given
matrix_5 = matrix_4.new_ones(5, 3, dtype=torch.double)
print(matrix_5)
# a random matrix of matrix_5's shape
matrix_6 = torch.randn_like(matrix_5, dtype=torch.float)
print(matrix_6)

print(torch.rand(5, 3).shape, torch.ones(2, 2), torch.zeros(2, 2), torch.eye(2, 2))

print(matrix_6.size())    # torch.Size([5, 3])

# addition, way one
matrix1_1 = torch.rand(5, 3)
matrix1_2 = matrix1_1 + matrix_6
print(matrix1_2)
# way two
matrix1_3 = torch.add(matrix1_1, matrix_6)
print(matrix1_3)
# way three: out names the result tensor
result = torch.empty(5, 3)
torch.add(matrix1_1, matrix_6, out=result)
# adds matrix_6 to result
result.add_(matrix_6)
print(result)

matrix_1 = torch.rand(5, 3)
# the second column
print(matrix_1[:, 1])
# view changes the shape
matrix_2 = torch.randn(4, 4)
matrix_3 = matrix_2.view(16)
matrix_4 = matrix_2.view(-1, 8)    # -1 is inferred from the other dimensions
print(matrix_2.size(), matrix_3.size(), matrix_4.size())

matrix_5 = torch.randn(1)
# the Python number
matrix_5_value = matrix_5.item()
print(type(matrix_5_value).__name__)

# ones, 1 row 5 columns
a = torch.ones(5)
print(a)  # tensor([1., 1., 1., 1., 1.])
# tensor to numpy
b = a.numpy()
print(b)  # [1. 1. 1. 1. 1.]
a.add_(2)
print(a)  # tensor([3., 3., 3., 3., 3.])
print(b)  # [3. 3. 3. 3. 3.]
x = np.ones(5)  # [1. 1. 1. 1. 1.]
# numpy to tensor
y = torch.from_numpy(x)  # tensor([1., 1., 1., 1., 1.], dtype=torch.float64)
np.add(x, 1, out=x)
print(x)  # [2. 2. 2. 2. 2.]
print(y)  # tensor([2., 2., 2., 2., 2.], dtype=torch.float64)
