"""The tutorial's ``MyModel`` (two convolutions, two linear layers) and ``F.conv2d`` by hand.

``MyModel`` flattens 50 channels of 4x4 into 800 features, so it takes 12x12 images (the
tutorial's layers leave 4x4 of a 12x12 input after two 5x5 convolutions). The script
prints the model, runs a batch, trains it for a few SGD steps on a fixed random batch, and
repeats the functional example: ``F.conv2d`` of a (1, 16, 12, 12) input with a
(33, 16, 3, 3) weight, then ``F.relu``. Run: ``python examples/seeds/cnn_mymodel.py``
"""
import disttrain as torch
import disttrain.nn as nn
import disttrain.nn.functional as F


class MyModel(nn.Module):
    def __init__(self):
        super(MyModel, self).__init__()
        # 定义模型层
        self.conv1 = nn.Conv2d(1, 20, 5)
        self.conv2 = nn.Conv2d(20, 50, 5)
        self.fc1 = nn.Linear(4 * 4 * 50, 500)
        self.fc2 = nn.Linear(500, 10)

    def forward(self, x):
        # 定义前向传播
        x = F.relu(self.conv1(x))
        x = F.relu(self.conv2(x))
        x = x.view(-1, 4 * 4 * 50)  # 展平操作
        x = F.relu(self.fc1(x))
        x = self.fc2(x)
        return x


def main(steps=5):
    model = MyModel()
    print(model)
    x = torch.randn(8, 1, 12, 12)
    y = torch.randint(0, 10, (8,))
    print(model(x).shape)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05)
    losses = []
    for _ in range(steps):
        optimizer.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    print(f"loss {losses[0]:.4f} -> {losses[-1]:.4f}")

    # 卷积操作,需要手动指定权重和偏置
    input = torch.randn(1, 16, 12, 12)
    weight = torch.randn(33, 16, 3, 3)
    output = F.conv2d(input, weight)
    # ReLU 激活函数
    output = F.relu(output)
    print(output.shape)
    return model, losses, output


if __name__ == "__main__":
    main()
