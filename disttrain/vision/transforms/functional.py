"""Image transforms as functions, on PIL images and on tensors (``[..., C, H, W]``).

A PIL image goes through Pillow's own operations, as torchvision does, so results equal
torchvision's for PIL inputs. A tensor goes through disttrain ops; geometric resampling of
tensors (resize, rotate) is computed from the same formulas torchvision's tensor path uses.
"""
import enum
import math
import numbers

import numpy as np

import disttrain
from disttrain import Tensor

__all__ = ["InterpolationMode", "to_tensor", "pil_to_tensor", "to_pil_image", "normalize",
           "resize", "center_crop", "crop", "resized_crop", "pad", "hflip", "vflip", "rotate",
           "rgb_to_grayscale", "to_grayscale", "adjust_brightness", "adjust_contrast",
           "adjust_saturation", "adjust_hue", "erase", "convert_image_dtype",
           "get_image_size", "get_dimensions", "get_image_num_channels", "five_crop",
           "ten_crop"]


class InterpolationMode(enum.Enum):
    """How a resize or rotation samples the source image."""

    NEAREST = "nearest"
    NEAREST_EXACT = "nearest-exact"
    BILINEAR = "bilinear"
    BICUBIC = "bicubic"
    BOX = "box"
    HAMMING = "hamming"
    LANCZOS = "lanczos"


def _pil_mode(interpolation):
    from PIL import Image
    table = {InterpolationMode.NEAREST: Image.NEAREST, InterpolationMode.BILINEAR: Image.BILINEAR,
             InterpolationMode.BICUBIC: Image.BICUBIC, InterpolationMode.BOX: Image.BOX,
             InterpolationMode.HAMMING: Image.HAMMING, InterpolationMode.LANCZOS: Image.LANCZOS,
             InterpolationMode.NEAREST_EXACT: Image.NEAREST}
    return table[_mode(interpolation)]


def _mode(interpolation):
    if isinstance(interpolation, int) and not isinstance(interpolation, bool):
        # Pillow's integer constants, which older torchvision code passes
        return {0: InterpolationMode.NEAREST, 2: InterpolationMode.BILINEAR,
                3: InterpolationMode.BICUBIC, 4: InterpolationMode.BOX,
                5: InterpolationMode.HAMMING, 1: InterpolationMode.LANCZOS}[interpolation]
    return InterpolationMode(interpolation)


def _is_pil(img):
    try:
        from PIL import Image
    except ImportError:
        return False
    return isinstance(img, Image.Image)


def _check_image(img):
    if not (_is_pil(img) or isinstance(img, Tensor)):
        raise TypeError(f"img should be PIL Image or Tensor. Got {type(img)}")
    if isinstance(img, Tensor) and img.ndim < 2:
        raise TypeError(f"Tensor is not a torch image: expected at least 2 dimensions, got "
                        f"{img.ndim}")


def get_dimensions(img):
    """``[channels, height, width]`` of an image."""
    _check_image(img)
    if isinstance(img, Tensor):
        c = 1 if img.ndim == 2 else img.shape[-3]
        return [c, img.shape[-2], img.shape[-1]]
    return [len(img.getbands()), img.height, img.width]


def get_image_size(img):
    """``[width, height]`` of an image."""
    c, h, w = get_dimensions(img)
    return [w, h]


def get_image_num_channels(img):
    return get_dimensions(img)[0]


# ------------------------------------------------------------------------------- conversion
_PIL_DTYPES = {"I": np.int32, "I;16": np.int16, "I;16B": np.int16, "F": np.float32}


def to_tensor(pic):
    """A PIL image or a ``HWC`` numpy array as a ``CHW`` tensor; uint8 data scaled to [0, 1]."""
    if isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
        t = disttrain.from_numpy(np.ascontiguousarray(arr.transpose(2, 0, 1)))
        return t.to(disttrain.get_default_dtype()).div(255) if arr.dtype == np.uint8 else t
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image or ndarray. Got {type(pic)}")
    arr = np.array(pic, _PIL_DTYPES.get(pic.mode, np.uint8), copy=True)
    if pic.mode == "1":
        arr = 255 * arr
    arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands())).transpose(2, 0, 1)
    t = disttrain.from_numpy(np.ascontiguousarray(arr))
    return t.to(disttrain.get_default_dtype()).div(255) if arr.dtype == np.uint8 else t


