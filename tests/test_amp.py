"""disttrain.amp and disttrain.cuda.amp: GradScaler's dynamic loss scaling step for step as
PyTorch 2.13's ``torch.amp.GradScaler("cpu")``, its errors, and autocast."""
import math
import warnings

import pytest

import disttrain as torch
from disttrain import nn
from disttrain.amp import GradScaler, autocast

NO_GPU = not torch.cuda.is_available()


def _setup():
    p = nn.Parameter(torch.tensor([1.0, -2.0]))
    return p, torch.optim.SGD([p], lr=0.1)


# PyTorch 2.13, GradScaler("cpu", init_scale=4.0, growth_interval=2) on loss = sum(p * p)
# (times inf at step 2): the scaled loss, the scaled grads, the unscaled grads after step, the
# parameters, then the scale and growth tracker after update().
TORCH_STEPS = [
    (20.0, [8.0, -16.0], [2.0, -4.0], [0.800000011920929, -1.600000023841858], 4.0, 1),
    (12.80000114440918, [6.400000095367432, -12.800000190734863],
     [1.600000023841858, -3.200000047683716], [0.6399999856948853, -1.2799999713897705], 8.0, 0),
    (math.inf, [math.inf, -math.inf], [math.inf, -math.inf],
     [0.6399999856948853, -1.2799999713897705], 4.0, 0),
    (8.191999435424805, [5.119999885559082, -10.239999771118164],
     [1.2799999713897705, -2.559999942779541], [0.5119999647140503, -1.0239999294281006], 4.0, 1),
    (5.242879390716553, [4.095999717712402, -8.191999435424805],
     [1.0239999294281006, -2.047999858856201], [0.4095999598503113, -0.8191999197006226], 8.0, 0),
]


def test_scaling_steps_match_pytorch():
    """Scaled loss and grads, skipped step on inf, backoff and growth agree with PyTorch."""
    p, opt = _setup()
    scaler = GradScaler("cpu", init_scale=4.0, growth_interval=2)
    assert scaler.state_dict() == {"scale": 4.0, "growth_factor": 2.0, "backoff_factor": 0.5,
                                   "growth_interval": 2, "_growth_tracker": 0}
    for i, (loss, scaled_grad, grad, param, scale, tracker) in enumerate(TORCH_STEPS):
        opt.zero_grad()
        scaled = scaler.scale((p * p).sum() * (math.inf if i == 2 else 1.0))
        scaled.backward()
        assert scaled.item() == pytest.approx(loss, rel=1e-6)
        assert p.grad.tolist() == pytest.approx(scaled_grad, rel=1e-6)
        scaler.step(opt)
        assert p.grad.tolist() == pytest.approx(grad, rel=1e-6)
        assert p.tolist() == pytest.approx(param, rel=1e-6)
        scaler.update()
        assert (scaler.get_scale(), scaler.state_dict()["_growth_tracker"]) == (scale, tracker)


def test_scale_is_rounded_like_a_float32():
    """Non-power-of-two factors give PyTorch's float32 scales (0.9 -> 0.8999999761581421)."""
    p, opt = _setup()
    s = GradScaler("cpu", init_scale=3.0, backoff_factor=0.3)
    s.scale((p * p).sum() * math.nan).backward()
    s.step(opt)
    s.update()
    assert s.get_scale() == 0.8999999761581421
    assert p.tolist() == [1.0, -2.0]            # the NaN step was skipped
    p, opt = _setup()
    s = GradScaler("cpu", init_scale=3.0, growth_factor=1.1, growth_interval=1)
    s.scale((p * p).sum()).backward()
    s.step(opt)
    s.update()
    assert s.get_scale() == 3.299999952316284
    s.update(0.1)
    assert s.get_scale() == 0.10000000149011612
    s.update(torch.tensor(0.5))
    assert s.get_scale() == 0.5


