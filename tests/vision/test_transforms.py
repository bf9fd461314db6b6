"""disttrain.vision.transforms: random draws, reprs, errors and PIL/tensor agreement."""
import numpy as np
import pytest

pytest.importorskip("PIL", reason="disttrain.vision's image transforms need Pillow "
                                  "(pip install 'disttrain[vision]')")
from PIL import Image  # noqa: E402

import disttrain  # noqa: E402
from disttrain.vision import transforms as T  # noqa: E402
from disttrain.vision.transforms import functional as F  # noqa: E402


def image(h=12, w=16):
    return Image.fromarray((np.arange(h * w * 3).reshape(h, w, 3) * 29 % 256).astype(np.uint8))


AUGMENT = T.Compose([T.RandomResizedCrop(8), T.RandomHorizontalFlip(), T.RandomVerticalFlip(),
                     T.RandomRotation(20), T.ColorJitter(0.4, 0.4, 0.4, 0.1),
                     T.RandomGrayscale(0.5), T.ToTensor(), T.RandomErasing(p=1.0)])


def test_a_seed_reproduces_an_augmentation():
    """The random transforms draw from disttrain's generator: same seed, same result."""
    disttrain.manual_seed(3)
    a = [AUGMENT(image()) for _ in range(4)]
    disttrain.manual_seed(3)
    b = [AUGMENT(image()) for _ in range(4)]
    for x, y in zip(a, b):
        assert x.shape == (3, 8, 8)
        np.testing.assert_array_equal(x.numpy(), y.numpy())
    assert not all(np.array_equal(a[0].numpy(), z.numpy()) for z in a[1:])


def test_random_crop_with_padding_and_pad_if_needed():
    """RandomCrop pads first, pads small images when asked, and keeps every pixel's value."""
    disttrain.manual_seed(0)
    out = T.RandomCrop(12, padding=4, fill=7)(image(12, 12))
    assert out.size == (12, 12)
    arr = np.asarray(out)
    assert set(np.unique(arr[arr != 7])) <= set(np.unique(np.asarray(image(12, 12))))
    assert T.RandomCrop((20, 10), pad_if_needed=True)(image(12, 8)).size == (10, 20)
    with pytest.raises(ValueError, match=r"Required crop size \(20, 20\) is larger than input "
                                         r"image size \(12, 16\)"):
        T.RandomCrop(20)(image())


def test_random_resized_crop_params_stay_inside_and_honour_scale():
    """Every region RandomResizedCrop picks lies in the image with an area within scale."""
    disttrain.manual_seed(1)
    img = image(30, 40)
    for _ in range(50):
        i, j, h, w = T.RandomResizedCrop.get_params(img, (0.2, 0.6), (0.75, 4 / 3))
        assert 0 <= i and 0 <= j and i + h <= 30 and j + w <= 40
        assert 0.2 * 1200 * 0.8 <= h * w <= 0.6 * 1200 * 1.2


def test_flip_probability_extremes():
    """p=1 always flips, p=0 never does."""
    img = image()
    assert np.array_equal(np.asarray(T.RandomHorizontalFlip(1.0)(img)), np.asarray(img)[:, ::-1])
    assert np.array_equal(np.asarray(T.RandomVerticalFlip(0.0)(img)), np.asarray(img))


def test_pil_and_tensor_paths_agree_for_exact_ops():
    """Crops, flips, pads and rotations by 90 degrees give the same pixels on both paths."""
    img = image()
    t = F.pil_to_tensor(img)
    pairs = [(lambda x: F.crop(x, 2, 3, 5, 7)), F.hflip, F.vflip,
             (lambda x: F.pad(x, (1, 2, 3, 4), padding_mode="reflect")),
             (lambda x: F.center_crop(x, (6, 6))), (lambda x: F.rotate(x, 90))]
    for fn in pairs:
        from_pil = np.asarray(fn(img)).transpose(2, 0, 1)
        np.testing.assert_array_equal(fn(t).numpy(), from_pil)


def test_reprs_match_torchvision():
    """Printed transforms read as torchvision prints them."""
    assert repr(T.Compose([T.ToTensor(), T.Normalize((0.5,), (0.5,))])) == (
        "Compose(\n    ToTensor()\n    Normalize(mean=(0.5,), std=(0.5,))\n)")
    assert repr(T.Resize(32)) == ("Resize(size=32, interpolation=bilinear, max_size=None, "
                                  "antialias=True)")
    assert repr(T.CenterCrop(4)) == "CenterCrop(size=(4, 4))"
    assert repr(T.RandomHorizontalFlip()) == "RandomHorizontalFlip(p=0.5)"
    assert repr(T.ColorJitter(brightness=0.2)) == (
        "ColorJitter(brightness=(0.8, 1.2), contrast=None, saturation=None, hue=None)")


def test_bad_arguments_raise_torchvision_errors():
    """Bad arguments get torchvision's error types and words."""
    t = F.to_tensor(image())
    with pytest.raises(ValueError, match="std evaluated to zero after conversion to "
                                         "disttrain.float32, leading to division by zero."):
        F.normalize(t, (0.5, 0.5, 0.5), (1.0, 0.0, 1.0))
    with pytest.raises(TypeError, match="Input tensor should be a float tensor"):
        F.normalize(F.pil_to_tensor(image()), (0.5,), (0.5,))
    with pytest.raises(ValueError, match="hue_factor \\(0.7\\) is not in \\[-0.5, 0.5\\]."):
        F.adjust_hue(image(), 0.7)
    with pytest.raises(ValueError, match="brightness_factor \\(-1\\) is not non-negative."):
        F.adjust_brightness(image(), -1)
    with pytest.raises(TypeError, match="img should be PIL Image or Tensor"):
        F.hflip([1, 2, 3])
    with pytest.raises(ValueError, match="Padding mode should be either constant, edge"):
        T.Pad(2, padding_mode="wrap")
    with pytest.raises(TypeError, match="Argument lambd should be callable, got 'int'"):
        T.Lambda(3)
    with pytest.raises(ValueError, match="If value is str, it should be 'random'"):
        T.RandomErasing(value="noise")


def test_random_erasing_random_value_and_lambda_and_grayscale():
    """RandomErasing writes noise where asked; Lambda applies a function; Grayscale(3)."""
    disttrain.manual_seed(0)
    t = disttrain.zeros(3, 20, 20)
    out = T.RandomErasing(p=1.0, value="random")(t)
    assert (out != 0).any() and (t == 0).all()
    assert T.Lambda(lambda x: x + 1)(t).sum().item() == 1200
    g = T.Grayscale(3)(image())
    arr = np.asarray(g)
    assert g.mode == "RGB" and np.array_equal(arr[..., 0], arr[..., 2])


def test_to_pil_image_errors_and_modes():
    """ToPILImage picks L/RGB/RGBA by channels and refuses mismatched modes."""
    assert F.to_pil_image(disttrain.zeros(1, 2, 2)).mode == "L"
    assert F.to_pil_image(disttrain.zeros(4, 2, 2)).mode == "RGBA"
    with pytest.raises(ValueError, match="pic should not have > 4 channels. Got 5 channels."):
        F.to_pil_image(disttrain.zeros(5, 2, 2))
    with pytest.raises(ValueError, match=r"Only modes \['RGB', 'YCbCr', 'HSV'\] are supported "
                                         r"for 3D inputs"):
        F.to_pil_image(disttrain.zeros(3, 2, 2), mode="RGBA")
