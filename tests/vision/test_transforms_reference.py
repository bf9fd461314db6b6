"""disttrain.vision.transforms against torchvision 0.28's outputs on the same image.

EXPECTED holds, per case, what torchvision computed (shape, dtype, a digest of the exact
bytes for integer images, the sum and a position-weighted sum): integer results must be
identical, float results equal to float32 rounding.
"""
import hashlib

import numpy as np
import pytest

PIL = pytest.importorskip("PIL", reason="disttrain.vision's image transforms need Pillow "
                                        "(pip install 'disttrain[vision]')")
from PIL import Image  # noqa: E402

import disttrain  # noqa: E402
from disttrain import vision  # noqa: E402
from disttrain.vision import transforms as T  # noqa: E402
from disttrain.vision.transforms import functional as F  # noqa: E402

rgb = (np.arange(7 * 9 * 3).reshape(7, 9, 3) * 37 % 256).astype(np.uint8)
img = Image.fromarray(rgb)
t = T.ToTensor()(img)
tu = T.PILToTensor()(img)

CASES = {
 "to_tensor": lambda: t,
 "pil_to_tensor": lambda: tu,
 "normalize": lambda: T.Normalize((0.5, 0.4, 0.3), (0.2, 0.25, 0.3))(t),
 "resize_pil_4": lambda: T.Resize(4)(img),
 "resize_pil_12x15": lambda: T.Resize((12, 15))(img),
 "resize_pil_bicubic": lambda: T.Resize((5, 4), interpolation=T.InterpolationMode.BICUBIC)(img),
 "resize_pil_nearest": lambda: T.Resize((5, 4), interpolation=T.InterpolationMode.NEAREST)(img),
 "resize_t_down": lambda: T.Resize((4, 5))(t),
 "resize_t_up": lambda: T.Resize((12, 15))(t),
 "resize_t_noaa": lambda: T.Resize((4, 5), antialias=False)(t),
 "resize_t_nearest": lambda: T.Resize((4, 5), interpolation=T.InterpolationMode.NEAREST)(t),
 "resize_t_bicubic_up": lambda: T.Resize((9, 11), interpolation=T.InterpolationMode.BICUBIC)(t),
 "resize_t_bicubic_down": lambda: T.Resize((4, 5), interpolation=T.InterpolationMode.BICUBIC)(t),
 "resize_t_uint8": lambda: T.Resize((4, 5))(tu),
 "center_crop_pil": lambda: T.CenterCrop(4)(img),
 "center_crop_pil_big": lambda: T.CenterCrop((9, 12))(img),
 "center_crop_t": lambda: T.CenterCrop((4, 5))(t),
 "center_crop_t_big": lambda: T.CenterCrop((9, 12))(t),
 "pad_pil": lambda: T.Pad(2, fill=(10, 20, 30))(img),
 "pad_pil_reflect": lambda: T.Pad((1, 2, 3, 1), padding_mode="reflect")(img),
 "pad_pil_edge": lambda: T.Pad((1, 2), padding_mode="edge")(img),
 "pad_t_sym": lambda: T.Pad((1, 2, 3, 1), padding_mode="symmetric")(t),
 "pad_t_const": lambda: T.Pad(2, fill=0.5)(t),
 "hflip_pil": lambda: F.hflip(img),
 "vflip_t": lambda: F.vflip(t),
 "gray_pil": lambda: T.Grayscale()(img),
 "gray3_pil": lambda: T.Grayscale(3)(img),
 "gray_t": lambda: T.Grayscale()(t),
 "gray_tu": lambda: T.Grayscale()(tu),
 "bright_pil": lambda: F.adjust_brightness(img, 1.3),
 "contrast_pil": lambda: F.adjust_contrast(img, 0.6),
 "sat_pil": lambda: F.adjust_saturation(img, 1.7),
 "hue_pil": lambda: F.adjust_hue(img, 0.2),
 "hue_pil_neg": lambda: F.adjust_hue(img, -0.3),
 "bright_t": lambda: F.adjust_brightness(t, 1.3),
 "contrast_t": lambda: F.adjust_contrast(t, 0.6),
 "sat_t": lambda: F.adjust_saturation(t, 1.7),
 "hue_t": lambda: F.adjust_hue(t, 0.2),
 "contrast_tu": lambda: F.adjust_contrast(tu, 0.6),
 "rotate_pil": lambda: F.rotate(img, 30),
 "rotate_pil_bil": lambda: F.rotate(img, 30, T.InterpolationMode.BILINEAR, fill=[9, 9, 9]),
 "rotate_pil_expand": lambda: F.rotate(img, 45, expand=True),
 "rotate_t": lambda: F.rotate(t, 30),
 "rotate_t_bil": lambda: F.rotate(t, 30, T.InterpolationMode.BILINEAR),
 "rotate_t_fill": lambda: F.rotate(t, 30, fill=[0.5, 0.2, 0.1]),
 "rotate_tu_center": lambda: F.rotate(tu, 20, center=[2, 3]),
 "to_pil": lambda: T.ToPILImage()(t),
 "to_pil_gray": lambda: T.ToPILImage()(t[:1]),
 "erase": lambda: F.erase(t, 1, 2, 3, 4, disttrain.tensor([0.5])),
 "five_crop": lambda: disttrain.stack(F.five_crop(t, 3)),
 "resized_crop": lambda: F.resized_crop(img, 1, 2, 5, 6, (8, 8)),
 "make_grid": lambda: vision.utils.make_grid(disttrain.stack([t, t.flip(-1), t * 0.5]), nrow=2, normalize=True, pad_value=0.3),
 "make_grid_gray": lambda: vision.utils.make_grid([t[:1], t[1:2]], padding=1),
}

