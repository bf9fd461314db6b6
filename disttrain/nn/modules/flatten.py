"""Flatten and Unflatten: reshape a range of dims of the input."""
from .module import Module

__all__ = ["Flatten", "Unflatten"]


class Flatten(Module):
    """Flattens dims ``start_dim`` to ``end_dim`` into one.

    Args:
        start_dim (int): first dim to flatten. Default: 1 (keeps the batch dim).
        end_dim (int): last dim to flatten. Default: -1.

    Shape:
        - Input: ``(*, S_start, ..., S_end, *)``.
        - Output: ``(*, ∏ S_i, *)``.

    Example::

        >>> nn.Flatten()(disttrain.randn(32, 1, 5, 5)).shape
        disttrain.Size([32, 25])
    """

    def __init__(self, start_dim=1, end_dim=-1):
        super().__init__()
        self.start_dim = start_dim
        self.end_dim = end_dim

    def forward(self, input):
        return input.flatten(self.start_dim, self.end_dim)

    def extra_repr(self):
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class Unflatten(Module):
    """Expands dim ``dim`` of the input into ``unflattened_size``.

    Args:
        dim (int or str): the dim to expand.
        unflattened_size (tuple of ints): the new sizes; one may be -1.

    Example::

        >>> nn.Unflatten(1, (2, 5, 5))(disttrain.randn(2, 50)).shape
        disttrain.Size([2, 2, 5, 5])
    """

    def __init__(self, dim, unflattened_size):
        super().__init__()
        if isinstance(dim, int):
            if not isinstance(unflattened_size, (tuple, list)):
                raise TypeError(f"unflattened_size must be tuple of ints, but found type "
                                f"{type(unflattened_size).__name__}")
            for i, s in enumerate(unflattened_size):
                if not isinstance(s, int):
                    raise TypeError(f"unflattened_size must be tuple of ints, but found element "
                                    f"of type {type(s).__name__} at pos {i}")
        else:
            raise TypeError("invalid argument type for dim parameter")
        self.dim = dim
        self.unflattened_size = unflattened_size

    def forward(self, input):
        d = input._dim(self.dim)
        sizes = list(self.unflattened_size)
        known = 1
        for s in sizes:
            if s != -1:
                known *= s
        n = input.shape[d]
        if (-1 not in sizes and known != n) or (-1 in sizes and (known == 0 or n % known)):
            raise RuntimeError(f"unflatten: Provided sizes {sizes} don't multiply up to the "
                               f"size of dim {self.dim} ({n}) in the input tensor")
        shape = list(input.shape[:d]) + sizes + list(input.shape[d + 1:])
        return input.view(*shape)

    def extra_repr(self):
        return f"dim={self.dim}, unflattened_size={self.unflattened_size}"