def pil_to_tensor(pic):
    """A PIL image as a ``CHW`` tensor of its own dtype, unscaled."""
    if not _is_pil(pic):
        raise TypeError(f"pic should be PIL Image. Got {type(pic)}")
    arr = np.array(pic, _PIL_DTYPES.get(pic.mode, np.uint8), copy=True)
    arr = arr.reshape(pic.size[1], pic.size[0], len(pic.getbands())).transpose(2, 0, 1)
    return disttrain.from_numpy(np.ascontiguousarray(arr))


def to_pil_image(pic, mode=None):
    """A ``CHW`` tensor or ``HWC`` array as a PIL image (float data is multiplied by 255 and
    truncated to bytes, as torchvision does)."""
    from PIL import Image
    if isinstance(pic, Tensor):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        if pic.ndim == 2:
            pic = pic.unsqueeze(0)
        if pic.shape[-3] > 4:
            raise ValueError(f"pic should not have > 4 channels. Got {pic.shape[-3]} channels.")
        arr = pic.detach().cpu().numpy()
        if arr.dtype.kind == "f" and mode != "F":
            arr = (arr * 255).astype(np.uint8)
        arr = arr.transpose(1, 2, 0)
    elif isinstance(pic, np.ndarray):
        if pic.ndim not in (2, 3):
            raise ValueError(f"pic should be 2/3 dimensional. Got {pic.ndim} dimensions.")
        arr = pic[:, :, None] if pic.ndim == 2 else pic
    else:
        raise TypeError(f"pic should be Tensor or ndarray. Got {type(pic)}.")
    if arr.shape[2] == 1:
        arr = arr[:, :, 0]
        expected = {np.uint8: "L", np.int16: "I;16", np.int32: "I", np.float32: "F"}.get(
            arr.dtype.type)
        if mode is not None and mode != expected and not (mode == "L" and expected is None):
            raise ValueError(f"Incorrect mode ({mode}) supplied for input type {arr.dtype}. "
                             f"Should be {expected}")
        mode = mode or expected
    else:
        allowed = {2: ["LA"], 3: ["RGB", "YCbCr", "HSV"], 4: ["RGBA", "CMYK", "RGBX"]}
        modes = allowed[arr.shape[2]]
        if mode is not None and mode not in modes:
            raise ValueError(f"Only modes {modes} are supported for {arr.shape[2]}D inputs")
        mode = mode or modes[0]
        if arr.dtype != np.uint8:
            raise TypeError(f"Input type {arr.dtype} is not supported")
    if mode is None:
        raise TypeError(f"Input type {arr.dtype} is not supported")
    return Image.fromarray(np.ascontiguousarray(arr), mode=mode)


def convert_image_dtype(image, dtype=disttrain.float):
    """An image tensor in another dtype, rescaled (uint8 [0, 255] <-> float [0, 1])."""
    if image.dtype == dtype:
        return image
    if image.is_floating_point():
        if dtype.is_floating_point:
            return image.to(dtype)
        bound = float(np.iinfo(dtype.np).max)
        return image.mul(bound + 1.0 - 1e-3).to(dtype)
    bound_in = float(np.iinfo(image.dtype.np).max)
    if dtype.is_floating_point:
        return image.to(dtype).div(bound_in)
    bound_out = float(np.iinfo(dtype.np).max)
    return image.to(disttrain.float64).mul(bound_out / bound_in).to(dtype)


def normalize(tensor, mean, std, inplace=False):
    """``(tensor - mean) / std`` per channel of a float ``[..., C, H, W]`` tensor."""
    if not isinstance(tensor, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(tensor)}")
    if not tensor.is_floating_point():
        raise TypeError(f"Input tensor should be a float tensor. Got {tensor.dtype}.")
    if tensor.ndim < 3:
        raise ValueError(f"Expected tensor to be a tensor image of size (..., C, H, W). Got "
                         f"tensor.size() = {tensor.size()}")
    mean = disttrain.as_tensor(mean, dtype=tensor.dtype)
    std = disttrain.as_tensor(std, dtype=tensor.dtype)
    if bool((std == 0).any()):
        raise ValueError(f"std evaluated to zero after conversion to {tensor.dtype}, leading "
                         f"to division by zero.")
    if mean.ndim == 1:
        mean = mean.view(-1, 1, 1)
    if std.ndim == 1:
        std = std.view(-1, 1, 1)
    return tensor.sub_(mean).div_(std) if inplace else tensor.sub(mean).div(std)


