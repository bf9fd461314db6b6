"""Shape ops: values against numpy, views sharing memory, gradients on contiguous and strided
inputs, grad_fn names and PyTorch's errors."""
import numpy as np
import pytest

import disttrain
from disttrain.autograd import gradgradcheck

from .conftest import check_op, leaf, raises, randn

CASES = {
    "view": (lambda x: x.view(6, 4), lambda a: a.reshape(6, 4)),
    "view_infer": (lambda x: x.view(-1, 3), lambda a: a.reshape(-1, 3)),
    "reshape": (lambda x: x.reshape((4, 6)), lambda a: a.reshape(4, 6)),
    "reshape_copy": (lambda x: x.transpose(0, 2).reshape(-1),
                     lambda a: a.transpose(2, 1, 0).reshape(-1)),
    "flatten": (lambda x: x.flatten(), lambda a: a.reshape(-1)),
    "flatten_1": (lambda x: disttrain.flatten(x, 1), lambda a: a.reshape(2, 12)),
    "flatten_0_1": (lambda x: x.flatten(0, 1), lambda a: a.reshape(6, 4)),
    "squeeze": (lambda x: x[:, :1].squeeze(), lambda a: a[:, 0]),
    "squeeze_dim": (lambda x: x[:, :1].squeeze(1), lambda a: a[:, 0]),
    "squeeze_dims": (lambda x: x[:1, :1].squeeze((0, 1)), lambda a: a[0, 0]),
    "unsqueeze": (lambda x: x.unsqueeze(1), lambda a: a[:, None]),
    "unsqueeze_neg": (lambda x: x.unsqueeze(-1), lambda a: a[..., None]),
    "transpose": (lambda x: x.transpose(0, 2), lambda a: a.transpose(2, 1, 0)),
    "swapaxes": (lambda x: x.swapaxes(-1, -2), lambda a: a.swapaxes(-1, -2)),
    "permute": (lambda x: x.permute(2, 0, 1), lambda a: a.transpose(2, 0, 1)),
    "permute_tuple": (lambda x: disttrain.permute(x, (1, 2, 0)), lambda a: a.transpose(1, 2, 0)),
    "t": (lambda x: x[0].t(), lambda a: a[0].T),
    "mT": (lambda x: x.mT, lambda a: a.swapaxes(-1, -2)),
    "expand": (lambda x: x[:, :1].expand(2, 5, 4), lambda a: np.broadcast_to(a[:, :1],
                                                                             (2, 5, 4))),
    "expand_new_dim": (lambda x: x.expand(3, -1, -1, -1), lambda a: np.broadcast_to(a,
                                                                                   (3, 2, 3, 4))),
    "repeat": (lambda x: x.repeat(2, 1, 3), lambda a: np.tile(a, (2, 1, 3))),
    "repeat_more_dims": (lambda x: x.repeat(2, 1, 1, 2), lambda a: np.tile(a, (2, 1, 1, 2))),
    "cat": (lambda x: disttrain.cat([x, x[:, :1] * 2], 1),
            lambda a: np.concatenate([a, a[:, :1] * 2], 1)),
    "cat_neg": (lambda x: disttrain.cat((x, x), -1), lambda a: np.concatenate([a, a], -1)),
    "stack": (lambda x: disttrain.stack([x, x * 2], 1), lambda a: np.stack([a, a * 2], 1)),
    "stack_last": (lambda x: disttrain.stack([x, x], -1), lambda a: np.stack([a, a], -1)),
    "chunk": (lambda x: x.chunk(3, 2), lambda a: np.split(a, [2, 4], 2)),
    "split": (lambda x: x.split(3, 2), lambda a: np.split(a, [3], 2)),
    "split_sizes": (lambda x: x.split([1, 3], 2), lambda a: np.split(a, [1], 2)),
    "unbind": (lambda x: x.unbind(1), lambda a: [a[:, i] for i in range(3)]),
    "narrow": (lambda x: x.narrow(2, 1, 2), lambda a: a[:, :, 1:3]),
    "narrow_neg": (lambda x: x.narrow(-1, -3, 2), lambda a: a[:, :, 1:3]),
    "select": (lambda x: x.select(1, -1), lambda a: a[:, -1]),
    "flip": (lambda x: x.flip(0), lambda a: a[::-1]),
    "flip_dims": (lambda x: x.flip((0, 2)), lambda a: a[::-1, :, ::-1]),
    "movedim": (lambda x: x.movedim(0, 2), lambda a: np.moveaxis(a, 0, 2)),
    "movedim_many": (lambda x: disttrain.movedim(x, (0, 1), (2, 0)),
                     lambda a: np.moveaxis(a, (0, 1), (2, 0))),
    "roll": (lambda x: x.roll(1, 2), lambda a: np.roll(a, 1, 2)),
    "roll_flat": (lambda x: x.roll(-5), lambda a: np.roll(a, -5)),
    "unflatten": (lambda x: x.unflatten(2, (2, -1)), lambda a: a.reshape(2, 3, 2, 2)),
    "contiguous": (lambda x: x.transpose(0, 1).contiguous(), lambda a: a.transpose(1, 0, 2)),
    "tile": (lambda x: x.tile(2), lambda a: np.tile(a, 2)),
    "broadcast_to": (lambda x: disttrain.broadcast_to(x[0], (2, 3, 4)),
                     lambda a: np.broadcast_to(a[0], (2, 3, 4))),
}


