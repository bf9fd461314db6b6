"""``disttrain.distributions``: values (log_prob, entropy, moments, cdf, KL) and validation
errors as PyTorch 2.13 gives them, gradients of log_prob and of reparameterised samples by
finite differences, and sample statistics."""
import builtins

import numpy as np
import pytest

import disttrain as T
import disttrain.distributions as D
from disttrain.autograd import gradcheck

from .core._parity import _compare, nan, inf  # noqa: F401  (nan/inf appear in the table)

# expression -> what PyTorch 2.13 returned for it (tensors as ("T", values, dtype))
CASES = {
    'normal_logprob': (
        ('D.Normal(T.tensor([0.0, 1.0]), T.tensor([1.0, 2.0])).log_prob(T.tensor([[0.5, '
         '-1.0], [2.0, 3.0]]))'),
        ('ok',
         ('T',
          [[-1.0439385175704956, -2.1120858192443848],
           [-2.918938636779785, -2.1120858192443848]],
          'float32'))),
    'normal_entropy': (
        'D.Normal(T.tensor([0.0, 1.0]), T.tensor([1.0, 2.0])).entropy()',
        ('ok', ('T', [1.4189385175704956, 2.1120858192443848], 'float32'))),
    'normal_moments': (
        ('(lambda d: [d.mean, d.variance, d.stddev, d.mode])(D.Normal(T.tensor([0.0, 1.0]), '
         'T.tensor([1.0, 2.0])))'),
        ('ok',
         [('T', [0.0, 1.0], 'float32'), ('T', [1.0, 4.0], 'float32'),
          ('T', [1.0, 2.0], 'float32'), ('T', [0.0, 1.0], 'float32')])),
    'normal_cdf': (
        'D.Normal(0.0, 2.0).cdf(T.tensor([-1.0, 0.0, 3.0]))',
        ('ok', ('T', [0.3085375428199768, 0.5, 0.9331928491592407], 'float32'))),
    'normal_shapes': (
        ('(lambda d: [list(d.batch_shape), list(d.event_shape), list(d.sample((4, '
         '1)).shape), list(d.rsample().shape)])(D.Normal(T.zeros(2, 3), 1.0))'),
        ('ok', [[2, 3], [], [4, 1, 2, 3], [2, 3]])),
    'normal_scalar_shapes': (
        '(lambda d: [list(d.batch_shape), list(d.sample().shape)])(D.Normal(0.0, 1.0))',
        ('ok', [[], []])),
    'uniform': (
        ('(lambda d: [d.log_prob(T.tensor([0.5, 1.5])), d.entropy(), d.mean, d.variance, '
         'd.stddev, d.cdf(T.tensor([1.0, 2.5]))])(D.Uniform(T.tensor([0.0, 1.0]), '
         'T.tensor([2.0, 3.0])))'),
        ('ok',
         [('T', [-0.6931471824645996, -0.6931471824645996], 'float32'),
          ('T', [0.6931471824645996, 0.6931471824645996], 'float32'),
          ('T', [1.0, 2.0], 'float32'),
          ('T', [0.3333333432674408, 0.3333333432674408], 'float32'),
          ('T', [0.5773502588272095, 0.5773502588272095], 'float32'),
          ('T', [0.5, 0.75], 'float32')])),
    'uniform_outside_novalidate': (
        'D.Uniform(0.0, 1.0, validate_args=False).log_prob(T.tensor([-0.5, 0.5, 1.0]))',
        ('ok', ('T', [-inf, 0.0, -inf], 'float32'))),
    'exponential': (
        ('(lambda d: [d.log_prob(T.tensor([0.5, 2.0])), d.entropy(), d.mean, d.variance, '
         'd.cdf(T.tensor([0.5, 2.0])), d.icdf(T.tensor([0.5, '
         '0.9]))])(D.Exponential(T.tensor([1.0, 3.0])))'),
        ('ok',
         [('T', [-0.5, -4.901387691497803], 'float32'),
          ('T', [1.0, -0.09861230850219727], 'float32'),
          ('T', [1.0, 0.3333333432674408], 'float32'),
          ('T', [1.0, 0.1111111119389534], 'float32'),
          ('T', [0.39346933364868164, 0.9975212216377258], 'float32'),
          ('T', [0.6931471824645996, 0.7675282955169678], 'float32')])),
    'laplace': (
        ('(lambda d: [d.log_prob(T.tensor([0.5, -2.0])), d.entropy(), d.mean, d.variance, '
         'd.stddev, d.cdf(T.tensor([0.5, -2.0])), d.icdf(T.tensor([0.3, '
         '0.8]))])(D.Laplace(T.tensor([0.0, 1.0]), T.tensor([1.0, 0.5])))'),
        ('ok',
         [('T', [-1.1931471824645996, -6.0], 'float32'),
          ('T', [1.6931471824645996, 1.0], 'float32'), ('T', [0.0, 1.0], 'float32'),
          ('T', [2.0, 0.5], 'float32'),
          ('T', [1.4142135381698608, 0.7071067690849304], 'float32'),
          ('T', [0.6967346668243408, 0.001239389181137085], 'float32'),
          ('T', [-0.5108255743980408, 1.4581453800201416], 'float32')])),
    'bernoulli_probs': (
        ('(lambda d: [d.log_prob(T.tensor([1.0, 0.0, 1.0])), d.entropy(), d.mean, '
         'd.variance, d.logits, d.mode])(D.Bernoulli(probs=T.tensor([0.3, 0.9, 0.5])))'),
        ('ok',
         [('T', [-1.2039728164672852, -2.3025848865509033, -0.6931471824645996], 'float32'),
          ('T', [0.6108643412590027, 0.32508301734924316, 0.6931471824645996], 'float32'),
          ('T', [0.30000001192092896, 0.8999999761581421, 0.5], 'float32'),
          ('T', [0.21000000834465027, 0.09000001847743988, 0.25], 'float32'),
          ('T', [-0.8472978472709656, 2.1972243785858154, 0.0], 'float32'),
          ('T', [0.0, 1.0, nan], 'float32')])),
    'bernoulli_logits': (
        ('(lambda d: [d.log_prob(T.tensor([1.0, 0.0])), d.entropy(), '
         'd.probs])(D.Bernoulli(logits=T.tensor([-2.0, 30.0])))'),
        ('ok',
         [('T', [-2.1269280910491943, -30.0], 'float32'),
          ('T', [0.3653339147567749, 9.357622912219837e-14], 'float32'),
          ('T', [0.11920291930437088, 1.0], 'float32')])),
    'bernoulli_support': (
        'D.Bernoulli(probs=T.tensor([0.3, 0.9])).enumerate_support()',
        ('ok', ('T', [[0.0, 0.0], [1.0, 1.0]], 'float32'))),
    'categorical_probs': (
        ('(lambda d: [d.log_prob(T.tensor([0, 2])), d.entropy(), d.probs, d.logits, d.mode, '
         'list(d.batch_shape), d.mean])(D.Categorical(probs=T.tensor([[1.0, 2.0, 1.0], [0.0, '
         '1.0, 3.0]])))'),
        ('ok',
         [('T', [-1.3862943649291992, -0.28768205642700195], 'float32'),
          ('T', [1.0397207736968994, 0.5623351335525513], 'float32'),
          ('T', [[0.25, 0.5, 0.25], [0.0, 0.25, 0.75]], 'float32'),
          ('T',
           [[-1.3862943649291992, -0.6931471824645996, -1.3862943649291992],
            [-15.942384719848633, -1.3862943649291992, -0.28768205642700195]],
           'float32'),
          ('T', [1, 2], 'int64'), [2], ('T', [nan, nan], 'float32')])),
    'categorical_logits': (
        ('(lambda d: [d.log_prob(T.tensor([[1], [0]])), d.entropy(), '
         'd.probs])(D.Categorical(logits=T.tensor([0.5, -1.0, 2.0])))'),
        ('ok',
         [('T', [[-3.2413113117218018], [-1.7413113117218018]], 'float32'),
          ('T', 0.6215846538543701, 'float32'),
          ('T', [0.17529039084911346, 0.03911257162690163, 0.785597026348114], 'float32')])),
    'categorical_zero_prob_entropy': (
        'D.Categorical(probs=T.tensor([0.0, 1.0])).entropy()',
        ('ok', ('T', 1.1920930376163597e-07, 'float32'))),
    'categorical_support': (
        'D.Categorical(probs=T.tensor([[0.5, 0.5, 0.0]] * 2)).enumerate_support()',
        ('ok', ('T', [[0, 0], [1, 1], [2, 2]], 'int64'))),
    'categorical_outside': (
        'D.Categorical(probs=T.tensor([0.5, 0.5])).log_prob(T.tensor(2))',
        ('err', 'ValueError',
         'Expected value argument (Tensor of shape ()) to be within the support '
         '(IntegerInterval(lower_bound=0, upper_bound=1)) of the distribution '
         'Categorical(probs: disttrain.Size([2])), but found invalid values:')),
    'onehot': (
        ('(lambda d: [d.log_prob(T.tensor([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])), d.entropy(), '
         'd.mean, d.variance, list(d.event_shape), '
         'list(d.sample((5,)).shape)])(D.OneHotCategorical(probs=T.tensor([0.2, 0.3, 0.5])))'),
        ('ok',
         [('T', [-0.6931471824645996, -1.6094379425048828], 'float32'),
          ('T', 1.0296530723571777, 'float32'),
          ('T', [0.20000000298023224, 0.30000001192092896, 0.5], 'float32'),
          ('T', [0.1600000113248825, 0.21000000834465027, 0.25], 'float32'), [3], [5, 3]])),
    'mvn_cov': (
        ('(lambda d: [d.log_prob(T.tensor([[0.5, -1.0], [2.0, 0.0]])), d.entropy(), d.mean, '
         'd.variance, d.scale_tril, d.precision_matrix, list(d.batch_shape), '
         'list(d.event_shape)])(D.MultivariateNormal(T.tensor([0.0, 1.0]), T.tensor([[2.0, '
         '0.5], [0.5, 1.0]])))'),
        ('ok',
         [('T', [-4.760541915893555, -4.403399467468262], 'float32'),
          ('T', 3.117684841156006, 'float32'), ('T', [0.0, 1.0], 'float32'),
          ('T', [1.9999998807907104, 1.0], 'float32'),
          ('T', [[1.4142135381698608, 0.0], [0.3535533845424652, 0.9354143738746643]],
           'float32'),
          ('T',
           [[0.5714285373687744, -0.2857142686843872],
            [-0.2857142686843872, 1.1428570747375488]],
           'float32'),
          [], [2]])),
    'mvn_tril': (
        ('(lambda d: [d.log_prob(T.tensor([0.5, -1.0])), d.entropy(), '
         'd.covariance_matrix])(D.MultivariateNormal(T.tensor([0.0, 1.0]), '
         'scale_tril=T.tensor([[1.5, 0.0], [-0.5, 0.7]])))'),
        ('ok',
         [('T', -5.3719282150268555, 'float32'), ('T', 2.886667251586914, 'float32'),
          ('T', [[2.25, -0.75], [-0.75, 0.7400000095367432]], 'float32')])),
    'mvn_precision': (
        ('(lambda d: [d.log_prob(T.tensor([0.5, -1.0])), '
         'd.covariance_matrix])(D.MultivariateNormal(T.zeros(2), '
         'precision_matrix=T.tensor([[2.0, 0.5], [0.5, 1.0]])))'),
        ('ok',
         [('T', -2.0580692291259766, 'float32'),
          ('T',
           [[0.571428656578064, -0.285714328289032],
            [-0.285714328289032, 1.1428571939468384]],
           'float32')])),
    'mvn_batched': (
        ('(lambda d: [d.log_prob(T.zeros(3, 2)), list(d.batch_shape), '
         'list(d.sample((4,)).shape)])(D.MultivariateNormal(T.zeros(3, 2), T.eye(2) * 2))'),
        ('ok',
         [('T', [-2.531024217605591, -2.531024217605591, -2.531024217605591], 'float32'), [3],
          [4, 3, 2]])),
    'mvn_errors': (
        'D.MultivariateNormal(T.zeros(2))',
        ('err', 'ValueError',
         'Exactly one of covariance_matrix or precision_matrix or scale_tril may be '
         'specified.')),
    'independent': (
        ('(lambda d: [d.log_prob(T.ones(3, 2)), d.entropy(), list(d.batch_shape), '
         'list(d.event_shape), d.mean])(D.Independent(D.Normal(T.zeros(3, 2), T.tensor([1.0, '
         '2.0])), 1))'),
        ('ok',
         [('T', [-3.156024217605591, -3.156024217605591, -3.156024217605591], 'float32'),
          ('T', [3.53102445602417, 3.53102445602417, 3.53102445602417], 'float32'), [3], [2],
          ('T', [[0.0, 0.0], [0.0, 0.0], [0.0, 0.0]], 'float32')])),
    'independent_err': (
        'D.Independent(D.Normal(T.zeros(3), 1.0), 2)',
        ('err', 'ValueError',
         'Expected reinterpreted_batch_ndims <= len(base_distribution.batch_shape), actual 2 '
         'vs 1')),
    'kl_normal': (
        ('D.kl_divergence(D.Normal(T.tensor([0.0, 1.0]), T.tensor([1.0, 2.0])), '
         'D.Normal(T.tensor([0.5, 0.0]), T.tensor([2.0, 1.0])))'),
        ('ok', ('T', [0.3493971824645996, 1.3068528175354004], 'float32'))),
    'kl_bernoulli': (
        ('D.kl_divergence(D.Bernoulli(T.tensor([0.3, 0.0, 1.0])), D.Bernoulli(T.tensor([0.6, '
         '0.5, 0.0])))'),
        ('ok', ('T', [0.18378689885139465, 0.6931470632553101, inf], 'float32'))),
    'kl_categorical': (
        ('D.kl_divergence(D.Categorical(T.tensor([0.2, 0.3, 0.5])), '
         'D.Categorical(T.tensor([0.5, 0.25, 0.25])))'),
        ('ok', ('T', 0.21801190078258514, 'float32'))),
    'kl_categorical_inf': (
        ('D.kl_divergence(D.Categorical(T.tensor([0.5, 0.5])), D.Categorical(T.tensor([1.0, '
         '0.0])))'),
        ('ok', ('T', inf, 'float32'))),
    'kl_uniform': (
        ('D.kl_divergence(D.Uniform(T.tensor([0.0, 0.0]), T.tensor([1.0, 3.0])), '
         'D.Uniform(T.tensor([-1.0, 0.5]), T.tensor([2.0, 4.0])))'),
        ('ok', ('T', [1.0986123085021973, inf], 'float32'))),
    'kl_exponential': (
        ('D.kl_divergence(D.Exponential(T.tensor([1.0, 2.0])), D.Exponential(T.tensor([3.0, '
         '0.5])))'),
        ('ok', ('T', [0.9013876914978027, 0.6362943649291992], 'float32'))),
    'kl_laplace': (
        ('D.kl_divergence(D.Laplace(T.tensor([0.0, 1.0]), T.tensor([1.0, 2.0])), '
         'D.Laplace(T.tensor([0.5, 0.0]), T.tensor([2.0, 1.0])))'),
        ('ok', ('T', [0.2464125156402588, 0.5199141502380371], 'float32'))),
    'kl_mvn': (
        ('D.kl_divergence(D.MultivariateNormal(T.tensor([0.0, 1.0]), T.tensor([[2.0, 0.5], '
         '[0.5, 1.0]])), D.MultivariateNormal(T.tensor([1.0, -1.0]), '
         'scale_tril=T.tensor([[1.5, 0.0], [-0.5, 0.7]])))'),
        ('ok', ('T', 3.8574182987213135, 'float32'))),
    'kl_onehot': (
        ('D.kl_divergence(D.OneHotCategorical(T.tensor([0.2, 0.3, 0.5])), '
         'D.OneHotCategorical(T.tensor([0.5, 0.25, 0.25])))'),
        ('ok', ('T', 0.21801190078258514, 'float32'))),
    'kl_independent': (
        ('D.kl_divergence(D.Independent(D.Normal(T.zeros(3, 2), 1.0), 1), '
         'D.Independent(D.Normal(T.ones(3, 2), 2.0), 1))'),
        ('ok', ('T', [0.8862943649291992, 0.8862943649291992, 0.8862943649291992], 'float32'))),
    'err_scale': (
        'D.Normal(0.0, -1.0)',
        ('err', 'ValueError',
         'Expected parameter scale (Tensor of shape ()) of distribution Normal(loc: 0.0, '
         'scale: -1.0) to satisfy the constraint GreaterThan(lower_bound=0.0), but found '
         'invalid values:')),
    'err_scale_vec': (
        'D.Normal(T.tensor([0.0, 1.0]), T.tensor([1.0, -1.0]))',
        ('err', 'ValueError',
         'Expected parameter scale (Tensor of shape (2,)) of distribution Normal(loc: '
         'disttrain.Size([2]), scale: disttrain.Size([2])) to satisfy the constraint '
         'GreaterThan(lower_bound=0.0), but found invalid values:')),
    'err_probs': (
        'D.Bernoulli(probs=1.5)',
        ('err', 'ValueError',
         'Expected parameter probs (Tensor of shape ()) of distribution Bernoulli(probs: '
         '1.5) to satisfy the constraint Interval(lower_bound=0.0, upper_bound=1.0), but '
         'found invalid values:')),
    'err_simplex': (
        'D.Categorical(probs=T.tensor([0.5, -0.1]))',
        ('err', 'ValueError',
         'Expected parameter probs (Tensor of shape (2,)) of distribution Categorical(probs: '
         'disttrain.Size([2])) to satisfy the constraint Simplex(), but found invalid '
         'values:')),
    'err_support': (
        'D.Exponential(1.0).log_prob(T.tensor([-1.0]))',
        ('err', 'ValueError',
         'Expected value argument (Tensor of shape (1,)) to be within the support '
         '(GreaterThanEq(lower_bound=0.0)) of the distribution Exponential(rate: 1.0), but '
         'found invalid values:')),
    'err_nan': (
        "D.Normal(0.0, 1.0).log_prob(T.tensor(float('nan')))",
        ('err', 'ValueError',
         'Expected value argument (Tensor of shape ()) to be within the support (Real()) of '
         'the distribution Normal(loc: 0.0, scale: 1.0), but found invalid values:')),
    'err_both': (
        'D.Bernoulli(probs=0.3, logits=0.1)',
        ('err', 'ValueError', 'Either `probs` or `logits` must be specified, but not both.')),
    'err_uniform': (
        'D.Uniform(1.0, 0.0)',
        ('err', 'ValueError',
         'Expected parameter low (Tensor of shape ()) of distribution Uniform(low: 1.0, '
         'high: 0.0) to satisfy the constraint LessThan(upper_bound=0.0), but found invalid '
         'values:')),
    'err_uniform_support': (
        'D.Uniform(0.0, 1.0).log_prob(T.tensor(2.0))',
        ('err', 'ValueError',
         'Expected value argument (Tensor of shape ()) to be within the support '
         '(Interval(lower_bound=0.0, upper_bound=1.0)) of the distribution Uniform(low: 0.0, '
         'high: 1.0), but found invalid values:')),
    'err_rsample': (
        'D.Bernoulli(0.3).rsample()',
        ('err', 'NotImplementedError', '')),
    'err_cat_dim': (
        'D.Categorical(T.tensor(0.5))',
        ('err', 'ValueError', '`probs` parameter must be at least one-dimensional.')),
    'err_pd': (
        'D.MultivariateNormal(T.zeros(2), T.eye(2) * -1)',
        ('err', 'ValueError',
         'Expected parameter covariance_matrix (Tensor of shape (2, 2)) of distribution '
         'MultivariateNormal(loc: disttrain.Size([2]), covariance_matrix: disttrain.Size([2, '
         '2])) to satisfy the constraint PositiveDefinite(), but found invalid values:')),
    'err_shape': (
        'D.Normal(T.zeros(3), 1.0).log_prob(T.zeros(2))',
        ('err', 'ValueError',
         'Value is not broadcastable with batch_shape+event_shape: disttrain.Size([2]) vs '
         'disttrain.Size([3]).')),
    'novalidate': (
        'D.Normal(0.0, -1.0, validate_args=False).log_prob(T.tensor(0.5))',
        ('ok', ('T', nan, 'float32'))),
    'repr': (
        ('[repr(D.Normal(T.zeros(2), 1.0)), repr(D.Categorical(logits=T.zeros(3))), '
         'repr(D.Uniform(0.0, 2.0)), repr(D.Independent(D.Normal(T.zeros(3, 2), 1.0), 1)), '
         'repr(D.MultivariateNormal(T.zeros(2), T.eye(2)))]'),
        ('ok',
         ['Normal(loc: disttrain.Size([2]), scale: disttrain.Size([2]))',
          'Categorical(logits: disttrain.Size([3]))', 'Uniform(low: 0.0, high: 2.0)',
          'Independent(Normal(loc: disttrain.Size([3, 2]), scale: disttrain.Size([3, 2])), '
          '1)',
          'MultivariateNormal(loc: disttrain.Size([2]), covariance_matrix: '
          'disttrain.Size([2, 2]))'])),
    'expand': (
        ('(lambda d: [list(d.batch_shape), d.log_prob(T.tensor(0.5))])(D.Normal(0.0, '
         '2.0).expand([3]))'),
        ('ok',
         [[3],
          ('T', [-1.6433357000350952, -1.6433357000350952, -1.6433357000350952], 'float32')])),
    'tanh_normal': (
        ('(lambda d: [d.log_prob(T.tensor([0.5, -0.9])), list(d.batch_shape), '
         'list(d.sample((3,)).shape)])(D.TransformedDistribution(D.Normal(T.zeros(2), '
         'T.tensor([1.0, 0.5])), [D.TanhTransform()]))'),
        ('ok', [('T', [-0.7821251153945923, -2.8999204635620117], 'float32'), [2], [3, 2]])),
    'affine_exp': (
        ('(lambda d: [d.log_prob(T.tensor([1.5, 4.0])), d.cdf(T.tensor([1.5, '
         '4.0]))])(D.TransformedDistribution(D.Normal(T.zeros(2), 1.0), [D.ExpTransform(), '
         'D.AffineTransform(1.0, 2.0)]))'),
        ('ok',
         [('T', [-1.1866973638534546, -2.0997519493103027], 'float32'),
          ('T', [0.08282852172851562, 0.6574321985244751], 'float32')])),
    'sigmoid_power': (
        ('D.TransformedDistribution(D.Normal(0.0, 1.0), [D.SigmoidTransform(), '
         'D.PowerTransform(2.0)]).log_prob(T.tensor([0.25, 0.5]))'),
        ('ok', ('T', [0.4673558473587036, -0.07940101623535156], 'float32'))),
    'affine_event': (
        ('D.TransformedDistribution(D.Independent(D.Normal(T.zeros(3), 1.0), 1), '
         '[D.AffineTransform(T.zeros(3), T.tensor([1.0, 2.0, 3.0]), '
         'event_dim=1)]).log_prob(T.ones(3))'),
        ('ok', ('T', -5.229130744934082, 'float32'))),
    'transforms': (
        ('(lambda t: [t(T.tensor([0.3])), t.inv(t(T.tensor([0.3]))), '
         't.log_abs_det_jacobian(T.tensor([0.3]), t(T.tensor([0.3])))])(D.TanhTransform())'),
        ('ok',
         [('T', [0.29131263494491577], 'float32'), ('T', [0.30000001192092896], 'float32'),
          ('T', [-0.08868151903152466], 'float32')])),
    'tanh_ladj_big': (
        ('D.TanhTransform().log_abs_det_jacobian(T.tensor([-30.0, 30.0]), T.tensor([-1.0, '
         '1.0]))'),
        ('ok', ('T', [-58.613704681396484, -58.613704681396484], 'float32'))),
    'lognormal': (
        ('(lambda d: [d.log_prob(T.tensor([0.5, 2.0])), d.mean, d.variance, d.mode, '
         'd.entropy(), d.cdf(T.tensor([0.5, 2.0]))])(D.LogNormal(T.tensor([0.0, 1.0]), '
         'T.tensor([1.0, 0.5])))'),
        ('ok',
         [('T', [-0.46601784229278564, -1.1072558164596558], 'float32'),
          ('T', [1.6487212181091309, 3.080216884613037], 'float32'),
          ('T', [4.670774459838867, 2.694758176803589], 'float32'),
          ('T', [0.3678794503211975, 2.117000102996826], 'float32'),
          ('T', [1.4189385175704956, 1.725791335105896], 'float32'),
          ('T', [0.24410858750343323, 0.2697049379348755], 'float32')])),
    'gumbel': (
        ('(lambda d: [d.log_prob(T.tensor([1.0, -1.0])), d.mean, d.variance, d.stddev, '
         'd.entropy(), d.cdf(T.tensor([1.0, -1.0]))])(D.Gumbel(T.tensor([0.0, 1.0]), '
         'T.tensor([2.0, 0.5])))'),
        ('ok',
         [('T', [-1.799677848815918, -49.90500259399414], 'float32'),
          ('T', [1.1544313430786133, 1.2886078357696533], 'float32'),
          ('T', [6.579736709594727, 0.4112335443496704], 'float32'),
          ('T', [2.5650997161865234, 0.6412749290466309], 'float32'),
          ('T', [2.2703628540039062, 0.884068489074707], 'float32'),
          ('T', [0.545239269733429, 0.0], 'float32')])),
    'cauchy': (
        ('(lambda d: [d.log_prob(T.tensor([1.0, -1.0])), d.mean, d.variance, d.entropy(), '
         'd.cdf(T.tensor([1.0, -1.0])), d.icdf(T.tensor([0.25, '
         '0.9]))])(D.Cauchy(T.tensor([0.0, 1.0]), T.tensor([2.0, 0.5])))'),
        ('ok',
         [('T', [-2.061020612716675, -3.2847959995269775], 'float32'),
          ('T', [nan, nan], 'float32'), ('T', [inf, inf], 'float32'),
          ('T', [3.2241714000701904, 1.8378770351409912], 'float32'),
          ('T', [0.6475836038589478, 0.07797911763191223], 'float32'),
          ('T', [-2.0, 2.5388412475585938], 'float32')])),
    'halfnormal': (
        ('(lambda d: [d.log_prob(T.tensor([1.0, 0.0])), d.mean, d.variance, d.entropy(), '
         'd.cdf(T.tensor([1.0, 0.5]))])(D.HalfNormal(T.tensor([2.0, 0.5])))'),
        ('ok',
         [('T', [-1.0439385175704956, 0.4673558473587036], 'float32'),
          ('T', [1.5957691669464111, 0.3989422917366028], 'float32'),
          ('T', [1.4535208940505981, 0.09084505587816238], 'float32'),
          ('T', [1.4189386367797852, 0.03264415264129639], 'float32'),
          ('T', [0.3829249143600464, 0.6826894283294678], 'float32')])),
    'halfnormal_err': (
        'D.HalfNormal(2.0).log_prob(T.tensor([-1.0]))',
        ('err', 'ValueError',
         'Expected value argument (Tensor of shape (1,)) to be within the support '
         '(GreaterThanEq(lower_bound=0.0)) of the distribution HalfNormal(), but found '
         'invalid values:')),
    'geometric': (
        ('(lambda d: [d.log_prob(T.tensor([0.0, 3.0])), d.mean, d.variance, d.entropy(), '
         'd.logits])(D.Geometric(T.tensor([0.3, 0.8])))'),
        ('ok',
         [('T', [-1.2039728164672852, -5.051457405090332], 'float32'),
          ('T', [2.3333332538604736, 0.25], 'float32'),
          ('T', [7.777777194976807, 0.3125], 'float32'),
          ('T', [2.0362143516540527, 0.6255030035972595], 'float32'),
          ('T', [-0.8472978472709656, 1.3862943649291992], 'float32')])),
    'geometric_p1': (
        'D.Geometric(T.tensor([1.0])).log_prob(T.tensor([0.0]))',
        ('ok', ('T', [0.0], 'float32'))),
    'geometric_logits': (
        'D.Geometric(logits=T.tensor([0.5])).log_prob(T.tensor([2.0]))',
        ('ok', ('T', [-2.4222309589385986], 'float32'))),
    'geometric_err': (
        'D.Geometric(T.tensor([0.0, 0.5]))',
        ('err', 'ValueError',
         'Expected parameter probs (Tensor of shape (2,)) of distribution Geometric(probs: '
         'disttrain.Size([2])) to be positive but found invalid values:')),
    'lognormal_err': (
        'D.LogNormal(0.0, 1.0).log_prob(T.tensor([-1.0]))',
        ('err', 'ValueError',
         'Expected value argument (Tensor of shape (1,)) to be within the support '
         '(GreaterThan(lower_bound=0.0)) of the distribution LogNormal(), but found invalid '
         'values:')),
    'expand_many': (
        ('[(lambda e: [list(e.batch_shape), e.log_prob(T.tensor([1.0, 1.0, '
         '1.0]))])(d.expand([3])) for d in (D.Normal(0.0, 2.0), D.Laplace(0.0, 2.0), '
         'D.Exponential(2.0), D.Gumbel(0.0, 2.0), D.Cauchy(0.0, 2.0), D.LogNormal(0.0, 2.0), '
         'D.HalfNormal(2.0), D.Bernoulli(0.3), D.Geometric(0.3))]'),
        ('ok',
         [[[3],
           ('T', [-1.7370857000350952, -1.7370857000350952, -1.7370857000350952], 'float32')],
          [[3],
           ('T', [-1.8862943649291992, -1.8862943649291992, -1.8862943649291992], 'float32')],
          [[3],
           ('T', [-1.3068528175354004, -1.3068528175354004, -1.3068528175354004], 'float32')],
          [[3],
           ('T', [-1.799677848815918, -1.799677848815918, -1.799677848815918], 'float32')],
          [[3],
           ('T', [-2.061020612716675, -2.061020612716675, -2.061020612716675], 'float32')],
          [[3],
           ('T', [-1.6120857000350952, -1.6120857000350952, -1.6120857000350952], 'float32')],
          [[3],
           ('T', [-1.0439385175704956, -1.0439385175704956, -1.0439385175704956], 'float32')],
          [[3],
           ('T', [-1.2039728164672852, -1.2039728164672852, -1.2039728164672852], 'float32')],
          [[3], ('T', [-1.56064772605896, -1.56064772605896, -1.56064772605896], 'float32')]])),
    'expand_categorical': (
        ('(lambda e: [list(e.batch_shape), e.log_prob(T.tensor([0, '
         '1]))])(D.Categorical(T.tensor([0.2, 0.8])).expand([2]))'),
        ('ok', [[2], ('T', [-1.6094379425048828, -0.2231435328722], 'float32')])),
    'expand_mvn': (
        ('(lambda e: [list(e.batch_shape), e.log_prob(T.zeros(2, '
         '2))])(D.MultivariateNormal(T.zeros(2), T.eye(2)).expand([2]))'),
        ('ok', [[2], ('T', [-1.8378770351409912, -1.8378770351409912], 'float32')])),
    'expand_independent': (
        ('(lambda e: [list(e.batch_shape), list(e.event_shape), e.log_prob(T.zeros(4, '
         '3))])(D.Independent(D.Normal(T.zeros(3), 1.0), 1).expand([4]))'),
        ('ok',
         [[4], [3],
          ('T',
           [-2.7568154335021973, -2.7568154335021973, -2.7568154335021973,
            -2.7568154335021973],
           'float32')])),
    'expand_uniform': (
        ('(lambda e: [list(e.batch_shape), e.log_prob(T.tensor([0.5, 0.5]))])(D.Uniform(0.0, '
         '2.0).expand([2]))'),
        ('ok', [[2], ('T', [-0.6931471824645996, -0.6931471824645996], 'float32')])),
}