# ------------------------------------------------------------------------------- geometry
def _resized_size(h, w, size, max_size):
    if isinstance(size, int) or len(size) == 1:
        requested = size if isinstance(size, int) else size[0]
        short, long = (w, h) if w <= h else (h, w)
        new_short, new_long = requested, int(requested * long / short)
        if max_size is not None:
            if max_size <= requested:
                raise ValueError(f"max_size = {max_size} must be strictly greater than the "
                                 f"requested size for the smaller edge size = {size}")
            if new_long > max_size:
                new_short, new_long = int(max_size * new_short / new_long), max_size
        return (new_short, new_long) if w > h else (new_long, new_short)
    if max_size is not None:
        raise ValueError("max_size should only be passed if size specifies the length of the "
                         "smaller edge, i.e. size should be an int or a sequence of length 1 "
                         "in torchscript mode.")
    return tuple(size)


def _filter_weights(n_in, n_out, mode, antialias):
    """The ``(n_out, n_in)`` matrix of a 1-D resample, PIL's algorithm for the antialiased
    case (each output averages the inputs under a filter widened by the scale)."""
    scale = n_in / n_out
    w = np.zeros((n_out, n_in))
    if mode in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        offset = 0.5 if mode is InterpolationMode.NEAREST_EXACT else 0.0
        src = np.minimum(np.floor((np.arange(n_out) + offset) * scale).astype(int), n_in - 1)
        w[np.arange(n_out), src] = 1.0
        return w
    if mode is InterpolationMode.BICUBIC:
        a = -0.5 if antialias else -0.75

        def filt(x):
            x = np.abs(x)
            return np.where(x < 1, ((a + 2) * x - (a + 3)) * x * x + 1,
                            np.where(x < 2, (((x - 5) * x + 8) * x - 4) * a, 0.0))
        support = 2.0
    elif mode is InterpolationMode.BILINEAR:
        def filt(x):
            return np.maximum(1 - np.abs(x), 0.0)
        support = 1.0
    else:
        raise ValueError(f"Interpolation {mode.value} is not supported for tensors")
    fscale = max(scale, 1.0) if antialias else 1.0
    if not antialias and mode is InterpolationMode.BICUBIC:
        # PyTorch's bicubic without antialias: 4 taps around src, indices clamped
        for o in range(n_out):
            src = (o + 0.5) * scale - 0.5
            base = math.floor(src)
            for k in range(-1, 3):
                w[o, min(max(base + k, 0), n_in - 1)] += filt(src - (base + k))
        return w
    for o in range(n_out):
        center = (o + 0.5) * scale
        lo = max(int(center - support * fscale + 0.5), 0)
        hi = min(int(center + support * fscale + 0.5), n_in)
        xs = np.arange(lo, hi)
        k = filt((xs - center + 0.5) / fscale)
        total = k.sum()
        w[o, lo:hi] = k / total if total else 0.0
    return w


def _resize_tensor(img, out_h, out_w, mode, antialias):
    h, w = img.shape[-2], img.shape[-1]
    if (h, w) == (out_h, out_w):
        return img
    dtype = img.dtype
    x = img if img.is_floating_point() else img.to(disttrain.float32)
    wh = disttrain.tensor(_filter_weights(h, out_h, mode, antialias), dtype=x.dtype,
                          device=x.device)
    ww = disttrain.tensor(_filter_weights(w, out_w, mode, antialias), dtype=x.dtype,
                          device=x.device)
    y = disttrain.matmul(disttrain.matmul(wh, x), ww.t())
    if dtype.is_floating_point:
        return y
    if mode in (InterpolationMode.NEAREST, InterpolationMode.NEAREST_EXACT):
        return y.to(dtype)
    info = np.iinfo(dtype.np)
    return y.round().clamp(float(info.min), float(info.max)).to(dtype)