@pytest.mark.parametrize("name", CASES)
def test_shape_op_values_and_gradients(name):
    """Each shape op rearranges values like numpy and passes gradcheck."""
    fn, ref = CASES[name]
    check_op(fn, (2, 3, 4), ref=ref)


@pytest.mark.parametrize("name", ["reshape", "flatten", "transpose", "permute", "expand",
                                  "repeat", "cat", "stack", "split", "flip", "roll",
                                  "contiguous"])
def test_shape_ops_of_strided_inputs(name):
    """Shape ops of a non-contiguous view give the same values and gradients."""
    fn, ref = CASES[name]
    check_op(fn, (2, 3, 4), ref=ref, noncontig=True)


def test_views_share_memory_and_version():
    """view, transpose, expand, slices and squeeze alias their base; writes show through and
    bump the shared version counter."""
    base = disttrain.arange(6.)
    v = base.view(2, 3)
    t = v.t()
    assert v.data_ptr() == base.data_ptr() and not t.is_contiguous()
    t[0, 1] = 100.
    assert base.tolist() == [0., 1., 2., 100., 4., 5.]
    assert base._version[0] == v._version[0] == 1
    base.add_(1)
    assert v[1].tolist() == [101., 5., 6.] and t._version[0] == 2
    e = base[:1].expand(4)
    assert e.tolist() == [1.] * 4 and e.data_ptr() == base.data_ptr()
    assert base.unsqueeze(0).squeeze(0).data_ptr() == base.data_ptr()


def test_reshape_views_when_it_can_and_copies_otherwise():
    """reshape shares memory for viewable strides and copies for transposed data, as does
    contiguous()."""
    x = disttrain.arange(6.).view(2, 3)
    assert x.reshape(3, 2).data_ptr() == x.data_ptr()
    xt = x.t()
    r = xt.reshape(6)
    assert r.data_ptr() != x.data_ptr() and r.tolist() == [0., 3., 1., 4., 2., 5.]
    assert x.contiguous() is x and xt.contiguous().is_contiguous()
    assert x[:, :2].view(2, 2, 1).shape == (2, 2, 1)
    assert xt.stride() == (1, 3) and x.stride() == (3, 1)


def test_view_as_another_dtype_reinterprets_bytes():
    """view(dtype) reads the same bytes as another type, without autograd."""
    x = disttrain.tensor([1., 2.], requires_grad=True)
    bits = x.view(disttrain.int32)
    assert bits.tolist() == [1065353216, 1073741824] and not bits.requires_grad
    assert disttrain.tensor([1., 2.]).view(disttrain.float16).shape == (4,)
    with raises(RuntimeError, "self.size(-1) must be divisible by 2 to view Float as Double "
                              "(different element sizes), but got 3"):
        disttrain.zeros(3).view(disttrain.float64)


def test_split_chunk_and_cat_edge_cases():
    """chunk sizes, split of uneven dims, cat with a legacy empty tensor and mixed dtypes."""
    x = disttrain.arange(10.)
    assert [c.shape[0] for c in x.chunk(4)] == [3, 3, 3, 1]
    assert [c.shape[0] for c in x.chunk(6)] == [2, 2, 2, 2, 2]
    assert [c.shape[0] for c in x.split(4)] == [4, 4, 2]
    assert disttrain.cat([disttrain.zeros(2), disttrain.zeros(0)]).shape == (2,)
    assert disttrain.cat([disttrain.tensor([1, 2]), disttrain.tensor([1.5])]).dtype == \
        disttrain.float32
    assert disttrain.stack([disttrain.ones(2), disttrain.ones(2, dtype=disttrain.int64)]).dtype \
        == disttrain.float32
    a, b = leaf(randn(2)), leaf(randn(3))
    disttrain.cat([a, b]).sum().backward()
    assert a.grad.tolist() == [1., 1.] and b.grad.tolist() == [1., 1., 1.]


