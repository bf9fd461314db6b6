"""The tutorial's first CNN: ``Conv2d`` + ``relu`` + ``max_pool2d`` + ``view`` + ``Linear``.

``Net`` prints the size of its activations as they flow (32x32 -> 30x30 -> 15x15 -> 1350),
then the script walks the tutorial: print the network and its parameters, run a random
input, backpropagate a random gradient, compute an ``MSELoss``, look at ``conv1.bias.grad``
before and after ``backward`` and take one SGD step. Run:
``python examples/seeds/cnn_net_tutorial.py``
"""
import disttrain as torch
import disttrain.nn as nn
import disttrain.nn.functional as F


# nn.Module包含各个层和一个forward(input)方法,该方法返回output。
class Net(nn.Module):
    def __init__(self):
        # nn.Module子类的函数必须在构造函数中执行父类的构造函数
        super(Net, self).__init__()
        # 卷积层 1-输入图片为单通道, 6-输出通道数, 3-卷积核为3*3
        self.conv1 = nn.Conv2d(1, 6, 3)
        # 线性层,输入1350个特征,输出10个特征
        self.fc1 = nn.Linear(1350, 10)

    def forward(self, x):
        print(x.size())   # torch.Size([1, 1, 32, 32])
        x = self.conv1(x)
        x = F.relu(x)
        print(x.size())   # torch.Size([1, 6, 30, 30])
        x = F.max_pool2d(x, (2, 2))
        x = F.relu(x)
        print(x.size())   # torch.Size([1, 6, 15, 15])
        x = x.view(x.size()[0], -1)
        print(x.size())   # torch.Size([1, 1350])
        x = self.fc1(x)
        return x


def neural_networks():
    net = Net()
    print(net)
    params = list(net.parameters())
    print(len(params))
    print(params[0].size())
    input = torch.randn(1, 1, 32, 32)
    out = net(input)
    print(out.size())  # torch.Size([1, 10])
    net.zero_grad()
    out.backward(torch.randn(1, 10))
    return net, input


def main():
    net, input = neural_networks()
    # 损失函数
    output = net(input)
    target = torch.randn(10)
    target = target.view(1, -1)
    criterion = torch.nn.MSELoss()
    loss = criterion(output, target)
    print(loss)
    # 反向传播:查看conv1层的bias项在反向传播前后的梯度
    net.zero_grad()
    print('conv1.bias.grad before backward')
    print(net.conv1.bias.grad)
    loss.backward()
    print('conv1.bias.grad after backward')
    print(net.conv1.bias.grad)
    # create optimizer
    optimizer = torch.optim.SGD(net.parameters(), lr=0.01)
    before = net.conv1.bias.detach().clone()
    optimizer.zero_grad()
    loss = criterion(net(input), target)
    loss.backward()
    optimizer.step()
    return net, before


if __name__ == "__main__":
    main()