def resize(img, size, interpolation=InterpolationMode.BILINEAR, max_size=None,
           antialias=True):
    """Resize to ``size`` (``(h, w)``, or an int for the smaller edge, keeping the ratio)."""
    _check_image(img)
    mode = _mode(interpolation)
    if isinstance(size, (list, tuple)) and len(size) not in (1, 2):
        raise ValueError(f"Size must be an int or a 1 or 2 element tuple/list, not a "
                         f"{len(size)} element tuple/list")
    _, h, w = get_dimensions(img)
    out_h, out_w = _resized_size(h, w, size, max_size)
    if _is_pil(img):
        if (img.height, img.width) == (out_h, out_w):
            return img
        return img.resize((out_w, out_h), _pil_mode(mode))
    return _resize_tensor(img, out_h, out_w, mode, bool(antialias))


def crop(img, top, left, height, width):
    """The ``height x width`` region at ``(top, left)``; outside the image is zero."""
    _check_image(img)
    if _is_pil(img):
        return img.crop((left, top, left + width, top + height))
    h, w = img.shape[-2], img.shape[-1]
    right, bottom = left + width, top + height
    if left < 0 or top < 0 or right > w or bottom > h:
        pads = [max(-left, 0), max(-top, 0), max(right - w, 0), max(bottom - h, 0)]
        img = pad(img[..., max(top, 0):min(bottom, h), max(left, 0):min(right, w)], pads)
        return img
    return img[..., top:bottom, left:right]