def test_unused_split_outputs_get_zero_gradient():
    """A gradient through one piece of split/unbind leaves zeros for the others."""
    x = leaf(randn(4, 2))
    first, _ = x.split(2)
    (first * 3).sum().backward()
    assert x.grad.tolist() == [[3., 3.], [3., 3.], [0., 0.], [0., 0.]]
    y = leaf(randn(3))
    y.unbind(0)[1].backward()
    assert y.grad.tolist() == [0., 1., 0.]


@pytest.mark.parametrize("expr, name", [
    ("x.view(6, 4)", "ViewBackward0"), ("x.reshape(6, 4)", "ViewBackward0"),
    ("x.transpose(0, 1).reshape(-1)", "UnsafeViewBackward0"), ("x.flatten(1)", "ViewBackward0"),
    ("x.squeeze()", "SqueezeBackward0"), ("x[:, :1].squeeze(1)", "SqueezeBackward1"),
    ("x.squeeze((0, 1))", "SqueezeBackward2"), ("x.unsqueeze(0)", "UnsqueezeBackward0"),
    ("x.transpose(0, 1)", "TransposeBackward0"), ("x[0].t()", "TBackward0"),
    ("x.permute(2, 0, 1)", "PermuteBackward0"), ("x.movedim(0, 2)", "PermuteBackward0"),
    ("x[:, :1].expand(2, 3, 4)", "ExpandBackward0"), ("x.repeat(1, 2, 1)", "RepeatBackward0"),
    ("disttrain.cat([x, x])", "CatBackward0"), ("disttrain.stack([x, x])", "StackBackward0"),
    ("x.chunk(2, 2)[0]", "SplitBackward0"), ("x.split([1, 3], 2)[0]", "SplitWithSizesBackward0"),
    ("x.unbind(0)[0]", "UnbindBackward0"), ("x.narrow(2, 0, 2)", "SliceBackward0"),
    ("x.select(0, 1)", "SelectBackward0"), ("x.flip(0)", "FlipBackward0"),
    ("x.transpose(0, 1).contiguous()", "CloneBackward0"), ("x.clone()", "CloneBackward0"),
])
def test_grad_fn_names_match_pytorch(expr, name):
    """Shape-op nodes carry PyTorch's names."""
    x = leaf(randn(2, 3, 4))
    assert type(eval(expr).grad_fn).__name__ == name


def _oor(lo, hi, got):
    return f"Dimension out of range (expected to be in range of [{lo}, {hi}], but got {got})"


