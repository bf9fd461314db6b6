"""Device-independent code from the function-reference tutorial (PyTorch 重要函数): choosing
the device with ``torch.cuda.is_available()``, moving a model and tensors with ``.to(device)``,
saving a state_dict and loading it with ``map_location=torch.device('cpu')``, and
``torch.cuda.memory_allocated``.

On a machine without a GPU everything runs on the CPU (and the printed device is cpu); the
same code uses the GPU where there is one. Writes ``model.pth`` in the current directory.
Run: ``python examples/seeds/misc_device.py``
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


# torch.to(device)
device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
model = MyModel()  # 假设 MyModel 是某个定义的神经网络模型
model.to(device)
tensor = torch.randn(3, 4)
tensor = tensor.to(device)
print(device.type, next(model.parameters()).device.type, tensor.device.type)

# torch.cuda.is_available() 检查CUDA是否可用
if torch.cuda.is_available():
    device = torch.device("cuda")
    print("CUDA is available. Using GPU.")
else:
    device = torch.device("cpu")
    print("CUDA is not available. Using CPU.")
# 然后可以将模型和数据移动到检测到的设备
data = torch.randn(2, 1, 12, 12)
model.to(device)
data = data.to(device)
print(model(data).shape, model(data).device.type)
print(tensor.to("cpu", torch.double).dtype)

# torch.save / torch.load: the state_dict, loaded back onto the CPU
torch.save(model.state_dict(), 'model.pth')
model2 = MyModel()
model2.load_state_dict(torch.load('model.pth'))
print(torch.equal(model2(data.cpu()), model(data).cpu()))
# 加载到 CPU
print(model2.load_state_dict(torch.load('model.pth', map_location=torch.device('cpu'))))
state = torch.load('model.pth', map_location='cpu')
print(list(state)[:2], state['fc2.bias'].device)

# GPU memory in use (0 when no GPU is in use)
print(type(torch.cuda.memory_allocated()).__name__, torch.cuda.device_count() >= 0)
if not torch.cuda.is_available():
    print(torch.cuda.memory_allocated(), torch.cuda.max_memory_allocated(),
          torch.cuda.memory_reserved(), torch.cuda.device_count())
