"""Training-step time of real models: disttrain beside PyTorch (CPU), on the same model code.

Usage::

    python benchmarks/models.py [--steps 3] [--rounds 2] [--threads 1,default]
                                [--models gpt,lstm_lm,...] [--no-torch]

Models (each builder takes the library as an argument, so the very same code builds both):

* ``gpt``: a GPT-style language model, 2 layers, 4 heads, 128 wide, block 64, GELU MLP,
  output layer tied to the token embedding; AdamW; batch 8;
* ``lstm_lm``: an LSTM language model, embedding 256, 2 layers of 256, vocabulary 1000,
  sequences of 32; SGD; batch 16;
* ``transformer``: a classifier on ``nn.TransformerEncoderLayer`` (2 layers, 128 wide, 4 heads);
* ``resnet18``: ResNet-18 for 32x32 images (3x3 stem, no max-pool), 10 classes; SGD; batch 8;
* ``dcgan``: a DCGAN generator (z 64 -> 32x32x3, ConvTranspose2d + BatchNorm) and
  discriminator step pair, BCE with logits; Adam; batch 16;
* ``vae``: the 784-400-20 variational autoencoder, BCE + KL; Adam; batch 64;
* ``mnist_cnn``: the PyTorch MNIST example network (two convs, dropout, 9216-128-10); batch 32;
* ``mlp``: 784-1024-1024-10 ReLU MLP, cross-entropy; SGD with momentum; batch 256;
* ``lenet``: LeNet-5 style CNN on 28x28; SGD with momentum; batch 64.

A step is ``zero_grad``, forward, loss, backward and ``optimizer.step()``. Both engines load
the same weights (drawn with numpy from each parameter's name) and the same data. Each engine
runs in its own child process per thread setting (BLAS/OpenMP threads are set through the
environment before numpy or PyTorch start, and by ``torch.set_num_threads``), the engines
alternating round by round so a busy machine slows both alike. A figure is the best round's
mean step time in milliseconds: with one thread the process's CPU time (user + system, which
a busy machine disturbs far less than the wall clock), otherwise the wall clock; the ratio is
ours / PyTorch's. A model whose building block
this tree lacks prints ``n/a: <missing name>``. A last table gives the image data pipeline's
images/s (``benchmarks/vision_data.py``: ImageFolder + augmentation, 0 and 2 workers;
``--no-data`` skips it). Nothing is asserted: this prints tables.
"""
import argparse
import json
import os
import subprocess
import sys
import time
import zlib

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MODELS = ["gpt", "lstm_lm", "transformer", "resnet18", "dcgan", "vae", "mnist_cnn", "mlp",
          "lenet"]


class Missing(Exception):
    """A building block the library lacks."""


def need(ns, *names):
    for name in names:
        if not hasattr(ns, name):
            raise Missing(name)


