"""The function-reference tutorial's (PyTorch 重要函数) ``CustomDataset`` with its DataLoader
loops, and the training loop of its ``optimizer.zero_grad()`` section.

The tutorial leaves ``data``, ``labels``, the model and the loss as ``...``; here the data are
ten points (x1, x2) labelled with x1 + x2, the model a Linear layer and the loss MSE. Batches
come in a random order, so the script prints their shapes and checks that every sample
arrives exactly once per epoch, with its own label.
Run: ``python examples/seeds/misc_custom_dataset.py``
"""
import disttrain as torch
import disttrain.nn as nn
from disttrain.utils.data import Dataset
from disttrain.utils.data import DataLoader


class CustomDataset(Dataset):
    def __init__(self, data, labels):
        # 初始化函数,读取数据等初始化操作
        self.data = data
        self.labels = labels

    def __len__(self):
        # 返回数据集中样本的数量
        return len(self.data)

    def __getitem__(self, index):
        # 根据索引号返回样本和标签
        sample = self.data[index]
        label = self.labels[index]
        return sample, label


# 假设 data 和 labels 是你的数据和标签
data = torch.arange(20.).view(10, 2)
labels = data.sum(dim=1, keepdim=True)
# 创建数据集
dataset = CustomDataset(data, labels)
print(len(dataset), dataset[3])
# 创建数据加载器
data_loader = DataLoader(dataset, batch_size=4, shuffle=True)
# 使用数据加载器
seen = []
for batch in data_loader:
    batch_data, batch_labels = batch
    # 进行训练或其他操作
    print(batch_data.shape, batch_labels.shape)
    print(torch.equal(batch_data.sum(dim=1, keepdim=True), batch_labels))
    seen.append(batch_data[:, 0])
print(torch.sort(torch.cat(seen)).values)

# batch_size=32 on 10 samples gives one batch; drop_last=True drops the incomplete last batch
print([d.shape for d, _ in DataLoader(dataset, batch_size=32, shuffle=True)])
print([d.shape for d, _ in DataLoader(dataset, batch_size=4, drop_last=True)])

# the training loop: zero_grad at the start of every step
torch.manual_seed(0)
model = nn.Linear(2, 1)
loss_function = nn.MSELoss()
optimizer = torch.optim.SGD(model.parameters(), lr=0.002)
num_epochs = 20
epoch_losses = []
for epoch in range(num_epochs):
    total = 0.0
    for batch_idx, (data, targets) in enumerate(data_loader):
        # 在这里进行模型训练的操作
        optimizer.zero_grad()
        output = model(data)
        loss = loss_function(output, targets)
        loss.backward()
        optimizer.step()
        total += loss.item() * len(data)
    epoch_losses.append(total / len(dataset))
print(batch_idx, epoch_losses[-1] < epoch_losses[0] / 10)
