"""L-BFGS: a quasi-Newton method over the flattened parameter vector, with an optional strong
Wolfe line search.

The parameters live in one flat buffer (the optimizer's flat layout), so the flattened vector
PyTorch builds by concatenation is that buffer itself: a trial step is one in-place add.
Scalars (dot products, step lengths) are host scalars of the parameters' dtype, which round
as PyTorch's 0-d tensors do.
"""
import numpy as np

from ..core.grad_mode import enable_grad
from ..core.tensor import Tensor
from .optimizer import Optimizer, _check_nonnegative

__all__ = ["LBFGS"]


def _cubic_interpolate(x1, f1, g1, x2, f2, g2, bounds=None):
    """Minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clamped to
    ``bounds`` (default: the interval between x1 and x2); its midpoint if the cubic has none."""
    if bounds is not None:
        lo, hi = bounds
    else:
        lo, hi = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2.0
    d2 = d2_square ** 0.5
    if x1 <= x2:
        min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(min_pos, lo), hi)


def _strong_wolfe(obj_func, dot, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """Line search along ``d`` from ``x`` for a step ``t`` meeting the strong Wolfe
    conditions: first bracket an interval holding one, then shrink it by cubic interpolation
    ("zoom"). Returns ``(f_new, g_new, t, evaluations)``."""
    d_norm = d.dtype.type(abs(d).max().item())
    g = g.copy()
    f_new, g_new = obj_func(x, t, d)
    evals = 1
    gtd_new = dot(g_new, d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    # Bracketing phase.
    while ls_iter < max_ls:
        if f_new > (f + c1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new.copy()], [gtd_prev, gtd_new]
            break
        # Extrapolate, between 1.01 and 10 times the current step.
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        previous = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = previous, f_new, g_new.copy(), gtd_new
        f_new, g_new = obj_func(x, t, d)
        evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1
    if ls_iter == max_ls:          # no bracket found: fall back on [0, t]
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    # Zoom phase: shrink the bracket until a point meets the conditions.
    insufficient_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # A point too close to an end makes little progress: after one such try, or when it
        # falls on or outside the bracket, move it 10% of the width inside.
        top, bottom = max(bracket), min(bracket)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:
            if insufficient_progress or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = obj_func(x, t, d)
        evals += 1
        gtd_new = dot(g_new, d)
        ls_iter += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low]:
            # Armijo fails or no lower than the low end: the new point becomes the high end.
            bracket[high], bracket_f[high] = t, f_new
            bracket_g[high], bracket_gtd[high] = g_new.copy(), gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                # The old high end lies uphill: the old low end replaces it.
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low] = t, f_new
            bracket_g[low], bracket_gtd[low] = g_new.copy(), gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evals