# ------------------------------------------------------------------------------- models
def gpt(lib):
    nn, F = lib.nn, lib.nn.functional
    vocab, block, width, heads, layers = 256, 64, 128, 4, 2

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln1, self.ln2 = nn.LayerNorm(width), nn.LayerNorm(width)
            self.qkv, self.proj = nn.Linear(width, 3 * width), nn.Linear(width, width)
            self.fc, self.out = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)
            self.gelu = nn.GELU()

        def forward(self, x, mask):
            b, t, c = x.shape
            q, k, v = self.qkv(self.ln1(x)).split(width, dim=2)
            q, k, v = (z.view(b, t, heads, c // heads).transpose(1, 2) for z in (q, k, v))
            att = (q @ k.transpose(-2, -1)) * (1.0 / (c // heads) ** 0.5)
            att = F.softmax(att.masked_fill(mask[:t, :t], float("-inf")), dim=-1)
            y = (att @ v).transpose(1, 2).contiguous().view(b, t, c)
            x = x + self.proj(y)
            return x + self.out(self.gelu(self.fc(self.ln2(x))))

    class GPT(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte, self.wpe = nn.Embedding(vocab, width), nn.Embedding(block, width)
            self.blocks = nn.ModuleList([Block() for _ in range(layers)])
            self.ln = nn.LayerNorm(width)
            self.head = nn.Linear(width, vocab, bias=False)
            self.head.weight = self.wte.weight                  # weight tying
            self.register_buffer("mask", lib.ones(block, block).triu(1).bool())

        def forward(self, idx):
            pos = lib.arange(idx.shape[1])
            x = self.wte(idx) + self.wpe(pos)
            for blk in self.blocks:
                x = blk(x, self.mask)
            return self.head(self.ln(x))

    model = GPT()
    rng = np.random.default_rng(1)
    data = lib.tensor(rng.integers(0, vocab, (8, block + 1)))
    x, y = data[:, :-1], data[:, 1:]
    opt = lib.optim.AdamW(model.parameters(), lr=3e-4)

    def loss():
        return F.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1))
    return model, [(opt, loss)]


def lstm_lm(lib):
    nn, F = lib.nn, lib.nn.functional
    vocab = 1000

    class LM(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(vocab, 256)
            self.rnn = nn.LSTM(256, 256, 2)
            self.out = nn.Linear(256, vocab)

        def forward(self, x):
            h, _ = self.rnn(self.emb(x))
            return self.out(h)

    model = LM()
    rng = np.random.default_rng(2)
    data = lib.tensor(rng.integers(0, vocab, (33, 16)))
    x, y = data[:-1], data[1:]
    opt = lib.optim.SGD(model.parameters(), lr=0.1)

    def loss():
        return F.cross_entropy(model(x).reshape(-1, vocab), y.reshape(-1))
    return model, [(opt, loss)]


def transformer(lib):
    nn, F = lib.nn, lib.nn.functional
    need(nn, "TransformerEncoderLayer", "TransformerEncoder")

    class Classifier(nn.Module):
        def __init__(self):
            super().__init__()
            self.emb = nn.Embedding(1000, 128)
            layer = nn.TransformerEncoderLayer(128, 4, dim_feedforward=256, dropout=0.0,
                                               batch_first=True)
            self.enc = nn.TransformerEncoder(layer, 2)
            self.cls = nn.Linear(128, 10)

        def forward(self, x):
            return self.cls(self.enc(self.emb(x)).mean(1))

    model = Classifier()
    rng = np.random.default_rng(3)
    x = lib.tensor(rng.integers(0, 1000, (16, 64)))
    y = lib.tensor(rng.integers(0, 10, (16,)))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)
    return model, [(opt, lambda: F.cross_entropy(model(x), y))]


def resnet18(lib):
    nn, F = lib.nn, lib.nn.functional

    class Basic(nn.Module):
        def __init__(self, cin, cout, stride):
            super().__init__()
            self.c1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.b1 = nn.BatchNorm2d(cout)
            self.c2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.b2 = nn.BatchNorm2d(cout)
            self.short = nn.Sequential()
            if stride != 1 or cin != cout:
                self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False),
                                           nn.BatchNorm2d(cout))

        def forward(self, x):
            out = F.relu(self.b1(self.c1(x)))
            return F.relu(self.b2(self.c2(out)) + self.short(x))

    class ResNet(nn.Module):
        def __init__(self):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, 64, 3, 1, 1, bias=False),
                                      nn.BatchNorm2d(64), nn.ReLU())
            blocks, cin = [], 64
            for cout, stride in ((64, 1), (128, 2), (256, 2), (512, 2)):
                blocks += [Basic(cin, cout, stride), Basic(cout, cout, 1)]
                cin = cout
            self.blocks = nn.Sequential(*blocks)
            self.fc = nn.Linear(512, 10)

        def forward(self, x):
            x = F.adaptive_avg_pool2d(self.blocks(self.stem(x)), 1)
            return self.fc(x.flatten(1))

    model = ResNet()
    rng = np.random.default_rng(4)
    x = lib.tensor(rng.standard_normal((8, 3, 32, 32)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, (8,)))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return model, [(opt, lambda: F.cross_entropy(model(x), y))]


