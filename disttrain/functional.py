"""``disttrain.functional``: the functions PyTorch also keeps in ``torch.functional``
(``torch.functional.einsum``, ``.norm``, ``.stft`` ...), the very same as ``disttrain.<name>``."""
from .core.functions import (atleast_1d, atleast_2d, atleast_3d, block_diag,  # noqa: F401
                             broadcast_shapes, broadcast_tensors, cartesian_prod, cdist,
                             chain_matmul, einsum, istft, lu, meshgrid, norm, pca_lowrank, split,
                             stft, svd_lowrank, tensordot, unique, unique_consecutive,
                             unravel_index)

__all__ = ["atleast_1d", "atleast_2d", "atleast_3d", "broadcast_shapes", "broadcast_tensors",
           "cartesian_prod", "block_diag", "cdist", "chain_matmul", "einsum", "istft", "lu",
           "norm", "meshgrid", "pca_lowrank", "split", "stft", "svd_lowrank", "tensordot",
           "unique", "unique_consecutive", "unravel_index"]