@pytest.mark.parametrize("fn, exc, msg", [
    (lambda x: x.view(5, -1), RuntimeError, "shape '[5, -1]' is invalid for input of size 24"),
    (lambda x: x.transpose(0, 1).view(-1), RuntimeError,
     "view size is not compatible with input tensor's size and stride (at least one dimension "
     "spans across two contiguous subspaces). Use .reshape(...) instead."),
    (lambda x: x.reshape(3, 5), RuntimeError, "shape '[3, 5]' is invalid for input of size 24"),
    (lambda x: x.reshape(-1, -1), RuntimeError, "only one dimension can be inferred"),
    (lambda x: x.reshape(-2, 12), RuntimeError,
     "invalid shape dimension -2 at index 0 of shape [-2, 12]"),
    (lambda x: x.flatten(2, 1), RuntimeError,
     "flatten() has invalid args: start_dim cannot come after end_dim"),
    (lambda x: x.squeeze(3), IndexError, _oor(-3, 2, 3)),
    (lambda x: x.unsqueeze(4), IndexError, _oor(-4, 3, 4)),
    (lambda x: x.transpose(0, 3), IndexError, _oor(-3, 2, 3)),
    (lambda x: x.flip(3), IndexError, _oor(-3, 2, 3)),
    (lambda x: disttrain.cat([x, x], 3), IndexError, _oor(-3, 2, 3)),
    (lambda x: disttrain.stack([x, x], 4), IndexError, _oor(-4, 3, 4)),
    (lambda x: x.permute(0, 1), RuntimeError,
     "permute(sparse_coo): number of dimensions in the tensor input does not match the length "
     "of the desired ordering of dimensions i.e. input.dim() = 3 is not equal to len(dims) = 2"),
    (lambda x: x.permute(0, 1, 1), RuntimeError, "permute(): duplicate dims are not allowed."),
    (lambda x: x.t(), RuntimeError, "t() expects a tensor with <= 2 dimensions, but self is 3D"),
    (lambda x: x.expand(2, 5, 4), RuntimeError,
     "The expanded size of the tensor (5) must match the existing size (3) at non-singleton "
     "dimension 1.  Target sizes: [2, 5, 4].  Tensor sizes: [2, 3, 4]"),
    (lambda x: x.expand(3, 4), RuntimeError,
     "expand(disttrain.FloatTensor{[2, 3, 4]}, size=[3, 4]): the number of sizes provided (2) "
     "must be greater or equal to the number of dimensions in the tensor (3)"),
    (lambda x: x.expand(-1, 2, 3, 4), RuntimeError,
     "The expanded size of the tensor (-1) isn't allowed in a leading, non-existing dimension 0"),
    (lambda x: x.repeat(2, 1), RuntimeError,
     "Number of dimensions of repeat dims can not be smaller than number of dimensions of "
     "tensor"),
    (lambda x: disttrain.cat([x, x[:, :1]], 0), RuntimeError,
     "Sizes of tensors must match except in dimension 0. Expected size 3 but got size 1 for "
     "tensor number 1 in the list."),
    (lambda x: disttrain.cat([x, x[0]], 0), RuntimeError,
     "Tensors must have same number of dimensions: got 3 and 2"),
    (lambda x: disttrain.cat([]), ValueError,
     "disttrain.cat(): expected a non-empty list of Tensors"),
    (lambda x: disttrain.cat([x.sum(), x.sum()]), RuntimeError,
     "zero-dimensional tensor (at position 0) cannot be concatenated"),
    (lambda x: disttrain.stack([x, x[:1]]), RuntimeError,
     "stack expects each tensor to be equal size, but got [2, 3, 4] at entry 0 and [1, 3, 4] at "
     "entry 1"),
    (lambda x: disttrain.stack([]), RuntimeError, "stack expects a non-empty TensorList"),
    (lambda x: x.chunk(0), RuntimeError, "chunk expects `chunks` to be greater than 0, got: 0"),
    (lambda x: x.split([1, 2], 2), RuntimeError,
     "split_with_sizes expects split_sizes to sum exactly to 4 (input tensor's size at "
     "dimension 2), but got split_sizes=[1, 2]"),
    (lambda x: x.split(0, 2), RuntimeError,
     "split_size can only be 0 if dimension size is 0, but got dimension size of 4"),
    (lambda x: x.narrow(2, 2, 3), RuntimeError,
     "start (2) + length (3) exceeds dimension size (4)."),
    (lambda x: x.narrow(2, -5, 1), IndexError,
     "start out of range (expected to be in range of [-4, 4], but got -5)"),
    (lambda x: x.select(1, 3), IndexError,
     "select(): index 3 out of range for tensor of size [2, 3, 4] at dimension 1"),
    (lambda x: x.unflatten(2, (3, 2)), RuntimeError,
     "unflatten: Provided sizes [3, 2] don't multiply up to the size of dim 2 (4) in the input "
     "tensor"),
    (lambda x: x.movedim((0, 1), (1,)), RuntimeError,
     "movedim: Invalid source or destination dims: source ([0, 1] dims) should contain the same "
     "number of dims as destination ([1] dims)"),
    (lambda x: x.t_(), RuntimeError, "t_() expects a tensor with <= 2 dimensions, but self is 3D"),
])
def test_errors_match_pytorch(fn, exc, msg):
    """Invalid shapes and dims raise PyTorch's exception and message."""
    with raises(exc, msg):
        fn(disttrain.zeros(2, 3, 4))


@pytest.mark.parametrize("fn", [
    lambda a: disttrain.cat([a * a, a[:1]]), lambda a: disttrain.stack([a * a, a]),
    lambda a: (a * a).split(1, 1)[1], lambda a: (a * a).unbind(1)[2],
    lambda a: (a * a).expand(2, 2, 3), lambda a: (a * a).repeat(2, 1),
    lambda a: (a * a).permute(1, 0), lambda a: (a * a).flip(1), lambda a: (a * a).t().reshape(-1),
], ids=["cat", "stack", "split", "unbind", "expand", "repeat", "permute", "flip", "reshape"])
def test_second_derivatives(fn):
    """Shape-op backwards are differentiable themselves (create_graph): gradgradcheck."""
    assert gradgradcheck(fn, (leaf(randn(2, 3)),))
