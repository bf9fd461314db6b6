"""Saving and loading tensors: one tensor, a list of tensors, a dict of tensors.

Writes ``x-file``, ``x-files`` and ``mydict`` in the current directory and prints what is read
back. Run: ``python examples/seeds/saveload_tensors.py``
"""
import disttrain as torch


def main():
    x = torch.arange(4)
    torch.save(x, "x-file")
    x2 = torch.load("x-file")
    print(x2)

    x = torch.arange(4)
    y = torch.zeros(4)
    torch.save([x, y], "x-files")
    x2, y2 = torch.load("x-files")
    print((x2, y2))

    mydict = {"x": x, "y": y}
    torch.save(mydict, "mydict")
    mydict2 = torch.load("mydict")
    print(mydict2["x"])
    print(mydict2["y"])
    print(mydict2)


if __name__ == "__main__":
    main()