def test_scale_nested_outputs():
    """scale() multiplies every tensor of nested lists and tuples, keeping their types."""
    s = GradScaler("cpu", init_scale=0.5)
    out = s.scale([torch.tensor(1.0), (torch.tensor(2.0), torch.tensor([3.0]))])
    assert isinstance(out, list) and isinstance(out[1], tuple)
    assert [out[0].item(), out[1][0].item(), out[1][1].tolist()] == [0.5, 1.0, [1.5]]
    with pytest.raises(ValueError, match="outputs must be a Tensor or an iterable of Tensors"):
        s.scale(3.0)


def test_state_dict_round_trip():
    """load_state_dict restores scale, factors, interval and tracker; {} is refused."""
    s = GradScaler("cpu", init_scale=8.0, growth_factor=1.5, growth_interval=3)
    p, opt = _setup()
    s.scale((p * p).sum()).backward()
    s.step(opt)
    s.update()
    state = s.state_dict()
    t = GradScaler("cpu")
    t.load_state_dict(state)
    assert t.state_dict() == state == {"scale": 8.0, "growth_factor": 1.5,
                                       "backoff_factor": 0.5, "growth_interval": 3,
                                       "_growth_tracker": 1}
    with pytest.raises(RuntimeError, match="The source state dict is empty"):
        t.load_state_dict({})


def test_misuse_errors():
    """Calls out of order raise PyTorch's messages."""
    p, opt = _setup()
    with pytest.raises(RuntimeError, match="Attempted step but the scale is not set yet"):
        GradScaler("cpu").step(opt)
    s = GradScaler("cpu")
    s.scale((p * p).sum()).backward()
    s.unscale_(opt)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) has already been called"):
        s.unscale_(opt)
    s.step(opt)
    with pytest.raises(RuntimeError, match=r"step\(\) has already been called since the last"):
        s.step(opt)
    with pytest.raises(RuntimeError, match=r"unscale_\(\) is being called after step\(\)"):
        s.unscale_(opt)
    s.update()
    with pytest.raises(RuntimeError, match="Closure use is not currently supported"):
        s.step(opt, closure=lambda: 0.0)
    with pytest.raises(RuntimeError, match="No inf checks were recorded prior to update"):
        s.update()


@pytest.mark.parametrize("kwargs, message", [
    ({"growth_factor": 1.0}, "The growth factor must be > 1.0, got 1.0."),
    ({"backoff_factor": 1.0}, "The backoff factor must be < 1.0, got 1.0."),
])
def test_bad_factors(kwargs, message):
    """Factors that would not grow or not shrink the scale are refused."""
    with pytest.raises(ValueError, match=message):
        GradScaler("cpu", **kwargs)


def test_disabled_is_a_pass_through():
    """enabled=False: scale returns its input, step calls optimizer.step, state is {}."""
    s = GradScaler("cpu", enabled=False)
    t = torch.tensor(2.0)
    assert s.scale(t) is t
    p, opt = _setup()
    (p * p).sum().backward()
    s.unscale_(opt)
    s.step(opt)
    s.update()
    assert p.tolist() == pytest.approx([0.8, -1.6])
    assert (s.is_enabled(), s.get_scale(), s.state_dict()) == (False, 1.0, {})
    s.load_state_dict({})


@pytest.mark.skipif(not NO_GPU, reason="checks the behaviour on a machine without a GPU")
def test_cuda_amp_without_gpu_warns_and_disables():
    """torch.cuda.amp's scaler and autocast warn and turn themselves off without a GPU."""
    from disttrain.cuda.amp import GradScaler as CudaScaler, autocast as cuda_autocast
    with pytest.warns(UserWarning, match="GradScaler is enabled, but CUDA is not available"):
        assert not CudaScaler().is_enabled()
    with pytest.warns(UserWarning, match="device_type of 'cuda', but CUDA is not available"):
        assert not cuda_autocast()._enabled
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not CudaScaler(enabled=False).is_enabled()


def test_autocast_runs_in_the_inputs_dtype():
    """autocast is a context manager and a decorator; ops keep their inputs' dtype."""
    lin = nn.Linear(3, 2)

    @autocast("cpu")
    def f(x):
        return lin(x)

    with autocast("cpu", dtype=torch.bfloat16) as ctx:
        assert lin(torch.ones(1, 3)).dtype == torch.float32
    assert ctx.fast_dtype == torch.bfloat16
    assert f(torch.ones(1, 3)).dtype == torch.float32
    with pytest.raises(RuntimeError, match="unsupported autocast device_type 'tpu'"):
        autocast("tpu")


