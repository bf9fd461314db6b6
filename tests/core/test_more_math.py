"""Elementwise math and matrix sums added for PyTorch parity (inverse hyperbolics,
logaddexp, hypot, copysign, fmax/fmin, addmm family, integer ops, predicates): values
and errors as PyTorch 2.13 gives them; gradients in ``test_more_grads``."""
import pytest

from ._parity import check_case, nan, inf  # noqa: F401  (nan/inf appear in the table)

# expression -> what PyTorch 2.13 returned for it (see ``_parity``)
CASES = {
    'acosh': (
        'T.acosh(T.tensor([1.5, 2., 3.]))',
        ('ok', ('T', [0.9624236822128296, 1.316957950592041, 1.7627471685409546], 'float32'))),
    'asinh': (
        'T.asinh(X(T))',
        ('ok',
         ('T',
          [[0.12963659033633027, -0.12963659033633027, 0.6028207328114996,
            0.09983407889920758],
           [-0.5166998237890377, 0.3526453302526999, 1.078451058954897, 0.8455726970397273],
           [-0.6526665660823557, -1.0600262371581044, -0.585898932259168, 0.039989341006027]],
          'float64'))),
    'atanh': (
        'T.atanh(X(T) / 4)',
        ('ok',
         ('T',
          [[0.03251144996562547, -0.03251144996562547, 0.16138669613152554,
            0.02500521028733069],
           [-0.13582921149181187, 0.09024418785614682, 0.3372275237738964,
            0.24212299298063933],
           [-0.17682002012178916, -0.3288643766782013, -0.15625949779936002,
            0.010000333353334763]],
          'float64'))),
    'logaddexp': (
        'T.logaddexp(X(T), A(T, 4, seed=1))',
        ('ok',
         ('T',
          [[0.9391850189505919, 1.146956406850952, 1.1901118864387144, 0.3204174099184509],
           [0.6940546691512106, 1.3093672174742772, 1.621418813171847, 1.050206558916747],
           [0.6500584796176432, 0.9366153638083943, 0.6569564068509521, 0.2725754655000625]],
          'float64'))),
    'logaddexp_inf': (
        ("T.logaddexp(T.tensor([-float('inf'), float('inf'), 1000.]), "
         "T.tensor([-float('inf'), float('inf'), 1000.]))"),
        ('ok', ('T', [-inf, inf, 1000.6931762695312], 'float32'))),
    'logaddexp2': (
        'T.logaddexp2(X(T), A(T, 4, seed=1))',
        ('ok',
         ('T',
          [[1.244189483552007, 1.4218224432130544, 1.4933104611378314, 0.5635483236764269],
           [0.9725688058269034, 1.6082566036301729, 1.8950319747518938, 1.2252742239656296],
           [0.9184876271484625, 1.1243716570724065, 0.9318224432130544, 0.5202864840541664]],
          'float64'))),
    'hypot': (
        'T.hypot(X(T), A(T, 4, seed=1))',
        ('ok',
         ('T',
          [[0.3733630940518894, 0.8302409288875127, 0.7200694410957876, 1.3038404810405297],
           [0.6435060217278468, 0.8955445270895244, 1.3412307780542467, 1.6101242188104619],
           [0.7826237921249264, 1.5117208737065186, 0.7023531875061151, 1.3006152390311287]],
          'float64'))),
    'copysign': (
        'T.copysign(X(T), T.tensor([-0., 0., -1., 2.]))',
        ('ok',
         ('T',
          [[-0.13, 0.13, -0.64, 0.1], [-0.54, 0.36, -1.3, 0.95], [-0.7, 1.27, -0.62, 0.04]],
          'float64'))),
    'copysign_s': (
        'T.copysign(T.tensor([1, -2]), -1.)',
        ('ok', ('T', [-1.0, -2.0], 'float32'))),
    'fmax': (
        ("T.fmax(T.tensor([1., float('nan'), 3., float('nan')]), T.tensor([2., 1., "
         "float('nan'), float('nan')]))"),
        ('ok', ('T', [2.0, 1.0, 3.0, nan], 'float32'))),
    'fmin': (
        "T.fmin(T.tensor([1., float('nan'), 3.]), T.tensor([2., 1., float('nan')]))",
        ('ok', ('T', [1.0, 1.0, 3.0], 'float32'))),
    'float_power': (
        'T.float_power(T.tensor([1, 2, 3]), 2)',
        ('ok', ('T', [1.0, 4.0, 9.0], 'float64'))),
    'float_power_t': (
        ('T.float_power(T.tensor([1., 2.], dtype=T.float32), T.tensor([0.5, 2.], '
         'dtype=T.float32))'),
        ('ok', ('T', [1.0, 4.0], 'float64'))),
    'deg2rad': (
        'T.deg2rad(T.tensor([180, 90]))',
        ('ok', ('T', [3.1415927410125732, 1.5707963705062866], 'float32'))),
    'rad2deg': (
        'T.rad2deg(T.tensor([3.14159]))',
        ('ok', ('T', [179.99986267089844], 'float32'))),
    'exp2': (
        'T.exp2(T.tensor([0., 1., 10.]))',
        ('ok', ('T', [1.0, 2.0, 1024.0], 'float32'))),
    'exp2_int': (
        'T.exp2(T.tensor([3]))',
        ('ok', ('T', [8.0], 'float32'))),
    'sgn': (
        'T.sgn(X(T))',
        ('ok',
         ('T', [[1.0, -1.0, 1.0, 1.0], [-1.0, 1.0, 1.0, 1.0], [-1.0, -1.0, -1.0, 1.0]],
          'float64'))),
    'signbit': (
        'T.signbit(T.tensor([-0., 0., -1., 2.]))',
        ('ok', ('T', [True, False, True, False], 'bool'))),
    'positive': (
        'T.positive(X(T))',
        ('ok',
         ('T',
          [[0.13, -0.13, 0.64, 0.1], [-0.54, 0.36, 1.3, 0.95], [-0.7, -1.27, -0.62, 0.04]],
          'float64'))),
    'fix': (
        'T.fix(X(T) * 3)',
        ('ok',
         ('T', [[0.0, -0.0, 1.0, 0.0], [-1.0, 1.0, 3.0, 2.0], [-2.0, -3.0, -1.0, 0.0]],
          'float64'))),
    'clamp_min': (
        'T.clamp_min(X(T), 0.1)',
        ('ok',
         ('T', [[0.13, 0.1, 0.64, 0.1], [0.1, 0.36, 1.3, 0.95], [0.1, 0.1, 0.1, 0.1]],
          'float64'))),
    'clamp_max': (
        'T.clamp_max(X(T), 0.1)',
        ('ok',
         ('T', [[0.1, -0.13, 0.1, 0.1], [-0.54, 0.1, 0.1, 0.1], [-0.7, -1.27, -0.62, 0.04]],
          'float64'))),
    'heaviside': (
        'T.heaviside(T.tensor([-1.5, 0., 2.]), T.tensor([0.5]))',
        ('ok', ('T', [0.0, 0.5, 1.0], 'float32'))),
    'gcd': (
        'T.gcd(T.tensor([5, 10, 15, 0]), T.tensor([3, 4, 5, 0]))',
        ('ok', ('T', [1, 2, 5, 0], 'int64'))),
    'lcm': (
        'T.lcm(T.tensor([5, 10, 15]), T.tensor([3, 4, 5]))',
        ('ok', ('T', [15, 20, 15], 'int64'))),
    'lshift': (
        ('T.bitwise_left_shift(T.tensor([1, -2, 3], dtype=T.int8), T.tensor([1, 2, 8], '
         'dtype=T.int8))'),
        ('ok', ('T', [2, -8, 0], 'int8'))),
    'rshift': (
        'T.bitwise_right_shift(T.tensor([16, -16, 3]), 2)',
        ('ok', ('T', [4, -4, 0], 'int64'))),
    'isin': (
        'T.isin(T.tensor([[1, 2], [3, 4]]), T.tensor([2, 3]))',
        ('ok', ('T', [[False, True], [True, False]], 'bool'))),
    'isin_inv': (
        'T.isin(T.tensor([1, 2, 3]), T.tensor([2]), invert=True)',
        ('ok', ('T', [True, False, True], 'bool'))),
    'isneginf': (
        "T.isneginf(T.tensor([-float('inf'), float('inf'), 1.]))",
        ('ok', ('T', [True, False, False], 'bool'))),
    'isposinf': (
        "T.isposinf(T.tensor([-float('inf'), float('inf'), 1.]))",
        ('ok', ('T', [False, True, False], 'bool'))),
    'isreal': (
        'T.isreal(T.tensor([1., 2.]))',
        ('ok', ('T', [True, True], 'bool'))),
    'result_type': (
        "str(T.result_type(T.tensor([1, 2], dtype=T.int32), 1.0)).split('.')[-1]",
        ('ok', 'float32')),
    'result_type2': (
        ('str(T.result_type(T.tensor(1.,dtype=T.float64), T.tensor([1], '
         "dtype=T.int32))).split('.')[-1]"),
        ('ok', 'float64')),
    'can_cast': (
        ('[T.can_cast(T.float32, T.int32), T.can_cast(T.int32, T.float16), '
         'T.can_cast(T.int64, T.bool)]'),
        ('ok', [False, True, False])),
    'addmm': (
        'T.addmm(A(T, 2, 2), A(T, 2, 3, seed=1), A(T, 3, 2, seed=2), beta=0.5, alpha=2)',
        ('ok',
         ('T',
          [[0.7136000000000002, -3.6782000000000004],
           [0.6998000000000001, -2.0128000000000004]],
          'float64'))),
    'addmm_b0': (
        ("T.addmm(T.full((2, 2), float('nan')), A(T, 2, 3, seed=1), A(T, 3, 2, seed=2), "
         'beta=0)'),
        ('err', 'RuntimeError',
         'self and mat2 must have the same dtype, but got Float and Double')),
    'addbmm': (
        'T.addbmm(A(T, 2, 2), A(T, 3, 2, 4, seed=1), A(T, 3, 4, 2, seed=2))',
        ('ok',
         ('T', [[0.7492000000000002, -3.3253], [0.9153999999999997, 0.03789999999999999]],
          'float64'))),
    'baddbmm': (
        'T.baddbmm(A(T, 3, 2, 2), A(T, 3, 2, 4, seed=1), A(T, 3, 4, 2, seed=2), alpha=0.5)',
        ('ok',
         ('T',
          [[[0.50665, -1.5337999999999998], [0.05249999999999999, -0.7701000000000001]],
           [[-0.22870000000000007, 0.1767], [1.3322, 1.3378999999999999]],
           [[-1.07835, -1.28055], [0.07300000000000006, 0.49115000000000003]]],
          'float64'))),
    'addmv': (
        'T.addmv(A(T, 2), A(T, 2, 3, seed=1), A(T, 3, seed=2))',
        ('ok', ('T', [-0.36519999999999997, -1.0347], 'float64'))),
    'addr': (
        'T.addr(A(T, 2, 3), A(T, 2, seed=1), A(T, 3, seed=2), beta=2)',
        ('ok',
         ('T', [[0.3265, -0.442, 1.1365], [0.3558, -1.5064000000000002, 0.38380000000000003]],
          'float64'))),
    'ldexp': (
        'T.ldexp(T.tensor([1., 3.]), T.tensor([2, -1]))',
        ('ok', ('T', [4.0, 1.5], 'float32'))),
    'frexp': (
        'tuple(T.frexp(T.tensor([8., 0.3, -5., 0.])))',
        ('ok',
         [('T', [0.5, 0.6000000238418579, -0.625, 0.0], 'float32'),
          ('T', [4, -1, 3, 0], 'int32')])),
    'nextafter': (
        'T.nextafter(T.tensor([1.], dtype=T.float64), T.tensor([2.], dtype=T.float64)) - 1',
        ('ok', ('T', [2.220446049250313e-16], 'float64'))),
    'nan_to_num': (
        "T.nan_to_num(T.tensor([float('nan'), float('inf'), -float('inf'), 1.]), 2.0)",
        ('ok', ('T', [2.0, 3.4028234663852886e+38, -3.4028234663852886e+38, 1.0], 'float32'))),
    'nan_to_num_def': (
        "T.nan_to_num(T.tensor([float('nan'), float('inf'), -float('inf'), 1.]))",
        ('ok', ('T', [0.0, 3.4028234663852886e+38, -3.4028234663852886e+38, 1.0], 'float32'))),
    'is_nonzero': (
        'T.is_nonzero(T.tensor([1.5]))',
        ('ok', True)),
    'vdot': (
        'T.vdot(A(T, 3), A(T, 3, seed=1))',
        ('ok', ('T', 0.15010000000000004, 'float64'))),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_pytorch(name):
    expr, expected = CASES[name]
    check_case(expr, expected)