EXPECTED = {
    'to_tensor': ((3, 7, 9), 'float32', None, 93.10588, 395.30981),
    'pil_to_tensor': ((3, 7, 9), 'uint8', '5be6a9ddccb11cbc', 23742.0, 480.0),
    'normalize': ((3, 7, 9), 'float32', None, 61.29216, 352.86536),
    'resize_pil_4': ((4, 5, 3), 'uint8', '3127c7200540f4be', 7559.0, 180.0),
    'resize_pil_12x15': ((12, 15, 3), 'uint8', 'e1c1fbe47970f289', 68001.0, 1410.0),
    'resize_pil_bicubic': ((5, 4, 3), 'uint8', '4a84db5011d94163', 7555.0, 165.0),
    'resize_pil_nearest': ((5, 4, 3), 'uint8', '79816cf8ae15239c', 6952.0, 158.0),
    'resize_t_down': ((3, 4, 5), 'float32', None, 29.64369, 113.8772),
    'resize_t_up': ((3, 12, 15), 'float32', None, 266.68131, 1066.58043),
    'resize_t_noaa': ((3, 4, 5), 'float32', None, 30.34981, 117.37883),
    'resize_t_nearest': ((3, 4, 5), 'float32', None, 26.84314, 106.12157),
    'resize_t_bicubic_up': ((3, 9, 11), 'float32', None, 146.27647, 586.24963),
    'resize_t_bicubic_down': ((3, 4, 5), 'float32', None, 29.6662, 113.70523),
    'resize_t_uint8': ((3, 4, 5), 'uint8', 'b9171e4cbc07a1bd', 7562.0, 178.0),
    'center_crop_pil': ((4, 4, 3), 'uint8', 'a81e9842905b0eeb', 6496.0, 139.0),
    'center_crop_pil_big': ((9, 12, 3), 'uint8', '52a25771f0c8a296', 23742.0, 477.0),
    'center_crop_t': ((3, 4, 5), 'float32', None, 30.3451, 119.48236),
    'center_crop_t_big': ((3, 9, 12), 'float32', None, 93.10588, 376.4902),
    'pad_pil': ((11, 13, 3), 'uint8', '92b46614799af842', 28542.0, 1192.0),
    'pad_pil_reflect': ((10, 13, 3), 'uint8', 'a9ed9259be5d30ca', 49497.0, 988.0),
    'pad_pil_edge': ((11, 11, 3), 'uint8', 'e758f119ad8ab4df', 44210.0, 918.0),
    'pad_t_sym': ((3, 10, 13), 'float32', None, 188.90981, 727.61962),
    'pad_t_const': ((3, 11, 13), 'float32', None, 213.10588, 853.30393),
    'hflip_pil': ((7, 9, 3), 'uint8', '11e92d32724fdfce', 23742.0, 505.0),
    'vflip_t': ((3, 7, 9), 'float32', None, 93.10588, 368.61177),
    'gray_pil': ((7, 9), 'uint8', '76f1525bbd950da1', 7905.0, 155.0),
    'gray3_pil': ((7, 9, 3), 'uint8', 'f9539a4a6161e58d', 23715.0, 514.0),
    'gray_t': ((1, 7, 9), 'float32', None, 31.01261, 134.65709),
    'gray_tu': ((1, 7, 9), 'uint8', '2c3297b5c4958a61', 7887.0, 164.0),
    'bright_pil': ((7, 9, 3), 'uint8', 'e2e9e045eeef88d1', 29161.0, 486.0),
    'contrast_pil': ((7, 9, 3), 'uint8', '3b092938c8671846', 23619.0, 494.0),
    'sat_pil': ((7, 9, 3), 'uint8', 'f7ee25bc16c20769', 24083.0, 435.0),
    'hue_pil': ((7, 9, 3), 'uint8', 'bb83a5aa448e8754', 25061.0, 512.0),
    'hue_pil_neg': ((7, 9, 3), 'uint8', 'e7b353d0f88bddf4', 22420.0, 485.0),
    'bright_t': ((3, 7, 9), 'float32', None, 114.62157, 482.35647),
    'contrast_t': ((3, 7, 9), 'float32', None, 93.07867, 386.04645),
    'sat_t': ((3, 7, 9), 'float32', None, 94.72695, 399.16577),
    'hue_t': ((3, 7, 9), 'float32', None, 98.3294, 411.7223),
    'contrast_tu': ((3, 7, 9), 'uint8', 'f2986f5f65041dba', 23620.0, 493.0),
    'rotate_pil': ((7, 9, 3), 'uint8', '5478e25bd90febcb', 20782.0, 419.0),
    'rotate_pil_bil': ((7, 9, 3), 'uint8', 'f364d995df5ce737', 20423.0, 505.0),
    'rotate_pil_expand': ((13, 13, 3), 'uint8', '72ec1114466beccf', 21942.0, 460.0),
    'rotate_t': ((3, 7, 9), 'float32', None, 82.78039, 325.08628),
    'rotate_t_bil': ((3, 7, 9), 'float32', None, 78.5951, 310.47497),
    'rotate_t_fill': ((3, 7, 9), 'float32', None, 90.78039, 357.08628),
    'rotate_tu_center': ((3, 7, 9), 'uint8', 'a524c3deaf470ef7', 20286.0, 411.0),
    'to_pil': ((7, 9, 3), 'uint8', '2b467b55245dbfbf', 23742.0, 481.0),
    'to_pil_gray': ((7, 9), 'uint8', 'fe2fc67307f6931e', 7887.0, 165.0),
    'erase': ((3, 7, 9), 'float32', None, 93.23137, 387.93334),
    'five_crop': ((5, 3, 3, 3), 'float32', None, 65.35686, 259.18432),
    'resized_crop': ((8, 8, 3), 'uint8', 'd9398819d91c9ec0', 26056.0, 497.0),
    'make_grid': ((3, 20, 24), 'float32', None, 494.66472, 1984.37065),
    'make_grid_gray': ((3, 9, 21), 'float32', None, 185.89412, 752.08237),
}


def digest(x):
    a = np.asarray(x) if isinstance(x, Image.Image) else x.numpy()
    exact = a.dtype.kind != "f"
    h = hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest()[:16] if exact else None
    f = a.astype(np.float64).ravel()
    weighted = (f * np.arange(1, f.size + 1) % 7).sum() if exact else (
        f * (np.arange(f.size) % 7 + 1)).sum()
    return a.shape, str(a.dtype), h, float(f.sum()), float(weighted)


@pytest.mark.parametrize("case", sorted(CASES))
def test_transform_equals_torchvision(case):
    """Each deterministic transform gives torchvision's result on the same input."""
    shape, dtype, sha, total, weighted = digest(CASES[case]())
    e_shape, e_dtype, e_sha, e_total, e_weighted = EXPECTED[case]
    assert (shape, dtype) == (e_shape, e_dtype)
    if e_sha is not None:
        assert sha == e_sha, (case, total, e_total)
    assert total == pytest.approx(e_total, abs=2e-4)
    assert weighted == pytest.approx(e_weighted, abs=5e-4)