@pytest.mark.parametrize("name", list(CASES))
def test_matches_pytorch(name):
    expr, expected = CASES[name]
    env = {"T": T, "D": D}
    if expected[0] == "err":
        _, exc, msg = expected
        with pytest.raises(getattr(builtins, exc)) as info:
            eval(expr, env)
        assert str(info.value).split("\n")[0] == msg
    else:
        _compare(eval(expr, env), expected[1])


@pytest.mark.parametrize("p,q,expected", [
    (lambda: D.Geometric(T.tensor([0.3, 0.8])), lambda: D.Geometric(T.tensor([0.5, 0.1])),
     [0.2742762565612793, 1.7034223079681396]),
    (lambda: D.HalfNormal(T.tensor([1.0, 2.0])), lambda: D.HalfNormal(T.tensor([2.0, 0.5])),
     [0.3181471824645996, 6.113705635070801]),
    (lambda: D.LogNormal(T.tensor([0.0, 1.0]), T.tensor([1.0, 2.0])),
     lambda: D.LogNormal(T.tensor([0.5, 0.0]), T.tensor([2.0, 1.0])),
     [0.3493971824645996, 1.3068528175354004]),
])
def test_kl_of_more_pairs_matches_pytorch(p, q, expected):
    np.testing.assert_allclose(D.kl_divergence(p(), q()).tolist(), expected, rtol=1e-6)


