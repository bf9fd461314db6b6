"""The tutorials' lines that need a GPU, each as a function, run one after the other.

On a GPU machine each moves or creates its tensors there and the script prints where they
ended up. Without a GPU each raises a RuntimeError that says CUDA is not available (where
PyTorch, built without CUDA, raises ``AssertionError: Torch not compiled with CUDA
enabled``); the script prints the first line of each error. The device-independent forms of
the same code are in misc_device.py. Writes ``model.pth`` in the current directory.
Run: ``python examples/seeds/misc_cuda_only.py``
"""
import disttrain as torch
import disttrain.nn as nn

SNIPPETS = {}


def snippet(fn):
    SNIPPETS[fn.__name__] = fn
    return fn


@snippet
def device_without_call():
    """使用Pytorch构建神经网络 (step 2) writes ``torch.cuda.is_available`` without the call:
    a function is always true, so 'cuda' is chosen even without a GPU (the tutorial's later
    sections call it; tensors_from_lists.py runs the corrected line)."""
    x = [[1, 2], [3, 4], [5, 6], [7, 8]]
    X = torch.tensor(x).float()
    device = 'cuda' if torch.cuda.is_available else 'cpu'
    X = X.to(device)
    return X


@snippet
def cuda_tensors():
    """PyTorch学习笔记总结, "CUDA Tensors", without its ``is_available()`` guard."""
    x = torch.randn(1)
    device = torch.device("cuda")          # a CUDA device object
    y = torch.ones_like(x, device=device)  # directly create a tensor on GPU
    x = x.to(device)                       # or just use strings ``.to("cuda")``
    z = x + y
    return z


@snippet
def tensor_cuda():
    """PyTorch 重要函数: ``.cuda()`` moves a tensor to the GPU."""
    return torch.randn(3, 4).cuda()


@snippet
def model_cuda():
    """PyTorch 重要函数: ``.cuda()`` moves a model's parameters to the GPU."""
    model = nn.Linear(5, 3)
    model.cuda()
    return model.weight


@snippet
def create_on_cuda0():
    """PyTorch 重要函数: the ``device`` argument of torch.zeros/ones/randn ('cuda:0')."""
    return torch.zeros(2, 2, device='cuda:0')


@snippet
def load_to_cuda():
    """PyTorch 重要函数, torch.load: ``map_location=torch.device('cuda')``."""
    model = nn.Linear(5, 3)
    torch.save(model.state_dict(), 'model.pth')
    # 或者,如果你想加载到 GPU(假设可用)
    model.load_state_dict(torch.load('model.pth', map_location=torch.device('cuda')))
    return torch.load('model.pth', map_location=torch.device('cuda'))['weight']


def main():
    for name, fn in SNIPPETS.items():
        try:
            result = fn()
        except RuntimeError as e:
            print(f"{name}: {type(e).__name__}: {str(e).splitlines()[0]}")
        else:
            print(f"{name}: on {result.device}")


if __name__ == "__main__":
    main()
