"""Scans, order statistics, NaN-ignoring sums, differences/integrals and counting ops
added for PyTorch parity: values and errors as PyTorch 2.13 gives them; gradients in
``test_more_grads``."""
import pytest

from ._parity import check_case, nan, inf  # noqa: F401  (nan/inf appear in the table)

# expression -> what PyTorch 2.13 returned for it (see ``_parity``)
CASES = {
    'cummax': (
        'tuple(T.cummax(T.tensor([1., 3., 3., 2., 5., 5.]), 0))',
        ('ok',
         [('T', [1.0, 3.0, 3.0, 3.0, 5.0, 5.0], 'float32'),
          ('T', [0, 1, 2, 2, 4, 5], 'int64')])),
    'cummin2': (
        'tuple(T.cummin(A(T, 3, 4), 1))',
        ('ok',
         [('T',
           [[0.13, -0.13, -0.13, -0.13], [-0.54, -0.54, -0.54, -0.54],
            [-0.7, -1.27, -1.27, -1.27]],
           'float64'),
          ('T', [[0, 1, 1, 1], [0, 0, 0, 0], [0, 1, 1, 1]], 'int64')])),
    'cummax_nan': (
        "tuple(T.cummax(T.tensor([1., float('nan'), 3.]), 0))",
        ('ok', [('T', [1.0, nan, nan], 'float32'), ('T', [0, 1, 1], 'int64')])),
    'logcumsumexp': (
        "T.logcumsumexp(T.tensor([[-1000., 0., 1.], [2., float('-inf'), 3.]]), 1)",
        ('ok',
         ('T', [[-1000.0, 0.0, 1.31326162815094], [2.0, 2.0, 3.3132617473602295]], 'float32'))),
    'median': (
        'T.median(T.tensor([[2., 1., 2., 1., 3.], [4., 4., 4., 1., 1.]]))',
        ('ok', ('T', 2.0, 'float32'))),
    'median_d': (
        'tuple(T.median(T.tensor([[2., 1., 2., 1., 3.], [4., 4., 4., 1., 1.]]), 1))',
        ('ok', [('T', [2.0, 4.0], 'float32'), ('T', [0, 0], 'int64')])),
    'median_nan': (
        "tuple(T.median(T.tensor([[2., float('nan'), 1.], [3., 1., 2.]]), 1))",
        ('ok', [('T', [nan, 2.0], 'float32'), ('T', [1, 2], 'int64')])),
    'nanmedian_all': (
        "T.nanmedian(T.tensor([1., float('nan'), 3., 2.]))",
        ('ok', ('T', 2.0, 'float32'))),
    'mode': (
        'tuple(T.mode(T.tensor([[2., 1., 2., 1., 3.], [4., 4., 4., 1., 1.]]), 1))',
        ('ok', [('T', [1.0, 4.0], 'float32'), ('T', [3, 2], 'int64')])),
    'kthvalue': (
        ('tuple(T.kthvalue(T.tensor([[2., 1., 2., 1., 3.], [4., 4., 4., 1., 1.]]), 2, 1, '
         'True))'),
        ('ok', [('T', [[1.0], [1.0]], 'float32'), ('T', [[3], [4]], 'int64')])),
    'quantile': (
        'T.quantile(X(T), 0.3, 1)',
        ('ok', ('T', [0.07699999999999999, 0.2699999999999999, -0.757], 'float64'))),
    'quantile_t': (
        'T.quantile(X(T), T.tensor([0.25, 0.5, 1.], dtype=T.float64), 0, keepdim=True)',
        ('ok',
         ('T',
          [[[-0.62, -0.7000000000000001, 0.010000000000000009, 0.07]],
           [[-0.54, -0.13, 0.64, 0.1]], [[0.13, 0.36, 1.3, 0.95]]],
          'float64'))),
    'quantile_all': (
        'T.quantile(X(T), 0.75)',
        ('ok', ('T', 0.43, 'float64'))),
    'quantile_interp': (
        ('[T.quantile(T.arange(5.), 0.4, interpolation=m) for m in ("lower", "higher", '
         '"midpoint", "nearest")]'),
        ('ok',
         [('T', 1.0, 'float32'), ('T', 2.0, 'float32'), ('T', 1.5, 'float32'),
          ('T', 2.0, 'float32')])),
    'quantile_nan': (
        "T.quantile(T.tensor([[1., float('nan'), 2.], [1., 2., 3.]]), 0.5, 1)",
        ('ok', ('T', [nan, 2.0], 'float32'))),
    'nanquantile': (
        "T.nanquantile(T.tensor([[1., float('nan'), 2.], [1., 2., 3.]]), 0.5, 1)",
        ('ok', ('T', [1.5, 2.0], 'float32'))),
    'nansum': (
        "T.nansum(T.tensor([[1., float('nan')], [2., 3.]]), 1)",
        ('ok', ('T', [1.0, 5.0], 'float32'))),
    'nanmean': (
        "T.nanmean(T.tensor([[1., float('nan')], [2., 3.]]))",
        ('ok', ('T', 2.0, 'float32'))),
    'diff': (
        'T.diff(X(T), 2, 1)',
        ('ok',
         ('T',
          [[1.03, -1.31], [0.040000000000000036, -1.29],
           [1.2200000000000002, 0.010000000000000009]],
          'float64'))),
    'diff_pa': (
        'T.diff(T.tensor([1., 4., 9.]), prepend=T.tensor([0.]), append=T.tensor([20., 30.]))',
        ('ok', ('T', [1.0, 3.0, 5.0, 11.0, 10.0], 'float32'))),
    'diff_bool': (
        'T.diff(T.tensor([True, False, False, True]))',
        ('ok', ('T', [True, False, True], 'bool'))),
    'trapezoid': (
        'T.trapezoid(X(T))',
        ('ok', ('T', [0.625, 1.8650000000000002, -2.2199999999999998], 'float64'))),
    'trapezoid_x': (
        'T.trapezoid(X(T), T.tensor([0., 1., 3., 6.], dtype=T.float64))',
        ('ok', ('T', [1.6199999999999999, 4.945, -3.745], 'float64'))),
    'trapezoid_dx': (
        'T.trapezoid(X(T), dx=0.5, dim=0)',
        ('ok', ('T', [-0.4125, -0.17000000000000004, 0.6549999999999999, 0.51], 'float64'))),
    'trapz': (
        'T.trapz(X(T), dx=2.)',
        ('ok', ('T', [1.25, 3.7300000000000004, -4.4399999999999995], 'float64'))),
    'cumulative_trapezoid': (
        'T.cumulative_trapezoid(X(T), dim=1)',
        ('ok',
         ('T',
          [[0.0, 0.255, 0.625], [-0.09000000000000002, 0.74, 1.865],
           [-0.985, -1.9300000000000002, -2.22]],
          'float64'))),
    'histc': (
        'T.histc(T.tensor([1., 2., 1., 4., 2.5]), bins=4, min=0, max=3)',
        ('ok', ('T', [0.0, 2.0, 1.0, 1.0], 'float32'))),
    'histc_auto': (
        'T.histc(T.tensor([1., 2., 1., 4., 2.5]), bins=3)',
        ('ok', ('T', [2.0, 2.0, 1.0], 'float32'))),
    'histogram': (
        ('tuple(T.histogram(T.tensor([1., 2., 1.]), bins=4, range=(0., 3.), '
         'weight=T.tensor([1., 2., 4.])))'),
        ('ok',
         [('T', [0.0, 5.0, 2.0, 0.0], 'float32'),
          ('T', [0.0, 0.75, 1.5, 2.25, 3.0], 'float32')])),
    'bincount': (
        'T.bincount(T.tensor([0, 3, 1, 3]), minlength=6)',
        ('ok', ('T', [1, 1, 0, 2, 0, 0], 'int64'))),
    'bincount_w': (
        'T.bincount(T.tensor([0, 3, 1, 3]), T.tensor([0.5, 1., 2., 3.]))',
        ('ok', ('T', [0.5, 2.0, 0.0, 4.0], 'float32'))),
    'searchsorted': (
        'T.searchsorted(T.tensor([1, 3, 5, 7, 9]), T.tensor([3, 6, 9]))',
        ('ok', ('T', [1, 3, 4], 'int64'))),
    'searchsorted_r': (
        ('T.searchsorted(T.tensor([[1, 3, 5, 7, 9], [2, 4, 6, 8, 10]]), T.tensor([[3, 6, 9], '
         '[3, 6, 9]]), right=True)'),
        ('ok', ('T', [[2, 3, 5], [1, 3, 4]], 'int64'))),
    'bucketize': (
        'T.bucketize(T.tensor([[3, 6, 9], [3, 6, 9]]), T.tensor([1, 3, 5, 7, 9]), right=True)',
        ('ok', ('T', [[2, 3, 5], [2, 3, 5]], 'int64'))),
    'unique_consecutive': (
        ('T.unique_consecutive(T.tensor([1, 1, 2, 2, 3, 1, 1, 2]), return_inverse=True, '
         'return_counts=True)'),
        ('ok',
         [('T', [1, 2, 3, 1, 2], 'int64'), ('T', [0, 0, 1, 1, 2, 3, 3, 4], 'int64'),
          ('T', [2, 2, 1, 2, 1], 'int64')])),
    'unique_consecutive_d': (
        'T.unique_consecutive(T.tensor([[1, 1], [1, 1], [2, 3]]), dim=0)',
        ('ok', ('T', [[1, 1], [2, 3]], 'int64'))),
    'aminmax': (
        'tuple(T.aminmax(X(T), dim=1))',
        ('ok', [('T', [-0.13, -0.54, -1.27], 'float64'), ('T', [0.64, 1.3, 0.04], 'float64')])),
    'aminmax_all': (
        'tuple(T.aminmax(X(T)))',
        ('ok', [('T', -1.27, 'float64'), ('T', 1.3, 'float64')])),
    'renorm': (
        'T.renorm(X(T), 2, 0, 1.)',
        ('ok',
         ('T',
          [[0.13, -0.13, 0.64, 0.1],
           [-0.31105968348528795, 0.20737312232352528, 0.7488473861682858,
            0.5472346283537473],
           [-0.44370496519577235, -0.80500757971233, -0.39299582631625557,
            0.025354569439758425]],
          'float64'))),
    'renorm1': (
        'T.renorm(X(T), 1, 1, 0.5)',
        ('ok',
         ('T',
          [[0.047445252011295465, -0.03693181608341954, 0.12499999511718769,
            0.04587155542462794],
           [-0.1970802775853812, 0.10227272146177718, 0.2539062400817875, 0.4357797765339654],
           [-0.25547443390697555, -0.36079543404571396, -0.12109374526977558,
            0.018348622169851173]],
          'float64'))),
    'cov': (
        'T.cov(X(T))',
        ('ok',
         ('T',
          [[0.1055, 0.14235, 0.051016666666666675], [0.14235, 0.6474916666666667, 0.157475],
           [0.051016666666666675, 0.157475, 0.28775833333333334]],
          'float64'))),
    'cov_w': (
        ('T.cov(X(T), correction=0, fweights=T.tensor([1, 2, 1, 3]), aweights=T.tensor([0.5, '
         '1., 2., 1.], dtype=T.float64))'),
        ('ok',
         ('T',
          [[0.08475822222222223, 0.09743555555555555, 0.03248177777777777],
           [0.09743555555555555, 0.24682222222222228, 0.1241511111111111],
           [0.03248177777777777, 0.1241511111111111, 0.2800515555555556]],
          'float64'))),
    'cov_1d': (
        'T.cov(A(T, 5))',
        ('ok', ('T', 0.18425000000000002, 'float64'))),
    'corrcoef': (
        'T.corrcoef(X(T))',
        ('ok',
         ('T',
          [[0.9999999999999998, 0.5446457887719508, 0.2928005543900151],
           [0.5446457887719509, 1.0, 0.36482162262769824],
           [0.2928005543900151, 0.3648216226276983, 1.0]],
          'float64'))),
    'msort': (
        'T.msort(X(T))',
        ('ok',
         ('T',
          [[-0.7, -1.27, -0.62, 0.04], [-0.54, -0.13, 0.64, 0.1], [0.13, 0.36, 1.3, 0.95]],
          'float64'))),
    'var_mean': (
        'T.var_mean(X(T), 1, correction=0)',
        ('ok',
         [('T', [0.079125, 0.48561875000000004, 0.21581875], 'float64'),
          ('T', [0.185, 0.5175000000000001, -0.6375], 'float64')])),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_pytorch(name):
    expr, expected = CASES[name]
    check_case(expr, expected)


@pytest.mark.parametrize("fn,name", [(lambda T: T.mode(T.ones(2, 0), 1), "mode"),
                                     (lambda T: T.median(T.ones(2, 0), 1), "median"),
                                     (lambda T: T.kthvalue(T.ones(2, 0), 1, 1), "kthvalue")])
def test_empty_reduction_dim(fn, name):
    import disttrain
    with pytest.raises(IndexError, match=f"{name}\\(\\): Expected reduction dim 1 to have "
                                         f"non-zero size."):
        fn(disttrain)
