"""Tensor methods and in-place forms added for PyTorch parity, strided views writing
through to their base, and the errors of the new functions, as PyTorch 2.13 gives them."""
import pytest

from ._parity import check_case, nan, inf  # noqa: F401  (nan/inf appear in the table)

# expression -> what PyTorch 2.13 returned for it (see ``_parity``)
CASES = {
    'index_reduce_mean': (
        ('T.ones(3, 2).index_reduce(0, T.tensor([0, 2, 0]), A(T, 3, 2, dtype="float32"), '
         '"mean", include_self=False)'),
        ('ok',
         ('T',
          [[-0.20500001311302185, 0.11500000953674316], [1.0, 1.0],
           [0.6399999856948853, 0.10000000149011612]],
          'float32'))),
    'scatter_reduce_amin': (
        ('T.scatter_reduce(T.zeros(3), 0, T.tensor([0, 0, 2, 2]), A(T, 4, dtype="float32"), '
         '"amin")'),
        ('ok', ('T', [-0.12999999523162842, 0.0, 0.0], 'float32'))),
    'scatter_reduce_mean_int': (
        ('T.scatter_reduce(T.tensor([1, 2, 3]), 0, T.tensor([0, 0, 2]), T.tensor([4, 7, 8]), '
         '"mean")'),
        ('ok', ('T', [4, 2, 5], 'int64'))),
    'addmm_err': (
        'T.addmm(T.ones(2, 2), T.ones(2, 2, dtype=T.float64), T.ones(2, 2, dtype=T.float64))',
        ('err', 'RuntimeError',
         'self and mat2 must have the same dtype, but got Float and Double')),
    'baddbmm_err': (
        'T.baddbmm(T.ones(1,2,2),T.ones(1,2,2,dtype=T.float64),T.ones(1,2,2,dtype=T.float64))',
        ('err', 'RuntimeError',
         'Input dtypes must be the same, got: input float, batch1: double, batch2: double')),
    'addr_p': (
        'T.addr(T.ones(2,2),T.ones(2,dtype=T.float64),T.ones(2,dtype=T.float64))',
        ('ok', ('T', [[2.0, 2.0], [2.0, 2.0]], 'float64'))),
    'as_strided_view': (
        '(lambda b: (b.as_strided((2, 2), (1, 2)).mul_(10), b)[1])(T.arange(6.))',
        ('ok', ('T', [0.0, 10.0, 20.0, 30.0, 4.0, 5.0], 'float32'))),
    'diagonal_view': (
        '(lambda b: (b.diagonal().fill_(7), b)[1])(T.zeros(3, 3))',
        ('ok', ('T', [[7.0, 0.0, 0.0], [0.0, 7.0, 0.0], [0.0, 0.0, 7.0]], 'float32'))),
    'unfold_view': (
        '(lambda b: (b.unfold(0, 2, 2).mul_(-1), b)[1])(T.arange(5.))',
        ('ok', ('T', [-0.0, -1.0, -2.0, -3.0, 4.0], 'float32'))),
    'storage_offset': (
        ('[T.arange(10.)[3:].storage_offset(), T.arange(12.).reshape(3, 4)[1:, '
         '2:].storage_offset(), T.arange(3.).storage_offset()]'),
        ('ok', [3, 6, 0])),
    'fill_diagonal': (
        'T.zeros(5, 2).fill_diagonal_(3, wrap=True)',
        ('ok', ('T', [[3.0, 0.0], [0.0, 3.0], [0.0, 0.0], [3.0, 0.0], [0.0, 3.0]], 'float32'))),
    'fill_diagonal3': (
        'T.zeros(2, 2, 2).fill_diagonal_(3)',
        ('ok', ('T', [[[3.0, 0.0], [0.0, 0.0]], [[0.0, 0.0], [0.0, 3.0]]], 'float32'))),
    'eq_': (
        'T.tensor([1., 2., 3.]).eq_(T.tensor([1., 0., 3.]))',
        ('ok', ('T', [1.0, 0.0, 1.0], 'float32'))),
    'logical_and_': (
        'T.tensor([1., 0., 3.]).logical_and_(T.tensor([1., 1., 0.]))',
        ('ok', ('T', [1.0, 0.0, 0.0], 'float32'))),
    'cumsum_': (
        'T.tensor([1., 2., 3.]).cumsum_(0)',
        ('ok', ('T', [1.0, 3.0, 6.0], 'float32'))),
    'dim_order': (
        '[T.ones(2, 3, 4).dim_order(), T.ones(2, 3, 4).permute(2, 0, 1).dim_order()]',
        ('ok', [[0, 1, 2], [1, 2, 0]])),
    'new': (
        '[T.ones(2, dtype=T.float64).new(2, 3).shape, T.ones(2, dtype=T.int64).new([1, 2])]',
        ('ok', [[2, 3], ('T', [1, 2], 'int64')])),
    'map_': (
        'T.arange(4.).map_(T.ones(4), lambda a, b: a + b)',
        ('ok', ('T', [1.0, 2.0, 3.0, 4.0], 'float32'))),
    'apply_': (
        'T.arange(4.).apply_(lambda a: a * a)',
        ('ok', ('T', [0.0, 1.0, 4.0, 9.0], 'float32'))),
    'apply_grad': (
        'T.ones(2, requires_grad=True).apply_(lambda v: v)',
        ('err', 'RuntimeError',
         "Can't call apply_() on Variable that requires grad. Use var.detach().apply_() "
         'instead.')),
    'is_pinned': (
        'T.ones(2).is_pinned()',
        ('ok', False)),
    'output_nr': (
        '[T.ones(2).output_nr, T.ones(4, requires_grad=True).chunk(2)[1].output_nr]',
        ('ok', [0, 1])),
    'is_set_to': (
        ('(lambda a: [a.is_set_to(a), a.is_set_to(a.clone()), a.is_set_to(a.view(2, '
         '2))])(T.ones(4))'),
        ('ok', [True, False, False])),
    'mH': (
        'A(T, 2, 3).mH',
        ('ok', ('T', [[0.13, 0.1], [-0.13, -0.54], [0.64, 0.36]], 'float64'))),
    'broadcast_err': (
        'T.broadcast_shapes((2, 3), (4, 3))',
        ('err', 'RuntimeError',
         'Attempting to broadcast a dimension of length 4 at -2! Mismatching argument at '
         'index 1 had (4, 3); but expected shape should be broadcastable to [2, 3]')),
    'tensor_split_t': (
        'T.tensor_split(T.arange(7.), T.tensor([2, 3]))',
        ('ok',
         [('T', [0.0, 1.0], 'float32'), ('T', [2.0], 'float32'),
          ('T', [3.0, 4.0, 5.0, 6.0], 'float32')])),
    'hsplit_err': (
        'T.hsplit(T.ones(2, 3), 2)',
        ('err', 'RuntimeError',
         'torch.hsplit attempted to split along dimension 1, but the size of the dimension 3 '
         'is not divisible by the split_size 2!')),
    'rot90_err': (
        'T.rot90(T.ones(2, 2), 1, [0, 0])',
        ('err', 'RuntimeError',
         'expected rotation dims to be different, but got dim0 = 0 and dim1 = 0')),
    'diag_embed_3': (
        'T.diag_embed(A(T, 2, 3, 2), 0, 1, 3)',
        ('ok',
         ('T',
          [[[[0.13, 0.0], [0.64, 0.0], [-0.54, 0.0]],
            [[0.0, -0.13], [0.0, 0.1], [0.0, 0.36]]],
           [[[1.3, 0.0], [-0.7, 0.0], [-0.62, 0.0]],
            [[0.0, 0.95], [0.0, -1.27], [0.0, 0.04]]]],
          'float64'))),
    'take_err': (
        'T.take(T.ones(3), T.tensor([3]))',
        ('err', 'IndexError',
         'out of range: tried to access index 3 on a tensor of 3 elements.')),
    'median_empty': (
        'T.median(T.ones(0))',
        ('ok', ('T', nan, 'float32'))),
    'kth_err': (
        'T.kthvalue(T.ones(3), 4)',
        ('err', 'RuntimeError', 'kthvalue(): selected number k out of range for dimension 0')),
    'quantile_err': (
        'T.quantile(T.ones(3), 1.5)',
        ('err', 'RuntimeError', 'quantile() q must be in the range [0, 1] but got 1.5')),
    'histc_int': (
        'T.histc(T.tensor([1, 2]))',
        ('err', 'NotImplementedError', '"histogram_cpu" not implemented for \'Long\'')),
    'bincount_err': (
        'T.bincount(T.tensor([-1, 2]))',
        ('err', 'RuntimeError', 'bincount only supports 1-d non-negative integral inputs.')),
    'cov_int': (
        'T.cov(T.tensor([[1, 2, 4], [0, 1, 3]]))',
        ('ok',
         ('T',
          [[2.3333334922790527, 2.3333332538604736],
           [2.3333332538604736, 2.3333334922790527]],
          'float32'))),
    'nanmean_int': (
        'T.nanmean(T.tensor([1, 2]))',
        ('err', 'RuntimeError',
         'nanmean(): expected input to have floating point or complex dtype but got Long')),
    'gcd_float': (
        'T.gcd(T.tensor([1.]), T.tensor([2.]))',
        ('err', 'NotImplementedError', '"gcd_cpu" not implemented for \'Float\'')),
    'positive_bool': (
        'T.positive(T.tensor([True]))',
        ('err', 'RuntimeError', 'The `+` operator, on a bool tensor is not supported.')),
    'is_nonzero_err': (
        'T.is_nonzero(T.ones(2))',
        ('err', 'RuntimeError',
         'Boolean value of Tensor with more than one value is ambiguous')),
    'combinations_err': (
        'T.combinations(T.ones(2, 2))',
        ('err', 'RuntimeError', 'Expect a 1D vector, but got shape [2, 2]')),
    'meshgrid_err': (
        'T.meshgrid(T.ones(2), indexing="zz")',
        ('err', 'RuntimeError',
         'torch.meshgrid: indexing must be one of "xy" or "ij", but received: zz')),
    'unravel_err': (
        'T.unravel_index(T.tensor([12]), (3, 4))',
        ('ok', [('T', [0], 'int64'), ('T', [0], 'int64')])),
    'repeat_interleave_err': (
        'T.repeat_interleave(T.ones(3), T.tensor([1, 2]), 0)',
        ('err', 'RuntimeError',
         'repeats must have the same size as input along dim, but got repeats.size(0) = 2 '
         'and input.size(0) = 3')),
    'block_diag_err': (
        'T.block_diag(T.ones(1, 1, 1))',
        ('err', 'RuntimeError',
         'torch.block_diag: Input tensors must have 2 or fewer dimensions. Input 0 has 3 '
         'dimensions')),
    'diagonal_err': (
        'T.ones(2, 2).diagonal(0, 1, 1)',
        ('err', 'RuntimeError', 'diagonal dimensions cannot be identical 1, 1')),
    'unfold_err': (
        'T.ones(3).unfold(0, 4, 1)',
        ('err', 'RuntimeError', 'maximum size for tensor at dimension 0 is 3 but size is 4')),
    'as_strided_err': (
        'T.ones(3).as_strided((2,), (-1,))',
        ('err', 'RuntimeError',
         'as_strided: Negative strides are not supported at the moment, got strides: [-1]')),
    'chunk_unsafe': (
        'T.unsafe_chunk(T.arange(5.), 2)',
        ('ok', [('T', [0.0, 1.0, 2.0], 'float32'), ('T', [3.0, 4.0], 'float32')])),
    'split_ws': (
        'T.split_with_sizes(T.arange(5.), [2, 3])',
        ('ok', [('T', [0.0, 1.0], 'float32'), ('T', [2.0, 3.0, 4.0], 'float32')])),
    'split_ws_err': (
        'T.split_with_sizes(T.arange(5.), [2, 2])',
        ('err', 'RuntimeError',
         "split_with_sizes expects split_sizes to sum exactly to 5 (input tensor's size at "
         'dimension 0), but got split_sizes=[2, 2]')),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_pytorch(name):
    expr, expected = CASES[name]
    check_case(expr, expected)


def test_random_fills_follow_their_distributions():
    import numpy as np
    import disttrain as T
    T.manual_seed(0)
    g = T.empty(20000).geometric_(0.25)
    assert g.min().item() >= 1 and abs(g.mean().item() - 4.0) < 0.1
    ln = T.empty(20000).log_normal_(0.0, 0.5)
    assert abs(np.log(ln.numpy()).mean()) < 0.02
    c = T.empty(20000).cauchy_(1.0, 2.0)
    assert abs(float(np.median(c.numpy())) - 1.0) < 0.1


def test_strided_and_legacy_tensor_names():
    import pytest
    import disttrain as T
    x = T.ones(3)
    assert x.new_empty_strided((2, 2), (1, 2)).stride() == (1, 2)
    assert x.const_data_ptr() == x.data_ptr() and x.to_dense() is x
    assert not x.is_distributed()
    with pytest.warns(UserWarning, match="volatile was removed"):
        assert x.volatile is False
    y = T.arange(6.0)
    assert y.as_strided_((2, 2), (1, 2)) is y
    assert y.tolist() == [[0.0, 2.0], [1.0, 3.0]]
    with pytest.raises(RuntimeError, match="as_strided_ on a tensor that requires grad"):
        T.ones(2, requires_grad=True).as_strided_((1,), (1,))


def test_pin_memory_needs_a_gpu_as_in_pytorch():
    import pytest
    import disttrain as T
    x = T.arange(4.0)
    assert not x.is_pinned()
    if T.cuda.is_available():
        p = x.pin_memory()
        assert p.is_pinned() and T.equal(p, x) and p.pin_memory() is p
    else:
        with pytest.raises(RuntimeError, match="Cannot access accelerator device when none is "
                                               "available."):
            x.pin_memory()


def test_shift_operators():
    import pytest
    import disttrain as T
    x = T.tensor([1, 2, -8])
    assert (x << 1).tolist() == [2, 4, -16] and (x >> 1).tolist() == [0, 1, -4]
    assert (1 << T.tensor([1, 2])).tolist() == [2, 4]
    y = T.tensor([1, 2])
    z = y
    y <<= 2
    y >>= 1
    assert z is y and y.tolist() == [2, 4]
    with pytest.raises(NotImplementedError, match="\"lshift_cpu\" not implemented for 'Float'"):
        T.tensor([1.5]) << 1


def test_matrix_transposes_refuse_wrong_ranks():
    import pytest
    import disttrain as T
    assert tuple(T.ones(2, 3).H.shape) == (3, 2)
    assert tuple(T.ones(2, 3, 4).mT.shape) == (2, 4, 3)
    assert tuple(T.ones(2, 3, 4).mH.shape) == (2, 4, 3)
    with pytest.raises(RuntimeError, match="tensor.H is only supported on matrices \\(2-D "
                                           "tensors\\). Got 3-D tensor. For batches"):
        T.ones(2, 2, 2).H
    with pytest.raises(RuntimeError, match="tensor.mT is only supported on matrices or batches "
                                           "of matrices. Got 1-D tensor."):
        T.ones(3).mT
    with pytest.warns(UserWarning, match="Tensor.H is deprecated on 0-D tensors"):
        T.ones(()).H


def test_results_are_instances_of_their_return_types():
    import disttrain as T
    rt = T.return_types
    x = T.tensor([[1.0, 3.0], [2.0, 0.0]])
    for res, cls in ((T.max(x, 1), rt.max), (T.min(x, 1), rt.min), (T.sort(x), rt.sort),
                     (T.topk(x, 1), rt.topk), (T.kthvalue(x, 1), rt.kthvalue),
                     (T.median(x, 1), rt.median), (T.nanmedian(x, 1), rt.nanmedian),
                     (T.mode(x, 1), rt.mode), (T.cummax(x, 1), rt.cummax),
                     (T.cummin(x, 1), rt.cummin), (T.aminmax(x), rt.aminmax),
                     (T.frexp(x), rt.frexp), (T.histogram(x), rt.histogram)):
        assert isinstance(res, cls) and isinstance(res, tuple), (res, cls)
    values, indices = T.max(x, 1)
    assert T.max(x, 1).values.tolist() == values.tolist() == [3.0, 2.0]
    assert repr(T.max(x, 1)).startswith("disttrain.return_types.max(")


def test_as_subclass_module_load_and_deprecated_resize():
    import pytest
    import disttrain as T

    class MyTensor(T.Tensor):
        pass

    a = T.ones(2, requires_grad=True)
    b = (a * 2).as_subclass(MyTensor)
    assert type(b) is MyTensor and type(b.grad_fn).__name__ == "AliasBackward0"
    b.sum().backward()
    assert a.grad.tolist() == [2.0, 2.0]
    with pytest.raises(TypeError, match="does not inherit from Tensor"):
        T.ones(1).as_subclass(int)
    x = T.arange(6.0)
    other = T.ones(6, requires_grad=True)
    assert x.module_load(other) is other
    assert not x.module_load(other, assign=True).requires_grad
    with pytest.warns(UserWarning, match="non-inplace resize is deprecated"):
        y = x.resize(2, 3)
    assert y.tolist() == [[0.0, 1.0, 2.0], [3.0, 4.0, 5.0]] and y.data_ptr() == x.data_ptr()
    with pytest.warns(UserWarning, match="non-inplace resize_as is deprecated"):
        assert tuple(x.resize_as(T.ones(3, 2)).shape) == (3, 2)
