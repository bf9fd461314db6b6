"""repr/str of tensors, sizes, dtypes and graph nodes, compared with what PyTorch 2.13 prints.

Every expected string below was printed by PyTorch for the same expression (with ``torch.``
written ``disttrain.``): number formats (int mode, fixed, scientific), line wrapping at 80
columns, summaries over 1000 elements, and the dtype/grad_fn/requires_grad suffixes.
"""
import re

import pytest

import disttrain

from .conftest import shown

CASES = [
    ('scalar_float', 'disttrain.tensor(3.)',
     'tensor(3.)'),
    ('scalar_int', 'disttrain.tensor(3)',
     'tensor(3)'),
    ('scalar_bool', 'disttrain.tensor(True)',
     'tensor(True)'),
    ('scalar_neg', 'disttrain.tensor(-0.5)',
     'tensor(-0.5000)'),
    ('scalar_small', 'disttrain.tensor(1e-5)',
     'tensor(1.0000e-05)'),
    ('scalar_big', 'disttrain.tensor(1e10)',
     'tensor(1.0000e+10)'),
    ('scalar_nan', "disttrain.tensor(float('nan'))",
     'tensor(nan)'),
    ('scalar_inf', "disttrain.tensor(float('inf'))",
     'tensor(inf)'),
    ('scalar_neginf', "disttrain.tensor(-float('inf'))",
     'tensor(-inf)'),
    ('scalar_f64', 'disttrain.tensor(2.5, dtype=disttrain.float64)',
     'tensor(2.5000, dtype=disttrain.float64)'),
    ('scalar_i32', 'disttrain.tensor(3, dtype=disttrain.int32)',
     'tensor(3, dtype=disttrain.int32)'),
    ('empty_1d', 'disttrain.tensor([])',
     'tensor([])'),
    ('empty_2d', 'disttrain.zeros(0, 3)',
     'tensor([], size=(0, 3))'),
    ('empty_2d_b', 'disttrain.zeros(2, 0)',
     'tensor([], size=(2, 0))'),
    ('empty_long', 'disttrain.zeros(0, dtype=disttrain.long)',
     'tensor([], dtype=disttrain.int64)'),
    ('empty_f64', 'disttrain.zeros(0, dtype=disttrain.float64)',
     'tensor([], dtype=disttrain.float64)'),
    ('empty_f64_2d', 'disttrain.zeros(0, 2, dtype=disttrain.float64)',
     'tensor([], size=(0, 2), dtype=disttrain.float64)'),
    ('empty_bool', 'disttrain.zeros(0, dtype=disttrain.bool)',
     'tensor([], dtype=disttrain.bool)'),
    ('empty_i32_3d', 'disttrain.zeros(0, 2, 3, dtype=disttrain.int32)',
     'tensor([], size=(0, 2, 3), dtype=disttrain.int32)'),
    ('empty_grad', 'disttrain.zeros(0, requires_grad=True)',
     'tensor([], requires_grad=True)'),
    ('int_mode', 'disttrain.tensor([1., 2., 3.])',
     'tensor([1., 2., 3.])'),
    ('fixed', 'disttrain.tensor([1.5, 2., 3.])',
     'tensor([1.5000, 2.0000, 3.0000])'),
    ('seed_5_5_3', 'disttrain.tensor([5.5, 3])',
     'tensor([5.5000, 3.0000])'),
    ('ints', 'disttrain.tensor([1, 2, 3])',
     'tensor([1, 2, 3])'),
    ('ints_width', 'disttrain.tensor([-1, 20, 300])',
     'tensor([ -1,  20, 300])'),
    ('bools', 'disttrain.tensor([True, False])',
     'tensor([ True, False])'),
    ('sci_small', 'disttrain.tensor([1e-5, 1.])',
     'tensor([1.0000e-05, 1.0000e+00])'),
    ('fixed_1e4', 'disttrain.tensor([1e-4, 1.])',
     'tensor([1.0000e-04, 1.0000e+00])'),
    ('fixed_1e3', 'disttrain.tensor([1e-3, 1.])',
     'tensor([0.0010, 1.0000])'),
    ('int_1000', 'disttrain.tensor([1., 1000.])',
     'tensor([   1., 1000.])'),
    ('int_sci_1001', 'disttrain.tensor([1., 1001.])',
     'tensor([1.0000e+00, 1.0010e+03])'),
    ('fixed_ratio_1000', 'disttrain.tensor([0.5, 500.])',
     'tensor([  0.5000, 500.0000])'),
    ('sci_ratio', 'disttrain.tensor([0.5, 1001.])',
     'tensor([5.0000e-01, 1.0010e+03])'),
    ('int_1e8', 'disttrain.tensor([1e8])',
     'tensor([100000000.])'),
    ('sci_1e8', 'disttrain.tensor([1.1e8])',
     'tensor([1.1000e+08])'),
    ('nan_int', "disttrain.tensor([float('nan'), 1.])",
     'tensor([nan, 1.])'),
    ('nan_fixed', "disttrain.tensor([float('nan'), 1.5])",
     'tensor([   nan, 1.5000])'),
    ('inf_int', "disttrain.tensor([float('inf'), -float('inf'), 1.])",
     'tensor([inf, -inf, 1.])'),
    ('nan_only', "disttrain.tensor([float('nan')])",
     'tensor([nan])'),
    ('inf_nan_fixed', "disttrain.tensor([float('inf'), 2.5, float('nan')])",
     'tensor([   inf, 2.5000,    nan])'),
    ('zeros', 'disttrain.tensor([0., 0.])',
     'tensor([0., 0.])'),
    ('neg_zero', 'disttrain.tensor([0., -0.])',
     'tensor([0., -0.])'),
    ('tiny_neg', 'disttrain.tensor([-0.0001, 0.])',
     'tensor([-1.0000e-04,  0.0000e+00])'),
    ('huge_range', 'disttrain.tensor([1e-10, 1e10])',
     'tensor([1.0000e-10, 1.0000e+10])'),
    ('tenths', 'disttrain.tensor([0.1, 0.2, 0.3])',
     'tensor([0.1000, 0.2000, 0.3000])'),
    ('mixed', 'disttrain.tensor([100.5, -3.25])',
     'tensor([100.5000,  -3.2500])'),
    ('five_digits', 'disttrain.tensor([12345.678])',
     'tensor([12345.6777])'),
    ('seven_digits', 'disttrain.tensor([1234567.8])',
     'tensor([1234567.7500])'),
    ('matrix', 'disttrain.tensor([[1., -2.], [3., 4.]])',
     ('tensor([[ 1., -2.],\n'
      '        [ 3.,  4.]])')),
    ('arange10', 'disttrain.arange(10.)',
     'tensor([0., 1., 2., 3., 4., 5., 6., 7., 8., 9.])'),
    ('wrap_100', 'disttrain.arange(100.)',
     ('tensor([ 0.,  1.,  2.,  3.,  4.,  5.,  6.,  7.,  8.,  9., 10., 11., 12., 13.,\n'
      '        14., 15., 16., 17., 18., 19., 20., 21., 22., 23., 24., 25., 26., 27.,\n'
      '        28., 29., 30., 31., 32., 33., 34., 35., 36., 37., 38., 39., 40., 41.,\n'
      '        42., 43., 44., 45., 46., 47., 48., 49., 50., 51., 52., 53., 54., 55.,\n'
      '        56., 57., 58., 59., 60., 61., 62., 63., 64., 65., 66., 67., 68., 69.,\n'
      '        70., 71., 72., 73., 74., 75., 76., 77., 78., 79., 80., 81., 82., 83.,\n'
      '        84., 85., 86., 87., 88., 89., 90., 91., 92., 93., 94., 95., 96., 97.,\n'
      '        98., 99.])')),
    ('wrap_fixed', 'disttrain.arange(30.) / 7',
     ('tensor([0.0000, 0.1429, 0.2857, 0.4286, 0.5714, 0.7143, 0.8571, 1.0000, 1.1429,\n'
      '        1.2857, 1.4286, 1.5714, 1.7143, 1.8571, 2.0000, 2.1429, 2.2857, 2.4286,\n'
      '        2.5714, 2.7143, 2.8571, 3.0000, 3.1429, 3.2857, 3.4286, 3.5714, 3.7143,\n'
      '        3.8571, 4.0000, 4.1429])')),
    ('summary_1d', 'disttrain.arange(1001.)',
     'tensor([   0.,    1.,    2.,  ...,  998.,  999., 1000.])'),
    ('summary_1d_int', 'disttrain.arange(1001)',
     'tensor([   0,    1,    2,  ...,  998,  999, 1000])'),
    ('summary_rows', 'disttrain.arange(2000).reshape(2, 1000)',
     ('tensor([[   0,    1,    2,  ...,  997,  998,  999],\n'
      '        [1000, 1001, 1002,  ..., 1997, 1998, 1999]])')),
    ('summary_2d', 'disttrain.arange(2000.).reshape(40, 50)',
     ('tensor([[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01, 4.8000e+01,\n'
      '         4.9000e+01],\n'
      '        [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01, 9.8000e+01,\n'
      '         9.9000e+01],\n'
      '        [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02, 1.4800e+02,\n'
      '         1.4900e+02],\n'
      '        ...,\n'
      '        [1.8500e+03, 1.8510e+03, 1.8520e+03,  ..., 1.8970e+03, 1.8980e+03,\n'
      '         1.8990e+03],\n'
      '        [1.9000e+03, 1.9010e+03, 1.9020e+03,  ..., 1.9470e+03, 1.9480e+03,\n'
      '         1.9490e+03],\n'
      '        [1.9500e+03, 1.9510e+03, 1.9520e+03,  ..., 1.9970e+03, 1.9980e+03,\n'
      '         1.9990e+03]])')),
    ('cube_int', 'disttrain.arange(24).reshape(2, 3, 4)',
     ('tensor([[[ 0,  1,  2,  3],\n'
      '         [ 4,  5,  6,  7],\n'
      '         [ 8,  9, 10, 11]],\n'
      '\n'
      '        [[12, 13, 14, 15],\n'
      '         [16, 17, 18, 19],\n'
      '         [20, 21, 22, 23]]])')),
    ('cube_fixed', 'disttrain.arange(24.).reshape(2, 3, 4) / 3',
     ('tensor([[[0.0000, 0.3333, 0.6667, 1.0000],\n'
      '         [1.3333, 1.6667, 2.0000, 2.3333],\n'
      '         [2.6667, 3.0000, 3.3333, 3.6667]],\n'
      '\n'
      '        [[4.0000, 4.3333, 4.6667, 5.0000],\n'
      '         [5.3333, 5.6667, 6.0000, 6.3333],\n'
      '         [6.6667, 7.0000, 7.3333, 7.6667]]])')),
    ('four_d', 'disttrain.arange(120).reshape(2, 3, 4, 5)',
     ('tensor([[[[  0,   1,   2,   3,   4],\n'
      '          [  5,   6,   7,   8,   9],\n'
      '          [ 10,  11,  12,  13,  14],\n'
      '          [ 15,  16,  17,  18,  19]],\n'
      '\n'
      '         [[ 20,  21,  22,  23,  24],\n'
      '          [ 25,  26,  27,  28,  29],\n'
      '          [ 30,  31,  32,  33,  34],\n'
      '          [ 35,  36,  37,  38,  39]],\n'
      '\n'
      '         [[ 40,  41,  42,  43,  44],\n'
      '          [ 45,  46,  47,  48,  49],\n'
      '          [ 50,  51,  52,  53,  54],\n'
      '          [ 55,  56,  57,  58,  59]]],\n'
      '\n'
      '\n'
      '        [[[ 60,  61,  62,  63,  64],\n'
      '          [ 65,  66,  67,  68,  69],\n'
      '          [ 70,  71,  72,  73,  74],\n'
      '          [ 75,  76,  77,  78,  79]],\n'
      '\n'
      '         [[ 80,  81,  82,  83,  84],\n'
      '          [ 85,  86,  87,  88,  89],\n'
      '          [ 90,  91,  92,  93,  94],\n'
      '          [ 95,  96,  97,  98,  99]],\n'
      '\n'
      '         [[100, 101, 102, 103, 104],\n'
      '          [105, 106, 107, 108, 109],\n'
      '          [110, 111, 112, 113, 114],\n'
      '          [115, 116, 117, 118, 119]]]])')),
    ('summary_3d', 'disttrain.arange(5000.).reshape(10, 10, 50)',
     ('tensor([[[0.0000e+00, 1.0000e+00, 2.0000e+00,  ..., 4.7000e+01,\n'
      '          4.8000e+01, 4.9000e+01],\n'
      '         [5.0000e+01, 5.1000e+01, 5.2000e+01,  ..., 9.7000e+01,\n'
      '          9.8000e+01, 9.9000e+01],\n'
      '         [1.0000e+02, 1.0100e+02, 1.0200e+02,  ..., 1.4700e+02,\n'
      '          1.4800e+02, 1.4900e+02],\n'
      '         ...,\n'
      '         [3.5000e+02, 3.5100e+02, 3.5200e+02,  ..., 3.9700e+02,\n'
      '          3.9800e+02, 3.9900e+02],\n'
      '         [4.0000e+02, 4.0100e+02, 4.0200e+02,  ..., 4.4700e+02,\n'
      '          4.4800e+02, 4.4900e+02],\n'
      '         [4.5000e+02, 4.5100e+02, 4.5200e+02,  ..., 4.9700e+02,\n'
      '          4.9800e+02, 4.9900e+02]],\n'
      '\n'
      '        [[5.0000e+02, 5.0100e+02, 5.0200e+02,  ..., 5.4700e+02,\n'
      '          5.4800e+02, 5.4900e+02],\n'
      '         [5.5000e+02, 5.5100e+02, 5.5200e+02,  ..., 5.9700e+02,\n'
      '          5.9800e+02, 5.9900e+02],\n'
      '         [6.0000e+02, 6.0100e+02, 6.0200e+02,  ..., 6.4700e+02,\n'
      '          6.4800e+02, 6.4900e+02],\n'
      '         ...,\n'
      '         [8.5000e+02, 8.5100e+02, 8.5200e+02,  ..., 8.9700e+02,\n'
      '          8.9800e+02, 8.9900e+02],\n'
      '         [9.0000e+02, 9.0100e+02, 9.0200e+02,  ..., 9.4700e+02,\n'
      '          9.4800e+02, 9.4900e+02],\n'
      '         [9.5000e+02, 9.5100e+02, 9.5200e+02,  ..., 9.9700e+02,\n'
      '          9.9800e+02, 9.9900e+02]],\n'
      '\n'
      '        [[1.0000e+03, 1.0010e+03, 1.0020e+03,  ..., 1.0470e+03,\n'
      '          1.0480e+03, 1.0490e+03],\n'
      '         [1.0500e+03, 1.0510e+03, 1.0520e+03,  ..., 1.0970e+03,\n'
      '          1.0980e+03, 1.0990e+03],\n'
      '         [1.1000e+03, 1.1010e+03, 1.1020e+03,  ..., 1.1470e+03,\n'
      '          1.1480e+03, 1.1490e+03],\n'
      '         ...,\n'
      '         [1.3500e+03, 1.3510e+03, 1.3520e+03,  ..., 1.3970e+03,\n'
      '          1.3980e+03, 1.3990e+03],\n'
      '         [1.4000e+03, 1.4010e+03, 1.4020e+03,  ..., 1.4470e+03,\n'
      '          1.4480e+03, 1.4490e+03],\n'
      '         [1.4500e+03, 1.4510e+03, 1.4520e+03,  ..., 1.4970e+03,\n'
      '          1.4980e+03, 1.4990e+03]],\n'
      '\n'
      '        ...,\n'
      '\n'
      '        [[3.5000e+03, 3.5010e+03, 3.5020e+03,  ..., 3.5470e+03,\n'
      '          3.5480e+03, 3.5490e+03],\n'
      '         [3.5500e+03, 3.5510e+03, 3.5520e+03,  ..., 3.5970e+03,\n'
      '          3.5980e+03, 3.5990e+03],\n'
      '         [3.6000e+03, 3.6010e+03, 3.6020e+03,  ..., 3.6470e+03,\n'
      '          3.6480e+03, 3.6490e+03],\n'
      '         ...,\n'
      '         [3.8500e+03, 3.8510e+03, 3.8520e+03,  ..., 3.8970e+03,\n'
      '          3.8980e+03, 3.8990e+03],\n'
      '         [3.9000e+03, 3.9010e+03, 3.9020e+03,  ..., 3.9470e+03,\n'
      '          3.9480e+03, 3.9490e+03],\n'
      '         [3.9500e+03, 3.9510e+03, 3.9520e+03,  ..., 3.9970e+03,\n'
      '          3.9980e+03, 3.9990e+03]],\n'
      '\n'
      '        [[4.0000e+03, 4.0010e+03, 4.0020e+03,  ..., 4.0470e+03,\n'
      '          4.0480e+03, 4.0490e+03],\n'
      '         [4.0500e+03, 4.0510e+03, 4.0520e+03,  ..., 4.0970e+03,\n'
      '          4.0980e+03, 4.0990e+03],\n'
      '         [4.1000e+03, 4.1010e+03, 4.1020e+03,  ..., 4.1470e+03,\n'
      '          4.1480e+03, 4.1490e+03],\n'
      '         ...,\n'
      '         [4.3500e+03, 4.3510e+03, 4.3520e+03,  ..., 4.3970e+03,\n'
      '          4.3980e+03, 4.3990e+03],\n'
      '         [4.4000e+03, 4.4010e+03, 4.4020e+03,  ..., 4.4470e+03,\n'
      '          4.4480e+03, 4.4490e+03],\n'
      '         [4.4500e+03, 4.4510e+03, 4.4520e+03,  ..., 4.4970e+03,\n'
      '          4.4980e+03, 4.4990e+03]],\n'
      '\n'
      '        [[4.5000e+03, 4.5010e+03, 4.5020e+03,  ..., 4.5470e+03,\n'
      '          4.5480e+03, 4.5490e+03],\n'
      '         [4.5500e+03, 4.5510e+03, 4.5520e+03,  ..., 4.5970e+03,\n'
      '          4.5980e+03, 4.5990e+03],\n'
      '         [4.6000e+03, 4.6010e+03, 4.6020e+03,  ..., 4.6470e+03,\n'
      '          4.6480e+03, 4.6490e+03],\n'
      '         ...,\n'
      '         [4.8500e+03, 4.8510e+03, 4.8520e+03,  ..., 4.8970e+03,\n'
      '          4.8980e+03, 4.8990e+03],\n'
      '         [4.9000e+03, 4.9010e+03, 4.9020e+03,  ..., 4.9470e+03,\n'
      '          4.9480e+03, 4.9490e+03],\n'
      '         [4.9500e+03, 4.9510e+03, 4.9520e+03,  ..., 4.9970e+03,\n'
      '          4.9980e+03, 4.9990e+03]]])')),
    ('summary_bool', 'disttrain.arange(1200).reshape(2, 600) > 599',
     ('tensor([[False, False, False,  ..., False, False, False],\n'
      '        [ True,  True,  True,  ...,  True,  True,  True]])')),
    ('int_sci_width', 'disttrain.arange(40.) * 1000000',
     ('tensor([       0.,  1000000.,  2000000.,  3000000.,  4000000.,  5000000.,\n'
      '         6000000.,  7000000.,  8000000.,  9000000., 10000000., 11000000.,\n'
      '        12000000., 13000000., 14000000., 15000000., 16000000., 17000000.,\n'
      '        18000000., 19000000., 20000000., 21000000., 22000000., 23000000.,\n'
      '        24000000., 25000000., 26000000., 27000000., 28000000., 29000000.,\n'
      '        30000000., 31000000., 32000000., 33000000., 34000000., 35000000.,\n'
      '        36000000., 37000000., 38000000., 39000000.])')),
    ('long_width', 'disttrain.arange(40) * 1000000',
     ('tensor([       0,  1000000,  2000000,  3000000,  4000000,  5000000,  6000000,\n'
      '         7000000,  8000000,  9000000, 10000000, 11000000, 12000000, 13000000,\n'
      '        14000000, 15000000, 16000000, 17000000, 18000000, 19000000, 20000000,\n'
      '        21000000, 22000000, 23000000, 24000000, 25000000, 26000000, 27000000,\n'
      '        28000000, 29000000, 30000000, 31000000, 32000000, 33000000, 34000000,\n'
      '        35000000, 36000000, 37000000, 38000000, 39000000])')),
    ('neg_fixed', '(disttrain.arange(40.) - 20) / 3',
     ('tensor([-6.6667, -6.3333, -6.0000, -5.6667, -5.3333, -5.0000, -4.6667, -4.3333,\n'
      '        -4.0000, -3.6667, -3.3333, -3.0000, -2.6667, -2.3333, -2.0000, -1.6667,\n'
      '        -1.3333, -1.0000, -0.6667, -0.3333,  0.0000,  0.3333,  0.6667,  1.0000,\n'
      '         1.3333,  1.6667,  2.0000,  2.3333,  2.6667,  3.0000,  3.3333,  3.6667,\n'
      '         4.0000,  4.3333,  4.6667,  5.0000,  5.3333,  5.6667,  6.0000,  6.3333])')),
    ('f64_ones', 'disttrain.ones(3, dtype=disttrain.float64)',
     'tensor([1., 1., 1.], dtype=disttrain.float64)'),
    ('i32_ones', 'disttrain.ones(3, dtype=disttrain.int32)',
     'tensor([1, 1, 1], dtype=disttrain.int32)'),
    ('i16_ones', 'disttrain.ones(3, dtype=disttrain.int16)',
     'tensor([1, 1, 1], dtype=disttrain.int16)'),
    ('i8_ones', 'disttrain.ones(3, dtype=disttrain.int8)',
     'tensor([1, 1, 1], dtype=disttrain.int8)'),
    ('u8_ones', 'disttrain.ones(3, dtype=disttrain.uint8)',
     'tensor([1, 1, 1], dtype=disttrain.uint8)'),
    ('f16_ones', 'disttrain.ones(3, dtype=disttrain.float16)',
     'tensor([1., 1., 1.], dtype=disttrain.float16)'),
    ('bool_matrix', 'disttrain.ones(2, 2, dtype=disttrain.bool)',
     ('tensor([[True, True],\n'
      '        [True, True]])')),
    ('f16_values', 'disttrain.tensor([1.5, 2.25], dtype=disttrain.float16)',
     'tensor([1.5000, 2.2500], dtype=disttrain.float16)'),
    ('leaf_grad', 'disttrain.ones(2, requires_grad=True)',
     'tensor([1., 1.], requires_grad=True)'),
    ('leaf_grad_f64', 'disttrain.ones(2, dtype=disttrain.float64, requires_grad=True)',
     'tensor([1., 1.], dtype=disttrain.float64, requires_grad=True)'),
    ('scalar_leaf', 'disttrain.tensor(2., requires_grad=True)',
     'tensor(2., requires_grad=True)'),
    ('add_bw', 'disttrain.ones(2, requires_grad=True) + 1',
     'tensor([2., 2.], grad_fn=<AddBackward0>)'),
    ('mul_bw', 'disttrain.ones(2, requires_grad=True) * 2',
     'tensor([2., 2.], grad_fn=<MulBackward0>)'),
    ('sum_bw', 'disttrain.ones(2, requires_grad=True).sum()',
     'tensor(2., grad_fn=<SumBackward0>)'),
    ('mean_bw', 'disttrain.ones(2, requires_grad=True).mean()',
     'tensor(1., grad_fn=<MeanBackward0>)'),
    ('sub_bw_f64', 'disttrain.ones(2, dtype=disttrain.float64, requires_grad=True) - 1',
     'tensor([0., 0.], dtype=disttrain.float64, grad_fn=<SubBackward0>)'),
    ('mm_bw', 'disttrain.ones(2, 2, requires_grad=True) @ disttrain.ones(2, 2)',
     ('tensor([[2., 2.],\n'
      '        [2., 2.]], grad_fn=<MmBackward0>)')),
    ('t_bw', 'disttrain.ones(2, 2, requires_grad=True).t()',
     ('tensor([[1., 1.],\n'
      '        [1., 1.]], grad_fn=<TBackward0>)')),
    ('view_bw', 'disttrain.ones(2, 2, requires_grad=True).view(4)',
     'tensor([1., 1., 1., 1.], grad_fn=<ViewBackward0>)'),
    ('select_bw', 'disttrain.ones(2, 2, requires_grad=True)[0]',
     'tensor([1., 1.], grad_fn=<SelectBackward0>)'),
    ('exp_bw', 'disttrain.ones(2, 2, requires_grad=True).exp()',
     ('tensor([[2.7183, 2.7183],\n'
      '        [2.7183, 2.7183]], grad_fn=<ExpBackward0>)')),
    ('div_bw', 'disttrain.ones(2, requires_grad=True) / 2',
     'tensor([0.5000, 0.5000], grad_fn=<DivBackward0>)'),
    ('pow_bw', 'disttrain.ones(2, requires_grad=True) ** 2',
     'tensor([1., 1.], grad_fn=<PowBackward0>)'),
    ('relu_bw', 'disttrain.ones(2, requires_grad=True).relu()',
     'tensor([1., 1.], grad_fn=<ReluBackward0>)'),
    ('neg_bw', '-disttrain.ones(2, requires_grad=True)',
     'tensor([-1., -1.], grad_fn=<NegBackward0>)'),
    ('clone_bw', 'disttrain.ones(2, requires_grad=True).clone()',
     'tensor([1., 1.], grad_fn=<CloneBackward0>)'),
    ('double_bw', 'disttrain.ones(2, requires_grad=True).double()',
     'tensor([1., 1.], dtype=disttrain.float64, grad_fn=<ToCopyBackward0>)'),
    ('detached', 'disttrain.ones(2, requires_grad=True).detach()',
     'tensor([1., 1.])'),
    ('wide_suffix', 'disttrain.arange(15.).requires_grad_() * 1.5',
     ('tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n'
      '        12.0000, 13.5000, 15.0000, 16.5000, 18.0000, 19.5000, 21.0000],\n'
      '       grad_fn=<MulBackward0>)')),
    ('f64_wrap', 'disttrain.arange(7, dtype=disttrain.float64) + 100000.5',
     ('tensor([100000.5000, 100001.5000, 100002.5000, 100003.5000, 100004.5000,\n'
      '        100005.5000, 100006.5000], dtype=disttrain.float64)')),
    ('f64_leaf_wrap', 'disttrain.arange(10, dtype=disttrain.float64).requires_grad_()',
     ('tensor([0., 1., 2., 3., 4., 5., 6., 7., 8., 9.], dtype=disttrain.float64,\n'
      '       requires_grad=True)')),
    ('f64_suffix_fits', 'disttrain.arange(9, dtype=disttrain.float64).requires_grad_() + 1',
     ('tensor([1., 2., 3., 4., 5., 6., 7., 8., 9.], dtype=disttrain.float64,\n'
      '       grad_fn=<AddBackward0>)')),
    ('f64_suffix_wraps', 'disttrain.arange(12, dtype=disttrain.float64).requires_grad_() * 1.5',
     ('tensor([ 0.0000,  1.5000,  3.0000,  4.5000,  6.0000,  7.5000,  9.0000, 10.5000,\n'
      '        12.0000, 13.5000, 15.0000, 16.5000], dtype=disttrain.float64,\n'
      '       grad_fn=<MulBackward0>)')),
    ('f64_2d_suffixes', 'disttrain.arange(6, dtype=disttrain.float64).reshape(2, 3).requires_grad_() * 1.123',
     ('tensor([[0.0000, 1.1230, 2.2460],\n'
      '        [3.3690, 4.4920, 5.6150]], dtype=disttrain.float64, grad_fn=<MulBackward0>)')),
    ('nan_f64_leaf', "disttrain.tensor([1.5, float('nan')], dtype=disttrain.float64, requires_grad=True)",
     'tensor([1.5000,    nan], dtype=disttrain.float64, requires_grad=True)'),
    ('linspace', 'disttrain.linspace(0, 1, 7)',
     'tensor([0.0000, 0.1667, 0.3333, 0.5000, 0.6667, 0.8333, 1.0000])'),
    ('linspace_tiny', 'disttrain.linspace(-1e-5, 1e-5, 5)',
     'tensor([-1.0000e-05, -5.0000e-06,  0.0000e+00,  5.0000e-06,  1.0000e-05])'),
    ('cube_neg', 'disttrain.arange(8.).reshape(2, 2, 2) - 3.5',
     ('tensor([[[-3.5000, -2.5000],\n'
      '         [-1.5000, -0.5000]],\n'
      '\n'
      '        [[ 0.5000,  1.5000],\n'
      '         [ 2.5000,  3.5000]]])')),
    ('summary_i32', 'disttrain.ones(1200, dtype=disttrain.int32)',
     'tensor([1, 1, 1,  ..., 1, 1, 1], dtype=disttrain.int32)'),
    ('wide_rows', 'disttrain.ones(3, 400)',
     ('tensor([[1., 1., 1.,  ..., 1., 1., 1.],\n'
      '        [1., 1., 1.,  ..., 1., 1., 1.],\n'
      '        [1., 1., 1.,  ..., 1., 1., 1.]])')),
    ('summary_cols', 'disttrain.arange(3000).reshape(3, 1000)',
     ('tensor([[   0,    1,    2,  ...,  997,  998,  999],\n'
      '        [1000, 1001, 1002,  ..., 1997, 1998, 1999],\n'
      '        [2000, 2001, 2002,  ..., 2997, 2998, 2999]])')),
    ('tall', 'disttrain.arange(1100.).reshape(1100, 1)',
     ('tensor([[0.0000e+00],\n'
      '        [1.0000e+00],\n'
      '        [2.0000e+00],\n'
      '        ...,\n'
      '        [1.0970e+03],\n'
      '        [1.0980e+03],\n'
      '        [1.0990e+03]])')),
    ('grad_sci', 'disttrain.arange(12.).reshape(3, 4).requires_grad_() * 1e-6',
     ('tensor([[0.0000e+00, 1.0000e-06, 2.0000e-06, 3.0000e-06],\n'
      '        [4.0000e-06, 5.0000e-06, 6.0000e-06, 7.0000e-06],\n'
      '        [8.0000e-06, 9.0000e-06, 1.0000e-05, 1.1000e-05]],\n'
      '       grad_fn=<MulBackward0>)')),
    ('sci_pair', 'disttrain.tensor([1e-8, 1e8])',
     'tensor([1.0000e-08, 1.0000e+08])'),
    ('f64_sci_leaf', 'disttrain.tensor([[1e-8, 1e8]], dtype=disttrain.float64, requires_grad=True)',
     'tensor([[1.0000e-08, 1.0000e+08]], dtype=disttrain.float64, requires_grad=True)'),
    ('f64_precise', 'disttrain.tensor([3.14159265, 2.71828], dtype=disttrain.float64)',
     'tensor([3.1416, 2.7183], dtype=disttrain.float64)'),
    ('small_fixed', 'disttrain.tensor([0.00012345, 0.1])',
     'tensor([0.0001, 0.1000])'),
    ('round_up', 'disttrain.tensor([99999.5])',
     'tensor([99999.5000])'),
    ('nested_1', 'disttrain.tensor([[[1.]]])',
     'tensor([[[1.]]])'),
    ('ones_4d', 'disttrain.zeros(1, 1, 1, 1)',
     'tensor([[[[0.]]]])'),
    ('bool_col', 'disttrain.tensor([[True], [False]])',
     ('tensor([[ True],\n'
      '        [False]])')),
    ('int8_neg', 'disttrain.tensor([1, -1], dtype=disttrain.int8)',
     'tensor([ 1, -1], dtype=disttrain.int8)'),
    ('uint8', 'disttrain.tensor([255, 0], dtype=disttrain.uint8)',
     'tensor([255,   0], dtype=disttrain.uint8)'),
    ('big_long', 'disttrain.tensor([2**40, 1])',
     'tensor([1099511627776,             1])'),
    ('min_long', 'disttrain.tensor([-2**62])',
     'tensor([-4611686018427387904])'),
    ('size', 'disttrain.Size([2, 3])',
     'disttrain.Size([2, 3])'),
    ('size_empty', 'disttrain.Size([])',
     'disttrain.Size([])'),
    ('size_method', 'disttrain.ones(2, 3).size()',
     'disttrain.Size([2, 3])'),
    ('size_slice', 'disttrain.ones(2, 3).shape[1:]',
     'disttrain.Size([3])'),
    ('dtype_f32', 'disttrain.float32',
     'disttrain.float32'),
    ('dtype_long', 'disttrain.long',
     'disttrain.int64'),
    ('dtype_double', 'disttrain.double',
     'disttrain.float64'),
    ('dtype_bool', 'disttrain.bool',
     'disttrain.bool'),
    ('dtype_attr', 'disttrain.ones(2, dtype=disttrain.int16).dtype',
     'disttrain.int16'),
    ('str', 'str(disttrain.tensor([1.5, 2.]))',
     'tensor([1.5000, 2.0000])'),
    ('fmt_0d', "f'{disttrain.tensor(2.5):.2f}'",
     '2.50'),
    ('fmt_int', "f'{disttrain.tensor(2):d}'",
     '2'),
    ('list_of_tensors', '[disttrain.tensor(1.), disttrain.tensor([2, 3])]',
     '[tensor(1.), tensor([2, 3])]'),
    ('tuple_grad', '(disttrain.ones(1, requires_grad=True) * 2, disttrain.ones(1))',
     '(tensor([2.], grad_fn=<MulBackward0>), tensor([1.]))'),
]

