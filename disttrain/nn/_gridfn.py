"""``affine_grid`` and ``grid_sample`` (spatial transformer networks), in 2-d and 3-d.

Both are compositions of differentiable ops, so gradients reach the input, the grid and
through the grid ``theta``: sampling gathers the corner values with ``gather`` and weighs
them with functions of the grid coordinates.
"""
import itertools
import warnings

import numpy as np

from ..core import creation as _c, functions as _fn

__all__ = ["affine_grid", "grid_sample", "GRID_SAMPLE_INTERPOLATION_MODES",
           "GRID_SAMPLE_PADDING_MODES"]

GRID_SAMPLE_INTERPOLATION_MODES = {"bilinear": 0, "nearest": 1, "bicubic": 2}
GRID_SAMPLE_PADDING_MODES = {"zeros": 0, "border": 1, "reflection": 2}

_ALIGN_WARNING = ("Default grid_sample and affine_grid behavior has changed to "
                  "align_corners=False since 1.3.0. Please specify align_corners=True if the "
                  "old behavior is desired. See the documentation of grid_sample for details.")


def _base_coords(n, align_corners, like):
    """The normalised coordinates of ``n`` pixel centres (or corners) in [-1, 1]."""
    if n <= 1:
        return _c.zeros(n, dtype=like.dtype, device=like.device)
    v = np.linspace(-1.0, 1.0, n)
    if not align_corners:
        v = v * (n - 1) / n
    return _c.tensor(v, dtype=like.dtype, device=like.device)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of the affine maps ``theta`` (N, 2, 3) or (N, 3, 4) for an output of
    ``size`` (N, C, H, W) or (N, C, D, H, W): (N, H, W, 2) or (N, D, H, W, 3) in [-1, 1].

    Example::

        >>> theta = disttrain.tensor([[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]])
        >>> F.affine_grid(theta, (1, 1, 2, 2), align_corners=False).shape
        disttrain.Size([1, 2, 2, 2])
    """
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    if not theta.dtype.is_floating_point:
        raise ValueError(f"Expected theta to have floating point type, but got {theta.dtype}")
    size = tuple(int(s) for s in size)
    if len(size) == 4:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (2, 3):
            raise ValueError(f"Expected a batch of 2D affine matrices of shape Nx2x3 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-2:]
    elif len(size) == 5:
        if theta.dim() != 3 or tuple(theta.shape[-2:]) != (3, 4):
            raise ValueError(f"Expected a batch of 3D affine matrices of shape Nx3x4 for size "
                             f"{size}. Got {theta.shape}.")
        spatial = size[-3:]
    else:
        raise NotImplementedError(f"affine_grid only supports 4D and 5D sizes, for 2D and 3D "
                                  f"affine transforms, respectively. Got size {size}.")
    if align_corners and min(spatial) == 1:
        warnings.warn("Since version 1.3.0, affine_grid behavior has changed for unit-size "
                      "grids when align_corners=True. This is not an intended use case of "
                      "affine_grid. See the documentation of affine_grid for details.",
                      stacklevel=2)
    elif min(size) <= 0:
        raise ValueError(f"Expected non-zero, positive output size. Got {size}")
    nd = len(spatial)
    axes = [_base_coords(n, align_corners, theta) for n in spatial]   # (D,) H, W
    grids = _mesh(axes)
    # columns x (width), y (height)[, z (depth)], 1
    cols = list(reversed(grids)) + [_c.ones(*spatial, dtype=theta.dtype, device=theta.device)]
    base = _fn.stack(cols, -1).reshape(1, -1, nd + 1)
    grid = base.matmul(theta.transpose(1, 2))              # (N, prod(spatial), nd)
    return grid.reshape(size[0], *spatial, nd)


def _mesh(axes):
    """meshgrid(indexing='ij') by broadcasting."""
    nd = len(axes)
    shape = tuple(a.shape[0] for a in axes)
    out = []
    for i, a in enumerate(axes):
        view = [1] * nd
        view[i] = shape[i]
        out.append(a.reshape(*view).expand(*shape))
    return out


def _unnormalize(coord, size, align_corners):
    if align_corners:
        return (coord + 1) / 2 * (size - 1)
    return ((coord + 1) * size - 1) / 2


def _reflect(coord, twice_low, twice_high):
    """Reflect ``coord`` into [twice_low/2, twice_high/2] (PyTorch's reflect_coordinates)."""
    if twice_low == twice_high:
        return coord * 0
    lo = twice_low / 2
    span = (twice_high - twice_low) / 2
    c = (coord - lo).abs()
    flips = (c / span).floor()
    extra = c - flips * span
    even = (flips.remainder(2) == 0)
    return _fn.where(even, extra + lo, span - extra + lo)


def _source_coord(coord, size, padding_mode, align_corners):
    x = _unnormalize(coord, size, align_corners)
    if padding_mode == "border":
        x = x.clamp(0, size - 1)
    elif padding_mode == "reflection":
        if align_corners:
            x = _reflect(x, 0, 2 * (size - 1))
        else:
            x = _reflect(x, -1, 2 * size - 1)
        x = x.clamp(0, size - 1)
    return x


def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Sample ``input`` at the normalised locations of ``grid``.

    Args:
        input (Tensor): (N, C, H, W) or (N, C, D, H, W).
        grid (Tensor): (N, H_out, W_out, 2) or (N, D_out, H_out, W_out, 3) of (x, y[, z]) in
            [-1, 1] (-1 the left/top edge).
        mode (str): 'bilinear' (trilinear in 3-d), 'nearest' or 'bicubic' (2-d only).
        padding_mode (str): 'zeros', 'border' or 'reflection' for locations outside.
        align_corners (bool): -1 and 1 are the centres (True) or the outer edges (False) of
            the corner pixels. Default False, with PyTorch's warning when not given.

    Example::

        >>> x = disttrain.arange(4.0).reshape(1, 1, 2, 2)
        >>> g = disttrain.zeros(1, 1, 1, 2)
        >>> F.grid_sample(x, g, align_corners=True)
        tensor([[[[1.5000]]]])
    """
    if mode not in ("bilinear", "nearest", "bicubic"):
        raise ValueError(f"nn.functional.grid_sample(): expected mode to be 'bilinear', "
                         f"'nearest' or 'bicubic', but got: '{mode}'")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"nn.functional.grid_sample(): expected padding_mode to be 'zeros', "
                         f"'border', or 'reflection', but got: '{padding_mode}'")
    if align_corners is None:
        warnings.warn(_ALIGN_WARNING, stacklevel=2)
        align_corners = False
    nd = input.dim() - 2
    if mode == "bicubic" and nd != 2:
        raise RuntimeError("grid_sampler(): bicubic interpolation only supports 4D input")
    if nd not in (2, 3) or grid.dim() != input.dim():
        raise RuntimeError(f"grid_sampler(): expected 4D or 5D input and grid with same number "
                           f"of dimensions, but got input with sizes {list(input.shape)} and "
                           f"grid with sizes {list(grid.shape)}")
    if grid.shape[-1] != nd:
        raise RuntimeError(f"grid_sampler(): expected grid to have size {nd} in last "
                           f"dimension, but got grid with sizes {list(grid.shape)}")
    if input.shape[0] != grid.shape[0]:
        raise RuntimeError(f"grid_sampler(): expected grid and input to have same batch size, "
                           f"but got input with sizes {list(input.shape)} and grid with sizes "
                           f"{list(grid.shape)}")
    n, c = input.shape[:2]
    sizes = tuple(input.shape[2:])                     # (D,) H, W
    out_sp = tuple(grid.shape[1:-1])
    flat_in = input.reshape(n, c, -1)
    g = grid.reshape(n, -1, nd)
    # coordinates per input axis, in the input's axis order (depth, height, width)
    coords = [_source_coord(g[..., nd - 1 - a], sizes[a], padding_mode, align_corners)
              for a in range(nd)]
    strides = [int(np.prod(sizes[a + 1:])) for a in range(nd)]

    def tap(idx_per_axis):
        valid = None
        flat = None
        for a, ia in enumerate(idx_per_axis):
            ok = (ia >= 0) & (ia <= sizes[a] - 1)
            valid = ok if valid is None else valid & ok
            part = ia.clamp(0, sizes[a] - 1).long() * strides[a]
            flat = part if flat is None else flat + part
        vals = flat_in.gather(2, flat.unsqueeze(1).expand(n, c, flat.shape[-1]))
        return vals.masked_fill(~valid.unsqueeze(1), 0.0)

    if mode == "bicubic":
        return _bicubic_sample(flat_in, g, sizes, padding_mode, align_corners, tap, n, c,
                               out_sp)
    if mode == "nearest":
        out = tap([co.detach().round() for co in coords])
        # the grid gets a zero gradient (not none), as in PyTorch
        if grid.requires_grad:
            z = g.masked_fill(~g.detach().isfinite(), 0.0)
            out = out + (z - z.detach()).sum() * 0
    else:
        lows = [co.detach().floor() for co in coords]
        fracs = [co - lo for co, lo in zip(coords, lows)]
        out = None
        for bits in itertools.product((0, 1), repeat=nd):
            w = None
            idx = []
            for a, b in enumerate(bits):
                wa = fracs[a] if b else 1 - fracs[a]
                w = wa if w is None else w * wa
                idx.append(lows[a] + b)
            term = tap(idx) * w.unsqueeze(1)
            out = term if out is None else out + term
    return out.reshape(n, c, *out_sp)


def _bicubic_sample(flat_in, g, sizes, padding_mode, align_corners, tap, n, c, out_sp):
    """4x4 cubic convolution around each location; padding applies to every tap's integer
    coordinate (zeros: taps outside read 0), as PyTorch's bicubic sampler."""
    from ._bicubic import cubic_weights
    ix = _unnormalize(g[..., 0], sizes[1], align_corners)
    iy = _unnormalize(g[..., 1], sizes[0], align_corners)
    x0, y0 = ix.detach().floor(), iy.detach().floor()
    wx, wy = cubic_weights(ix - x0), cubic_weights(iy - y0)

    def coord(v, size):
        if padding_mode == "border":
            return v.clamp(0, size - 1)
        if padding_mode == "reflection":
            r = _reflect(v, 0, 2 * (size - 1)) if align_corners else _reflect(v, -1,
                                                                                2 * size - 1)
            return r.clamp(0, size - 1)
        return v
    out = None
    for j in range(4):
        yj = coord(y0 + (j - 1), sizes[0]).round()
        for i in range(4):
            xi = coord(x0 + (i - 1), sizes[1]).round()
            term = tap([yj, xi]) * (wy[j] * wx[i]).unsqueeze(1)
            out = term if out is None else out + term
    return out.reshape(n, c, *out_sp)
