"""``disttrain.func``: function transforms (``grad``, ``vjp``, ``jvp``, ``jacrev``,
``jacfwd``, ``hessian``, ``vmap``) built on reverse-mode autograd, as ``torch.func``.

They compose (``grad(grad(f))``) because each records the graph of what it computes; results
come back without graph unless an input already required grad. ``vmap`` runs the function once
per batch element.
"""
from .autograd import functional as _F
from .core.engine import grad as _autograd_grad
from .core.functions.more_misc import vmap
from .core.grad_mode import enable_grad
from .core.tensor import Tensor

__all__ = ["grad", "grad_and_value", "vjp", "jvp", "jacrev", "jacfwd", "hessian", "vmap"]


def _prepare(args, argnums):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    args = list(args)
    outer = False
    for i in nums:
        a = args[i]
        if not isinstance(a, Tensor):
            raise RuntimeError(f"grad(f)(*args): Expected f(*args) to return a scalar Tensor, "
                               f"got argument {i} of type {type(a).__name__}")
        if a.requires_grad:
            outer = True
            args[i] = a.view_as(a)         # stay connected to an enclosing transform
        else:
            args[i] = a.detach().requires_grad_(True)
    return args, nums, outer


def grad_and_value(func, argnums=0, has_aux=False):
    """A function returning ``(gradient of func w.r.t. args[argnums], func's value)``;
    ``func`` must return a one-element tensor (and an aux value when ``has_aux``)."""
    def wrapper(*args, **kwargs):
        with enable_grad():
            a, nums, outer = _prepare(args, argnums)
            out = func(*a, **kwargs)
            aux = None
            if has_aux:
                if not (isinstance(out, tuple) and len(out) == 2):
                    raise RuntimeError("grad_and_value(f)(*args): output of function f should be "
                                       "a tuple: (output, aux) if has_aux is True")
                out, aux = out
            if not isinstance(out, Tensor) or out.numel() != 1:
                raise RuntimeError("grad_and_value(f)(*args): Expected f(*args) to return a "
                                   "scalar Tensor")
            if not out.requires_grad:
                grads = tuple(a[i].new_zeros(tuple(a[i].shape)) for i in nums)
            else:
                grads = _autograd_grad(out, [a[i] for i in nums], create_graph=True,
                                       allow_unused=True, materialize_grads=True)
        if not outer:
            grads = tuple(g.detach() for g in grads)
            out = out.detach()
        g = grads[0] if isinstance(argnums, int) else tuple(grads)
        return (g, (out, aux)) if has_aux else (g, out)
    return wrapper


def grad(func, argnums=0, has_aux=False):
    """A function returning the gradient of ``func`` (scalar-valued) w.r.t. ``args[argnums]``.

    Example::

        >>> disttrain.func.grad(lambda x: x.sin().sum())(x)   # == x.cos()
    """
    gv = grad_and_value(func, argnums, has_aux)

    def wrapper(*args, **kwargs):
        g, rest = gv(*args, **kwargs)
        return (g, rest[1]) if has_aux else g
    return wrapper


def vjp(func, *primals, has_aux=False):
    """``(func(*primals), vjp_fn)`` where ``vjp_fn(v)`` gives the vector-Jacobian products
    (a tuple, one per primal)."""
    with enable_grad():
        inputs = tuple(p.view_as(p) if p.requires_grad else p.detach().requires_grad_(True)
                       for p in primals)
        out = func(*inputs)
        aux = None
        if has_aux:
            out, aux = out
    outs = out if isinstance(out, tuple) else (out,)

    def vjp_fn(*v):
        vs = v if isinstance(out, tuple) else (v[0],)
        with enable_grad():
            g = _autograd_grad(outs, inputs, vs, retain_graph=True, create_graph=True,
                               allow_unused=True, materialize_grads=True)
        return tuple(x if p.requires_grad else x.detach() for x, p in zip(g, primals))
    result = tuple(o.detach() for o in outs) if isinstance(out, tuple) else out.detach()
    return (result, vjp_fn, aux) if has_aux else (result, vjp_fn)


def jvp(func, primals, tangents, *, strict=False, has_aux=False):
    """``(func(*primals), J @ tangents)`` (by the double-vjp identity)."""
    if has_aux:
        raise NotImplementedError("disttrain.func.jvp does not support has_aux")
    out, jv = _F.jvp(func, tuple(primals), tuple(tangents),
                     create_graph=any(p.requires_grad for p in primals), strict=strict)
    return out, jv


def jacrev(func, argnums=0, *, has_aux=False, chunk_size=None):
    """A function returning the Jacobian of ``func`` w.r.t. ``args[argnums]`` (shape: output
    shape + input shape)."""
    if has_aux:
        raise NotImplementedError("disttrain.func.jacrev does not support has_aux")

    def wrapper(*args):
        nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
        create = any(args[i].requires_grad for i in nums)

        def f(*sel):
            full = list(args)
            for i, s in zip(nums, sel):
                full[i] = s
            return func(*full)
        jac = _F.jacobian(f, tuple(args[i] for i in nums), create_graph=True)
        if not create:
            jac = _detach(jac)
        if isinstance(argnums, int):     # one input: drop the per-input level
            return jac[0] if isinstance(jac[0], Tensor) else tuple(j[0] for j in jac)
        return jac
    return wrapper


def _detach(x):
    if isinstance(x, Tensor):
        return x.detach()
    return tuple(_detach(i) for i in x)


def jacfwd(func, argnums=0, has_aux=False, *, randomness="error"):
    """``jacrev``'s values (disttrain computes Jacobians in reverse mode only)."""
    return jacrev(func, argnums, has_aux=has_aux)


def hessian(func, argnums=0):
    """A function returning the Hessian of scalar ``func`` w.r.t. ``args[argnums]``."""
    return jacrev(jacrev(func, argnums), argnums)
