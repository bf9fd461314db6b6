"""Module-level names added for PyTorch parity (finfo/iinfo, in-place functions, dropout,
range/asarray/frombuffer/vander/gradient, windows, dlpack, cond/while_loop/vmap,
segment_reduce, deterministic mode, ``testing.assert_close``, ``signal.windows``, ``func``):
values and errors as PyTorch 2.13 gives them."""
import numpy as np
import pytest

import disttrain as T

from ._parity import check_case, nan, inf  # noqa: F401  (nan/inf appear in the table)

# expression -> what PyTorch 2.13 returned for it (see ``_parity``)
CASES = {
    'finfo32': (
        ('(lambda f: [f.bits, f.eps, f.max, f.min, f.tiny, f.smallest_normal, f.resolution, '
         'f.dtype, repr(f)])(T.finfo(T.float32))'),
        ('ok',
         [32, 1.1920928955078125e-07, 3.4028234663852886e+38, -3.4028234663852886e+38,
          1.1754943508222875e-38, 1.1754943508222875e-38, 1e-06, 'float32',
          'finfo(resolution=1e-06, min=-3.40282e+38, max=3.40282e+38, eps=1.19209e-07, '
          'smallest_normal=1.17549e-38, tiny=1.17549e-38, dtype=float32)'])),
    'finfo_default': (
        'repr(T.finfo())',
        ('ok',
         'finfo(resolution=1e-06, min=-3.40282e+38, max=3.40282e+38, eps=1.19209e-07, '
         'smallest_normal=1.17549e-38, tiny=1.17549e-38, dtype=float32)')),
    'finfo16': (
        '(lambda f: [f.eps, f.max, f.tiny])(T.finfo(T.float16))',
        ('ok', [0.0009765625, 65504.0, 6.103515625e-05])),
    'finfo_bf16': (
        'repr(T.finfo(T.bfloat16))',
        ('ok',
         'finfo(resolution=0.01, min=-3.38953e+38, max=3.38953e+38, eps=0.0078125, '
         'smallest_normal=1.17549e-38, tiny=1.17549e-38, dtype=bfloat16)')),
    'finfo64': (
        '(lambda f: [f.eps, f.max, f.resolution])(T.finfo(T.float64))',
        ('ok', [2.220446049250313e-16, 1.7976931348623157e+308, 1e-15])),
    'iinfo': (
        ('[repr(T.iinfo(T.int64)), T.iinfo(T.uint8).max, T.iinfo(T.int8).min, '
         'T.iinfo(T.int32).bits]'),
        ('ok', ['iinfo(min=-9.22337e+18, max=9.22337e+18, dtype=int64)', 255, -128, 32])),
    'finfo_err': (
        'T.finfo(T.int32)',
        ('err', 'TypeError',
         'torch.finfo() requires a floating point input type. Use torch.iinfo to handle '
         "'torch.finfo'")),
    'iinfo_err': (
        'T.iinfo(T.float32)',
        ('err', 'TypeError',
         'torch.iinfo() requires an integer input type. Use torch.finfo to handle '
         "'torch.iinfo'")),
    'inplace_fns': (
        '(lambda x: [T.exp_(x), T.clamp_(x, max=2.0), T.sqrt_(x), x])(T.tensor([0.0, 1.0]))',
        ('ok',
         [('T', [1.0, 1.4142135381698608], 'float32'),
          ('T', [1.0, 1.4142135381698608], 'float32'),
          ('T', [1.0, 1.4142135381698608], 'float32'),
          ('T', [1.0, 1.4142135381698608], 'float32')])),
    'inplace_more': (
        ('(lambda x: [T.abs_(x), T.neg_(x), T.square_(x), T.rad2deg_(x)])(T.tensor([-1.0, '
         '2.0]))'),
        ('ok',
         [('T', [57.295780181884766, 229.18312072753906], 'float32'),
          ('T', [57.295780181884766, 229.18312072753906], 'float32'),
          ('T', [57.295780181884766, 229.18312072753906], 'float32'),
          ('T', [57.295780181884766, 229.18312072753906], 'float32')])),
    'zero_fill': (
        '(lambda x: [T.fill(x, 3.0), T.zero_(x)])(T.ones(2))',
        ('ok', [('T', [3.0, 3.0], 'float32'), ('T', [0.0, 0.0], 'float32')])),
    'dropout_eval': (
        ('[T.dropout(T.ones(3), 0.5, False), T.alpha_dropout(T.ones(3), 0.5, False), '
         'T.feature_dropout(T.ones(2, 2), 0.3, False)]'),
        ('ok',
         [('T', [1.0, 1.0, 1.0], 'float32'), ('T', [1.0, 1.0, 1.0], 'float32'),
          ('T', [[1.0, 1.0], [1.0, 1.0]], 'float32')])),
    'dropout_p0': (
        'T.dropout(T.ones(3), 0.0, True)',
        ('ok', ('T', [1.0, 1.0, 1.0], 'float32'))),
    'dropout_p1': (
        'T.dropout(T.ones(3), 1.0, True)',
        ('ok', ('T', [0.0, 0.0, 0.0], 'float32'))),
    'feature_dropout_1d': (
        'T.feature_dropout(T.ones(3), 0.5, True)',
        ('err', 'RuntimeError', 'Feature dropout requires at least 2 dimensions in the input')),
    'range': (
        '[T.range(1, 4), T.range(0, 1, 0.25)]',
        ('ok',
         [('T', [1.0, 2.0, 3.0, 4.0], 'float32'),
          ('T', [0.0, 0.25, 0.5, 0.75, 1.0], 'float32')])),
    'asarray': (
        ('[T.asarray([1, 2]), T.asarray([1.5], dtype=T.float64), T.asarray(T.ones(2), '
         'dtype=T.int64)]'),
        ('ok', [('T', [1, 2], 'int64'), ('T', [1.5], 'float64'), ('T', [1, 1], 'int64')])),
    'empty_strided': (
        '(lambda t: [list(t.shape), t.stride()])(T.empty_strided((2, 3), (1, 2)))',
        ('ok', [[2, 3], [1, 2]])),
    'frombuffer': (
        "T.frombuffer(bytearray(b'\\x01\\x00\\x00\\x00\\x02\\x00\\x00\\x00'), dtype=T.int32)",
        ('ok', ('T', [1, 2], 'int32'))),
    'vander': (
        ('[T.vander(T.tensor([1, 2, 3]), N=3), T.vander(T.tensor([1., 2.]), '
         'increasing=True), T.vander(T.tensor([2, 3]), N=0)]'),
        ('ok',
         [('T', [[1, 1, 1], [4, 2, 1], [9, 3, 1]], 'int64'),
          ('T', [[1.0, 1.0], [1.0, 2.0]], 'float32'), ('T', [[], []], 'int64')])),
    'gradient': (
        ('[T.gradient(T.tensor([1., 4., 9., 16.])), T.gradient(T.tensor([[1., 2, 4], [2, 5, '
         '9]]), spacing=2., dim=1, edge_order=2), T.gradient(T.tensor([1., 4., 9., 16.]), '
         'spacing=(T.tensor([0., 1., 1.5, 3.5]),))]'),
        ('ok',
         [[('T', [3.0, 4.0, 6.0, 7.0], 'float32')],
          [('T', [[0.25, 0.75, 1.25], [1.25, 1.75, 2.25]], 'float32')],
          [('T', [3.0, 7.666666507720947, 8.699999809265137, 3.5], 'float32')]])),
    'windows': (
        ('[T.hann_window(5), T.hamming_window(4, periodic=False), T.blackman_window(3), '
         'T.bartlett_window(5), T.kaiser_window(4), T.hann_window(1), T.hann_window(0, '
         'dtype=T.float64)]'),
        ('ok',
         [('T',
           [0.0, 0.34549152851104736, 0.9045084714889526, 0.9045084714889526,
            0.3454914391040802],
           'float32'),
          ('T',
           [0.08000001311302185, 0.7700000405311584, 0.7699999809265137, 0.08000001311302185],
           'float32'),
          ('T', [-2.9802322387695312e-08, 0.6299999952316284, 0.6299999356269836], 'float32'),
          ('T',
           [0.0, 0.4000000059604645, 0.800000011920929, 0.7999999523162842,
            0.3999999761581421],
           'float32'),
          ('T', [5.2773437346331775e-05, 0.21567265689373016, 1.0, 0.21567265689373016],
           'float32'),
          ('T', [1.0], 'float32'), ('T', [], 'float64')])),
    'dlpack': (
        'T.from_dlpack(T.to_dlpack(T.arange(3)))',
        ('ok', ('T', [0, 1, 2], 'int64'))),
    'cond': (
        ('[T.cond(T.tensor(True), lambda x: x + 1, lambda x: x - 1, (T.ones(1),)), '
         'T.cond(False, lambda x: x + 1, lambda x: x - 1, (T.ones(1),))]'),
        ('ok', [('T', [2.0], 'float32'), ('T', [0.0], 'float32')])),
    'while_loop': (
        ('T.while_loop(lambda i, s: i < 3, lambda i, s: (i + 1, s * 2), (T.tensor(0), '
         'T.tensor(1.0)))'),
        ('ok', [('T', 3, 'int64'), ('T', 8.0, 'float32')])),
    'vmap': (
        ('[T.vmap(lambda a, b: a @ b)(T.ones(3, 2, 2), T.ones(3, 2)), T.vmap(lambda a: '
         'a.sum(), in_dims=1)(T.arange(6.).reshape(2, 3)), T.vmap(lambda a, k: a * k, '
         'in_dims=(0, None))(T.ones(2, 2), 3.0)]'),
        ('ok',
         [('T', [[2.0, 2.0], [2.0, 2.0], [2.0, 2.0]], 'float32'),
          ('T', [3.0, 5.0, 7.0], 'float32'), ('T', [[3.0, 3.0], [3.0, 3.0]], 'float32')])),
    'vmap_out_dims': (
        'T.vmap(lambda a: a * 2, out_dims=1)(T.arange(6.).reshape(3, 2))',
        ('ok', ('T', [[0.0, 4.0, 8.0], [2.0, 6.0, 10.0]], 'float32'))),
    'nonzero_static': (
        ('[T.nonzero_static(T.tensor([0, 1, 0, 2]), size=3), T.nonzero_static(T.tensor([[1, '
         '0], [1, 1]]), size=2, fill_value=9)]'),
        ('ok', [('T', [[1], [3], [-1]], 'int64'), ('T', [[0, 0], [1, 0]], 'int64')])),
    'histogramdd': (
        'list(T.histogramdd(T.tensor([[0., 0], [1, 1], [2, 0]]), bins=[2, 2]))',
        ('ok',
         [('T', [[1.0, 0.0], [1.0, 1.0]], 'float32'),
          [('T', [0.0, 1.0, 2.0], 'float32'), ('T', [0.0, 0.5, 1.0], 'float32')]])),
    'segment_reduce': (
        ('[T.segment_reduce(T.tensor([1., 2, 3, 4, 5]), r, lengths=T.tensor([2, 0, 3])) for '
         "r in ('sum', 'mean', 'max', 'min', 'prod')]"),
        ('ok',
         [('T', [3.0, 0.0, 12.0], 'float32'), ('T', [1.5, nan, 4.0], 'float32'),
          ('T', [2.0, -inf, 5.0], 'float32'), ('T', [1.0, inf, 3.0], 'float32'),
          ('T', [2.0, 1.0, 60.0], 'float32')])),
    'segment_reduce_init': (
        ("T.segment_reduce(T.tensor([1., 2, 3]), 'sum', lengths=T.tensor([1, 0, 2]), "
         'initial=10.0)'),
        ('ok', ('T', [11.0, 10.0, 15.0], 'float32'))),
    'segment_reduce_offsets': (
        "T.segment_reduce(T.tensor([1., 2, 3]), 'max', offsets=T.tensor([0, 2, 3]))",
        ('ok', ('T', [2.0, 3.0], 'float32'))),
    'typename': (
        '[T.typename(T.ones(2)), T.typename(T.ones(2, dtype=T.int64)), T.typename(1)]',
        ('ok', ['disttrain.FloatTensor', 'disttrain.LongTensor', 'int'])),
    'queries': (
        ('[T.get_device(T.ones(1)), T.is_storage(T.ones(1)), T.is_inference(T.ones(1)), '
         'T.is_distributed(T.ones(1)), T.is_nonzero(T.tensor([2])), '
         'T.is_signed(T.tensor([1], dtype=T.uint8)), T.is_vulkan_available()]'),
        ('ok', [-1, False, False, False, True, False, False])),
    'deterministic': (
        ('(lambda: [T.use_deterministic_algorithms(True, warn_only=True), '
         'T.are_deterministic_algorithms_enabled(), '
         'T.is_deterministic_algorithms_warn_only_enabled(), '
         "T.get_deterministic_debug_mode(), T.set_deterministic_debug_mode('error'), "
         'T.get_deterministic_debug_mode(), T.set_deterministic_debug_mode(0), '
         'T.are_deterministic_algorithms_enabled()])()'),
        ('ok', [None, True, True, 1, None, 2, None, False])),
    'deterministic_err': (
        "T.set_deterministic_debug_mode('x')",
        ('err', 'RuntimeError',
         'invalid value of debug_mode, expected one of `default`, `warn`, `error`, but got x')),
    'matmul_precision': (
        ('(lambda: [T.get_float32_matmul_precision(), '
         "T.set_float32_matmul_precision('high'), T.get_float32_matmul_precision(), "
         "T.set_float32_matmul_precision('highest')])()"),
        ('ok', ['highest', None, 'high', None])),
    'assert_close_ok': (
        ('[T.testing.assert_close(T.ones(2), T.ones(2) + 1e-7), '
         "T.testing.assert_close(T.tensor([float('nan')]), T.tensor([float('nan')]), "
         'equal_nan=True), T.testing.assert_close(1.0, 1.0 + 1e-9)]'),
        ('ok', [None, None, None])),
    'assert_close_vals': (
        'T.testing.assert_close(T.tensor([1., 2., 3.]), T.tensor([1., 2., 3.1]))',
        ('err', 'AssertionError', 'Tensor-likes are not close!')),
    'assert_close_dtype': (
        'T.testing.assert_close(T.tensor([1., 2.]), T.tensor([1., 2.], dtype=T.float64))',
        ('err', 'AssertionError',
         "The values for attribute 'dtype' do not match: disttrain.float32 != "
         'disttrain.float64.')),
    'assert_close_shape': (
        'T.testing.assert_close(T.tensor([1., 2.]), T.tensor([1., 2., 3.]))',
        ('err', 'AssertionError',
         "The values for attribute 'shape' do not match: disttrain.Size([2]) != "
         'disttrain.Size([3]).')),
    'assert_close_int': (
        'T.testing.assert_close(T.tensor([[1, 2], [3, 4]]), T.tensor([[1, 2], [3, 5]]))',
        ('err', 'AssertionError', 'Tensor-likes are not equal!')),
    'assert_close_scalar': (
        'T.testing.assert_close(1.0, 1.1)',
        ('err', 'AssertionError', 'Scalars are not close!')),
    'assert_close_tol': (
        'T.testing.assert_close(T.tensor([1.0]), T.tensor([1.05]), rtol=0.1, atol=0.0)',
        ('ok', None)),
    'make_tensor': (
        ("(lambda t: [list(t.shape), str(t.dtype).split('.')[-1], bool((t >= -1).all() and "
         "(t < 1).all())])(T.testing.make_tensor((2, 3), dtype=T.float32, device='cpu', "
         'low=-1, high=1))'),
        ('ok', [[2, 3], 'float32', True])),
    'signal': (
        ('(lambda W: [W.gaussian(5), W.gaussian(4, std=0.5, sym=False), W.cosine(4), '
         'W.exponential(5, tau=2.), W.general_cosine(4, a=[0.5, 0.5]), W.general_hamming(4, '
         'alpha=0.6), W.nuttall(5), W.hann(4), W.hamming(4, sym=False), W.blackman(5), '
         'W.bartlett(5), W.kaiser(4, beta=5.), W.exponential(4, center=1., tau=1., '
         'sym=False)])(T.signal.windows)'),
        ('ok',
         [('T',
           [0.1353352963924408, 0.6065306663513184, 1.0, 0.6065306663513184,
            0.1353352963924408],
           'float32'),
          ('T', [0.00033546279883012176, 0.1353352963924408, 1.0, 0.1353352963924408],
           'float32'),
          ('T',
           [0.3826834559440613, 0.9238795638084412, 0.9238796234130859, 0.38268351554870605],
           'float32'),
          ('T',
           [0.3678794503211975, 0.6065306663513184, 1.0, 0.6065306663513184,
            0.3678794503211975],
           'float32'),
          ('T', [0.0, 0.75, 0.7499999403953552, 0.0], 'float32'),
          ('T',
           [0.20000001788139343, 0.8000000715255737, 0.800000011920929, 0.20000001788139343],
           'float32'),
          ('T',
           [0.00036279670894145966, 0.22698242962360382, 0.9999999403953552,
            0.22698239982128143, 0.00036279670894145966],
           'float32'),
          ('T', [0.0, 0.75, 0.7499999403953552, 0.0], 'float32'),
          ('T', [0.08000001311302185, 0.5400000214576721, 1.0, 0.5400000214576721],
           'float32'),
          ('T',
           [-1.4901161193847656e-08, 0.3400000333786011, 0.9999999403953552,
            0.3399999737739563, -1.4901161193847656e-08],
           'float32'),
          ('T', [0.0, 0.5, 1.0, 0.5, 0.0], 'float32'),
          ('T',
           [0.036710888147354126, 0.7753219604492188, 0.7753219604492188,
            0.036710888147354126],
           'float32'),
          ('T', [0.3678794503211975, 1.0, 0.3678794503211975, 0.1353352814912796],
           'float32')])),
    'version': (
        '[T.version.cuda, T.version.hip, T.cpu.is_available(), T.cpu.device_count()]',
        ('ok', [None, None, True, 1])),
    'layout': (
        "[repr(T.strided).split('.')[-1], T.ones(2).layout is T.strided]",
        ('ok', ['strided', True])),
    'anomaly': (
        ('(lambda: [T.is_anomaly_enabled(), T.set_anomaly_enabled(True), '
         'T.is_anomaly_enabled(), T.is_anomaly_check_nan_enabled(), '
         'T.set_anomaly_enabled(False), T.is_anomaly_enabled()])()'),
        ('ok', [False, None, True, True, None, False])),
    'func': (
        ('[T.func.grad(lambda t: t.sin().sum())(T.tensor([0.5, 1.0], dtype=T.float64)), '
         'T.func.jacrev(lambda t: t ** 2)(T.tensor([0.5, 1.0])), T.func.hessian(lambda t: (t '
         '** 3).sum())(T.tensor([0.5, 1.0])), T.func.jvp(lambda t: t ** 2, (T.tensor([0.5, '
         '1.0]),), (T.ones(2),))]'),
        ('ok',
         [('T', [0.8775825618903728, 0.5403023058681398], 'float64'),
          ('T', [[1.0, 0.0], [0.0, 2.0]], 'float32'),
          ('T', [[3.0, 0.0], [0.0, 6.0]], 'float32'),
          [('T', [0.25, 1.0], 'float32'), ('T', [1.0, 2.0], 'float32')]])),
    'func_grad_nested': (
        ('T.func.grad(lambda t: T.func.grad(lambda u: '
         'u.sin().sum())(t).sum())(T.tensor([0.5, 1.0], dtype=T.float64))'),
        ('ok', ('T', [-0.479425538604203, -0.8414709848078965], 'float64'))),
    'func_grad_argnums': (
        ('T.func.grad(lambda a, b: (a * b).sum(), argnums=(0, 1))(T.tensor([1., 2.]), '
         'T.tensor([3., 4.]))'),
        ('ok', [('T', [3.0, 4.0], 'float32'), ('T', [1.0, 2.0], 'float32')])),
    'func_grad_and_value': (
        'T.func.grad_and_value(lambda t: (t * t).sum())(T.tensor([1., 2.]))',
        ('ok', [('T', [2.0, 4.0], 'float32'), ('T', 5.0, 'float32')])),
}


