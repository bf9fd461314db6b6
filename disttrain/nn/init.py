"""Parameter initialisation schemes, in place and outside autograd."""
__all__ = []
