"""Finite-difference checks of analytical gradients (float64), as ``torch.autograd.gradcheck``."""
import numpy as np

from .engine import grad as _grad
from .grad_mode import no_grad, enable_grad
from .tensor import Tensor

__all__ = ["gradcheck", "gradgradcheck", "GradcheckError"]


class GradcheckError(RuntimeError):
    """Raised when analytical and numerical gradients disagree."""


def _as_tuple(x):
    return tuple(x) if isinstance(x, (list, tuple)) else (x,)


def _outputs(fn, inputs):
    """The differentiable outputs; a complex one is checked as its (real, imag) pairs."""
    outs = []
    for o in _as_tuple(fn(*inputs)):
        if isinstance(o, Tensor) and o.dtype.is_complex:
            from .ops.complex_ops import ViewAsReal
            o = ViewAsReal.apply(o)
        if isinstance(o, Tensor) and o.dtype.is_floating_point:
            outs.append(o)
    return tuple(outs)


def _steps(t, eps):
    """The perturbations of one element: its real part, and for complex inputs its
    imaginary part too (their gradients are the real and imaginary parts of .grad)."""
    return (eps, 1j * eps) if t._data.dtype.kind == "c" else (eps,)


def _numerical(fn, inputs, targets, eps):
    """d(outputs)/d(target) by central differences: one column per input element."""
    jac = []
    for t in targets:
        flat = t._data.reshape(-1) if t._data.flags.c_contiguous else None
        if flat is None:
            raise GradcheckError("gradcheck needs contiguous inputs to perturb; pass "
                                 "x.contiguous() and a function that makes the layout")
        cols = []
        for step in _steps(t, eps):
            for k in range(flat.size):
                orig = flat[k]
                flat[k] = orig + step
                with no_grad():
                    plus = [o._data.astype(np.float64).reshape(-1).copy() for o in
                            _outputs(fn, inputs)]
                flat[k] = orig - step
                with no_grad():
                    minus = [o._data.astype(np.float64).reshape(-1).copy() for o in
                             _outputs(fn, inputs)]
                flat[k] = orig
                cols.append(np.concatenate([(p - m) / (2 * eps) for p, m in zip(plus, minus)])
                            if plus else np.zeros(0))
        jac.append(np.stack(cols, axis=1) if cols else np.zeros((0, 0)))
    return jac


def _analytical(fn, inputs, targets):
    outs = _outputs(fn, inputs)
    sizes = [o.numel() for o in outs]
    total = sum(sizes)
    jac = [np.zeros((total, t.numel() * len(_steps(t, 1)))) for t in targets]
    row = 0
    for oi, o in enumerate(outs):
        for k in range(o.numel()):
            g = np.zeros(o.numel(), dtype=o._data.dtype)
            g[k] = 1
            if o.requires_grad:
                grads = _grad(o, targets, Tensor._make(g.reshape(o.shape)), retain_graph=True,
                              allow_unused=True)
                for j, gr in enumerate(grads):
                    if gr is not None:
                        gd = gr._data.reshape(-1)
                        jac[j][row] = np.concatenate([gd.real, gd.imag]) if \
                            targets[j]._data.dtype.kind == "c" else gd.astype(np.float64)
            row += 1
    return jac


def gradcheck(func, inputs, *, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True,
              nondet_tol=0.0, check_undefined_grad=True, fast_mode=False):
    """Compare the gradients ``backward`` computes with central finite differences.

    Args:
        func (callable): takes ``inputs`` and returns a Tensor or a tuple of Tensors.
        inputs (Tensor or tuple): the inputs; those with ``requires_grad`` are checked and
            should be float64 (or complex128: real and imaginary parts are both perturbed,
            and complex outputs are compared as their real and imaginary parts).
        eps (float): the finite-difference step.
        atol, rtol (float): tolerances of the comparison.
        raise_exception (bool): raise ``GradcheckError`` on a mismatch instead of returning
            False.

    Returns:
        True when every gradient matches.
    """
    inputs = _as_tuple(inputs)
    targets = [t for t in inputs if isinstance(t, Tensor) and t.requires_grad]
    if not targets:
        raise ValueError("gradcheck expects at least one input tensor to require gradient, "
                         "but none of the them have requires_grad=True.")
    for i, t in enumerate(inputs):
        # (identity, not ``in``: ``==`` between tensors compares elementwise)
        if (isinstance(t, Tensor) and t.requires_grad
                and t.dtype.name not in ("float64", "complex128")):
            import warnings
            warnings.warn(f"Input #{i} requires gradient "
                          f"and is not a double precision floating point. This check will "
                          f"likely fail if all the inputs are not of double precision floating "
                          f"point.")
    num = _numerical(func, inputs, targets, eps)
    ana = _analytical(func, inputs, targets)
    for i, (n, a) in enumerate(zip(num, ana)):
        if n.shape != a.shape or not np.allclose(a, n, rtol=rtol, atol=atol):
            msg = (f"Jacobian mismatch for output 0 with respect to input {i},\n"
                   f"numerical:{n}\nanalytical:{a}\n")
            if raise_exception:
                raise GradcheckError(msg)
            return False
    return True


def gradgradcheck(func, inputs, grad_outputs=None, *, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True, **kwargs):
    """Check second derivatives: gradcheck of the first-order gradient function."""
    inputs = _as_tuple(inputs)
    outs = _outputs(func, inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [Tensor._make(rng.standard_normal(o.shape).astype(o._data.dtype))
                        for o in outs]
    grad_outputs = _as_tuple(grad_outputs)

    def first(*args):
        # gradcheck perturbs inputs under no_grad; the first derivative still needs a graph
        with enable_grad():
            outs = _outputs(func, args)
            ts = [a for a in args if isinstance(a, Tensor) and a.requires_grad]
            gs = _grad(outs, ts, grad_outputs, create_graph=True, allow_unused=True)
        return tuple(g for g in gs if g is not None)

    return gradcheck(first, inputs, eps=eps, atol=atol, rtol=rtol,
                     raise_exception=raise_exception)