@pytest.mark.filterwarnings("ignore:torch.range is deprecated")
@pytest.mark.parametrize("name", list(CASES))
def test_matches_pytorch(name):
    expr, expected = CASES[name]
    check_case(expr, expected)


def test_assert_close_message_in_full():
    with pytest.raises(AssertionError) as info:
        T.testing.assert_close(T.tensor([1., 2., 3.]), T.tensor([1., 2., 3.1]))
    assert str(info.value) == (
        "Tensor-likes are not close!\n\nMismatched elements: 1 / 3 (33.3%)\n"
        "Greatest absolute difference: 0.09999990463256836 at index (2,) (up to 1e-05 "
        "allowed)\nGreatest relative difference: 0.032258033752441406 at index (2,) (up to "
        "1.3e-06 allowed)")


def test_alpha_dropout_keeps_mean_and_variance_of_selu_inputs():
    T.manual_seed(0)
    x = T.randn(200000)
    y = T.alpha_dropout(x, 0.3, True)
    assert abs(y.mean().item()) < 0.02 and abs(y.std().item() - 1.0) < 0.02
    z = T.ones(4, 3, 5)
    T.manual_seed(1)
    out = T.feature_dropout(z, 0.5, True)
    # whole channels are kept (scaled by 2) or dropped
    per_channel = out.reshape(4, 3, 5)
    assert all(len(set(row.tolist())) == 1 for row in per_channel.reshape(12, 5))
    assert set(per_channel.reshape(-1).tolist()) <= {0.0, 2.0}


