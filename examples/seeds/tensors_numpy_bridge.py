"""The NumPy bridge: a CPU tensor and its numpy array share memory, both ways.

The "NumPy Bridge" and "CUDA Tensors" parts of the PyTorch notes tutorial, as written
there. Run: ``python examples/seeds/tensors_numpy_bridge.py``
"""
import numpy as np

import disttrain as torch

# tensor to array
a = torch.ones(5)
print(a)

b = a.numpy()
print(b)

# the array changes with the tensor
a.add_(1)
print(a)
print(b)

# array to tensor
a = np.ones(5)
b = torch.from_numpy(a)
np.add(a, 1, out=a)
print(a)
print(b)

x = torch.randn(1)

# let us run this cell only if CUDA is available
# We will use ``torch.device`` objects to move tensors in and out of GPU
if torch.cuda.is_available():
    device = torch.device("cuda")          # a CUDA device object
    y = torch.ones_like(x, device=device)  # directly create a tensor on GPU
    x = x.to(device)                       # or just use strings ``.to("cuda")``
    z = x + y
    print(z)
    print(z.to("cpu", torch.double))       # ``.to`` can also change dtype together!
