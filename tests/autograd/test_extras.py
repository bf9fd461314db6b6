"""``mark_dirty``, ``once_differentiable``, ``Function.vmap``, saved-tensor hooks, the
profiler's ``record_function`` blocks, and the grad-mode names of ``disttrain.autograd``."""
import time

import numpy as np
import pytest

import disttrain as T
from disttrain import autograd
from disttrain.autograd.function import once_differentiable
from disttrain.autograd.graph import (disable_saved_tensors_hooks, save_on_cpu,
                                      saved_tensors_hooks)
from disttrain.autograd.profiler import profile, record_function

from ..core.conftest import assert_close


class DoubleInPlace(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        x.mul_(2)
        ctx.mark_dirty(x)
        return x

    @staticmethod
    def backward(ctx, g):
        return g * 2


def test_mark_dirty_makes_the_input_the_output_with_its_new_history():
    a = T.tensor([1.0, 2.0], requires_grad=True)
    b = a * 1
    v0 = b._version[0]
    c = DoubleInPlace.apply(b)
    assert c is b and b._version[0] == v0 + 2      # mul_ and mark_dirty, as in PyTorch
    assert type(b.grad_fn).__name__ == "DoubleInPlaceBackward"
    (c * c).sum().backward()
    assert_close(a.grad, [8.0, 16.0])        # PyTorch 2.13 gives the same


def test_mark_dirty_errors():
    with pytest.raises(RuntimeError, match="a leaf Variable that requires grad has been used in "
                                           "an in-place operation."):
        DoubleInPlace.apply(T.tensor([1.0], requires_grad=True))

    class Forgets(autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.mark_dirty(x)
            return x * 1

        @staticmethod
        def backward(ctx, g):
            return g

    with pytest.raises(RuntimeError, match="Some elements marked as dirty during the forward "
                                           "method were not returned as output"):
        Forgets.apply(T.tensor([1.0], requires_grad=True) * 1)


class Cube(autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3

    @staticmethod
    @once_differentiable
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 3 * x * x


def test_once_differentiable_runs_once_and_refuses_double_backward():
    x = T.tensor([2.0], requires_grad=True)
    y = Cube.apply(x)
    g, = autograd.grad(y.sum(), x)
    assert_close(g, [12.0])
    y = Cube.apply(x)
    g, = autograd.grad(y.sum(), x, create_graph=True)
    assert not g.requires_grad        # no grad_output required grad: nothing to guard
    y = Cube.apply(x)
    g, = autograd.grad((y * y).sum(), x, create_graph=True)
    assert g.requires_grad
    with pytest.raises(RuntimeError, match="trying to differentiate twice a function that was "
                                           "marked with @once_differentiable"):
        g.sum().backward()


def test_function_vmap_staticmethod_raises_as_pytorch():
    with pytest.raises(NotImplementedError, match="override the vmap staticmethod or set "
                                                  "generate_vmap_rule=True"):
        Cube.vmap(None, (0,), T.ones(2))
    # disttrain.vmap runs the Function once per element instead
    out = T.vmap(Cube.apply)(T.tensor([[1.0, 2.0], [3.0, 4.0]]))
    assert_close(out, [[1.0, 8.0], [27.0, 64.0]])


def test_saved_tensors_hooks_see_every_saved_tensor():
    packed, unpacked = [], []

    def pack(t):
        packed.append(t.shape)
        return t * 1

    def unpack(t):
        unpacked.append(t.shape)
        return t

    x = T.tensor([1.0, 2.0], requires_grad=True)
    with saved_tensors_hooks(pack, unpack):
        y = Cube.apply(x)
        z = x.exp()              # exp saves its output
    (y.sum() + z.sum()).backward()
    assert len(packed) == 2 and len(unpacked) == 2
    assert_close(x.grad, 3 * np.array([1.0, 4.0]) + np.exp([1.0, 2.0]))


def test_saved_output_keeps_its_graph_for_double_backward():
    x = T.tensor([0.5, 1.5], dtype=T.float64, requires_grad=True)
    with saved_tensors_hooks(lambda t: t, lambda t: t):
        y = x.exp()
    g, = autograd.grad(y.sum(), x, create_graph=True)
    g2, = autograd.grad(g.sum(), x)
    assert_close(g2, np.exp([0.5, 1.5]))


def test_save_on_cpu_gives_the_same_gradients():
    x = T.tensor([1.0, -2.0], requires_grad=True)
    with save_on_cpu():
        y = (x.sigmoid() * x).sum()
    y.backward()
    ref = T.tensor([1.0, -2.0], requires_grad=True)
    (ref.sigmoid() * ref).sum().backward()
    assert_close(x.grad, ref.grad.numpy())


def test_disable_saved_tensors_hooks():
    with disable_saved_tensors_hooks("no hooks here"):
        with pytest.raises(RuntimeError, match="no hooks here"):
            with saved_tensors_hooks(lambda t: t, lambda t: t):
                pass
    with saved_tensors_hooks(lambda t: t, lambda t: t):
        pass


def test_record_function_blocks_are_timed_and_nested():
    with profile() as prof:
        with record_function("outer"):
            with record_function("inner"):
                time.sleep(0.002)
            with record_function("inner"):
                pass
    with record_function("outside"):        # no profiler: recorded nowhere
        pass
    names = [e.name for e in prof.function_events]
    assert sorted(names) == ["inner", "inner", "outer"]
    outer = next(e for e in prof.function_events if e.name == "outer")
    assert len(outer.cpu_children) == 2
    assert outer.cpu_time_total >= sum(c.cpu_time_total for c in outer.cpu_children) > 0
    avg = {e.key: e for e in prof.key_averages()}
    assert avg["inner"].count == 2 and avg["outer"].count == 1
    table = prof.key_averages().table(sort_by="cpu_time_total")
    assert "inner" in table and "# of Calls" in table and "Self CPU time total" in table


def test_profiler_refuses_what_it_cannot_measure():
    with pytest.raises(NotImplementedError, match="record_shapes is not supported"):
        profile(record_shapes=True)
    with pytest.raises(NotImplementedError, match="GPU timing is not supported"):
        profile(use_cuda=True)
    with pytest.raises(RuntimeError, match="Profiler didn't finish running"):
        profile().key_averages()


def test_grad_mode_names():
    assert autograd.inference_mode is T.inference_mode
    assert not autograd.is_inference_mode_enabled()
    with autograd.inference_mode():
        assert autograd.is_inference_mode_enabled() and not T.is_grad_enabled()

    @T.inference_mode()
    def f():
        return T.is_inference_mode_enabled()

    assert f() and not T.is_inference_mode_enabled()
    assert autograd.grad_mode.no_grad is T.no_grad
    assert autograd.variable.Variable is T.Tensor
    assert not autograd.is_multithreading_enabled()
    with autograd.set_multithreading_enabled(False):
        pass
    with pytest.raises(RuntimeError, match="runs backward on the calling thread"):
        autograd.set_multithreading_enabled(True)
    assert autograd.is_tensor_like(T.ones(1)) and not autograd.is_tensor_like(1.0)
