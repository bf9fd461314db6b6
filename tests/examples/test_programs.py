"""The programs under examples/programs run on disttrain unchanged and give PyTorch's numbers.

Each program is a plain PyTorch program (``import torch``, ``import torch.nn as nn``, ...);
``examples/programs/_framework.py`` makes those imports resolve to disttrain. The expected
values were recorded by running the same files under PyTorch 2.13 with
``EXAMPLE_FRAMEWORK=torch`` and are written in here as literals.

Tolerance: the programs train in float32, and the two frameworks add up their float32 sums
(matrix products, convolutions, reductions) in different orders, so each step differs in its
last bits and a few optimizer steps carry those differences into the fifth or sixth digit.
rtol=1e-4 allows that and nothing more; quantities near zero (running means) also get a small
atol. The L-BFGS program runs in float64 and is held to 1e-7.
"""
import importlib.util
import os
import re
import subprocess
import sys

import numpy as np
import pytest

from ._seeds import ROOT

PROGRAMS = ROOT / "examples" / "programs"
RTOL = 1e-4


@pytest.fixture
def load_program(monkeypatch):
    """Import examples/programs/<name>.py with ``torch`` resolving to disttrain; undo after."""
    monkeypatch.delenv("EXAMPLE_FRAMEWORK", raising=False)
    monkeypatch.syspath_prepend(str(PROGRAMS))
    import _framework
    import disttrain
    # the programs set process-wide state as real ones do (manual_seed, TF32 flags): put it back
    rng_state = disttrain.get_rng_state()
    tf32 = (disttrain.backends.cuda.matmul.allow_tf32, disttrain.backends.cudnn.allow_tf32)
    _framework.install()
    loaded = []

    def load(name):
        spec = importlib.util.spec_from_file_location(f"program_{name}", PROGRAMS / f"{name}.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        loaded.append(spec.name)
        spec.loader.exec_module(module)
        return module

    yield load
    _framework.uninstall()
    disttrain.set_rng_state(rng_state)
    disttrain.backends.cuda.matmul.allow_tf32, disttrain.backends.cudnn.allow_tf32 = tf32
    for name in loaded:
        sys.modules.pop(name, None)


def close(actual, expected, rtol=RTOL, atol=0.0):
    np.testing.assert_allclose(np.asarray(actual, dtype=np.float64),
                               np.asarray(expected, dtype=np.float64), rtol=rtol, atol=atol)


def test_torch_imports_resolve_to_the_loaded_disttrain_modules(load_program):
    """``import torch.nn.functional as F`` and ``from torch.utils.data import DataLoader`` give
    disttrain's own modules, not a second copy of the package loaded under torch's names."""
    import disttrain
    import torch
    import torch.nn as nn
    import torch.nn.functional as F
    import torch.optim as optim
    from torch.utils.data import DataLoader
    from torch.optim.lr_scheduler import StepLR
    assert torch is disttrain
    assert nn is disttrain.nn and F is disttrain.nn.functional and optim is disttrain.optim
    assert DataLoader is disttrain.utils.data.DataLoader
    assert StepLR is disttrain.optim.lr_scheduler.StepLR
    assert nn.Linear(2, 3).weight.__class__ is disttrain.nn.Parameter
    for name, module in list(sys.modules.items()):
        if name == "torch" or name.startswith("torch."):
            assert module is sys.modules["disttrain" + name[len("torch"):]], name
    assert disttrain.nn.__spec__.name == "disttrain.nn"      # the real spec is kept
    with pytest.raises(ModuleNotFoundError, match="No module named 'torch.no_such_module'"):
        import torch.no_such_module  # noqa: F401


@pytest.mark.parametrize("flash", [False, True], ids=["manual_attention", "sdpa"])
def test_gpt(load_program, capsys, flash):
    """nanoGPT's model and train.py loop: tied head, AdamW with two groups, cosine lr, gradient
    accumulation through a disabled GradScaler, clipping, a checkpoint saved and resumed from
    halfway, estimate_loss, then greedy generation. Attention written out by hand, or through
    F.scaled_dot_product_attention(is_causal=True) as nanoGPT's flash path (PyTorch's values
    for the two paths agree to 1e-7, so they share the literals)."""
    result = load_program("gpt").main(flash=flash)
    close(result["losses"], [4.268302917480469, 4.135372161865234, 3.997464656829834,
                             3.8575685024261475, 3.8190503120422363, 3.8690764904022217])
    close(result["train_loss"], 3.8520240783691406)
    close(result["val_loss"], 3.9389991760253906)
    assert result["generated"] == [14, 33, 2, 23, 40, 0, 40, 0, 30, 0]
    out = capsys.readouterr().out
    assert out.startswith("number of parameters: 0.03M\n"
                          "num decayed parameter tensors: 10, with 26,688 parameters\n"
                          "num non-decayed parameter tensors: 18, with 896 parameters\n"
                          "using fused AdamW: False\n")


LSTM_LOSSES = [3.721798896789551, 3.659949541091919, 3.6614012718200684, 3.677473545074463,
               3.6084582805633545, 3.5344340801239014, 3.5794191360473633, 3.6272919178009033,
               3.5938456058502197, 3.498626947402954, 3.531611204147339, 3.5393357276916504]


# rank 0's lines of ``torchrun --nproc_per_node 2 gpt.py`` under PyTorch 2.13 (gloo): each rank
# does one of the two accumulation micro-steps, so the step losses are rank 0's micro-batch
# and the gradient norms, final losses and generated tokens are the single process's
GPT_DDP_RANK0 = [
    "step 0 loss 4.294096 lr 0.001000 grad_norm 4.880930",
    "step 1 loss 4.183214 lr 0.002000 grad_norm 3.187588",
    "step 2 loss 3.953858 lr 0.003000 grad_norm 1.581009",
    "step 3 loss 3.850217 lr 0.002819 grad_norm 0.702823",
    "step 4 loss 3.872853 lr 0.002325 grad_norm 5.178973",
    "step 5 loss 3.872500 lr 0.001650 grad_norm 1.384954",
    "final train loss 3.852024 val loss 3.938999",
    "generated [14, 33, 2, 23, 40, 0, 40, 0, 30, 0]",
]


def _numbers(line):
    return [float(x) for x in re.findall(r"-?\d+\.\d+", line)]


def _launch(tmp_path, script, *args):
    """Run ``launch --nproc 2 <script> <args>`` from ``tmp_path``; rank 0's printed lines."""
    env = {k: v for k, v in os.environ.items() if k != "EXAMPLE_FRAMEWORK"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, "-m", "launch", "--nproc", "2",
                           str(PROGRAMS / script), *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return [line[len("[rank 0] "):] for line in proc.stdout.splitlines()
            if line.startswith("[rank 0] ")]


def test_gpt_data_parallel_under_launch(tmp_path):
    """``launch --nproc 2 gpt.py`` takes nanoGPT's DDP path (init_process_group, DDP,
    require_backward_grad_sync, rank-0 checkpoint, barrier) and prints torchrun's lines."""
    rank0 = [line for line in _launch(tmp_path, "gpt.py")
             if line.startswith(("step ", "final", "generated"))]
    assert len(rank0) == len(GPT_DDP_RANK0)
    for got, want in zip(rank0, GPT_DDP_RANK0):
        assert re.sub(r"-?\d+\.\d+", "#", got) == re.sub(r"-?\d+\.\d+", "#", want)
        close(_numbers(got), _numbers(want))
    assert (tmp_path / "out" / "ckpt.pt").exists()      # written by rank 0, read by both


def test_lstm_language_model(load_program):
    """word_language_model: 2-layer LSTM, truncated BPTT with repackage_hidden, manual SGD, the
    learning rate annealed when validation gets worse, the best whole model saved and loaded."""
    result = load_program("lstm_lm").main()
    close(result["losses"], LSTM_LOSSES)
    close(result["best_val_loss"], 3.7449063062667847)
    close(result["test_loss"], 3.742243528366089)
    assert result["lr"] == 0.3125       # 5.0 annealed twice


def test_vae(load_program):
    """The VAE example: BCE + KLD with the reparameterisation noise given, Adam, DataLoader."""
    result = load_program("vae").main()
    close(result["losses"], [49.79338836669922, 47.611366271972656, 46.169498443603516,
                             45.524837493896484, 44.99280548095703, 44.98941421508789,
                             45.81126022338867, 44.681358337402344])
    close(result["test_loss"], 44.97896385192871)
    assert result["shapes"] == [(2, 64), (8, 1, 8, 8)]


# what the program prints for print(netG) and print(netD) under PyTorch 2.13
DCGAN_REPRS = """\
Generator(
  (main): Sequential(
    (0): ConvTranspose2d(8, 32, kernel_size=(4, 4), stride=(1, 1), bias=False)
    (1): BatchNorm2d(32, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    (2): ReLU(inplace=True)
    (3): ConvTranspose2d(32, 16, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)
    (4): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    (5): ReLU(inplace=True)
    (6): ConvTranspose2d(16, 3, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)
    (7): Tanh()
  )
)
Discriminator(
  (main): Sequential(
    (0): Conv2d(3, 8, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)
    (1): LeakyReLU(negative_slope=0.2, inplace=True)
    (2): Conv2d(8, 16, kernel_size=(4, 4), stride=(2, 2), padding=(1, 1), bias=False)
    (3): BatchNorm2d(16, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    (4): LeakyReLU(negative_slope=0.2, inplace=True)
    (5): Conv2d(16, 1, kernel_size=(4, 4), stride=(1, 1), bias=False)
    (6): Sigmoid()
  )
)
"""


def test_dcgan(load_program, capsys):
    """DCGAN: D on real and detached fake, then G through D; two Adams with betas (0.5, 0.999);
    the generator's BatchNorm running mean after four training batches."""
    result = load_program("dcgan").main()
    close(result["history"], [
        [2.012887477874756, 1.2299494743347168, 0.43212565779685974, 0.675179660320282,
         0.2999500334262848],
        [2.2497544288635254, 1.0156410932540894, 0.5265838503837585, 0.7249259352684021,
         0.4133433401584625],
        [1.5748670101165771, 1.5205163955688477, 0.5522112250328064, 0.5911158323287964,
         0.2895854711532593],
        [1.4910593032836914, 0.9614270329475403, 0.582449197769165, 0.6018933057785034,
         0.3917160928249359]])
    close(result["fake_mean"], -0.003245618427172303)
    close(result["fake_std"], 0.07901308685541153)
    close(result["running_mean"][:8], [
        -0.0021557200234383345, -0.0007206211448647082, 0.0018552580149844289,
        0.001535993069410324, -0.001173023134469986, -0.00224301777780056,
        0.000740867864806205, 0.0021375976502895355], atol=1e-7)
    assert capsys.readouterr().out.startswith(DCGAN_REPRS)


def test_resnet18(load_program):
    """torchvision's ResNet-18 trained as the imagenet example trains it: SGD with momentum and
    weight decay under StepLR, BatchNorm in train mode, the running statistics it leaves, then
    eval mode after recomputing them (momentum=None).

    Compared in float64: BatchNorm over the 1x1 feature maps of layer4 for 8 samples makes
    this run's float32 trajectory ill-conditioned -- PyTorch's own float32 losses leave its
    float64 ones by 5e-5 after four steps -- while in float64 the two frameworks agree to
    1e-12. In float32 the first two steps, before the drift builds up, are held to 1e-4."""
    import disttrain
    program = load_program("resnet")
    result = program.main(dtype=disttrain.float64)
    close(result["losses"], [2.5186056050365857, 2.5372162868774844, 2.457774846827467,
                             2.3333193848710287], rtol=1e-7)
    close(result["eval_loss"], 2.4206268525063255, rtol=1e-7)
    assert result["num_batches_tracked"] == 4
    close(result["running_mean"][:8], [
        -0.436858927103744, -0.4903817185136645, -0.030068688948662443, 0.4630993713014169,
        0.46845683389120685, -0.011136949815333698, -0.4858873888046068, -0.4429389580134481],
        rtol=1e-7)
    close(result["running_var"][:8], [
        0.8809842687859218, 0.9489729132492464, 0.6592986403440506, 0.9079308258298996,
        0.92312820536389, 0.664902073130602, 0.9358054782332469, 0.8966140453273331],
        rtol=1e-7)
    result32 = program.main()
    close(result32["losses"][:2], [2.5186069011688232, 2.5372166633605957])


# rank 0's lines of ``torchrun --nproc_per_node 2 resnet.py --double`` under PyTorch 2.13: each
# rank trains on its half of every batch (DistributedSampler), BatchNorm normalises over that
# half, and the running statistics are rank 0's, broadcast by DDP at every forward
RESNET_DDP_RANK0 = [
    "epoch 0 step 0 loss 2.172685 acc@1 25.000 acc@5 75.000",
    "epoch 0 step 1 loss 2.671512 acc@1 0.000 acc@5 50.000",
    "epoch 1 step 0 loss 2.502188 acc@1 0.000 acc@5 75.000",
    "epoch 1 step 1 loss 2.725636 acc@1 0.000 acc@5 25.000",
    "num_batches_tracked 4",
    "running_var [0.810679, 0.860453, 0.669951, 0.835336]",
    "final eval_loss 2.688931 num_batches_tracked 2",
]


def test_resnet18_data_parallel_under_launch(tmp_path):
    """``launch --nproc 2 resnet.py --double`` takes the imagenet example's distributed path
    (init_process_group, batch size split, DDP, DistributedSampler.set_epoch) and prints what
    torchrun's rank 0 prints."""
    lines = _launch(tmp_path, "resnet.py", "--double")
    assert lines[1:] == RESNET_DDP_RANK0 and lines[0] == "parameters 177362"


def test_transformer_classifier(load_program):
    """TransformerEncoder(batch_first) with a key-padding mask, mean pooling, Adam; then the
    logits of a held-out batch in eval mode."""
    result = load_program("transformer_classifier").main()
    close(result["losses"], [0.7661962509155273, 0.7551735639572144, 0.7000781893730164,
                             0.7024297714233398, 0.7052308320999146, 0.7060598134994507])
    close(result["test_loss"], 0.7498378157615662)
    close(result["logits"], [
        [-0.17684528231620789, -0.34876978397369385], [0.6629763245582581, 0.34923654794692993],
        [0.4539177417755127, 0.9518722295761108], [-0.14308473467826843, 0.526174783706665],
        [0.12506115436553955, 0.5470170974731445], [0.25703665614128113, 0.10740014165639877],
        [0.1410021185874939, 0.5930846929550171], [0.7140990495681763, 0.45515865087509155]],
        atol=1e-5)


def test_lbfgs_sine(load_program):
    """L-BFGS with strong-Wolfe line search on two LSTMCells in float64: the same losses, the
    same number of function evaluations and iterations, the same extrapolated future."""
    result = load_program("lbfgs_sine").main()
    close(result["losses"], [0.7872073744654454, 0.0011417659427845432, 0.0004143704495459718],
          rtol=1e-7)
    close(result["test_loss"], 0.0009870077752165876, rtol=1e-7)
    close(result["future"], [0.9254418396953034, 0.9385162897375952, 0.9492534066687287,
                             0.9580185287478706, 0.9651344437026578], rtol=1e-7)
    assert (result["func_evals"], result["n_iter"]) == (34, 29)


def test_a_program_runs_as_a_script():
    """``python examples/programs/lstm_lm.py`` runs on disttrain and prints PyTorch's losses."""
    env = {k: v for k, v in os.environ.items() if k != "EXAMPLE_FRAMEWORK"}
    env["PYTHONPATH"] = str(ROOT)
    proc = subprocess.run([sys.executable, str(PROGRAMS / "lstm_lm.py")], env=env,
                          capture_output=True, text=True, timeout=120, check=True)
    losses = [float(x) for x in re.findall(r"^epoch \d batch \d lr \S+ loss (\S+)$",
                                            proc.stdout, re.M)]
    close(losses, LSTM_LOSSES, rtol=1e-5)       # printed with six decimals
    final = re.search(r"^final test_loss (\S+) best val_loss (\S+) lr (\S+)$", proc.stdout, re.M)
    close([float(v) for v in final.groups()], [3.742243528366089, 3.7449063062667847, 0.3125],
          rtol=1e-5)