def test_kl_of_unregistered_pair_raises():
    with pytest.raises(NotImplementedError, match="No KL\\(p \\|\\| q\\) is implemented for p "
                                                  "type Normal and q type Bernoulli"):
        D.kl_divergence(D.Normal(0.0, 1.0), D.Bernoulli(0.5))


def _leaf(*v):
    return T.tensor(list(v), dtype=T.float64, requires_grad=True)


LOG_PROB_GRADS = {
    "normal": (lambda m, s: D.Normal(m, s.abs() + 0.5).log_prob(T.tensor([0.3, -1.2],
                                                                          dtype=T.float64)),
               [_leaf(0.1, 0.4), _leaf(1.0, 0.8)]),
    "laplace": (lambda m, s: D.Laplace(m, s.abs() + 0.5).log_prob(T.tensor(
        [0.3, -1.2], dtype=T.float64)), [_leaf(0.1, 0.4), _leaf(1.0, 0.8)]),
    "exponential": (lambda r: D.Exponential(r.abs() + 0.2).log_prob(T.tensor(
        [0.3, 2.0], dtype=T.float64)), [_leaf(1.0, 0.5)]),
    "uniform": (lambda lo, hi: D.Uniform(lo, hi + 2).log_prob(T.tensor([0.5, 0.7],
                                                                        dtype=T.float64)),
                [_leaf(0.1, -0.4), _leaf(0.2, 0.3)]),
    "bernoulli_logits": (lambda l: D.Bernoulli(logits=l).log_prob(T.tensor(
        [1.0, 0.0], dtype=T.float64)), [_leaf(0.3, -2.0)]),
    "bernoulli_entropy": (lambda p: D.Bernoulli(probs=p.sigmoid()).entropy(),
                          [_leaf(0.3, -2.0)]),
    "categorical_logits": (lambda l: D.Categorical(logits=l).log_prob(T.tensor([0, 2])),
                           [T.tensor([[0.1, 0.5, -0.3], [1.0, 0.0, 2.0]], dtype=T.float64,
                                     requires_grad=True)]),
    "categorical_entropy": (lambda p: D.Categorical(probs=p.abs() + 0.1).entropy(),
                            [_leaf(0.2, 0.5, 0.9)]),
    "mvn": (lambda m, a: D.MultivariateNormal(m, scale_tril=T.stack([
        T.stack([a[0].abs() + 1, a[0] * 0]), T.stack([a[1], a[2].abs() + 1])])).log_prob(
        T.tensor([0.3, -0.4], dtype=T.float64)), [_leaf(0.1, 0.2), _leaf(0.5, -0.3, 0.2)]),
    "mvn_covariance": (lambda c: D.MultivariateNormal(
        T.zeros(2, dtype=T.float64), T.stack([T.stack([c[0] ** 2 + 1, c[1]]),
                                              T.stack([c[1], c[2] ** 2 + 1])])).log_prob(
        T.tensor([0.3, -0.4], dtype=T.float64)), [_leaf(0.5, 0.3, -0.6)]),
    "tanh_normal": (lambda m, s: D.TransformedDistribution(
        D.Normal(m, s.abs() + 0.5), [D.TanhTransform()]).log_prob(
        T.tensor([0.3, -0.9], dtype=T.float64)), [_leaf(0.1, 0.4), _leaf(1.0, 0.8)]),
    "lognormal": (lambda m, s: D.LogNormal(m, s.abs() + 0.5).log_prob(
        T.tensor([0.3, 2.0], dtype=T.float64)), [_leaf(0.1, 0.4), _leaf(1.0, 0.8)]),
    "gumbel": (lambda m, s: D.Gumbel(m, s.abs() + 0.5).log_prob(
        T.tensor([0.3, -1.2], dtype=T.float64)), [_leaf(0.1, 0.4), _leaf(1.0, 0.8)]),
    "cauchy": (lambda m, s: D.Cauchy(m, s.abs() + 0.5).log_prob(
        T.tensor([0.3, -1.2], dtype=T.float64)), [_leaf(0.1, 0.4), _leaf(1.0, 0.8)]),
    "halfnormal": (lambda s: D.HalfNormal(s.abs() + 0.5).log_prob(
        T.tensor([0.3, 1.2], dtype=T.float64)), [_leaf(1.0, 0.8)]),
    "geometric": (lambda p: D.Geometric(p.sigmoid()).log_prob(
        T.tensor([0.0, 3.0], dtype=T.float64)), [_leaf(0.3, -1.0)]),
    "geometric_entropy": (lambda l: D.Geometric(logits=l).entropy(), [_leaf(0.3, -1.0)]),
    "kl_normal": (lambda m, s: D.kl_divergence(D.Normal(m, s.abs() + 0.5),
                                               D.Normal(s, m.abs() + 1)),
                  [_leaf(0.1, 0.4), _leaf(1.0, 0.8)]),
    "kl_mvn": (lambda m: D.kl_divergence(
        D.MultivariateNormal(m, T.tensor([[2.0, 0.5], [0.5, 1.0]], dtype=T.float64)),
        D.MultivariateNormal(m * 2, T.eye(2, dtype=T.float64))), [_leaf(0.1, 0.4)]),
}


