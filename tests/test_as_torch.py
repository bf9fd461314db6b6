"""Unchanged PyTorch programs: ``import torch...`` resolving to disttrain."""
import os
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(ROOT, "tests", "data", "programs")


def _env():
    return dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))


def test_alias_gives_one_copy_of_every_module():
    """torch.nn.Module is disttrain.nn.Module: no second copy of the package is loaded."""
    code = ("from disttrain import _torch_alias; _torch_alias.install()\n"
            "import torch, torch.nn as nn, disttrain\n"
            "from torch.utils.data import DataLoader\n"
            "import torch.nn.functional as F\n"
            "assert torch is disttrain and nn.Module is disttrain.nn.Module\n"
            "assert DataLoader is disttrain.utils.data.DataLoader and F.relu is "
            "disttrain.nn.functional.relu\n"
            "assert not any(m.startswith('torch.') and not getattr(sys.modules[m], '__name__', "
            "'').startswith('disttrain') for m in sys.modules)\n"
            "try:\n    import torch.nonexistent\nexcept ImportError as e:\n"
            "    assert 'torch.nonexistent' in str(e)\nelse:\n    raise AssertionError\n")
    proc = subprocess.run([sys.executable, "-c", "import sys\n" + code], env=_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr


def test_pytorch_ddp_tutorial_runs_unchanged_with_spawn(tmp_path):
    """PyTorch's DDP tutorial (mp.spawn, two process groups one after the other, save and
    load with map_location) runs as written under ``python -m disttrain.as_torch``."""
    proc = subprocess.run([sys.executable, "-m", "disttrain.as_torch",
                           os.path.join(DATA, "ddp_tutorial.py")], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    for demo in ("basic DDP example", "DDP checkpoint example"):
        for rank in (0, 1):
            assert f"Finished running {demo} on rank {rank}." in proc.stdout


def test_launch_as_torch_runs_a_torchrun_script(tmp_path):
    """``launch --as-torch --nproc 2`` runs a torchrun-style script unchanged; both ranks
    train the same model."""
    proc = subprocess.run([sys.executable, "-m", "launch", "--as-torch", "--nproc", "2",
                           os.path.join(DATA, "torch_style_train.py")], cwd=tmp_path,
                          env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    lines = sorted(l.split("] ", 1)[1] for l in proc.stdout.splitlines() if "torch is" in l)
    assert lines == ["rank 0: torch is disttrain, w=3.000 b=1.000",
                     "rank 1: torch is disttrain, w=3.000 b=1.000"], proc.stdout


def test_as_torch_usage_errors():
    """A missing script is one clear line; --path prints the folder to put on PYTHONPATH."""
    proc = subprocess.run([sys.executable, "-m", "disttrain.as_torch", "nope.py"], env=_env(),
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2 and "can't open file 'nope.py'" in proc.stderr
    proc = subprocess.run([sys.executable, "-m", "disttrain.as_torch", "--path"], env=_env(),
                          capture_output=True, text=True, timeout=60)
    assert os.path.isfile(os.path.join(proc.stdout.strip(), "torch", "__init__.py"))


def test_torchvision_imports_resolve_to_disttrain_vision(tmp_path):
    """``from torchvision import datasets, transforms, models`` gets disttrain.vision, in the
    program and in its DataLoader workers."""
    script = tmp_path / "tv.py"
    script.write_text(
        "import torch, torchvision\n"
        "from torchvision import datasets, transforms, models\n"
        "import torchvision.transforms.functional as TF\n"
        "import disttrain.vision\n"
        "assert torchvision is disttrain.vision and TF is disttrain.vision.transforms.functional\n"
        "ds = datasets.FakeData(8, (3, 8, 8), transform=transforms.ToTensor())\n"
        "x, y = next(iter(torch.utils.data.DataLoader(ds, batch_size=4, num_workers=1)))\n"
        "print(tuple(x.shape), models.resnet18(num_classes=3).fc.out_features)\n")
    proc = subprocess.run([sys.executable, "-m", "disttrain.as_torch", str(script)],
                          env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip() == "(4, 3, 8, 8) 3"


def _write_idx(path, arr):
    import gzip
    head = bytes([0, 0, 0x08, arr.ndim]) + b"".join(int(n).to_bytes(4, "big") for n in arr.shape)
    with gzip.open(str(path) + ".gz", "wb") as fh:
        fh.write(head + arr.astype("uint8").tobytes())


def _fake_mnist(folder, train=640, test=200):
    """Small MNIST-format files whose digits are learnable (brightness follows the label)."""
    import numpy as np
    folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    for split, n in (("train", train), ("t10k", test)):
        labels = rng.integers(0, 10, n)
        images = rng.integers(0, 60, (n, 28, 28)) + labels[:, None, None] * 19
        _write_idx(folder / f"{split}-images-idx3-ubyte", images)
        _write_idx(folder / f"{split}-labels-idx1-ubyte", labels)


def test_pytorch_quickstart_tutorial_runs_unchanged(tmp_path):
    """PyTorch's Quickstart (FashionMNIST with download=True over files in place, the
    accelerator query, training, save and load with weights_only) runs as published."""
    _fake_mnist(tmp_path / "data" / "FashionMNIST" / "raw")
    proc = subprocess.run([sys.executable, "-m", "disttrain.as_torch",
                           os.path.join(DATA, "quickstart.py")], cwd=tmp_path, env=_env(),
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    out = proc.stdout
    # what the tutorial prints on PyTorch, line for line: the alias prints torch.<name>
    assert "Shape of X [N, C, H, W]: torch.Size([64, 1, 28, 28])\n" \
        "Shape of y: torch.Size([64]) torch.int64\n" in out
    assert "Using cpu device" in out and "Done!" in out and 'Predicted: "' in out
    assert "(0): Linear(in_features=784, out_features=512, bias=True)" in out


def test_pytorch_examples_mnist_runs_unchanged_and_saves_for_pytorch(tmp_path):
    """pytorch/examples' mnist/main.py (Adadelta, StepLR, NLL loss) trains as published and
    its --save-model file is PyTorch's format."""
    _fake_mnist(tmp_path / "data" / "MNIST" / "raw")
    work = tmp_path / "run"
    work.mkdir()
    proc = subprocess.run([sys.executable, "-m", "disttrain.as_torch",
                           os.path.join(DATA, "mnist_main.py"), "--save-model"], cwd=work,
                          env=_env(), capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "Train Epoch: 1 [0/640 (0%)]" in proc.stdout and "Test set: Average loss" in proc.stdout
    import zipfile
    assert zipfile.ZipFile(work / "mnist_cnn.pt").namelist()[0].endswith("/data.pkl")


FORMS = '''import torch
x = torch.arange(12, dtype=torch.float64).reshape(3, 4) / 7
print(x)
print(x.shape, x.dtype, x.type(), torch.channels_last, torch.strided)
print(torch.aminmax(torch.tensor([3.0, -1.0, 2.0])))
print(torch.ones(2, 2, dtype=torch.int16) * 40000)
'''
# what PyTorch 2.13 prints for FORMS
FORMS_PYTORCH = """tensor([[0.0000, 0.1429, 0.2857, 0.4286],
        [0.5714, 0.7143, 0.8571, 1.0000],
        [1.1429, 1.2857, 1.4286, 1.5714]], dtype=torch.float64)
torch.Size([3, 4]) torch.float64 torch.DoubleTensor torch.channels_last torch.strided
torch.return_types.aminmax(
min=tensor(-1.),
max=tensor(3.))
tensor([[-25536, -25536],
        [-25536, -25536]], dtype=torch.int16)
"""


def test_a_program_run_as_torch_prints_what_it_prints_on_pytorch(tmp_path):
    """Under the alias the printed forms say torch.<name>, as on PyTorch, character for
    character; imported as disttrain they say disttrain.<name>."""
    script = tmp_path / "forms.py"
    script.write_text(FORMS)
    proc = subprocess.run([sys.executable, "-m", "disttrain.as_torch", str(script)],
                          env=_env(), capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout == FORMS_PYTORCH
    plain = subprocess.run([sys.executable, "-c", FORMS.replace("torch", "disttrain")],
                           env=_env(), capture_output=True, text=True, timeout=120)
    assert plain.stdout == FORMS_PYTORCH.replace("torch.", "disttrain.")


def test_uninstalling_the_alias_restores_disttrain_names():
    code = ("import disttrain\nfrom disttrain import _torch_alias\n"
            "_torch_alias.install(); a = repr(disttrain.float32)\n"
            "_torch_alias.uninstall(); print(a, repr(disttrain.float32))\n")
    proc = subprocess.run([sys.executable, "-c", code], env=_env(), capture_output=True,
                          text=True, timeout=120)
    assert proc.stdout.split() == ["torch.float32", "disttrain.float32"]