def test_namespaces():
    """disttrain.amp and disttrain.cuda.amp resolve as attributes and as import paths."""
    import disttrain.cuda.amp as cuda_amp
    assert torch.amp.GradScaler is GradScaler
    assert torch.cuda.amp is cuda_amp
    assert issubclass(cuda_amp.GradScaler, GradScaler)
    assert issubclass(cuda_amp.autocast, autocast)


def test_top_level_autocast_is_amp_autocast():
    """``torch.autocast`` is ``torch.amp.autocast`` in PyTorch; programs use either name."""
    assert torch.autocast is autocast
    with torch.autocast(device_type="cpu", dtype=torch.bfloat16, enabled=False) as ctx:
        assert nn.Linear(3, 2)(torch.ones(1, 3)).dtype == torch.float32
    assert isinstance(ctx, autocast)


# ------------------------------------------------------------------ autocast state queries
def test_autocast_queries_report_what_pytorch_reports():
    """``torch.is_autocast_enabled``/``get_autocast_dtype`` ... as PyTorch 2.13 answers them
    on a machine without a GPU (ops still compute in their inputs' dtype here)."""
    T = torch
    assert (T.is_autocast_enabled(), T.is_autocast_enabled("cpu"), T.is_autocast_cpu_enabled(),
            T.is_autocast_cache_enabled()) == (False, False, False, True)
    assert (T.get_autocast_dtype("cpu"), T.get_autocast_dtype("cuda"),
            T.get_autocast_gpu_dtype(), T.get_autocast_cpu_dtype(),
            T.get_autocast_dtype("mps")) == (T.bfloat16, T.float16, T.float16, T.bfloat16,
                                             T.float16)
    with T.autocast("cpu"):
        assert T.is_autocast_enabled("cpu") and T.is_autocast_cpu_enabled()
        assert not T.is_autocast_enabled()              # the argument-less form is cuda's
        with T.autocast("cpu", dtype=T.float16, enabled=False):
            assert not T.is_autocast_enabled("cpu")
            assert T.get_autocast_dtype("cpu") == T.float16
        assert T.is_autocast_enabled("cpu") and T.get_autocast_dtype("cpu") == T.bfloat16
    assert not T.is_autocast_enabled("cpu")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with T.autocast("cuda"):                        # no GPU: disabled, as in PyTorch
            assert not T.is_autocast_enabled("cuda")
    assert [T.autocast_increment_nesting(), T.autocast_increment_nesting(),
            T.autocast_decrement_nesting(), T.autocast_decrement_nesting()] == [1, 2, 1, 0]

    @T.autocast("cpu")
    def inside():
        return T.is_autocast_enabled("cpu")
    assert inside() and not T.is_autocast_enabled("cpu")


def test_autocast_setters_and_errors():
    T = torch
    try:
        T.set_autocast_enabled("cpu", True)
        assert T.is_autocast_enabled("cpu")
        T.set_autocast_enabled(True)                    # the older form: cuda
        assert T.is_autocast_enabled()
        T.set_autocast_cpu_dtype(T.float16)
        assert T.get_autocast_dtype("cpu") == T.float16
        T.set_autocast_cache_enabled(False)
        assert not T.is_autocast_cache_enabled()
        assert T.clear_autocast_cache() is None
    finally:
        T.set_autocast_enabled("cpu", False)
        T.set_autocast_enabled(False)
        T.set_autocast_dtype("cpu", T.bfloat16)
        T.set_autocast_cache_enabled(True)
    with pytest.raises(RuntimeError, match="device type at start of device string: tpu$"):
        T.is_autocast_enabled("tpu")
    with pytest.raises(RuntimeError, match="^unknown device type for autocast"):
        T.get_autocast_dtype("hip")
    assert T.GradScaler is T.amp.GradScaler