@pytest.mark.parametrize("name", list(LOG_PROB_GRADS))
def test_log_prob_gradients(name):
    fn, leaves = LOG_PROB_GRADS[name]
    assert gradcheck(fn, leaves)


def _seeded(make):
    def run(*params):
        T.manual_seed(7)        # the same noise on every call: a function of the parameters
        return make(*params).rsample((3,))
    return run


RSAMPLE_GRADS = {
    "normal": (lambda m, s: D.Normal(m, s.abs() + 0.5), [_leaf(0.1, 0.4), _leaf(1.0, 0.8)]),
    "uniform": (lambda lo, hi: D.Uniform(lo, hi + 2), [_leaf(0.1, -0.4), _leaf(0.2, 0.3)]),
    "exponential": (lambda r: D.Exponential(r.abs() + 0.2), [_leaf(1.0, 0.5)]),
    "laplace": (lambda m, s: D.Laplace(m, s.abs() + 0.5), [_leaf(0.1, 0.4), _leaf(1.0, 0.8)]),
    "tanh_normal": (lambda m, s: D.TransformedDistribution(D.Normal(m, s.abs() + 0.5),
                                                           [D.TanhTransform()]),
                    [_leaf(0.1, 0.4), _leaf(1.0, 0.8)]),
    "lognormal": (lambda m, s: D.LogNormal(m, s.abs() + 0.5), [_leaf(0.1, 0.4),
                                                               _leaf(1.0, 0.8)]),
    "gumbel": (lambda m, s: D.Gumbel(m, s.abs() + 0.5), [_leaf(0.1, 0.4), _leaf(1.0, 0.8)]),
    "cauchy": (lambda m, s: D.Cauchy(m, s.abs() + 0.5), [_leaf(0.1, 0.4), _leaf(1.0, 0.8)]),
    "halfnormal": (lambda s: D.HalfNormal(s.abs() + 0.5), [_leaf(1.0, 0.8)]),
    "mvn": (lambda m, c: D.MultivariateNormal(m, T.stack([T.stack([c[0] ** 2 + 1, c[1]]),
                                                          T.stack([c[1], c[2] ** 2 + 1])])),
            [_leaf(0.1, 0.2), _leaf(0.5, 0.3, -0.6)]),
}


