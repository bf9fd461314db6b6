"""``disttrain.backends.opt_einsum``: disttrain does not use the opt_einsum package.

``enabled`` and ``strategy`` are kept for programs that set them and have no effect here.
"""
__all__ = ["is_available", "get_opt_einsum", "enabled", "strategy"]

enabled = False
strategy = None


def is_available():
    """False: contraction orders are not computed with opt_einsum here."""
    return False


def get_opt_einsum():
    """None: opt_einsum is not used."""
    return None