PRINTOPTS = [
    ('precision2', 'disttrain.set_printoptions(precision=2)', 'disttrain.tensor([1.12345, 2.])',
     'tensor([1.12, 2.00])'),
    ('sci_on', 'disttrain.set_printoptions(sci_mode=True)', 'disttrain.tensor([1.12345, 2.])',
     'tensor([1.1235e+00, 2.0000e+00])'),
    ('sci_off', 'disttrain.set_printoptions(sci_mode=False)', 'disttrain.tensor([1e-8, 2.])',
     'tensor([0.0000, 2.0000])'),
    ('threshold5', 'disttrain.set_printoptions(threshold=5)', 'disttrain.arange(10)',
     'tensor([0, 1, 2,  ..., 7, 8, 9])'),
    ('linewidth40', 'disttrain.set_printoptions(linewidth=40)', 'disttrain.arange(30.)',
     ('tensor([ 0.,  1.,  2.,  3.,  4.,  5.,\n'
      '         6.,  7.,  8.,  9., 10., 11.,\n'
      '        12., 13., 14., 15., 16., 17.,\n'
      '        18., 19., 20., 21., 22., 23.,\n'
      '        24., 25., 26., 27., 28., 29.])')),
    ('edgeitems1', 'disttrain.set_printoptions(edgeitems=1, threshold=3)', 'disttrain.arange(30.).reshape(5, 6)',
     ('tensor([[ 0.,  ...,  5.],\n'
      '        ...,\n'
      '        [24.,  ..., 29.]])')),
    ('edgeitems0', 'disttrain.set_printoptions(edgeitems=0, threshold=3)', 'disttrain.arange(30.).reshape(5, 6)',
     'tensor([...], size=(5, 6))'),
    ('short', "disttrain.set_printoptions(profile='short')", 'disttrain.arange(30.) / 7',
     ('tensor([0.00, 0.14, 0.29, 0.43, 0.57, 0.71, 0.86, 1.00, 1.14, 1.29, 1.43, 1.57,\n'
      '        1.71, 1.86, 2.00, 2.14, 2.29, 2.43, 2.57, 2.71, 2.86, 3.00, 3.14, 3.29,\n'
      '        3.43, 3.57, 3.71, 3.86, 4.00, 4.14])')),
    ('full', "disttrain.set_printoptions(profile='full')", 'disttrain.arange(1005)',
     ('tensor([   0,    1,    2,    3,    4,    5,    6,    7,    8,    9,   10,   11,\n'
      '          12,   13,   14,   15,   16,   17,   18,   19,   20,   21,   22,   23,\n'
      '          24,   25,   26,   27,   28,   29,   30,   31,   32,   33,   34,   35,\n'
      '          36,   37,   38,   39,   40,   41,   42,   43,   44,   45,   46,   47,\n'
      '          48,   49,   50,   51,   52,   53,   54,   55,   56,   57,   58,   59,\n'
      '          60,   61,   62,   63,   64,   65,   66,   67,   68,   69,   70,   71,\n'
      '          72,   73,   74,   75,   76,   77,   78,   79,   80,   81,   82,   83,\n'
      '          84,   85,   86,   87,   88,   89,   90,   91,   92,   93,   94,   95,\n'
      '          96,   97,   98,   99,  100,  101,  102,  103,  104,  105,  106,  107,\n'
      '         108,  109,  110,  111,  112,  113,  114,  115,  116,  117,  118,  119,\n'
      '         120,  121,  122,  123,  124,  125,  126,  127,  128,  129,  130,  131,\n'
      '         132,  133,  134,  135,  136,  137,  138,  139,  140,  141,  142,  143,\n'
      '         144,  145,  146,  147,  148,  149,  150,  151,  152,  153,  154,  155,\n'
      '         156,  157,  158,  159,  160,  161,  162,  163,  164,  165,  166,  167,\n'
      '         168,  169,  170,  171,  172,  173,  174,  175,  176,  177,  178,  179,\n'
      '         180,  181,  182,  183,  184,  185,  186,  187,  188,  189,  190,  191,\n'
      '         192,  193,  194,  195,  196,  197,  198,  199,  200,  201,  202,  203,\n'
      '         204,  205,  206,  207,  208,  209,  210,  211,  212,  213,  214,  215,\n'
      '         216,  217,  218,  219,  220,  221,  222,  223,  224,  225,  226,  227,\n'
      '         228,  229,  230,  231,  232,  233,  234,  235,  236,  237,  238,  239,\n'
      '         240,  241,  242,  243,  244,  245,  246,  247,  248,  249,  250,  251,\n'
      '         252,  253,  254,  255,  256,  257,  258,  259,  260,  261,  262,  263,\n'
      '         264,  265,  266,  267,  268,  269,  270,  271,  272,  273,  274,  275,\n'
      '         276,  277,  278,  279,  280,  281,  282,  283,  284,  285,  286,  287,\n'
      '         288,  289,  290,  291,  292,  293,  294,  295,  296,  297,  298,  299,\n'
      '         300,  301,  302,  303,  304,  305,  306,  307,  308,  309,  310,  311,\n'
      '         312,  313,  314,  315,  316,  317,  318,  319,  320,  321,  322,  323,\n'
      '         324,  325,  326,  327,  328,  329,  330,  331,  332,  333,  334,  335,\n'
      '         336,  337,  338,  339,  340,  341,  342,  343,  344,  345,  346,  347,\n'
      '         348,  349,  350,  351,  352,  353,  354,  355,  356,  357,  358,  359,\n'
      '         360,  361,  362,  363,  364,  365,  366,  367,  368,  369,  370,  371,\n'
      '         372,  373,  374,  375,  376,  377,  378,  379,  380,  381,  382,  383,\n'
      '         384,  385,  386,  387,  388,  389,  390,  391,  392,  393,  394,  395,\n'
      '         396,  397,  398,  399,  400,  401,  402,  403,  404,  405,  406,  407,\n'
      '         408,  409,  410,  411,  412,  413,  414,  415,  416,  417,  418,  419,\n'
      '         420,  421,  422,  423,  424,  425,  426,  427,  428,  429,  430,  431,\n'
      '         432,  433,  434,  435,  436,  437,  438,  439,  440,  441,  442,  443,\n'
      '         444,  445,  446,  447,  448,  449,  450,  451,  452,  453,  454,  455,\n'
      '         456,  457,  458,  459,  460,  461,  462,  463,  464,  465,  466,  467,\n'
      '         468,  469,  470,  471,  472,  473,  474,  475,  476,  477,  478,  479,\n'
      '         480,  481,  482,  483,  484,  485,  486,  487,  488,  489,  490,  491,\n'
      '         492,  493,  494,  495,  496,  497,  498,  499,  500,  501,  502,  503,\n'
      '         504,  505,  506,  507,  508,  509,  510,  511,  512,  513,  514,  515,\n'
      '         516,  517,  518,  519,  520,  521,  522,  523,  524,  525,  526,  527,\n'
      '         528,  529,  530,  531,  532,  533,  534,  535,  536,  537,  538,  539,\n'
      '         540,  541,  542,  543,  544,  545,  546,  547,  548,  549,  550,  551,\n'
      '         552,  553,  554,  555,  556,  557,  558,  559,  560,  561,  562,  563,\n'
      '         564,  565,  566,  567,  568,  569,  570,  571,  572,  573,  574,  575,\n'
      '         576,  577,  578,  579,  580,  581,  582,  583,  584,  585,  586,  587,\n'
      '         588,  589,  590,  591,  592,  593,  594,  595,  596,  597,  598,  599,\n'
      '         600,  601,  602,  603,  604,  605,  606,  607,  608,  609,  610,  611,\n'
      '         612,  613,  614,  615,  616,  617,  618,  619,  620,  621,  622,  623,\n'
      '         624,  625,  626,  627,  628,  629,  630,  631,  632,  633,  634,  635,\n'
      '         636,  637,  638,  639,  640,  641,  642,  643,  644,  645,  646,  647,\n'
      '         648,  649,  650,  651,  652,  653,  654,  655,  656,  657,  658,  659,\n'
      '         660,  661,  662,  663,  664,  665,  666,  667,  668,  669,  670,  671,\n'
      '         672,  673,  674,  675,  676,  677,  678,  679,  680,  681,  682,  683,\n'
      '         684,  685,  686,  687,  688,  689,  690,  691,  692,  693,  694,  695,\n'
      '         696,  697,  698,  699,  700,  701,  702,  703,  704,  705,  706,  707,\n'
      '         708,  709,  710,  711,  712,  713,  714,  715,  716,  717,  718,  719,\n'
      '         720,  721,  722,  723,  724,  725,  726,  727,  728,  729,  730,  731,\n'
      '         732,  733,  734,  735,  736,  737,  738,  739,  740,  741,  742,  743,\n'
      '         744,  745,  746,  747,  748,  749,  750,  751,  752,  753,  754,  755,\n'
      '         756,  757,  758,  759,  760,  761,  762,  763,  764,  765,  766,  767,\n'
      '         768,  769,  770,  771,  772,  773,  774,  775,  776,  777,  778,  779,\n'
      '         780,  781,  782,  783,  784,  785,  786,  787,  788,  789,  790,  791,\n'
      '         792,  793,  794,  795,  796,  797,  798,  799,  800,  801,  802,  803,\n'
      '         804,  805,  806,  807,  808,  809,  810,  811,  812,  813,  814,  815,\n'
      '         816,  817,  818,  819,  820,  821,  822,  823,  824,  825,  826,  827,\n'
      '         828,  829,  830,  831,  832,  833,  834,  835,  836,  837,  838,  839,\n'
      '         840,  841,  842,  843,  844,  845,  846,  847,  848,  849,  850,  851,\n'
      '         852,  853,  854,  855,  856,  857,  858,  859,  860,  861,  862,  863,\n'
      '         864,  865,  866,  867,  868,  869,  870,  871,  872,  873,  874,  875,\n'
      '         876,  877,  878,  879,  880,  881,  882,  883,  884,  885,  886,  887,\n'
      '         888,  889,  890,  891,  892,  893,  894,  895,  896,  897,  898,  899,\n'
      '         900,  901,  902,  903,  904,  905,  906,  907,  908,  909,  910,  911,\n'
      '         912,  913,  914,  915,  916,  917,  918,  919,  920,  921,  922,  923,\n'
      '         924,  925,  926,  927,  928,  929,  930,  931,  932,  933,  934,  935,\n'
      '         936,  937,  938,  939,  940,  941,  942,  943,  944,  945,  946,  947,\n'
      '         948,  949,  950,  951,  952,  953,  954,  955,  956,  957,  958,  959,\n'
      '         960,  961,  962,  963,  964,  965,  966,  967,  968,  969,  970,  971,\n'
      '         972,  973,  974,  975,  976,  977,  978,  979,  980,  981,  982,  983,\n'
      '         984,  985,  986,  987,  988,  989,  990,  991,  992,  993,  994,  995,\n'
      '         996,  997,  998,  999, 1000, 1001, 1002, 1003, 1004])')),
]