@pytest.mark.parametrize("name", list(RSAMPLE_GRADS))
def test_rsample_is_differentiable(name):
    make, leaves = RSAMPLE_GRADS[name]
    assert gradcheck(_seeded(make), leaves)
    assert not make(*leaves).sample((2,)).requires_grad


@pytest.mark.parametrize("make,mean,var", [
    (lambda: D.Normal(T.tensor([1.0, -2.0]), T.tensor([0.5, 2.0])), [1.0, -2.0], [0.25, 4.0]),
    (lambda: D.Uniform(T.tensor([0.0, 1.0]), T.tensor([2.0, 5.0])), [1.0, 3.0],
     [1 / 3, 4 / 3]),
    (lambda: D.Exponential(T.tensor([2.0, 0.5])), [0.5, 2.0], [0.25, 4.0]),
    (lambda: D.Laplace(T.tensor([0.0, 1.0]), T.tensor([1.0, 0.5])), [0.0, 1.0], [2.0, 0.5]),
    (lambda: D.Bernoulli(T.tensor([0.2, 0.7])), [0.2, 0.7], [0.16, 0.21]),
    (lambda: D.OneHotCategorical(T.tensor([0.2, 0.3, 0.5])), [0.2, 0.3, 0.5],
     [0.16, 0.21, 0.25]),
    (lambda: D.MultivariateNormal(T.tensor([1.0, -1.0]), T.tensor([[2.0, 0.5], [0.5, 1.0]])),
     [1.0, -1.0], [2.0, 1.0]),
    (lambda: D.LogNormal(T.tensor([0.0]), T.tensor([0.5])), [1.1331485],
     [0.3646958]),
    (lambda: D.Gumbel(T.tensor([1.0]), T.tensor([0.5])), [1.2886078], [0.4112335]),
    (lambda: D.HalfNormal(T.tensor([2.0])), [1.5957691], [1.4535209]),
    (lambda: D.Geometric(T.tensor([0.3])), [2.3333333], [7.7777778]),
])
def test_samples_follow_the_distribution(make, mean, var):
    T.manual_seed(0)
    s = make().sample((20000,)).double().numpy()
    np.testing.assert_allclose(s.mean(0), mean, atol=0.05)
    np.testing.assert_allclose(s.var(0), var, rtol=0.06, atol=0.01)


