"""``make_grid`` and ``save_image``: a batch of images as one picture (DCGAN uses both)."""
import math

import numpy as np

import disttrain

__all__ = ["make_grid", "save_image"]


def make_grid(tensor, nrow=8, padding=2, normalize=False, value_range=None, scale_each=False,
              pad_value=0.0):
    """Lay a batch ``(B, C, H, W)`` (or a list of ``(C, H, W)``) out in a grid.

    Args:
        nrow (int): images per row. Default: 8.
        padding (int): pixels between images and around them. Default: 2.
        normalize (bool): shift each value into [0, 1] by ``value_range`` (default: the
            min and max). Default: ``False``.
        value_range (tuple, optional): ``(low, high)`` for ``normalize``.
        scale_each (bool): normalize each image on its own. Default: ``False``.
        pad_value (float): the value of the padding. Default: 0.

    Returns:
        Tensor: ``(3, rows * (H + padding) + padding, cols * (W + padding) + padding)``
        (single-channel images are repeated to 3 channels).
    """
    if isinstance(tensor, (list, tuple)):
        tensor = disttrain.stack(list(tensor), dim=0)
    if not isinstance(tensor, disttrain.Tensor):
        raise TypeError(f"tensor or list of tensors expected, got {type(tensor)}")
    arr = tensor.detach().cpu().numpy()
    if arr.ndim == 2:
        arr = arr[None]
    if arr.ndim == 3:
        arr = (np.concatenate([arr] * 3, 0) if arr.shape[0] == 1 else arr)[None]
    if arr.ndim == 4 and arr.shape[1] == 1:
        arr = np.concatenate([arr] * 3, 1)
    if normalize:
        arr = arr.astype(np.result_type(arr.dtype, np.float32), copy=True)

        def norm(img):
            low, high = value_range if value_range is not None else (float(img.min()),
                                                                      float(img.max()))
            np.clip(img, low, high, out=img)
            img -= low
            img /= max(high - low, 1e-5)
        if scale_each:
            for img in arr:
                norm(img)
        else:
            norm(arr)
    if arr.shape[0] == 1:
        return disttrain.from_numpy(np.ascontiguousarray(arr[0]))
    nmaps = arr.shape[0]
    xmaps = min(nrow, nmaps)
    ymaps = int(math.ceil(float(nmaps) / xmaps))
    height, width = arr.shape[2] + padding, arr.shape[3] + padding
    grid = np.full((arr.shape[1], height * ymaps + padding, width * xmaps + padding), pad_value,
                   dtype=arr.dtype)
    for k in range(nmaps):
        y, x = divmod(k, xmaps)
        grid[:, y * height + padding:(y + 1) * height, x * width + padding:(x + 1) * width] = arr[k]
    return disttrain.from_numpy(grid)


def save_image(tensor, fp, format=None, **kwargs):
    """Save a batch (through ``make_grid``, which takes ``kwargs``) as an image file.

    Values in [0, 1] map to 0..255 (rounded); the format comes from the file name unless
    ``format`` is given.
    """
    from PIL import Image
    grid = make_grid(tensor, **kwargs).numpy()
    ndarr = np.clip(grid * 255 + 0.5, 0, 255).transpose(1, 2, 0).astype(np.uint8)
    Image.fromarray(ndarr).save(fp, format=format)
