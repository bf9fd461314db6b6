"""The ``torch.nn.functional`` functions the function-reference tutorial (PyTorch 重要函数)
lists: activations (relu, sigmoid, tanh), losses (mse_loss, cross_entropy), convolutions
(conv2d, conv1d), pooling (max_pool2d, avg_pool2d) and normalisation (batch_norm,
layer_norm), each on small fixed inputs, and the same computation through ``nn`` modules,
which hold their parameters themselves.
Run: ``python examples/seeds/misc_functional.py``
"""
import disttrain as torch
import disttrain.nn as nn
import disttrain.nn.functional as F

x = torch.tensor([[-1.5, 0.0, 2.0], [3.0, -0.5, 1.0]])
# 激活函数
print(F.relu(x))
print(F.sigmoid(x))
print(F.tanh(x))
# 损失函数
target = torch.tensor([[0.0, 1.0, 2.0], [2.0, 0.0, 1.0]])
print(F.mse_loss(x, target))
print(F.mse_loss(x, target, reduction='sum'))
print(F.cross_entropy(x, torch.tensor([2, 0])))
print(F.cross_entropy(x, torch.tensor([2, 0]), reduction='none'))
# 卷积: the weights (and bias) are passed in by hand
image = torch.arange(16.).reshape(1, 1, 4, 4)
kernel = torch.tensor([[[[1.0, 0.0], [0.0, -1.0]]]])
print(F.conv2d(image, kernel))
print(F.conv2d(image, kernel, bias=torch.tensor([10.0]), stride=2, padding=1))
signal = torch.arange(6.).reshape(1, 1, 6)
print(F.conv1d(signal, torch.tensor([[[1.0, -2.0, 1.0]]])))
# 池化
print(F.max_pool2d(image, 2))
print(F.avg_pool2d(image, kernel_size=2, stride=1))
# 归一化
batch = torch.tensor([[1.0, 2.0], [3.0, 6.0], [5.0, 10.0], [7.0, 2.0]])
running_mean, running_var = torch.zeros(2), torch.ones(2)
print(F.batch_norm(batch, running_mean, running_var, training=True))
print(running_mean, running_var)
print(F.batch_norm(batch, running_mean, running_var))
print(F.layer_norm(batch, (2,)))

# the modules compute the same, holding their parameters (none for ReLU)
print(torch.equal(nn.ReLU()(x), F.relu(x)))
conv = nn.Conv2d(1, 1, 2, bias=False)
with torch.no_grad():
    conv.weight.copy_(kernel)
print(torch.equal(conv(image), F.conv2d(image, conv.weight)))
print(torch.equal(nn.MaxPool2d(2)(image), F.max_pool2d(image, 2)))

# softmax exists as torch.softmax and F.softmax (and the nn.Softmax module), not nn.softmax
logits = torch.tensor([[1.0, 2.0, 3.0], [1.0, 1.0, 1.0]])
print(torch.equal(torch.softmax(logits, 1), F.softmax(logits, dim=1)), hasattr(nn, 'softmax'))
print(nn.Softmax(dim=1)(logits))
