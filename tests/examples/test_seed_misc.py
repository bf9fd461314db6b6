"""The tutorials' snippets that no other seed script covers, run as the misc_* scripts under
examples/seeds (see examples/seeds/README.md for which script covers which snippet).

Each script is the tutorial's code with ``import disttrain as torch``; EXPECTED holds what
PyTorch 2.13 (CPU) printed for the same script, with ``torch.`` read as ``disttrain.`` in dtype,
Size and tensor-type names. The scripts print only deterministic values (fixed data, fixed
initial weights where values are printed), so every line must match exactly. The
distributed program runs under ``launch --nproc 2`` and is compared with what ``torchrun
--nproc_per_node 2`` printed; the GPU-only lines must fail with a clear error without a GPU.
"""
import importlib.util
import os
import pathlib
import re
import subprocess
import sys

import pytest

import disttrain as torch

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = ROOT / "examples" / "seeds"
NO_GPU = not torch.cuda.is_available()

EXPECTED = {
    'misc_tensor_types': [
        'tensor([1., 2., 3.]) disttrain.float32 disttrain.FloatTensor',
        'tensor([1, 2, 3]) disttrain.int64 disttrain.LongTensor',
        'tensor([1, 2, 3], dtype=disttrain.int32) disttrain.int32 disttrain.IntTensor',
        'tensor([1, 2, 3], dtype=disttrain.int16) disttrain.int16 disttrain.ShortTensor',
        'tensor([1., 2., 3.], dtype=disttrain.float64) disttrain.float64 disttrain.DoubleTensor',
        'tensor([1, 2, 3], dtype=disttrain.uint8) disttrain.uint8 disttrain.ByteTensor',
        'tensor([1, 2, 3], dtype=disttrain.int8) disttrain.int8 disttrain.CharTensor',
        'disttrain.LongTensor disttrain.FloatTensor',
        'disttrain.float32',
        ('tensor([ 1, -2], dtype=disttrain.int32) tensor([ 1.5000, -2.7000], dtype=disttra'
         'in.float64)'),
        ('tensor([ 1, -2]) tensor([ 1, -2]) tensor([ 1, -2], dtype=disttrain.int32) tensor'
         '([ 1, -2], dtype=disttrain.int16) tensor([ 1.5000, -2.7000], dtype=disttrain.flo'
         'at64) tensor([1, 2], dtype=disttrain.uint8) tensor([ 1, -2], dtype=disttrain.int'
         '8)'),
        'disttrain.int16 disttrain.float32',
        '[1 2 3] int8',
    ],
    'misc_bulldozer_dataset': [
        '23',
        'tensor([24000., 24000., 24000., 24000., 24000., 24000., 24000., 24000., 24000.,',
        '        24000.], dtype=disttrain.float64)',
        '0 tensor([24000., 24000., 24000., 24000., 24000., 24000., 24000., 24000., 24000.,',
        '        24000.], dtype=disttrain.float64)',
        '1 tensor([24000., 24000., 24000., 24000., 24000., 24000., 24000., 24000., 24000.,',
        '        24000.], dtype=disttrain.float64)',
        '2 tensor([24000., 24000., 24000.], dtype=disttrain.float64)',
    ],
    'misc_tensor_ops': [
        'tensor([[ 0.0000,  1.0000,  2.0000],',
        '        [ 3.0000,  4.0000,  5.0000],',
        '        [ 1.0000, -1.0000,  2.0000],',
        '        [ 0.5000,  3.0000, -2.0000]])',
        'tensor([[ 0.0000,  1.0000,  2.0000,  1.0000, -1.0000,  2.0000],',
        '        [ 3.0000,  4.0000,  5.0000,  0.5000,  3.0000, -2.0000]])',
        '(tensor([0, 1, 2]), tensor([3, 4, 5]), tensor([6]))',
        '(tensor([[0., 1.],',
        '        [3., 4.]]), tensor([[2.],',
        '        [5.]]))',
        'tensor([[0., 2.],',
        '        [3., 5.]])',
        'tensor([[ 0.5000,  3.0000, -2.0000],',
        '        [ 0.5000,  3.0000, -2.0000],',
        '        [ 1.0000, -1.0000,  2.0000]])',
        'tensor([[0., 1.],',
        '        [2., 3.],',
        '        [4., 5.]])',
        'tensor([0., 1., 2., 3., 4., 5.])',
        'disttrain.Size([2, 3]) disttrain.Size([2, 3, 1]) disttrain.Size([2, 1, 3, 1])',
        'tensor([[[ 0.0000,  1.0000,  2.0000],',
        '         [ 3.0000,  4.0000,  5.0000]],',
        '',
        '        [[ 1.0000, -1.0000,  2.0000],',
        '         [ 0.5000,  3.0000, -2.0000]]])',
        'disttrain.Size([2, 3, 2])',
        'tensor([[0., 3.],',
        '        [1., 4.],',
        '        [2., 5.]])',
        'disttrain.Size([4, 3, 2])',
        'tensor([[1.0000, 0.0000, 4.0000],',
        '        [3.5000, 7.0000, 3.0000]])',
        'tensor([[20., 21., 22.],',
        '        [23., 24., 25.]])',
        'tensor([[-1.0000,  2.0000,  0.0000],',
        '        [ 2.5000,  1.0000,  7.0000]])',
        'tensor([[-1., -1., -1.],',
        '        [ 2.,  2.,  2.]])',
        'tensor([[  0.0000,  -1.0000,   4.0000],',
        '        [  1.5000,  12.0000, -10.0000]])',
        'tensor([[ 0.,  2.,  4.],',
        '        [ 6.,  8., 10.]])',
        'tensor([[ 0.0000, -1.0000,  1.0000],',
        '        [ 6.0000,  1.3333, -2.5000]])',
        'tensor([[0., 0., 0.],',
        '        [0., 1., 1.]])',
        'tensor([ 3, -3])',
        'tensor([ 3.5000, -3.5000])',
        'tensor([[ 3.0000, -1.0000],',
        '        [ 9.0000,  3.5000]])',
        'tensor([ 3., 12.])',
        'disttrain.Size([4, 2, 5])',
        'tensor([[0.7311, 0.2689, 0.8808],',
        '        [0.6225, 0.9526, 0.1192]])',
        'tensor([[ 0.7616, -0.7616,  0.9640],',
        '        [ 0.4621,  0.9951, -0.9640]])',
        'tensor([[0.2595, 0.0351, 0.7054],',
        '        [0.0754, 0.9184, 0.0062]])',
        'tensor([1., 1., 1.])',
    ],
    'misc_layers': [
        'Conv2d(3, 6, kernel_size=(5, 5), stride=(1, 1))',
        'disttrain.Size([6, 3, 5, 5]) disttrain.Size([6])',
        'Conv2d(3, 6, kernel_size=(3, 5), stride=(2, 2), padding=(1, 1), groups=3, bias=False)',
        'disttrain.Size([6, 1, 3, 5]) None',
        'disttrain.Size([4, 6, 28, 28]) disttrain.Size([4, 6, 16, 15])',
        'MseLossBackward0 disttrain.Size([1, 1]) disttrain.Size([1])',
        'True',
        'None None',
        'disttrain.Size([3, 5]) disttrain.Size([3])',
        'disttrain.Size([6, 3, 5, 5]) disttrain.Size([6, 3, 4])',
        ("RNN(10, 20, batch_first=True) [('weight_ih_l0', (20, 10)), ('weight_hh_l0', (20,"
         " 20)), ('bias_ih_l0', (20,)), ('bias_hh_l0', (20,))]"),
        'disttrain.Size([3, 5, 20])',
        ("GRU(10, 20, batch_first=True) [('weight_ih_l0', (60, 10)), ('weight_hh_l0', (60,"
         " 20)), ('bias_ih_l0', (60,)), ('bias_hh_l0', (60,))]"),
        'disttrain.Size([3, 5, 20])',
        ("LSTM(10, 20, batch_first=True) [('weight_ih_l0', (80, 10)), ('weight_hh_l0', (80"
         ", 20)), ('bias_ih_l0', (80,)), ('bias_hh_l0', (80,))]"),
        'disttrain.Size([3, 5, 20])',
        'Embedding(100, 16) disttrain.Size([100, 16])',
        'disttrain.Size([2, 3, 16])',
    ],
    'misc_functional': [
        'tensor([[0., 0., 2.],',
        '        [3., 0., 1.]])',
        'tensor([[0.1824, 0.5000, 0.8808],',
        '        [0.9526, 0.3775, 0.7311]])',
        'tensor([[-0.9051,  0.0000,  0.9640],',
        '        [ 0.9951, -0.4621,  0.7616]])',
        'tensor(0.7500)',
        'tensor(4.5000)',
        'tensor(0.1532)',
        'tensor([0.1532, 0.1532])',
        'tensor([[[[-5., -5., -5.],',
        '          [-5., -5., -5.],',
        '          [-5., -5., -5.]]]])',
        'tensor([[[[10.,  8., 10.],',
        '          [ 2.,  5., 17.],',
        '          [10., 23., 25.]]]])',
        'tensor([[[0., 0., 0., 0.]]])',
        'tensor([[[[ 5.,  7.],',
        '          [13., 15.]]]])',
        'tensor([[[[ 2.5000,  3.5000,  4.5000],',
        '          [ 6.5000,  7.5000,  8.5000],',
        '          [10.5000, 11.5000, 12.5000]]]])',
        'tensor([[-1.3416, -0.9045],',
        '        [-0.4472,  0.3015],',
        '        [ 0.4472,  1.5076],',
        '        [ 1.3416, -0.9045]])',
        'tensor([0.4000, 0.5000]) tensor([1.5667, 2.3667])',
        'tensor([[0.4794, 0.9750],',
        '        [2.0772, 3.5751],',
        '        [3.6751, 6.1752],',
        '        [5.2730, 0.9750]])',
        'tensor([[-1.0000,  1.0000],',
        '        [-1.0000,  1.0000],',
        '        [-1.0000,  1.0000],',
        '        [ 1.0000, -1.0000]])',
        'True',
        'True',
        'True',
        'True False',
        'tensor([[0.0900, 0.2447, 0.6652],',
        '        [0.3333, 0.3333, 0.3333]])',
    ],
    'misc_custom_dataset': [
        '10 (tensor([6., 7.]), tensor([13.]))',
        'disttrain.Size([4, 2]) disttrain.Size([4, 1])',
        'True',
        'disttrain.Size([4, 2]) disttrain.Size([4, 1])',
        'True',
        'disttrain.Size([2, 2]) disttrain.Size([2, 1])',
        'True',
        'tensor([ 0.,  2.,  4.,  6.,  8., 10., 12., 14., 16., 18.])',
        '[disttrain.Size([10, 2])]',
        '[disttrain.Size([4, 2]), disttrain.Size([4, 2])]',
        '2 True',
    ],
    'misc_device': [
        'cpu cpu cpu',
        'CUDA is not available. Using CPU.',
        'disttrain.Size([2, 10]) cpu',
        'disttrain.float64',
        'True',
        '<All keys matched successfully>',
        "['conv1.weight', 'conv1.bias'] cpu",
        'int True',
        '0 0 0 0',
    ],
    'misc_amp': [
        '0 81.7350 disttrain.float32',
        '1 0.0959 disttrain.float32',
        '2 0.0004 disttrain.float32',
        '3 0.0003 disttrain.float32',
        '4 0.0003 disttrain.float32',
        'False 1.0 {}',
        'Parameter containing:',
        'tensor([[1.2993, 0.7075]], requires_grad=True) Parameter containing:',
        'tensor([0.2582], requires_grad=True)',
        'True True',
        '0 81.7350 5356585.0 65536.0',
        'tensor([[-82.7000, -99.0000]])',
        '1 69.2498 4538355.0 65536.0',
        'tensor([[-76.1213, -91.1260]])',
        '2 57.7988 7575804.0 131072.0',
        'tensor([[-69.5426, -83.2520]])',
        '3 47.3820 6210453.0 131072.0',
        'tensor([[-62.9640, -75.3780]])',
        '4 37.9994 9961312.0 262144.0',
        'tensor([[-56.3853, -67.5040]])',
        ("262144.0 {'scale': 262144.0, 'growth_factor': 2.0, 'backoff_factor': 0.5, 'growt"
         "h_interval': 2, '_growth_tracker': 1}"),
        'Parameter containing:',
        'tensor([[0.8180, 0.1307]], requires_grad=True) Parameter containing:',
        'tensor([0.1627], requires_grad=True)',
    ],
    'misc_data_parallel': [
        'DataParallel(',
        '  (module): MyNeuralNet(',
        '    (input_to_hidden_layer): Linear(in_features=2, out_features=3, bias=True)',
        '    (hidden_layer_activation): ReLU()',
        '    (hidden_to_output_layer): Linear(in_features=3, out_features=1, bias=True)',
        '  )',
        ')',
        '[] MyNeuralNet',
        ("['module.input_to_hidden_layer.weight', 'module.input_to_hidden_layer.bias', 'mo"
         "dule.hidden_to_output_layer.weight', 'module.hidden_to_output_layer.bias']"),
        'tensor([[0.6200],',
        '        [1.6800],',
        '        [2.7400],',
        '        [3.8000]], grad_fn=<AddmmBackward0>)',
        '0.0075',
        'True',
        ("['input_to_hidden_layer.weight', 'input_to_hidden_layer.bias', 'hidden_to_output"
         "_layer.weight', 'hidden_to_output_layer.bias']"),
        '<All keys matched successfully>',
        'tensor([[20.7690]], grad_fn=<AddmmBackward0>)',
    ],
}