def dcgan(lib):
    nn, F = lib.nn, lib.nn.functional
    z_dim = 64
    gen = nn.Sequential(
        nn.ConvTranspose2d(z_dim, 128, 4, 1, 0, bias=False), nn.BatchNorm2d(128), nn.ReLU(),
        nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
        nn.ConvTranspose2d(64, 32, 4, 2, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(),
        nn.ConvTranspose2d(32, 3, 4, 2, 1, bias=False), nn.Tanh())
    disc = nn.Sequential(
        nn.Conv2d(3, 32, 4, 2, 1, bias=False), nn.LeakyReLU(0.2),
        nn.Conv2d(32, 64, 4, 2, 1, bias=False), nn.BatchNorm2d(64), nn.LeakyReLU(0.2),
        nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
        nn.Conv2d(128, 1, 4, 1, 0, bias=False), nn.Flatten())
    model = nn.ModuleDict({"gen": gen, "disc": disc})
    rng = np.random.default_rng(5)
    real = lib.tensor(rng.uniform(-1, 1, (16, 3, 32, 32)).astype(np.float32))
    z = lib.tensor(rng.standard_normal((16, z_dim, 1, 1)).astype(np.float32))
    ones, zeros = lib.ones(16, 1), lib.zeros(16, 1)
    opt_d = lib.optim.Adam(disc.parameters(), lr=2e-4, betas=(0.5, 0.999))
    opt_g = lib.optim.Adam(gen.parameters(), lr=2e-4, betas=(0.5, 0.999))
    bce = F.binary_cross_entropy_with_logits

    def d_loss():
        fake = gen(z).detach()
        return bce(disc(real), ones) + bce(disc(fake), zeros)

    def g_loss():
        return bce(disc(gen(z)), ones)
    return model, [(opt_d, d_loss), (opt_g, g_loss)]


def vae(lib):
    nn, F = lib.nn, lib.nn.functional

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1, self.mu, self.logvar = nn.Linear(784, 400), nn.Linear(400, 20), \
                nn.Linear(400, 20)
            self.fc3, self.fc4 = nn.Linear(20, 400), nn.Linear(400, 784)

        def forward(self, x, eps):
            h = F.relu(self.fc1(x))
            mu, logvar = self.mu(h), self.logvar(h)
            z = mu + eps * (0.5 * logvar).exp()
            return self.fc4(F.relu(self.fc3(z))), mu, logvar

    model = VAE()
    rng = np.random.default_rng(6)
    x = lib.tensor(rng.uniform(0, 1, (64, 784)).astype(np.float32))
    eps = lib.tensor(rng.standard_normal((64, 20)).astype(np.float32))
    opt = lib.optim.Adam(model.parameters(), lr=1e-3)

    def loss():
        logits, mu, logvar = model(x, eps)
        rec = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
        return rec - 0.5 * (1 + logvar - mu * mu - logvar.exp()).sum()
    return model, [(opt, loss)]


def mnist_cnn(lib):
    nn, F = lib.nn, lib.nn.functional
    model = nn.Sequential(nn.Conv2d(1, 32, 3), nn.ReLU(), nn.Conv2d(32, 64, 3), nn.ReLU(),
                          nn.MaxPool2d(2), nn.Dropout(0.25), nn.Flatten(),
                          nn.Linear(9216, 128), nn.ReLU(), nn.Dropout(0.5), nn.Linear(128, 10))
    rng = np.random.default_rng(7)
    x = lib.tensor(rng.standard_normal((32, 1, 28, 28)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, (32,)))
    opt = lib.optim.Adadelta(model.parameters(), lr=1.0) if hasattr(lib.optim, "Adadelta") \
        else lib.optim.SGD(model.parameters(), lr=0.01)
    return model, [(opt, lambda: F.nll_loss(F.log_softmax(model(x), 1), y))]


def mlp(lib):
    nn, F = lib.nn, lib.nn.functional
    model = nn.Sequential(nn.Linear(784, 1024), nn.ReLU(), nn.Linear(1024, 1024), nn.ReLU(),
                          nn.Linear(1024, 10))
    rng = np.random.default_rng(8)
    x = lib.tensor(rng.standard_normal((256, 784)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, (256,)))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return model, [(opt, lambda: F.cross_entropy(model(x), y))]


def lenet(lib):
    nn, F = lib.nn, lib.nn.functional
    model = nn.Sequential(nn.Conv2d(1, 6, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(6, 16, 5),
                          nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(), nn.Linear(256, 120),
                          nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))
    rng = np.random.default_rng(9)
    x = lib.tensor(rng.standard_normal((64, 1, 28, 28)).astype(np.float32))
    y = lib.tensor(rng.integers(0, 10, (64,)))
    opt = lib.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
    return model, [(opt, lambda: F.cross_entropy(model(x), y))]


BUILDERS = {name: globals()[name] for name in MODELS}


# ------------------------------------------------------------------------------ running
def load_weights(lib, model):
    """The same values in both engines: each parameter drawn from a generator seeded by its
    name, uniform in ±1/sqrt(fan-in); normalisation layers keep their ones and zeros."""
    norms = {f"{m}.{p}" if m else p for m, mod in model.named_modules()
             if "Norm" in type(mod).__name__ for p, _ in mod.named_parameters(recurse=False)}
    with lib.no_grad():
        for name, p in model.named_parameters():
            if name in norms:
                continue
            rng = np.random.default_rng(zlib.crc32(name.encode()))
            fan_in = int(np.prod(p.shape[1:])) if p.dim() > 1 else p.shape[0]
            bound = 1 / np.sqrt(max(fan_in, 1))
            p.copy_(lib.tensor(rng.uniform(-bound, bound, tuple(p.shape)).astype(np.float32)))


def step_fn(pairs):
    def step():
        for opt, loss_fn in pairs:
            opt.zero_grad()
            loss = loss_fn()
            loss.backward()
            opt.step()
        return loss
    return step


def child(engine, names, steps, threads):
    """Time each model once (after a warm-up step) in this process; print JSON."""
    if engine == "torch":
        import torch as lib
        if threads != "default":
            lib.set_num_threads(int(threads))
    else:
        sys.path.insert(0, ROOT)
        import disttrain as lib
    lib.manual_seed(0)
    out = {}
    for name in names:
        try:
            model, pairs = BUILDERS[name](lib)
        except Missing as e:
            out[name] = f"n/a: {e}"
            continue
        load_weights(lib, model)
        model.train()
        step = step_fn(pairs)
        t0 = time.perf_counter()
        first = float(step())           # warm-up: the optimizers lay out their state
        warm = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        for _ in range(steps):
            step()
        wall = (time.perf_counter() - t0) / steps * 1e3
        cpu = (time.process_time() - c0) / steps * 1e3
        # one thread: the CPU time (user + system) of the process, which a busy machine
        # disturbs far less than the wall clock; more threads: the wall clock
        out[name] = {"ms": cpu if threads == "1" else wall, "wall_ms": wall,
                     "first_ms": warm * 1e3, "loss": first}
    if engine == "disttrain":
        from disttrain.core._blas import openblas_corename
        out["_blas"] = openblas_corename()
    print(json.dumps(out))


def run_child(engine, names, steps, threads):
    env = dict(os.environ)
    if threads != "default":
        for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env[k] = str(threads)
    env["PYTHONPATH"] = ROOT + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [sys.executable, os.path.abspath(__file__), "--child", engine, "--models",
           ",".join(names), "--steps", str(steps), "--threads", str(threads)]
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode:
        sys.stderr.write(res.stderr)
        return {n: f"error in {engine}" for n in names}
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=3)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--threads", default="1,default",
                    help="comma-separated thread settings: numbers or 'default'")
    ap.add_argument("--models", default=",".join(MODELS))
    ap.add_argument("--no-torch", action="store_true")
    ap.add_argument("--no-data", action="store_true",
                    help="skip the image data pipeline table (benchmarks/vision_data.py)")
    ap.add_argument("--child", choices=["torch", "disttrain"], help=argparse.SUPPRESS)
    args = ap.parse_args()
    names = [n for n in args.models.split(",") if n]
    if args.child:
        child(args.child, names, args.steps, args.threads)
        return
    engines = ["disttrain"]
    if not args.no_torch:
        try:
            import importlib.util
            if importlib.util.find_spec("torch") is not None:
                engines.append("torch")
        except ImportError:
            pass
    for threads in args.threads.split(","):
        best = {e: {} for e in engines}
        blas = None
        for _ in range(args.rounds):
            for e in engines:
                res = run_child(e, names, args.steps, threads)
                blas = res.pop("_blas", blas)
                for name, r in res.items():
                    prev = best[e].get(name)
                    if isinstance(r, dict) and (not isinstance(prev, dict) or
                                                r["ms"] < prev["ms"]):
                        best[e][name] = r
                    elif prev is None:
                        best[e][name] = r
        clock = "CPU" if threads == "1" else "wall"
        print(f"\nthreads: {threads}   ({clock} ms per training step, best of {args.rounds} "
              f"rounds of {args.steps} steps; 'first' is the first step, wall clock)")
        if blas:
            print(f"numpy's OpenBLAS runs its {blas} kernels (disttrain/core/_blas.py)")
        head = f"{'model':12s} {'disttrain':>10s} {'first':>8s}"
        if "torch" in engines:
            head += f" {'pytorch':>10s} {'first':>8s} {'ratio':>6s}   first losses"
        print(head)
        for name in names:
            ours = best["disttrain"].get(name)
            if not isinstance(ours, dict):
                print(f"{name:12s} {ours}")
                continue
            line = f"{name:12s} {ours['ms']:10.2f} {ours['first_ms']:8.1f}"
            theirs = best.get("torch", {}).get(name)
            if isinstance(theirs, dict):
                line += (f" {theirs['ms']:10.2f} {theirs['first_ms']:8.1f} "
                         f"{ours['ms'] / theirs['ms']:6.2f}   {ours['loss']:.4f} / "
                         f"{theirs['loss']:.4f}")
            elif theirs is not None:
                line += f" {theirs}"
            print(line)
    if not args.no_data:
        data_pipeline(args.no_torch)


def data_pipeline(no_torch):
    """The input side of an image model: ImageFolder + augmentation at 0 and 2 workers."""
    import importlib.util
    if importlib.util.find_spec("PIL") is None:
        print("\ndata pipeline: n/a (needs Pillow: pip install 'disttrain[vision]')")
        return
    print("\ndata pipeline (benchmarks/vision_data.py):")
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "vision_data.py")
    subprocess.run([sys.executable, script, "--images", "256"] + (["--no-torch"] if no_torch
                                                                   else []), check=False)


if __name__ == "__main__":
    main()
