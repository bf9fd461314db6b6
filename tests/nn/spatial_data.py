"""Deterministic inputs shared by the spatial/sequence layer tests.

``seq`` builds the same numbers a reference run used (``sin(0.37 * i + phase)`` over the
flattened shape), so expected values can be written down as literals.
"""
import disttrain


def seq(*shape, phase=0.0, k=0.37, dtype=disttrain.float64, requires_grad=False):
    n = 1
    for s in shape:
        n *= s
    t = (disttrain.arange(n, dtype=disttrain.float64) * k + phase).sin().reshape(shape)
    return t.to(dtype).requires_grad_(requires_grad)


def set_params(module, phase=0.5):
    """Overwrite every parameter with ``seq`` values (phase shifted per parameter)."""
    with disttrain.no_grad():
        for i, p in enumerate(module.parameters()):
            p.copy_(seq(*p.shape, phase=phase + i, dtype=p.dtype))
    return module


def fingerprint(t):
    """(sum, weighted sum) of a tensor: a compact, position-sensitive digest of its values."""
    t = t.detach().to(disttrain.float64)
    return (t.sum().item(), (t * seq(*t.shape, phase=3.0, k=0.71)).sum().item())


def weighted_loss(y):
    """A scalar whose gradient differs at every output position (for gradient digests)."""
    return (y * seq(*y.shape, phase=3.0, k=0.71, dtype=y.dtype)).sum()
