"""LBFGS: PyTorch's iterates on a Rosenbrock fit, with and without the strong Wolfe line
search, its state layout and its errors."""
import copy

import numpy as np
import pytest

import disttrain
from disttrain.optim import LBFGS, SGD

# (options, [(loss returned by step, parameters after it) for three steps],
#  (func_evals, n_iter, len(old_dirs)) after them), from PyTorch 2.13 in float64: the
# four-dimensional Rosenbrock function over two parameters (a 2-vector and a 2x1 matrix)
# from (-1.5, 2.0, 0.5, -0.8), which LBFGS takes to the local minimum near
# (-0.776, 0.613, 0.382, 0.146).
ITERATES = [({'lr': 0.1, 'max_iter': 5},
             [(1349.0,
               [-1.4183400444489407, 1.7156629563076702, 0.5385875735310252, -0.7301948919819615]),
              (697.7920206554248,
               [-1.2963794213483173, 1.4818493149575354, 0.540880767540423, -0.5522401065795635]),
              (354.9352493259008,
               [-1.190143917698963, 1.2895890880136844, 0.5443164924865792, -0.3099701197784115])],
             (15, 15, 14)),
            ({'lr': 1, 'max_iter': 4, 'history_size': 2},
             [(1349.0,
               [-0.8874737742908404, 0.7117024804191561, 0.3528796392009594, -0.08742382811595995]),
              (11.493366910848748,
               [-0.766126159576032, 0.5990547788507397, 0.3681845283020575, 0.1358068100662933]),
              (3.7024921779974616,
               [-0.7675100019378603, 0.6005997235652817,
                0.36700709730945347, 0.13466633350108906])],
             (12, 12, 2)),
            ({'line_search_fn': 'strong_wolfe'},
             [(1349.0,
               [-0.775754815882748, 0.6132561342757205, 0.3822553511790949, 0.14611724519808075]),
              (3.7014286558120184,
               [-0.7756612779866382, 0.6130964426093102, 0.38206669355624506, 0.14597519476769458]),
              (3.701428610444407,
               [-0.7756612779866382, 0.6130964426093102,
                0.38206669355624506, 0.14597519476769458])],
             (25, 24, 22)),
            ({'line_search_fn': 'strong_wolfe', 'max_iter': 8, 'history_size': 3},
             [(1349.0,
               [-0.7705429646335681, 0.6052678685453406, 0.37263330242741327, 0.13861901663605]),
              (3.7014767555910804,
               [-0.7757068747600466, 0.6131724642997397, 0.3821597853812245, 0.14603152108950515]),
              (3.7014286393659956,
               [-0.7756564895381545, 0.6130889523172081, 0.38205679001013476, 0.1459670268711942])],
             (24, 18, 3)),
            ({'line_search_fn': 'strong_wolfe', 'tolerance_change': 0.001, 'tolerance_grad': 1.0},
             [(1349.0,
               [-0.7699471579762701, 0.6044400563336849, 0.37191805938822076, 0.13770974507282496]),
              (3.701527767619797,
               [-0.7699471579762701, 0.6044400563336849, 0.37191805938822076, 0.13770974507282496]),
              (3.701527767619797,
               [-0.7699471579762701, 0.6044400563336849,
                0.37191805938822076, 0.13770974507282496])],
             (10, 7, 6))]

# The first strong-Wolfe step of the same problem in float32, from PyTorch 2.13.
F32_FIRST_STEP = [-0.7700291872024536, 0.6044698357582092, 0.37162140011787415,
                  0.13808003067970276]


def rosen(x):
    return (100 * (x[1:] - x[:-1] ** 2) ** 2 + (1 - x[:-1]) ** 2).sum()


def make_problem(dtype=disttrain.float64, **kwargs):
    a = disttrain.tensor([-1.5, 2.0], dtype=dtype, requires_grad=True)
    b = disttrain.tensor([[0.5], [-0.8]], dtype=dtype, requires_grad=True)
    opt = LBFGS([a, b], **kwargs)

    def closure():
        opt.zero_grad()
        loss = rosen(disttrain.cat([a, b.flatten()]))
        loss.backward()
        return loss
    return a, b, opt, closure


@pytest.mark.parametrize("kwargs,iterates,counts", ITERATES,
                         ids=[str(k) for k, _, _ in ITERATES])
def test_matches_pytorch_iterates(kwargs, iterates, counts):
    """Each step returns the closure's first loss and leaves the parameters where PyTorch's
    does; the evaluation and iteration counts and the kept history agree too."""
    a, b, opt, closure = make_problem(**kwargs)
    for loss, expected in iterates:
        out = opt.step(closure)
        assert isinstance(out, disttrain.Tensor)
        np.testing.assert_allclose(out.item(), loss, rtol=1e-12)
        got = np.concatenate([a.detach().numpy(), b.detach().numpy().ravel()])
        np.testing.assert_allclose(got, expected, rtol=1e-11, atol=1e-13)
    state = opt.state_dict()["state"][0]
    assert (state["func_evals"], state["n_iter"], len(state["old_dirs"])) == counts


