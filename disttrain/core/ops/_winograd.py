"""3x3 stride-1 convolutions by Winograd's minimal filtering F(2x2, 3x3).

Each 2x2 block of outputs comes from a 4x4 tile of the input (tiles overlap by 2):
``Y = A^T [(G g G^T) * (B^T d B)] A``, summed over input channels. The sum over channels
is, for each of the 16 tile positions, one gemm ``(O, C) @ (C, tiles)``: 16 products of
``O*C*tiles`` against im2col's 36 for the same four outputs, 2.25x fewer multiply-adds.
The transforms are additions over whole arrays, memory-bound, and cost ``C + O`` per
tile position where the gemm costs ``C * O``: this pays where both channel counts are
large (ResNet's 128- to 512-channel stages), not on a few channels (see ``applies``).

The weight gradient is the adjoint of the same formula, ``G^T [(A dY A^T) * V] G``, the
sum over tiles again one gemm per tile position (with the input tiles ``V`` kept from the
forward); the input gradient of a stride-1 convolution is a forward convolution of the
output gradient (``conv._input_grad_by_forward``), so it comes here by itself.

The transform matrices hold 0, +-1 and +-1/2 only; in float32 the results differ from
im2col's by rounding (a few units in the last place of the larger outputs).
"""
import numpy as np

__all__ = ["applies", "forward", "weight_grad"]

#: where this beats im2col (measured on one core against OpenBLAS): both channel counts at
#: least MIN_CHANNELS (the transforms cost C + O per tile position, the gemm C * O) and at
#: least MIN_TILES tiles over the batch (the weight's transform, O * C * 16, and 16 short
#: gemms lose to one long one on small images: 512 channels of 4x4 ran 2.3x slower)
MIN_CHANNELS = 64
MIN_TILES = 256

_G = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0.0, 0.0, 1.0]])


