"""A Dataset over a CSV file and the DataLoader that reads it: the PyTorch notes tutorial's
(PyTorch学习笔记总结) ``BulldozerDataset`` over ``median_benchmark.csv``.

The tutorial reads the Blue Book for Bulldozers median benchmark: every row has a SalesID
and the same predicted SalePrice, the median. This script first writes a small file of that
form (23 rows) in the current directory. The tutorial reads it with pandas; pandas is not
a dependency of this project, so where it is missing a few lines stand in for the one
pandas call used (``read_csv``, then ``len`` and ``.iloc[idx].SalePrice``).
Run: ``python examples/seeds/misc_bulldozer_dataset.py``
"""
import csv
import types

import numpy as np

import disttrain as torch
from disttrain.utils.data import Dataset

try:
    import pandas as pd
except ImportError:
    class _Frame:
        """The rows of a CSV with numeric columns: ``len``, and ``.iloc[i].<column>``."""

        def __init__(self, path):
            with open(path, newline="") as f:
                rows = list(csv.reader(f))
            self.columns, self.rows = rows[0], [[np.float64(v) for v in r] for r in rows[1:]]
            self.iloc = self

        def __len__(self):
            return len(self.rows)

        def __getitem__(self, idx):
            return types.SimpleNamespace(**dict(zip(self.columns, self.rows[idx])))

    pd = types.SimpleNamespace(read_csv=_Frame)


def write_median_benchmark(path, n=23, median=24000.0):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["SalesID", "SalePrice"])
        for i in range(n):
            writer.writerow([1222837 + i, median])


# 定义一个数据集。继承Dataset
class BulldozerDataset(Dataset):
    """数据集演示"""
    def __init__(self, csv_file):
        """实现初始化方法,初始化时将数据载入"""
        self.df = pd.read_csv(csv_file)

    def __len__(self):
        """返回df长度"""
        return len(self.df)

    def __getitem__(self, idx):
        """根据idx返回一行数据"""
        return self.df.iloc[idx].SalePrice


write_median_benchmark('median_benchmark.csv')
if __name__ == "__main__":
    ds_demo = BulldozerDataset('median_benchmark.csv')
    print(len(ds_demo))

# DataLoader 返回可迭代对象
dl = torch.utils.data.DataLoader(ds_demo, batch_size=10, shuffle=True, num_workers=0)
# 使用迭代器分次获取数据
idata = iter(dl)
print(next(idata))
# 或者用for循环
for i, data in enumerate(dl):
    print(i, data)
