"""Layers of the function-reference tutorial (PyTorch 重要函数) not run elsewhere: the
``nn.Conv2d`` construction with its optional arguments, the complete "具体案例" training step
(forward, MSE loss, backward, SGD step, zero_grad), and the sections on the dimensions of
inputs and of the weight tensors of Linear, Conv1d/Conv2d, RNN/GRU/LSTM and Embedding.

Only deterministic facts are printed (reprs, shapes, checks), so the output is the same on
every run. Run: ``python examples/seeds/misc_layers.py``
"""
import disttrain as torch
import disttrain.nn as nn

# 创建一个卷积层,输入通道数为 3,输出通道数为 6,核大小为 5
conv_layer = nn.Conv2d(in_channels=3, out_channels=6, kernel_size=5)
print(conv_layer)
print(conv_layer.weight.shape, conv_layer.bias.shape)
# the optional arguments: stride, padding, dilation, groups, bias, padding_mode
conv = nn.Conv2d(3, 6, kernel_size=(3, 5), stride=2, padding=1, dilation=1, groups=3,
                 bias=False, padding_mode='zeros')
print(conv)
print(conv.weight.shape, conv.bias)
images = torch.randn(4, 3, 32, 32)     # [batch_size, channels, height, width]
print(conv_layer(images).shape, conv(images).shape)

# 具体案例: one training step of a one-feature linear model
model = nn.Linear(in_features=1, out_features=1)
x = torch.randn(10, 1)  # 输入数据:随机生成
y = torch.randn(10, 1)  # 目标数据:随机生成
output = model(x)
criterion = nn.MSELoss()
loss = criterion(output, y)
loss.backward()
print(loss.grad_fn.name(), model.weight.grad.shape, model.bias.grad.shape)
optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
expected = model.weight.detach() - 0.01 * model.weight.grad
optimizer.step()
print(torch.allclose(model.weight, expected))
# 清除梯度: by default zero_grad sets the gradients to None
optimizer.zero_grad()
print(model.weight.grad, model.bias.grad)

# weight shapes: Linear [out_features, in_features], bias [out_features]
linear = nn.Linear(5, 3)
print(linear.weight.shape, linear.bias.shape)
# convolutions [out_channels, in_channels, kernel_height, kernel_width] (Conv1d: no height)
print(nn.Conv2d(3, 6, 5).weight.shape, nn.Conv1d(3, 6, 4).weight.shape)
# recurrent layers: input-to-hidden and hidden-to-hidden matrices, the gates stacked
sequences = torch.randn(3, 5, 10)      # [batch_size, sequence_length, features]
for cls in (nn.RNN, nn.GRU, nn.LSTM):
    rnn = cls(input_size=10, hidden_size=20, batch_first=True)
    print(rnn, [(name, tuple(p.shape)) for name, p in rnn.named_parameters()])
    print(rnn(sequences)[0].shape)
# embeddings [num_embeddings, embedding_dim]; their output is [batch, seq, embedding_dim]
embedding = nn.Embedding(num_embeddings=100, embedding_dim=16)
print(embedding, embedding.weight.shape)
print(embedding(torch.tensor([[1, 2, 3], [4, 5, 6]])).shape)