class LBFGS(Optimizer):
    """Implements the L-BFGS algorithm (after minFunc).

    One ``step(closure)`` runs up to ``max_iter`` iterations: the search direction comes from
    the last ``history_size`` curvature pairs, the step length is ``lr`` (scaled down on the
    very first iteration) or found by a strong Wolfe line search. All parameters form one
    flat vector, so they must share a dtype and a device, and there is one param group.

    Args:
        params (iterable): parameters to optimize (one group).
        lr (float, Tensor, optional): learning rate. Default: 1.
        max_iter (int, optional): maximal number of iterations per step. Default: 20.
        max_eval (int, optional): maximal number of closure evaluations per step.
            Default: ``max_iter * 5 // 4``.
        tolerance_grad (float, optional): stop when the largest gradient element is at most
            this. Default: 1e-7.
        tolerance_change (float, optional): stop when the loss or the parameters change by
            less than this. Default: 1e-9.
        history_size (int, optional): number of curvature pairs kept. Default: 100.
        line_search_fn (str, optional): ``"strong_wolfe"`` or ``None``. Default: ``None``.

    Example::

        >>> optimizer = disttrain.optim.LBFGS(model.parameters(), line_search_fn="strong_wolfe")
        >>> def closure():
        ...     optimizer.zero_grad()
        ...     loss = loss_fn(model(input), target)
        ...     loss.backward()
        ...     return loss
        >>> optimizer.step(closure)
    """

    _imports_flat_state = False     # its state is whole-vector history, not per parameter

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        _check_nonnegative(lr=lr)
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                        tolerance_grad=tolerance_grad, tolerance_change=tolerance_change,
                        history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    # ------------------------------------------------------------------ the flat vector
    def _vector(self):
        fgs = self._flat_layout(0, self.param_groups[0])
        if len(fgs) != 1:
            raise ValueError("LBFGS needs all parameters to share one dtype and device: it "
                             "optimizes them as one flat vector")
        return fgs[0]

    def _gather_flat_grad(self, fg):
        """A copy of the flat gradient; parameters without a gradient count as zero."""
        active = fg.gather_grads()
        for i in np.flatnonzero(~active):
            fg.grad[fg.slice(int(i))] = 0
        return fg.grad.copy()

    def _add_grad(self, fg, t, d):
        fg.param += d * t
        self._touch(fg)

    def _set_param(self, fg, x):
        fg.param[...] = x
        self._touch(fg)

    @staticmethod
    def _touch(fg):
        for p in fg.params:
            p._version[0] += 1

    def _update(self, fg, group, active, bounds):
        raise NotImplementedError("LBFGS re-evaluates a closure over the whole parameter "
                                  "vector: it cannot step given flat gradients or a shard")

    # ------------------------------------------------------------------ the step
    def step(self, closure):
        """Perform a single optimization step (up to ``max_iter`` iterations).

        Args:
            closure (Callable): re-evaluates the model and returns the loss.
        """
        group = self.param_groups[0]
        lr = group["lr"]
        lr = lr.item() if isinstance(lr, Tensor) else lr     # an int lr stays an int step
        max_iter, max_eval = group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        def evaluate():
            with enable_grad():
                return closure()

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss = evaluate()
        loss = float(orig_loss)
        current_evals = 1
        state["func_evals"] += 1
        fg = self._vector()
        xp, scalar = fg.xp, fg.dtype.type

        def dot(a, b):
            return scalar(xp.dot(a, b).item())

        def amax_abs(a):
            return scalar(xp.abs(a).max().item())

        flat_grad = self._gather_flat_grad(fg)
        if amax_abs(flat_grad) <= tolerance_grad:
            return orig_loss

        d, t = _array(state.get("d")), _value(state.get("t"))
        old_dirs = [_array(v) for v in state.get("old_dirs") or []]
        old_stps = [_array(v) for v in state.get("old_stps") or []]
        ro = [_value(v) for v in state.get("ro") or []]
        h_diag = _value(state.get("H_diag"))
        prev_flat_grad = _array(state.get("prev_flat_grad"))
        prev_loss = state.get("prev_loss")
        al = None

        n_iter = 0
        while n_iter < max_iter:
            n_iter += 1
            state["n_iter"] += 1
            # The direction: steepest descent at first, then the two-loop recursion over the
            # curvature pairs (y, s) kept while y.s stays positive.
            if state["n_iter"] == 1:
                d = -flat_grad
                old_dirs, old_stps, ro = [], [], []
                h_diag = 1
            else:
                y = flat_grad - prev_flat_grad
                s = d * t
                ys = dot(y, s)
                if ys > 1e-10:
                    if len(old_dirs) == history_size:
                        old_dirs.pop(0)
                        old_stps.pop(0)
                        ro.pop(0)
                    old_dirs.append(y)
                    old_stps.append(s)
                    ro.append(1.0 / ys)
                    h_diag = ys / dot(y, y)
                num_old = len(old_dirs)
                al = [_value(v) for v in state.get("al") or [None] * history_size]
                q = -flat_grad
                for i in range(num_old - 1, -1, -1):
                    al[i] = dot(old_stps[i], q) * ro[i]
                    q += old_dirs[i] * -al[i]
                d = r = q * h_diag
                for i in range(num_old):
                    be_i = dot(old_dirs[i], r) * ro[i]
                    r += old_stps[i] * (al[i] - be_i)
                state["al"] = [None if v is None else _tensor(v) for v in al]
            if prev_flat_grad is None:
                prev_flat_grad = flat_grad.copy()
            else:
                prev_flat_grad[...] = flat_grad
            prev_loss = loss

            # The step length: lr, shrunk on the very first iteration (no curvature yet).
            if state["n_iter"] == 1:
                t = min(1.0, 1.0 / scalar(xp.abs(flat_grad).sum().item())) * lr
            else:
                t = lr
            gtd = dot(flat_grad, d)
            if gtd > -tolerance_change:     # not a descent direction any more
                break

            evals = 0
            if line_search_fn is not None:
                if line_search_fn != "strong_wolfe":
                    raise RuntimeError("only 'strong_wolfe' is supported")
                x_init = fg.param.copy()

                def obj_func(x, step, direction):
                    self._add_grad(fg, step, direction)
                    value = float(evaluate())
                    grad = self._gather_flat_grad(fg)
                    self._set_param(fg, x)
                    return value, grad

                loss, flat_grad, t, evals = _strong_wolfe(obj_func, dot, x_init, t, d, loss,
                                                          flat_grad, gtd,
                                                          max_ls=max_eval - current_evals)
                self._add_grad(fg, t, d)
                opt_cond = amax_abs(flat_grad) <= tolerance_grad
            else:
                self._add_grad(fg, t, d)
                opt_cond = False
                if n_iter != max_iter:
                    # Re-evaluate for the next iteration (not after the last one: the next
                    # step's first evaluation does it).
                    loss = float(evaluate())
                    flat_grad = self._gather_flat_grad(fg)
                    opt_cond = amax_abs(flat_grad) <= tolerance_grad
                    evals = 1
            current_evals += evals
            state["func_evals"] += evals

            if n_iter == max_iter or current_evals >= max_eval or opt_cond:
                break
            if amax_abs(d * t) <= tolerance_change:
                break
            if abs(loss - prev_loss) < tolerance_change:
                break

        state["d"] = _tensor(d)
        state["t"] = _tensor(t) if isinstance(t, np.generic) else t
        state["old_dirs"] = [_tensor(v) for v in old_dirs]
        state["old_stps"] = [_tensor(v) for v in old_stps]
        state["ro"] = [_tensor(v) for v in ro]
        state["H_diag"] = _tensor(h_diag) if isinstance(h_diag, np.generic) else h_diag
        state["prev_flat_grad"] = _tensor(prev_flat_grad)
        state["prev_loss"] = prev_loss
        return orig_loss


def _tensor(value):
    """State as PyTorch keeps it: arrays and dtype scalars become Tensors."""
    return Tensor._make(value if not isinstance(value, np.generic) else np.asarray(value))


def _array(value):
    return value._data if isinstance(value, Tensor) else value


def _value(value):
    """A saved scalar back as a host scalar of its dtype (Python numbers as they are)."""
    if isinstance(value, Tensor):
        arr = value._data
        return arr.dtype.type(arr.item())
    return value