@pytest.fixture(autouse=True)
def _default_printoptions():
    yield
    disttrain.set_printoptions(profile="default")
    disttrain.set_printoptions(sci_mode=None)


@pytest.mark.parametrize("expr, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_repr_matches_pytorch(expr, expected):
    """The repr of each expression is character for character PyTorch's."""
    assert shown(expr) == expected


@pytest.mark.parametrize("setup, expr, expected", [c[1:] for c in PRINTOPTS],
                         ids=[c[0] for c in PRINTOPTS])
def test_set_printoptions(setup, expr, expected):
    """set_printoptions (precision, sci_mode, threshold, linewidth, edgeitems, profiles)
    changes the format as PyTorch's does."""
    exec(setup, {"disttrain": disttrain})
    assert shown(expr) == expected


def test_printoptions_default_profile_restores():
    """profile='default' undoes earlier options."""
    disttrain.set_printoptions(precision=1, linewidth=20)
    disttrain.set_printoptions(profile="default")
    assert repr(disttrain.arange(30.) / 7).startswith("tensor([0.0000, 0.1429, 0.2857,")


def test_print_writes_repr(capsys):
    """print(tensor) writes the repr, as the tutorials show."""
    print(disttrain.tensor([5.5, 3]))
    assert capsys.readouterr().out == "tensor([5.5000, 3.0000])\n"


def test_grad_fn_prints_as_node_object():
    """print(y.grad_fn) shows '<AddBackward0 object at 0x...>' like PyTorch."""
    y = disttrain.ones(2, 2, requires_grad=True) + 2
    assert re.fullmatch(r"<AddBackward0 object at 0x[0-9a-f]+>", repr(y.grad_fn))
    assert y.grad_fn.name() == "AddBackward0"
    acc = (y * 1).grad_fn.next_functions[0][0].next_functions[0][0]
    assert re.fullmatch(r"<AccumulateGrad object at 0x[0-9a-f]+>", repr(acc))


@pytest.mark.parametrize("dtype, name", [
    (disttrain.float32, "disttrain.FloatTensor"), (disttrain.float64, "disttrain.DoubleTensor"),
    (disttrain.float16, "disttrain.HalfTensor"), (disttrain.int64, "disttrain.LongTensor"),
    (disttrain.int32, "disttrain.IntTensor"), (disttrain.int16, "disttrain.ShortTensor"),
    (disttrain.int8, "disttrain.CharTensor"), (disttrain.uint8, "disttrain.ByteTensor"),
    (disttrain.bool, "disttrain.BoolTensor")])
def test_type_names(dtype, name):
    """x.type() names the legacy tensor type of each dtype."""
    assert disttrain.ones(2, dtype=dtype).type() == name


def test_type_converts():
    """x.type(dtype) and x.type('disttrain.LongTensor') convert like .to(dtype)."""
    x = disttrain.tensor([1.7, -2.5])
    assert repr(x.type(disttrain.float64)) == "tensor([ 1.7000, -2.5000], dtype=disttrain.float64)"
    assert repr(x.type("disttrain.LongTensor")) == "tensor([ 1, -2])"
    assert x.type(disttrain.float32) is x


def test_subclass_prefix():
    """A Tensor subclass prints its class name where PyTorch's would, Parameter excepted."""
    class Mine(disttrain.Tensor):
        pass
    t = disttrain.tensor([1.0, 2.0])
    m = Mine.__new__(Mine)
    disttrain.Tensor._init_from(m, t._data, False)
    assert repr(m) == "Mine([1., 2.])"


def test_size_is_a_tuple():
    """disttrain.Size is a tuple: indexing, slicing (to a Size), equality, numel, concat."""
    s = disttrain.ones(2, 3, 4).size()
    assert isinstance(s, tuple) and s == (2, 3, 4) and s[1] == 3
    assert repr(s[1:]) == "disttrain.Size([3, 4])"
    assert s.numel() == 24 and repr(s + (5,)) == "disttrain.Size([2, 3, 4, 5])"
    a, b, c = s
    assert (a, b, c) == (2, 3, 4)
