"""Lists to float tensors and the device choice of the "add two numbers" tutorial
(使用Pytorch构建神经网络), and the in-place halving loop of the block tutorials.

Run: ``python examples/seeds/tensors_from_lists.py``
"""
import disttrain as torch

x = [[1, 2], [3, 4], [5, 6], [7, 8]]
y = [[3], [7], [5], [11]]

X = torch.tensor(x).float()
Y = torch.tensor(y).float()
print(X)
print(Y)

device = 'cuda' if torch.cuda.is_available() else 'cpu'
X = X.to(device)
Y = Y.to(device)
print(X.device, X.dtype, Y.shape)

# halve until the absolute sum is at most 1 (FixedHiddenMLP's loop), then sum
torch.manual_seed(0)
W = torch.rand((20, 20), requires_grad=False)
X = torch.rand(2, 20)
X = torch.relu(torch.mm(X, W) + 1)
steps = 0
while X.abs().sum() > 1:
    X /= 2
    steps += 1
print(X.sum() <= 1, X.shape)