def test_categorical_samples_and_mvn_covariance():
    T.manual_seed(0)
    s = D.Categorical(T.tensor([0.1, 0.6, 0.3])).sample((20000,)).numpy()
    np.testing.assert_allclose(np.bincount(s, minlength=3) / 20000, [0.1, 0.6, 0.3], atol=0.02)
    x = D.MultivariateNormal(T.zeros(2), T.tensor([[2.0, 0.5], [0.5, 1.0]])).sample(
        (20000,)).double().numpy()
    np.testing.assert_allclose(np.cov(x.T), [[2.0, 0.5], [0.5, 1.0]], atol=0.08)


def test_default_validation_switch():
    D.Distribution.set_default_validate_args(False)
    try:
        assert D.Normal(0.0, -1.0).scale.item() == -1.0
    finally:
        D.Distribution.set_default_validate_args(True)
    with pytest.raises(ValueError):
        D.Normal(0.0, -1.0)


def test_pytorch_module_layout():
    from disttrain.distributions.categorical import Categorical
    from disttrain.distributions.normal import Normal
    from disttrain.distributions.transformed_distribution import TransformedDistribution
    assert Normal is D.Normal and Categorical is D.Categorical
    assert TransformedDistribution is D.TransformedDistribution
    assert D.kl.kl_divergence is D.kl_divergence
