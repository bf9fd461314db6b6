"""Shape and indexing functions added for PyTorch parity (splits, stacks, diagonals,
strided views, index grids, take/put, scatter_reduce, *_scatter): values and errors as
PyTorch 2.13 gives them; gradients in ``test_more_grads``."""
import pytest

from ._parity import check_case, nan, inf  # noqa: F401  (nan/inf appear in the table)

# expression -> what PyTorch 2.13 returned for it (see ``_parity``)
CASES = {
    'atleast_1d': (
        'T.atleast_1d(T.tensor(1.))',
        ('ok', ('T', [1.0], 'float32'))),
    'atleast_2d': (
        'T.atleast_2d(T.tensor([1., 2.]))',
        ('ok', ('T', [[1.0, 2.0]], 'float32'))),
    'atleast_3d0': (
        'T.atleast_3d(T.tensor([1., 2.]))',
        ('ok', ('T', [[[1.0], [2.0]]], 'float32'))),
    'atleast_3d': (
        'T.atleast_3d(X(T))',
        ('ok',
         ('T',
          [[[0.13], [-0.13], [0.64], [0.1]], [[-0.54], [0.36], [1.3], [0.95]],
           [[-0.7], [-1.27], [-0.62], [0.04]]],
          'float64'))),
    'column_stack': (
        'T.column_stack([T.tensor([1., 2.]), T.tensor([[3., 4.], [5, 6]])])',
        ('ok', ('T', [[1.0, 3.0, 4.0], [2.0, 5.0, 6.0]], 'float32'))),
    'row_stack': (
        'T.row_stack([T.tensor([1., 2.]), T.tensor([3., 4.])])',
        ('ok', ('T', [[1.0, 2.0], [3.0, 4.0]], 'float32'))),
    'dstack': (
        'T.dstack([T.tensor([1., 2.]), T.tensor([3., 4.])])',
        ('ok', ('T', [[[1.0, 3.0], [2.0, 4.0]]], 'float32'))),
    'tensor_split3': (
        'T.tensor_split(T.arange(7.), 3)',
        ('ok',
         [('T', [0.0, 1.0, 2.0], 'float32'), ('T', [3.0, 4.0], 'float32'),
          ('T', [5.0, 6.0], 'float32')])),
    'tensor_split_idx': (
        'T.tensor_split(T.arange(7.), [1, 5])',
        ('ok',
         [('T', [0.0], 'float32'), ('T', [1.0, 2.0, 3.0, 4.0], 'float32'),
          ('T', [5.0, 6.0], 'float32')])),
    'tensor_split_neg': (
        'T.tensor_split(A(T, 4, 5), [-2, 10], 1)',
        ('ok',
         [('T',
           [[0.13, -0.13, 0.64], [0.36, 1.3, 0.95], [-0.62, 0.04, -2.33],
            [-0.73, -0.54, -0.32]],
           'float64'),
          ('T', [[0.1, -0.54], [-0.7, -1.27], [-0.22, -1.25], [0.41, 1.04]], 'float64'),
          ('T', [[], [], [], []], 'float64')])),
    'hsplit': (
        'T.hsplit(A(T, 2, 4), 2)',
        ('ok',
         [('T', [[0.13, -0.13], [-0.54, 0.36]], 'float64'),
          ('T', [[0.64, 0.1], [1.3, 0.95]], 'float64')])),
    'vsplit': (
        'T.vsplit(A(T, 4, 2), [1])',
        ('ok',
         [('T', [[0.13, -0.13]], 'float64'),
          ('T', [[0.64, 0.1], [-0.54, 0.36], [1.3, 0.95]], 'float64')])),
    'dsplit': (
        'T.dsplit(A(T, 1, 2, 4), 2)',
        ('ok',
         [('T', [[[0.13, -0.13], [-0.54, 0.36]]], 'float64'),
          ('T', [[[0.64, 0.1], [1.3, 0.95]]], 'float64')])),
    'fliplr': (
        'T.fliplr(X(T))',
        ('ok',
         ('T',
          [[0.1, 0.64, -0.13, 0.13], [0.95, 1.3, 0.36, -0.54], [0.04, -0.62, -1.27, -0.7]],
          'float64'))),
    'flipud': (
        'T.flipud(X(T))',
        ('ok',
         ('T',
          [[-0.7, -1.27, -0.62, 0.04], [-0.54, 0.36, 1.3, 0.95], [0.13, -0.13, 0.64, 0.1]],
          'float64'))),
    'rot90': (
        'T.rot90(X(T))',
        ('ok',
         ('T',
          [[0.1, 0.95, 0.04], [0.64, 1.3, -0.62], [-0.13, 0.36, -1.27], [0.13, -0.54, -0.7]],
          'float64'))),
    'rot90_2': (
        'T.rot90(X(T), 2)',
        ('ok',
         ('T',
          [[0.04, -0.62, -1.27, -0.7], [0.95, 1.3, 0.36, -0.54], [0.1, 0.64, -0.13, 0.13]],
          'float64'))),
    'rot90_3': (
        'T.rot90(A(T, 2, 3, 4), -1, [1, 2])',
        ('ok',
         ('T',
          [[[-0.7, -0.54, 0.13], [-1.27, 0.36, -0.13], [-0.62, 1.3, 0.64], [0.04, 0.95, 0.1]],
           [[-0.13, -0.54, -2.33], [1.37, -0.32, -0.22], [-0.67, 0.41, -1.25],
            [0.35, 1.04, -0.73]]],
          'float64'))),
    'diagonal': (
        'T.diagonal(A(T, 3, 4, 5), 1, 0, 2)',
        ('ok',
         ('T',
          [[-0.13, -0.67, 0.78], [1.3, -0.92, 1.8], [0.04, -0.16, 0.66],
           [-0.54, -0.13, -1.18]],
          'float64'))),
    'diagonal_neg': (
        'X(T).diagonal(-1)',
        ('ok', ('T', [-0.54, -1.27], 'float64'))),
    'diagonal_big': (
        'X(T).diagonal(7)',
        ('ok', ('T', [], 'float64'))),
    'diag_embed': (
        'T.diag_embed(A(T, 2, 3), 1)',
        ('ok',
         ('T',
          [[[0.0, 0.13, 0.0, 0.0], [0.0, 0.0, -0.13, 0.0], [0.0, 0.0, 0.0, 0.64],
            [0.0, 0.0, 0.0, 0.0]],
           [[0.0, 0.1, 0.0, 0.0], [0.0, 0.0, -0.54, 0.0], [0.0, 0.0, 0.0, 0.36],
            [0.0, 0.0, 0.0, 0.0]]],
          'float64'))),
    'diag_embed2': (
        'T.diag_embed(A(T, 2, 3), -1, 0, 2)',
        ('ok',
         ('T',
          [[[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]],
           [[0.13, 0.0, 0.0, 0.0], [0.1, 0.0, 0.0, 0.0]],
           [[0.0, -0.13, 0.0, 0.0], [0.0, -0.54, 0.0, 0.0]],
           [[0.0, 0.0, 0.64, 0.0], [0.0, 0.0, 0.36, 0.0]]],
          'float64'))),
    'diagflat': (
        'T.diagflat(A(T, 2, 2), -1)',
        ('ok',
         ('T',
          [[0.0, 0.0, 0.0, 0.0, 0.0], [0.13, 0.0, 0.0, 0.0, 0.0], [0.0, -0.13, 0.0, 0.0, 0.0],
           [0.0, 0.0, 0.64, 0.0, 0.0], [0.0, 0.0, 0.0, 0.1, 0.0]],
          'float64'))),
    'block_diag': (
        'T.block_diag(T.tensor(1.), T.tensor([2., 3.]), A(T, 2, 2))',
        ('ok',
         ('T',
          [[1.0, 0.0, 0.0, 0.0, 0.0], [0.0, 2.0, 3.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.13, -0.13],
           [0.0, 0.0, 0.0, 0.64, 0.1]],
          'float64'))),
    'as_strided': (
        'T.as_strided(T.arange(10.), (3, 3), (2, 1), 1)',
        ('ok', ('T', [[1.0, 2.0, 3.0], [3.0, 4.0, 5.0], [5.0, 6.0, 7.0]], 'float32'))),
    'unfold': (
        'T.arange(8.).reshape(2, 4).unfold(1, 2, 1)',
        ('ok',
         ('T', [[[0.0, 1.0], [1.0, 2.0], [2.0, 3.0]], [[4.0, 5.0], [5.0, 6.0], [6.0, 7.0]]],
          'float32'))),
    'unfold2': (
        'T.arange(7.).unfold(0, 3, 2)',
        ('ok', ('T', [[0.0, 1.0, 2.0], [2.0, 3.0, 4.0], [4.0, 5.0, 6.0]], 'float32'))),
    'repeat_interleave': (
        'T.repeat_interleave(T.tensor([[1, 2], [3, 4]]), 2)',
        ('ok', ('T', [1, 1, 2, 2, 3, 3, 4, 4], 'int64'))),
    'repeat_interleave_d': (
        'T.repeat_interleave(X(T), T.tensor([1, 0, 2]), 0)',
        ('ok',
         ('T',
          [[0.13, -0.13, 0.64, 0.1], [-0.7, -1.27, -0.62, 0.04], [-0.7, -1.27, -0.62, 0.04]],
          'float64'))),
    'repeat_interleave_r': (
        'T.repeat_interleave(T.tensor([2, 0, 1]))',
        ('ok', ('T', [0, 0, 2], 'int64'))),
    'take': (
        'T.take(X(T), T.tensor([[0, -1], [5, 3]]))',
        ('ok', ('T', [[0.13, 0.04], [0.36, 0.1]], 'float64'))),
    'take_along_dim': (
        'T.take_along_dim(X(T), X(T).argsort(1), 1)',
        ('ok',
         ('T',
          [[-0.13, 0.1, 0.13, 0.64], [-0.54, 0.36, 0.95, 1.3], [-1.27, -0.7, -0.62, 0.04]],
          'float64'))),
    'take_along_dim_b': (
        'T.take_along_dim(X(T), T.tensor([[0], [1], [2]]), 1)',
        ('ok', ('T', [[0.13], [0.36], [-0.62]], 'float64'))),
    'meshgrid_ij': (
        'T.meshgrid(T.arange(2.), T.arange(3.), indexing="ij")',
        ('ok',
         [('T', [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], 'float32'),
          ('T', [[0.0, 1.0, 2.0], [0.0, 1.0, 2.0]], 'float32')])),
    'meshgrid_xy': (
        'T.meshgrid(T.arange(2.), T.arange(3.), T.arange(4.), indexing="xy")',
        ('ok',
         [('T',
           [[[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]],
            [[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]],
            [[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]]],
           'float32'),
          ('T',
           [[[0.0, 0.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]],
            [[1.0, 1.0, 1.0, 1.0], [1.0, 1.0, 1.0, 1.0]],
            [[2.0, 2.0, 2.0, 2.0], [2.0, 2.0, 2.0, 2.0]]],
           'float32'),
          ('T',
           [[[0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0]],
            [[0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0]],
            [[0.0, 1.0, 2.0, 3.0], [0.0, 1.0, 2.0, 3.0]]],
           'float32')])),
    'cartesian_prod': (
        'T.cartesian_prod(T.tensor([1, 2]), T.tensor([3, 4, 5]))',
        ('ok', ('T', [[1, 3], [1, 4], [1, 5], [2, 3], [2, 4], [2, 5]], 'int64'))),
    'combinations': (
        'T.combinations(T.tensor([1., 2., 3.]), 2)',
        ('ok', ('T', [[1.0, 2.0], [1.0, 3.0], [2.0, 3.0]], 'float32'))),
    'combinations_r': (
        'T.combinations(T.tensor([1., 2., 3.]), 2, with_replacement=True)',
        ('ok',
         ('T', [[1.0, 1.0], [1.0, 2.0], [1.0, 3.0], [2.0, 2.0], [2.0, 3.0], [3.0, 3.0]],
          'float32'))),
    'tril_indices': (
        'T.tril_indices(3, 4, 1)',
        ('ok', ('T', [[0, 0, 1, 1, 1, 2, 2, 2, 2], [0, 1, 0, 1, 2, 0, 1, 2, 3]], 'int64'))),
    'triu_indices': (
        'T.triu_indices(4, 3, -1)',
        ('ok', ('T', [[0, 0, 0, 1, 1, 1, 2, 2, 3], [0, 1, 2, 0, 1, 2, 1, 2, 2]], 'int64'))),
    'broadcast_tensors': (
        'T.broadcast_tensors(T.ones(2, 1), T.zeros(3))',
        ('ok',
         [('T', [[1.0, 1.0, 1.0], [1.0, 1.0, 1.0]], 'float32'),
          ('T', [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]], 'float32')])),
    'broadcast_shapes': (
        'T.broadcast_shapes((2, 1), (3,), 1)',
        ('ok', [2, 3])),
    'unravel_index': (
        'T.unravel_index(T.tensor([4, 1, 11]), (3, 4))',
        ('ok', [('T', [1, 0, 2], 'int64'), ('T', [0, 1, 3], 'int64')])),
    'masked_scatter': (
        ('T.masked_scatter(T.zeros(2, 3), T.tensor([[True, False, True], [False, True, '
         'True]]), T.arange(1., 7.))'),
        ('ok', ('T', [[1.0, 0.0, 2.0], [0.0, 3.0, 4.0]], 'float32'))),
    'put': (
        'T.put(T.zeros(2, 3), T.tensor([1, 4, 1]), T.tensor([1., 2., 3.]), accumulate=True)',
        ('ok', ('T', [[0.0, 4.0, 0.0], [0.0, 2.0, 0.0]], 'float32'))),
    'put_noacc': (
        'T.put(T.zeros(2, 3), T.tensor([1, -1]), T.tensor([1., 2.]))',
        ('ok', ('T', [[0.0, 1.0, 0.0], [0.0, 0.0, 2.0]], 'float32'))),
    'index_put': (
        ('T.index_put(T.zeros(3, 3), (T.tensor([0, 2, 0]), T.tensor([1, 1, 1])), '
         'T.tensor([1., 2., 3.]), accumulate=True)'),
        ('ok', ('T', [[0.0, 4.0, 0.0], [0.0, 0.0, 0.0], [0.0, 2.0, 0.0]], 'float32'))),
    'scatter_reduce_sum': (
        ('T.scatter_reduce(T.ones(2, 3), 1, T.tensor([[0, 0, 2], [1, 1, 1]]), A(T, 2, 3, '
         'dtype="float32"), "sum", include_self=False)'),
        ('ok',
         ('T', [[0.0, 1.0, 0.6399999856948853], [1.0, -0.08000001311302185, 1.0]], 'float32'))),
    'scatter_reduce_mean': (
        ('T.scatter_reduce(T.ones(2, 3), 1, T.tensor([[0, 0, 2], [1, 1, 1]]), A(T, 2, 3, '
         'dtype="float32"), "mean")'),
        ('ok',
         ('T',
          [[0.3333333432674408, 1.0, 0.8199999928474426], [1.0, 0.23000000417232513, 1.0]],
          'float32'))),
    'scatter_reduce_amax': (
        ('T.scatter_reduce(T.ones(2, 3), 1, T.tensor([[0, 0, 2], [1, 1, 1]]), A(T, 2, 3, '
         'dtype="float32"), "amax", include_self=False)'),
        ('ok',
         ('T',
          [[0.12999999523162842, 1.0, 0.6399999856948853], [1.0, 0.36000001430511475, 1.0]],
          'float32'))),
    'scatter_reduce_prod': (
        ('T.scatter_reduce(T.ones(2, 3) * 2, 1, T.tensor([[0, 0, 2], [1, 1, 1]]), A(T, 2, 3, '
         'dtype="float32"), "prod")'),
        ('ok',
         ('T',
          [[-0.033799998462200165, 2.0, 1.2799999713897705],
           [2.0, -0.03888000175356865, 2.0]],
          'float32'))),
    'scatter_reduce_amin_int': (
        ('T.scatter_reduce(T.tensor([5, 5, 5]), 0, T.tensor([0, 0, 2]), T.tensor([3, 7, 9]), '
         '"amin")'),
        ('ok', ('T', [3, 5, 5], 'int64'))),
    'index_reduce': (
        ('T.ones(3, 2).index_reduce(0, T.tensor([0, 2, 0]), A(T, 3, 2, dtype="float32"), '
         '"prod")'),
        ('ok',
         ('T',
          [[-0.07020000368356705, -0.046799998730421066], [1.0, 1.0],
           [0.6399999856948853, 0.10000000149011612]],
          'float32'))),
    'select_scatter': (
        'T.select_scatter(T.zeros(2, 3), T.ones(2), 1, 0)',
        ('ok', ('T', [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0]], 'float32'))),
    'slice_scatter': (
        'T.slice_scatter(T.zeros(4, 3), T.ones(2, 3), 0, 0, 4, 2)',
        ('ok',
         ('T', [[1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0]],
          'float32'))),
    'diagonal_scatter': (
        'T.diagonal_scatter(T.zeros(3, 3), T.ones(2), 1)',
        ('ok', ('T', [[0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.0, 0.0, 0.0]], 'float32'))),
    'as_strided_scatter': (
        'T.as_strided_scatter(T.zeros(6), T.ones(2, 2), (2, 2), (1, 2))',
        ('ok', ('T', [1.0, 1.0, 1.0, 1.0, 0.0, 0.0], 'float32'))),
    'narrow_copy': (
        'T.narrow_copy(X(T), 1, 1, 2)',
        ('ok', ('T', [[-0.13, 0.64], [0.36, 1.3], [-1.27, -0.62]], 'float64'))),
    'adjoint': (
        'T.adjoint(X(T))',
        ('ok',
         ('T',
          [[0.13, -0.54, -0.7], [-0.13, 0.36, -1.27], [0.64, 1.3, -0.62], [0.1, 0.95, 0.04]],
          'float64'))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_pytorch(name):
    expr, expected = CASES[name]
    check_case(expr, expected)