def test_state_dict_layout():
    """The state sits on the first parameter with PyTorch's keys, in PyTorch's order; the
    vectors span the whole flattened parameter vector."""
    a, b, opt, closure = make_problem(history_size=3, line_search_fn="strong_wolfe")
    opt.step(closure)
    sd = opt.state_dict()
    assert list(sd["state"]) == [0]
    st = sd["state"][0]
    assert list(st) == ["func_evals", "n_iter", "al", "d", "t", "old_dirs", "old_stps", "ro",
                        "H_diag", "prev_flat_grad", "prev_loss"]
    assert st["d"].shape == (4,) and st["prev_flat_grad"].shape == (4,)
    assert len(st["al"]) == 3 and all(v.shape == (4,) for v in st["old_dirs"])
    assert all(isinstance(v, disttrain.Tensor) and v.dim() == 0 for v in st["ro"])
    assert isinstance(st["prev_loss"], float)
    assert sd["param_groups"] == [{"lr": 1, "max_iter": 20, "max_eval": 25,
                                   "tolerance_grad": 1e-07, "tolerance_change": 1e-09,
                                   "history_size": 3, "line_search_fn": "strong_wolfe",
                                   "params": [0, 1]}]


def test_state_dict_round_trip():
    """A saved state dict loaded into a fresh LBFGS continues exactly as the original."""
    kwargs = dict(max_iter=3, history_size=4)
    a, b, opt, closure = make_problem(**kwargs)
    opt.step(closure)
    a2, b2, opt2, closure2 = make_problem(**kwargs)
    with disttrain.no_grad():
        a2.copy_(a)
        b2.copy_(b)
    opt2.load_state_dict(copy.deepcopy(opt.state_dict()))
    opt.step(closure)
    opt2.step(closure2)
    assert disttrain.equal(a, a2) and disttrain.equal(b, b2)


def test_stops_at_once_when_the_gradient_is_small():
    """With every gradient element within ``tolerance_grad`` the step only evaluates."""
    a, b, opt, closure = make_problem(tolerance_grad=1e4)
    before = a.detach().clone()
    opt.step(closure)
    assert disttrain.equal(a, before)
    assert opt.state[a]["func_evals"] == 1 and opt.state[a]["n_iter"] == 0


def test_float32_follows_pytorch():
    """In float32 the first strong-Wolfe step lands where PyTorch's float32 step does."""
    a, b, opt, closure = make_problem(disttrain.float32, line_search_fn="strong_wolfe")
    opt.step(closure)
    got = np.concatenate([a.detach().numpy(), b.detach().numpy().ravel()])
    np.testing.assert_allclose(got, F32_FIRST_STEP, rtol=1e-5)
    assert a.dtype == disttrain.float32


def test_errors():
    """PyTorch's errors: a negative lr, several param groups, an unknown line search."""
    p = disttrain.zeros(2, requires_grad=True)
    with pytest.raises(ValueError, match="^Invalid learning rate: -0.1$"):
        LBFGS([p], lr=-0.1)
    with pytest.raises(ValueError, match=r"^LBFGS doesn't support per-parameter options "
                                         r"\(parameter groups\)$"):
        LBFGS([{"params": [p]}, {"params": [disttrain.zeros(1, requires_grad=True)]}])
    a, b, opt, closure = make_problem(line_search_fn="armijo")
    with pytest.raises(RuntimeError, match="^only 'strong_wolfe' is supported$"):
        opt.step(closure)


def test_mixed_dtypes_are_refused():
    """One flat vector needs one dtype: mixing them raises a clear error."""
    p = disttrain.ones(2, requires_grad=True)
    q = disttrain.ones(2, dtype=disttrain.float64, requires_grad=True)
    opt = LBFGS([p, q])

    def closure():
        opt.zero_grad()
        loss = (p * p).sum() + (q * q).sum()
        loss.backward()
        return loss
    with pytest.raises(ValueError, match="share one dtype and device"):
        opt.step(closure)


def test_other_optimizers_keep_closure_semantics():
    """``step(closure)`` of an ordinary optimizer still returns the closure's loss."""
    p = disttrain.ones(2, requires_grad=True)
    opt = SGD([p], lr=0.1)

    def closure():
        opt.zero_grad()
        loss = (p * p).sum()
        loss.backward()
        return loss
    assert opt.step(closure).item() == 2.0


def test_flat_gradient_steps_are_refused():
    """The data-parallel entry point (given flat gradients) has no closure to re-evaluate."""
    a, b, opt, closure = make_problem()
    with pytest.raises(NotImplementedError, match="cannot step given flat gradients"):
        opt._step_flat([np.ones(4)])
