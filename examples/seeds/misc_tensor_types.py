"""The tensor types the PyTorch notes tutorial (PyTorch学习笔记总结) lists: FloatTensor (the
default), LongTensor, IntTensor, ShortTensor, DoubleTensor, and the byte and char types.

The tutorial names them without code; here each builds a tensor from the same data and shows
its dtype and type name, and how ``.type`` and ``.to`` convert between them. It also checks its
note that a CharTensor does not convert to NumPy: that restriction no longer holds.
Run: ``python examples/seeds/misc_tensor_types.py``
"""
import disttrain as torch

data = [1, 2, 3]
# 32-bit float (the default), 64-bit int, 32-bit int, 16-bit int, 64-bit float, byte, char
for cls in (torch.FloatTensor, torch.LongTensor, torch.IntTensor, torch.ShortTensor,
            torch.DoubleTensor, torch.ByteTensor, torch.CharTensor):
    t = cls(data)
    print(t, t.dtype, t.type())

print(torch.tensor(data).type(), torch.tensor([1.0, 2.0]).type())
print(torch.get_default_dtype())
# converting between the types
x = torch.tensor([1.5, -2.7])
print(x.type(torch.IntTensor), x.type('torch.DoubleTensor'))
print(x.to(torch.long), x.long(), x.int(), x.short(), x.double(), x.abs().byte(), x.char())
print(torch.zeros(2, dtype=torch.int16).dtype, torch.ones(2).dtype)
# the note says CharTensor does not convert to NumPy; it does
c = torch.CharTensor(data)
print(c.numpy(), c.numpy().dtype)