def test_inplace_dropout_writes_into_its_input():
    T.manual_seed(0)
    x = T.ones(1000)
    assert T.dropout_(x, 0.5, True) is x
    assert set(x.tolist()) == {0.0, 2.0}


def test_poisson_binomial_and_native_dropout():
    T.manual_seed(0)
    p = T.poisson(T.full((20000,), 3.0))
    assert abs(p.mean().item() - 3.0) < 0.05 and p.dtype is T.float32
    b = T.binomial(T.full((20000,), 10.0), T.full((20000,), 0.3))
    assert abs(b.mean().item() - 3.0) < 0.05 and float(b.max()) <= 10
    with pytest.raises(RuntimeError, match="invalid Poisson rate"):
        T.poisson(T.tensor([-1.0]))
    out, mask = T.native_dropout(T.ones(1000), 0.25, True)
    assert mask.dtype is T.bool and T.equal(out, mask.float() / 0.75)


def test_asarray_shares_memory_and_from_file_maps(tmp_path):
    a = np.arange(3.0)
    t = T.asarray(a)
    a[0] = 7.0
    assert t[0].item() == 7.0
    with pytest.raises(ValueError, match="can't alias"):
        T.asarray(a, dtype=T.float32, copy=False)
    f = tmp_path / "data.bin"
    np.arange(4, dtype=np.float32).tofile(f)
    m = T.from_file(str(f), shared=True, size=4, dtype=T.float32)
    m[0] = 9.0
    del m
    assert np.fromfile(f, dtype=np.float32).tolist() == [9.0, 1.0, 2.0, 3.0]
    with pytest.raises(RuntimeError, match="is smaller than the required mapping size <40>"):
        T.from_file(str(f), size=10)


def test_deterministic_mode_on_gpu_scatter_add_only():
    """numpy scatter-adds are deterministic: deterministic mode lets them run."""
    T.use_deterministic_algorithms(True)
    try:
        x = T.zeros(3).index_add(0, T.tensor([0, 0, 2]), T.ones(3))
        assert x.tolist() == [2.0, 0.0, 1.0]
    finally:
        T.use_deterministic_algorithms(False)


def test_flush_denormal_is_not_available():
    """numpy cannot flush denormals: the call says so by returning False."""
    assert T.set_flush_denormal(True) is False


def test_range_is_deprecated_as_in_pytorch():
    with pytest.warns(UserWarning, match="torch.range is deprecated"):
        assert T.range(0, 2).tolist() == [0.0, 1.0, 2.0]