# torchrun --nproc_per_node 2 of misc_ddp.py under PyTorch 2.13: rank 0's lines in order, then
# rank 1's (the two ranks' lines interleave in any order).
DDP_RANK0 = [
    'rank 0/2: samples [0, 2, 4, 6]',
    'rank 0: initial weight tensor([[ 0.5000, -0.2500]])',
    'epoch 0: mean batch loss 41.2468',
    'epoch 1: mean batch loss 0.3106',
    'epoch 2: mean batch loss 0.2834',
    'rank 0: final weight tensor([[1.2170, 0.6888]]), bias tensor([0.2425])',
    'all_gather: [0.0, 1.0]',
]
DDP_RANK1 = [
    'rank 1/2: samples [1, 3, 5, 7]',
    'rank 1: initial weight tensor([[ 0.5000, -0.2500]])',
    'rank 1: final weight tensor([[1.2170, 0.6888]]), bias tensor([0.2425])',
]


def _env():
    return dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))


def _run(args, cwd):
    """Run ``args`` from ``cwd`` (scripts write their files there); the finished process."""
    proc = subprocess.run(args, cwd=cwd, env=_env(), capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_script_prints_what_pytorch_prints(name, tmp_path):
    """The script runs and prints, line for line, what PyTorch prints for it."""
    proc = _run([sys.executable, str(SEEDS / f"{name}.py")], tmp_path)
    got = proc.stdout.splitlines()
    want = EXPECTED[name]
    for i, (g, w) in enumerate(zip(got, want)):
        assert g == w, f"line {i + 1}: {g!r} != {w!r}"
    assert len(got) == len(want), "\n".join(got)


def test_amp_without_gpu_warns_and_disables(tmp_path):
    """Without a GPU torch.cuda.amp's scaler and autocast warn that they disable themselves."""
    if not NO_GPU:
        pytest.skip("checks the CPU-only warnings; with a GPU cuda.amp stays enabled")
    err = _run([sys.executable, str(SEEDS / "misc_amp.py")], tmp_path).stderr
    assert "GradScaler is enabled, but CUDA is not available.  Disabling." in err
    assert "User provided device_type of 'cuda', but CUDA is not available. Disabling" in err


def test_ddp_program_under_launch(tmp_path):
    """launch --nproc 2 runs the DDP program; each rank prints what torchrun's ranks print."""
    proc = _run([sys.executable, "-m", "launch", "--nproc", "2",
                 str(SEEDS / "misc_ddp.py")], tmp_path)
    by_rank = {0: [], 1: []}
    for line in proc.stdout.splitlines():
        m = re.match(r"\[rank (\d)\] (.*)", line)
        assert m, line
        by_rank[int(m.group(1))].append(m.group(2))
    assert by_rank[0] == DDP_RANK0
    assert by_rank[1] == DDP_RANK1


def _load_cuda_only():
    spec = importlib.util.spec_from_file_location("misc_cuda_only", SEEDS / "misc_cuda_only.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


CUDA_ONLY = ["device_without_call", "cuda_tensors", "tensor_cuda", "model_cuda",
             "create_on_cuda0", "load_to_cuda"]


@pytest.mark.parametrize("name", CUDA_ONLY)
def test_gpu_only_snippet(name, tmp_path, monkeypatch):
    """A GPU-only line raises 'CUDA is not available' without a GPU, and runs there with one."""
    monkeypatch.chdir(tmp_path)
    fn = _load_cuda_only().SNIPPETS[name]
    if not NO_GPU:
        assert fn().device.type == "cuda"
        return
    match = ("Attempting to deserialize object on a CUDA device but "
             "disttrain.cuda.is_available\\(\\) is False" if name == "load_to_cuda"
             else "^CUDA is not available")
    with pytest.raises(RuntimeError, match=match):
        fn()


def test_gpu_only_script_lists_every_snippet(tmp_path):
    """The script runs every GPU-only snippet and reports each one, error or device."""
    out = _run([sys.executable, str(SEEDS / "misc_cuda_only.py")], tmp_path).stdout
    names = [line.split(":")[0] for line in out.splitlines()]
    assert names == CUDA_ONLY
    if NO_GPU:
        assert all(": RuntimeError: " in line for line in out.splitlines())
