"""Writes the PyTorch-format files the serialization tests read. Run with PyTorch 2.13:
``python make_torch_files.py`` in this folder. The tests themselves never import PyTorch;
the values they expect are written into them."""
import collections
import struct
import zipfile

import torch


class NotAllowed:
    def __init__(self):
        self.payload = "runs code on load"


def main():
    torch.save(torch.arange(6, dtype=torch.float32).reshape(2, 3) / 4, "torch_tensor.pt")

    model = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
    with torch.no_grad():
        model[0].weight.copy_(torch.arange(6.).reshape(2, 3) / 10 - 0.2)
        model[0].bias.copy_(torch.tensor([0.5, -0.5]))
    model.train()
    model(torch.arange(12.).reshape(4, 3) / 6)        # moves the running statistics
    torch.save(model.state_dict(), "torch_linear_bn.pt")

    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    model(torch.arange(12.).reshape(4, 3) / 6).pow(2).sum().backward()
    opt.step()
    torch.save(opt.state_dict(), "torch_adam.pt")

    base = torch.arange(10, dtype=torch.int64)
    torch.save({"list": [1, 2.5, "three", None, True],
                "tuple": (torch.tensor([1.5, -2.0], dtype=torch.float64), b"raw"),
                "nested": collections.OrderedDict(a={"b": [torch.tensor(7, dtype=torch.int32)]}),
                "shared": (base[2:5], base[::3]),           # two views of one storage
                "t_view": torch.arange(6.).reshape(2, 3).t(),
                "half": torch.tensor([0.5, 1.5], dtype=torch.float16),
                "bf16": torch.tensor([1.0, -2.5, 3.140625], dtype=torch.bfloat16),
                "flag": torch.tensor([True, False]),
                "size": torch.Size([4, 5]), "dtype": torch.float64,
                "device": torch.device("cpu"), "set": {3}, "complex": 1 + 2j,
                "param": torch.nn.Parameter(torch.tensor([1.0, 2.0]))},
               "torch_nested.pt")

    torch.save({"w": torch.ones(2), "evil": NotAllowed()}, "torch_disallowed.pt")

    with open("torch_tensor.pt", "rb") as f:
        raw = bytearray(f.read())
    header = zipfile.ZipFile("torch_tensor.pt").getinfo("torch_tensor/data/0").header_offset
    name_len, extra_len = struct.unpack("<HH", raw[header + 26:header + 30])
    raw[header + 30 + name_len + extra_len + 5] ^= 0x10     # one bit of the tensor's bytes
    with open("torch_flipped_bit.pt", "wb") as f:
        f.write(raw)

if __name__ == "__main__":
    main()