def applies(w_shape, spec, batch, out_hw, dtype):
    """A 3x3, stride-1, undilated, ungrouped float32/float64 convolution with many channels
    both ways and many tiles, producing ``out_hw`` outputs per image for ``batch`` images
    (half precision would lose too much in the transforms)."""
    return (dtype.kind == "f" and dtype.itemsize >= 4 and
            tuple(w_shape[2:]) == (3, 3) and spec.stride == (1, 1) and
            spec.dilation == (1, 1) and spec.groups == 1 and
            min(w_shape[0], w_shape[1]) >= MIN_CHANNELS and
            batch * -(-out_hw[0] // 2) * -(-out_hw[1] // 2) >= MIN_TILES)


def _grid(x_shape, padding):
    """Output size (oh, ow) and tile grid (th, tw): 2x2 outputs per tile, rounded up."""
    (pt, pb), (pl, pr) = padding
    oh, ow = x_shape[2] + pt + pb - 2, x_shape[3] + pl + pr - 2
    return (oh, ow), (-(-oh // 2), -(-ow // 2))


def input_tiles(xp, x, padding):
    """``V = B^T d B`` of every 4x4 tile: (16, C, N*th*tw)."""
    n, c, h, w = x.shape
    (pt, _), (pl, _) = padding
    _, (th, tw) = _grid(x.shape, padding)
    xpad = xp.zeros((n, c, 2 * th + 2, 2 * tw + 2), x.dtype)
    xpad[:, :, pt:pt + h, pl:pl + w] = x
    sn, sc, sh, sw = xpad.strides
    d = xp.lib.stride_tricks.as_strided(xpad, (4, 4, c, n, th, tw),
                                        (sh, sw, sc, sn, 2 * sh, 2 * sw))
    d = xp.ascontiguousarray(d).reshape(4, 4, c, n * th * tw)
    t = xp.empty_like(d)
    _bt(xp, d, t, axis=0)       # rows:    t = B^T d
    _bt(xp, t, d, axis=1)       # columns: d = t B
    return d.reshape(16, c, -1)


def _bt(xp, src, dst, axis):
    """``dst = B^T src`` along ``axis`` (0 or 1) of a (4, 4, ...) array."""
    s = [src[i] if axis == 0 else src[:, i] for i in range(4)]
    d = [dst[i] if axis == 0 else dst[:, i] for i in range(4)]
    xp.subtract(s[0], s[2], out=d[0])
    xp.add(s[1], s[2], out=d[1])
    xp.subtract(s[2], s[1], out=d[2])
    xp.subtract(s[1], s[3], out=d[3])


def _g(xp, dtype):
    return xp.asarray(_G, dtype=dtype)


def _weight_tiles(xp, w):
    """``U = G g G^T``: (16, O, C)."""
    o, c = w.shape[:2]
    g = _g(xp, w.dtype)
    u = xp.tensordot(g, w, axes=([1], [2]))             # (4, O, C, 3)
    u = xp.tensordot(u, g, axes=([3], [1]))             # (4, O, C, 4)
    return xp.ascontiguousarray(u.transpose(0, 3, 1, 2)).reshape(16, o, c)


def forward(xp, x, w, padding, keep_tiles=False):
    """The convolution (N, O, oh, ow); with ``keep_tiles`` also ``V`` for the weight grad."""
    n = x.shape[0]
    o = w.shape[0]
    (oh, ow), (th, tw) = _grid(x.shape, padding)
    v = input_tiles(xp, x, padding)
    m = (_weight_tiles(xp, w) @ v).reshape(4, 4, o, n, th, tw)
    # Y = A^T m A: rows first, then columns straight into the output seen as its 2x2
    # output blocks, (2, 2, O, N, th, tw) strided
    s = xp.empty((2, 4, o, n, th, tw), x.dtype)
    xp.add(m[0], m[1], out=s[0])
    s[0] += m[2]
    xp.subtract(m[1], m[2], out=s[1])
    s[1] -= m[3]
    out = xp.empty((n, o, th, 2, tw, 2), x.dtype)
    y = out.transpose(3, 5, 1, 0, 2, 4)
    xp.add(s[:, 0], s[:, 1], out=y[:, 0])
    y[:, 0] += s[:, 2]
    xp.subtract(s[:, 1], s[:, 2], out=y[:, 1])
    y[:, 1] -= s[:, 3]
    out = out.reshape(n, o, 2 * th, 2 * tw)
    if (oh, ow) != (2 * th, 2 * tw):
        out = xp.ascontiguousarray(out[:, :, :oh, :ow])
    return (out, v) if keep_tiles else out


def weight_grad(xp, x, gy, w_shape, padding, tiles=None):
    """``G^T [(A dY A^T) * V] G`` summed over tiles: (O, C, 3, 3)."""
    n, o, oh, ow = gy.shape
    th, tw = -(-oh // 2), -(-ow // 2)
    v = tiles if tiles is not None else input_tiles(xp, x, padding)
    gyp = gy
    if (oh, ow) != (2 * th, 2 * tw):
        gyp = xp.zeros((n, o, 2 * th, 2 * tw), gy.dtype)
        gyp[:, :, :oh, :ow] = gy
    # (2, 2, O, N, th, tw): the 2x2 output block of every tile
    e = gyp.reshape(n, o, th, 2, tw, 2).transpose(3, 5, 1, 0, 2, 4)
    e = xp.ascontiguousarray(e).reshape(2, 2, o, -1)
    # A e A^T, A = [[1, 0], [1, 1], [1, -1], [0, -1]]: rows, then columns
    r = xp.empty((4, 2) + e.shape[2:], gy.dtype)
    r[0] = e[0]
    xp.add(e[0], e[1], out=r[1])
    xp.subtract(e[0], e[1], out=r[2])
    xp.negative(e[1], out=r[3])
    q = xp.empty((4, 4) + e.shape[2:], gy.dtype)
    q[:, 0] = r[:, 0]
    xp.add(r[:, 0], r[:, 1], out=q[:, 1])
    xp.subtract(r[:, 0], r[:, 1], out=q[:, 2])
    xp.negative(r[:, 1], out=q[:, 3])
    z = (q.reshape(16, o, -1) @ v.transpose(0, 2, 1)).reshape(4, 4, o, -1)   # (4, 4, O, C)
    g = _g(xp, gy.dtype)
    gw = xp.tensordot(g, z, axes=([0], [0]))            # (3, 4, O, C)
    gw = xp.tensordot(gw, g, axes=([1], [0]))           # (3, O, C, 3)
    return xp.ascontiguousarray(gw.transpose(1, 2, 0, 3)).reshape(w_shape)