def center_crop(img, output_size):
    """The central ``output_size`` region, zero-padded first if the image is smaller."""
    if isinstance(output_size, numbers.Number):
        output_size = (int(output_size), int(output_size))
    elif isinstance(output_size, (tuple, list)) and len(output_size) == 1:
        output_size = (output_size[0], output_size[0])
    _, h, w = get_dimensions(img)
    th, tw = output_size
    if tw > w or th > h:
        img = pad(img, [(tw - w) // 2 if tw > w else 0, (th - h) // 2 if th > h else 0,
                        (tw - w + 1) // 2 if tw > w else 0, (th - h + 1) // 2 if th > h else 0])
        _, h, w = get_dimensions(img)
        if tw == w and th == h:
            return img
    return crop(img, int(round((h - th) / 2.0)), int(round((w - tw) / 2.0)), th, tw)


def resized_crop(img, top, left, height, width, size,
                 interpolation=InterpolationMode.BILINEAR, antialias=True):
    """``crop`` then ``resize``."""
    return resize(crop(img, top, left, height, width), size, interpolation,
                  antialias=antialias)


def _padding_ltrb(padding):
    if isinstance(padding, numbers.Number):
        return [int(padding)] * 4
    padding = list(padding)
    if len(padding) == 1:
        return padding * 4
    if len(padding) == 2:
        return [padding[0], padding[1], padding[0], padding[1]]
    if len(padding) == 4:
        return padding
    raise ValueError(f"Padding must be an int or a 1, 2, or 4 element tuple, not a "
                     f"{len(padding)} element tuple")


def pad(img, padding, fill=0, padding_mode="constant"):
    """Pad the borders: ``padding`` an int, ``(left/right, top/bottom)`` or
    ``(left, top, right, bottom)``; ``padding_mode`` constant, edge, reflect or symmetric."""
    _check_image(img)
    if padding_mode not in ("constant", "edge", "reflect", "symmetric"):
        raise ValueError("Padding mode should be either constant, edge, reflect or symmetric")
    left, top, right, bottom = _padding_ltrb(padding)
    np_mode = {"edge": "edge", "reflect": "reflect", "symmetric": "symmetric"}.get(padding_mode)
    if _is_pil(img):
        from PIL import Image
        arr = np.asarray(img)
        widths = [(top, bottom), (left, right)] + [(0, 0)] * (arr.ndim - 2)
        if np_mode is None:
            fills = fill if isinstance(fill, (tuple, list)) else [fill] * (arr.shape[2] if
                                                                           arr.ndim == 3 else 1)
            if arr.ndim == 2:
                out = np.pad(arr, widths, constant_values=fills[0])
            else:
                out = np.stack([np.pad(arr[..., c], widths[:2], constant_values=fills[c])
                                for c in range(arr.shape[2])], axis=-1)
        else:
            out = np.pad(arr, widths, mode=np_mode)
        if img.mode == "P":                   # pad the palette indices, keep the palette
            result = Image.fromarray(out, mode="L")
            result.putpalette(img.getpalette())
            return result
        return Image.fromarray(out, mode=img.mode)
    arr = img.detach().cpu().numpy()
    widths = [(0, 0)] * (arr.ndim - 2) + [(top, bottom), (left, right)]
    if np_mode is None:
        out = np.pad(arr, widths, constant_values=fill)
    else:
        out = np.pad(arr, widths, mode=np_mode)
    return disttrain.from_numpy(out).to(img.device)


def hflip(img):
    """Mirror left-right."""
    _check_image(img)
    if _is_pil(img):
        from PIL import Image
        return img.transpose(Image.FLIP_LEFT_RIGHT)
    return img.flip(-1)


def vflip(img):
    """Mirror top-bottom."""
    _check_image(img)
    if _is_pil(img):
        from PIL import Image
        return img.transpose(Image.FLIP_TOP_BOTTOM)
    return img.flip(-2)


def _inverse_rotation(angle, center):
    rot = math.radians(-angle)
    cx, cy = center
    a, b, c, d = math.cos(rot), -math.sin(rot), math.sin(rot), math.cos(rot)
    m = [d, -b, 0.0, -c, a, 0.0]
    m[2] += m[0] * -cx + m[1] * -cy + cx
    m[5] += m[3] * -cx + m[4] * -cy + cy
    return m


def rotate(img, angle, interpolation=InterpolationMode.NEAREST, expand=False, center=None,
           fill=None):
    """Rotate by ``angle`` degrees counter-clockwise about ``center`` (default: the middle)."""
    _check_image(img)
    mode = _mode(interpolation)
    if _is_pil(img):
        return img.rotate(angle, _pil_mode(mode), expand, center, fillcolor=_pil_fill(img, fill))
    if expand:
        raise NotImplementedError("rotate(expand=True) is supported for PIL images only here")
    if mode not in (InterpolationMode.NEAREST, InterpolationMode.BILINEAR):
        raise ValueError(f"Interpolation mode '{mode.value}' is unsupported with Tensor input")
    _, h, w = get_dimensions(img)
    c = [0.0, 0.0] if center is None else [center[0] - w * 0.5, center[1] - h * 0.5]
    m = _inverse_rotation(angle, c)
    # float32, in the order torchvision's affine grid and grid_sample compute it, so that
    # nearest-neighbour ties round the same way
    f32 = np.float32
    ys, xs = np.meshgrid(np.linspace(-h * 0.5 + 0.5, h * 0.5 - 0.5, h, dtype=f32),
                         np.linspace(-w * 0.5 + 0.5, w * 0.5 - 0.5, w, dtype=f32),
                         indexing="ij")
    theta = np.array(m, dtype=f32).reshape(2, 3) / np.array([[0.5 * w], [0.5 * h]], dtype=f32)
    gx = xs * theta[0, 0] + ys * theta[0, 1] + theta[0, 2]
    gy = xs * theta[1, 0] + ys * theta[1, 1] + theta[1, 2]
    px = ((gx + f32(1)) * f32(w) - f32(1)) / f32(2)
    py = ((gy + f32(1)) * f32(h) - f32(1)) / f32(2)
    arr = img.detach().cpu().numpy()
    lead = arr.shape[:-2] + (1, 1)
    fv = np.zeros(1) if fill is None else np.asarray(fill, dtype=np.float64).reshape(-1)
    fill_v = np.full(lead, fv[0]) if fv.size == 1 else np.broadcast_to(fv.reshape(-1, 1, 1),
                                                                        lead)
    if mode is InterpolationMode.NEAREST:
        ix, iy = np.rint(px).astype(int), np.rint(py).astype(int)
        valid = (ix >= 0) & (ix < w) & (iy >= 0) & (iy < h)
        out = np.where(valid, arr[..., np.clip(iy, 0, h - 1), np.clip(ix, 0, w - 1)], fill_v)
    else:
        x0, y0 = np.floor(px).astype(int), np.floor(py).astype(int)
        out = np.zeros(arr.shape, dtype=np.float64)
        mask = np.zeros((h, w))
        for dy in (0, 1):
            for dx in (0, 1):
                xi, yi = x0 + dx, y0 + dy
                wt = (1 - np.abs(px - xi)) * (1 - np.abs(py - yi))
                ok = (xi >= 0) & (xi < w) & (yi >= 0) & (yi < h)
                wt = np.where(ok, wt, 0.0)
                out += wt * arr[..., np.clip(yi, 0, h - 1), np.clip(xi, 0, w - 1)]
                mask += wt
        if fill is not None:
            out = out * mask + (1.0 - mask) * fill_v
    if arr.dtype.kind != "f":
        out = np.rint(out) if mode is InterpolationMode.BILINEAR else out
    return disttrain.from_numpy(np.ascontiguousarray(out.astype(arr.dtype))).to(img.device)


def _pil_fill(img, fill):
    """``fill`` as Pillow wants it: a number for one band, a tuple for several."""
    if fill is None:
        return None
    bands = len(img.getbands())
    if isinstance(fill, (int, float)):
        return tuple([int(fill)] * bands) if bands > 1 else int(fill)
    fill = tuple(int(v) for v in fill)
    if len(fill) == 1 and bands > 1:
        return fill * bands
    if len(fill) != bands:
        raise ValueError(f"The number of elements in 'fill' does not match the number of "
                         f"bands of the image ({len(fill)} != {bands})")
    return fill[0] if bands == 1 else fill


def five_crop(img, size):
    """The four corner crops and the central crop."""
    if isinstance(size, numbers.Number):
        size = (int(size), int(size))
    elif isinstance(size, (tuple, list)) and len(size) == 1:
        size = (size[0], size[0])
    if len(size) != 2:
        raise ValueError("Please provide only two dimensions (h, w) for size.")
    _, h, w = get_dimensions(img)
    ch, cw = size
    if cw > w or ch > h:
        raise ValueError(f"Requested crop size {size} is bigger than input size {(h, w)}")
    return (crop(img, 0, 0, ch, cw), crop(img, 0, w - cw, ch, cw), crop(img, h - ch, 0, ch, cw),
            crop(img, h - ch, w - cw, ch, cw), center_crop(img, [ch, cw]))


def ten_crop(img, size, vertical_flip=False):
    """``five_crop`` of the image and of its flipped copy."""
    first = five_crop(img, size)
    return first + five_crop(vflip(img) if vertical_flip else hflip(img), size)


# ------------------------------------------------------------------------------- colour
def _max_value(dtype):
    return 1.0 if dtype.is_floating_point else float(np.iinfo(dtype.np).max)


def _blend(img1, img2, ratio):
    bound = _max_value(img1.dtype)
    out = (ratio * img1 + (1.0 - ratio) * img2).clamp(0, bound)
    return out if img1.is_floating_point() else out.to(img1.dtype)


def rgb_to_grayscale(img, num_output_channels=1):
    """Luma ``0.2989 R + 0.587 G + 0.114 B``, with 1 or 3 output channels."""
    if num_output_channels not in (1, 3):
        raise ValueError("num_output_channels should be either 1 or 3")
    if _is_pil(img):
        out = img.convert("L")
        if num_output_channels == 3:
            from PIL import Image
            out = Image.merge("RGB", [out, out, out])
        return out
    c = get_dimensions(img)[0]
    if c not in (1, 3):
        raise TypeError(f"Input image tensor permitted channel values are [1, 3], but found {c}")
    if c == 3:
        r, g, b = img.unbind(dim=-3)
        gray = (0.2989 * r + 0.587 * g + 0.114 * b).to(img.dtype).unsqueeze(dim=-3)
    else:
        gray = img.clone()
    return gray.expand(img.shape) if num_output_channels == 3 else gray


def to_grayscale(img, num_output_channels=1):
    return rgb_to_grayscale(img, num_output_channels)


def _check_factor(name, value):
    if value < 0:
        raise ValueError(f"{name} ({value}) is not non-negative.")


def adjust_brightness(img, brightness_factor):
    """Scale the brightness: 0 gives black, 1 the original."""
    _check_factor("brightness_factor", brightness_factor)
    if _is_pil(img):
        from PIL import ImageEnhance
        return ImageEnhance.Brightness(img).enhance(brightness_factor)
    return _blend(img, disttrain.zeros_like(img), brightness_factor)


def adjust_contrast(img, contrast_factor):
    """Scale the contrast: 0 gives the mean grey, 1 the original."""
    _check_factor("contrast_factor", contrast_factor)
    if _is_pil(img):
        from PIL import ImageEnhance
        return ImageEnhance.Contrast(img).enhance(contrast_factor)
    c = get_dimensions(img)[0]
    dtype = img.dtype if img.is_floating_point() else disttrain.float32
    gray = rgb_to_grayscale(img) if c == 3 else img
    mean = gray.to(dtype).mean(dim=(-3, -2, -1), keepdim=True)
    return _blend(img, mean, contrast_factor)


def adjust_saturation(img, saturation_factor):
    """Scale the saturation: 0 gives greyscale, 1 the original."""
    _check_factor("saturation_factor", saturation_factor)
    if _is_pil(img):
        from PIL import ImageEnhance
        return ImageEnhance.Color(img).enhance(saturation_factor)
    if get_dimensions(img)[0] == 1:
        return img
    return _blend(img, rgb_to_grayscale(img), saturation_factor)


def _rgb2hsv(img):
    r, g, b = img.unbind(dim=-3)
    maxc = img.max(dim=-3).values
    minc = img.min(dim=-3).values
    eqc = maxc == minc
    cr = maxc - minc
    ones = disttrain.ones_like(maxc)
    s = cr / disttrain.where(eqc, ones, maxc)
    cr_divisor = disttrain.where(eqc, ones, cr)
    rc, gc, bc = (maxc - r) / cr_divisor, (maxc - g) / cr_divisor, (maxc - b) / cr_divisor
    hr = (maxc == r) * (bc - gc)
    hg = ((maxc == g) & (maxc != r)) * (2.0 + rc - bc)
    hb = ((maxc != g) & (maxc != r)) * (4.0 + gc - rc)
    h = disttrain.remainder((hr + hg + hb) / 6.0 + 1.0, 1.0)
    return disttrain.stack((h, s, maxc), dim=-3)


def _hsv2rgb(img):
    h, s, v = img.unbind(dim=-3)
    i = disttrain.floor(h * 6.0)
    f = (h * 6.0) - i
    i = i.to(disttrain.int32)
    p = (v * (1.0 - s)).clamp(0.0, 1.0)
    q = (v * (1.0 - s * f)).clamp(0.0, 1.0)
    t = (v * (1.0 - s * (1.0 - f))).clamp(0.0, 1.0)
    i = i % 6
    choices = [(v, t, p), (q, v, p), (p, v, t), (p, q, v), (t, p, v), (v, p, q)]
    out = []
    for ch in range(3):
        val = choices[5][ch]
        for k in range(4, -1, -1):
            val = disttrain.where(i == k, choices[k][ch], val)
        out.append(val)
    return disttrain.stack(out, dim=-3)


def adjust_hue(img, hue_factor):
    """Shift the hue by ``hue_factor`` of a full turn, in [-0.5, 0.5]."""
    if not -0.5 <= hue_factor <= 0.5:
        raise ValueError(f"hue_factor ({hue_factor}) is not in [-0.5, 0.5].")
    if _is_pil(img):
        from PIL import Image
        mode = img.mode
        if mode in {"L", "1", "I", "F"}:
            return img
        h, s, v = img.convert("HSV").split()
        np_h = np.array(h, dtype=np.uint8)
        with np.errstate(over="ignore"):
            np_h += np.int8(hue_factor * 255).astype(np.uint8)
        return Image.merge("HSV", (Image.fromarray(np_h, "L"), s, v)).convert(mode)
    if get_dimensions(img)[0] == 1:
        return img
    dtype = img.dtype
    x = convert_image_dtype(img, disttrain.float32)
    hsv = _rgb2hsv(x)
    h, s, v = hsv.unbind(dim=-3)
    h = disttrain.remainder(h + hue_factor, 1.0)
    return convert_image_dtype(_hsv2rgb(disttrain.stack((h, s, v), dim=-3)), dtype)


def erase(img, i, j, h, w, v, inplace=False):
    """Overwrite the ``h x w`` region at ``(i, j)`` of a tensor image with ``v``."""
    if not isinstance(img, Tensor):
        raise TypeError(f"img should be Tensor Image. Got {type(img)}")
    if not inplace:
        img = img.clone()
    img[..., i:i + h, j:j + w] = v
    return img
