"""Bad input to the added functional forms and layers raises PyTorch's error type and words."""
import re
import warnings

import pytest

import disttrain as torch
import disttrain.nn as nn
import disttrain.nn.functional as F

x4 = torch.randn(1, 6, 4, 4)

ERRORS = [
    ('F.pixel_shuffle(x4, 4)',
     RuntimeError,
     "pixel_shuffle expects its input's 'channel' dimension to be divisible by the "
     'square of upscale_factor, but input.size(-3)=6 is not divisible by 16'),
    ('F.pixel_unshuffle(torch.randn(1, 2, 5, 4), 2)',
     RuntimeError,
     'pixel_unshuffle expects height to be divisible by downscale_factor, but '
     'input.size(-2)=5 is not divisible by 2'),
    ('F.channel_shuffle(x4, 4)',
     RuntimeError,
     'Number of channels must be divisible by groups. Got 6 channels and 4 groups.'),
    ('F.pdist(torch.randn(2, 3, 4))',
     RuntimeError,
     'pdist only supports 2D tensors, got: 3D'),
    ('F.fold(torch.randn(1, 12, 10), (4, 5), (2, 3))',
     RuntimeError,
     'Given output_size=(4, 5), kernel_size=(2, 3), dilation=(1, 1), padding=(0, 0), '
     "stride=(1, 1), expected size of input's dimension 2 to match the calculated "
     'number of sliding blocks 3 * 3 = 9, but got input.size(2)=10.'),
    ('F.fold(torch.randn(1, 13, 12), (4, 5), (2, 3))',
     RuntimeError,
     "Expected size of input's dimension 1 to be divisible by the product of "
     'kernel_size, but got input.size(1)=13 and kernel_size=(2, 3).'),
    ('F.multi_margin_loss(torch.randn(3, 4), torch.tensor([0, 1, 2]), p=3)',
     ValueError,
     'only p == 1 and p == 2 supported'),
    ('F.triplet_margin_loss(torch.randn(3, 4), torch.randn(3, 4), torch.randn(4))',
     RuntimeError,
     'The anchor, positive, and negative tensors are expected to have the same number '
     'of dimensions, but got: anchor 2D, positive 2D, and negative 1D inputs'),
    ('F.gaussian_nll_loss(torch.randn(3, 4), torch.randn(3, 4), -torch.ones(3, 4))',
     ValueError,
     'var has negative entry/entries'),
    ('F.gaussian_nll_loss(torch.randn(3, 4), torch.randn(3, 4), torch.ones(3, 2))',
     ValueError,
     'var is of incorrect size'),
    ("F.grid_sample(x4, torch.randn(1, 2, 2, 2), mode='cubic', align_corners=False)",
     ValueError,
     "nn.functional.grid_sample(): expected mode to be 'bilinear', 'nearest' or "
     "'bicubic', but got: 'cubic'"),
    ("F.grid_sample(x4, torch.randn(1, 2, 2, 2), padding_mode='wrap', align_corners=False)",
     ValueError,
     "nn.functional.grid_sample(): expected padding_mode to be 'zeros', 'border', or "
     "'reflection', but got: 'wrap'"),
    ('F.affine_grid(torch.randn(1, 2, 3), (1, 1, 2), align_corners=False)',
     NotImplementedError,
     'affine_grid only supports 4D and 5D sizes, for 2D and 3D affine transforms, '
     'respectively. Got size (1, 1, 2).'),
    ('F.affine_grid(torch.randn(1, 3, 3), (1, 1, 2, 2), align_corners=False)',
     ValueError,
     'Expected a batch of 2D affine matrices of shape Nx2x3 for size (1, 1, 2, 2). '
     'Got disttrain.Size([1, 3, 3]).'),
    ('F.ctc_loss(torch.randn(5, 2, 4).log_softmax(2), torch.tensor([[1, 2], [1, 1]]), [6, '
     '5], [2, 2])',
     RuntimeError,
     'Expected input_lengths to have value at most 5, but got value 6 (while checking '
     'arguments for ctc_loss_allocate_outputs)'),
    ('F.ctc_loss(torch.randn(5, 2, 4).log_softmax(2), torch.tensor([[1, 2], [1, 1]]), '
     '[5], [2, 2])',
     RuntimeError,
     'input_lengths must be of size batch_size'),
    ('F.max_unpool2d(*F.max_pool2d(x4, 2, return_indices=True), 2, output_size=(9, 9))',
     ValueError,
     'invalid output_size "(9, 9)" (dim 0 must be between 2 and 6)'),
    ('F.softshrink(x4, -1.0)',
     RuntimeError,
     'lambda must be in range [0, 3.40282e+38] for input dtype Float, but found -1'),
    ('F.embedding_bag(torch.tensor([1, 2]), torch.randn(4, 2), torch.tensor([0]), '
     "mode='mode')",
     ValueError,
     'mode has to be one of sum, mean or max'),
    ('F.embedding_bag(torch.tensor([[1, 2]]), torch.randn(4, 2), torch.tensor([0]))',
     ValueError,
     'if input is 2D, then offsets has to be None, as input is treated is a '
     'mini-batch of fixed length sequences. However, found offsets of type <class '
     "'disttrain.core.tensor.Tensor'>"),
    ('F.fractional_max_pool2d(x4, 2)',
     ValueError,
     'fractional_max_pool2d requires specifying either an output_size or an '
     'output_ratio'),
    ('F.fractional_max_pool2d(x4, 3, output_size=3)',
     RuntimeError,
     'fractional_max_pool2d(): pool height 3 too large relative to input height 4'),
    ('F.conv3d(torch.randn(1, 2, 3, 3, 3), torch.randn(4, 3, 2, 2, 2))',
     RuntimeError,
     'Given groups=1, weight of size [4, 3, 2, 2, 2], expected input[1, 2, 3, 3, 3] '
     'to have 3 channels, but got 2 channels instead'),
    ('F.rms_norm(torch.randn(2, 3), (4,))',
     RuntimeError,
     'Given normalized_shape=[4], expected input with shape [*4], but got input of '
     'size[2, 3]'),
    ('nn.TripletMarginWithDistanceLoss(margin=0)',
     ValueError,
     'TripletMarginWithDistanceLoss: expected margin to be greater than 0, got 0 '
     'instead'),
    ('F.local_response_norm(torch.randn(3, 4), 2)',
     ValueError,
     'Expected 3D or higher dimensionality                          input (got 2 '
     'dimensions)'),
    ('nn.FractionalMaxPool2d(2)',
     ValueError,
     'FractionalMaxPool2d requires specifying either an output size, or a pooling '
     'ratio'),
    ('nn.FractionalMaxPool2d(2, output_size=2, output_ratio=0.5)',
     ValueError,
     'only one of output_size and output_ratio may be specified'),
    ('nn.FractionalMaxPool2d(2, output_ratio=1.5)',
     ValueError,
     'output_ratio must be between 0 and 1 (got 1.5)'),
    ('nn.MultiMarginLoss(p=3)',
     ValueError,
     'only p == 1 and p == 2 supported'),
    ('nn.InstanceNorm1d(3, affine=True)(torch.randn(2, 4, 5))',
     ValueError,
     "expected input's size at dim=1 to match num_features (3), but got: 4."),
    ('nn.Softmax2d()(torch.randn(2, 3))',
     ValueError,
     'Softmax2d: expected input to be 3D or 4D, got 2D instead'),
    ('nn.CrossMapLRN2d(3)(torch.randn(2, 3, 4))',
     ValueError,
     'CrossMapLRN2d: Expected input to be 4D, got 3D instead.'),
    ('F.fold(torch.randn(2, 3, 4, 5), 3, 2)',
     RuntimeError,
     'Expected 2D or 3D (batch mode) tensor for input with possibly 0 batch size and '
     'non-zero dimensions for input, but got: [2, 3, 4, 5]'),
]


@pytest.mark.parametrize("expr,exc,msg", ERRORS, ids=[e[0][:60] for e in ERRORS])
def test_errors_match_pytorch(expr, exc, msg):
    """Each call raises PyTorch's exception type with its message."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(exc, match=re.escape(msg)):
            eval(expr)
