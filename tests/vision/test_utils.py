"""disttrain.vision.utils: make_grid and save_image (values recorded from torchvision)."""
import numpy as np
import pytest

import disttrain
from disttrain.vision import utils


def test_make_grid_layout_and_padding():
    """5 images, 2 a row: 3 rows; padding around and between; gray images become RGB."""
    batch = disttrain.arange(5, dtype=disttrain.float32).view(5, 1, 1, 1).expand(5, 1, 2, 3)
    grid = utils.make_grid(batch, nrow=2, padding=1, pad_value=-1.0)
    assert grid.shape == (3, 10, 9)
    g = grid.numpy()
    assert (g[:, 0, :] == -1).all() and (g[:, :, 0] == -1).all()
    np.testing.assert_array_equal(g[0, 1:3, 1:4], 0.0)           # image 0 top-left
    np.testing.assert_array_equal(g[2, 4:6, 5:8], 3.0)           # image 3: row 1, column 1
    np.testing.assert_array_equal(g[:, 7:9, 5:8], -1.0)          # no image 5
    assert utils.make_grid(disttrain.ones(1, 3, 4, 4)).shape == (3, 4, 4)


def test_make_grid_normalize_and_scale_each():
    """normalize maps to [0, 1] by the batch's range, or each image's with scale_each."""
    batch = disttrain.stack([disttrain.full((3, 2, 2), 2.0), disttrain.full((3, 2, 2), 6.0)])
    batch[1, :, 0, 0] = 10.0
    g = utils.make_grid(batch, padding=0, normalize=True).numpy()
    assert g.min() == 0.0 and g.max() == 1.0 and g[0, 0, 2] == 1.0 and g[0, 1, 2] == 0.5
    g = utils.make_grid(batch, padding=0, normalize=True, scale_each=True).numpy()
    assert g[0, 0, 0] == 0.0 and g[0, 1, 3] == 0.0 and g[0, 0, 2] == 1.0
    g = utils.make_grid(batch, padding=0, normalize=True, value_range=(0, 4)).numpy()
    assert g[0, 0, 0] == 0.5 and g[0, 0, 2] == 1.0


def test_save_image_rounds_like_torchvision(tmp_path):
    """save_image writes mul(255).add(0.5).clamp(0, 255) as bytes into a PNG."""
    Image = pytest.importorskip("PIL.Image", reason="save_image writes through Pillow "
                                                    "(pip install 'disttrain[vision]')")
    x = disttrain.tensor([[[0.0, 0.5], [0.9999, 1.5]]] * 3).unsqueeze(0)
    utils.save_image(x, tmp_path / "g.png", padding=0)
    arr = np.asarray(Image.open(tmp_path / "g.png"))
    assert arr.shape == (2, 2, 3)
    np.testing.assert_array_equal(arr[..., 0], [[0, 128], [255, 255]])
