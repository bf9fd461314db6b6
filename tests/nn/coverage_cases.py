"""Calls of the functional forms checked against PyTorch (see test_functional_more.py).

Each case is (name, expression, input shapes, gradcheck?). The expression runs with ``F``,
``torch`` (the package under test), ``T`` (tensor) and the float64 inputs ``x``, ``y``, ``z``
(``seq`` values of the given shapes with phases 0, 1, 2) in scope; the same text, run by
PyTorch, gave the recorded digests. No imports here: the file is plain data.
"""

CASES = [
    ("hardshrink", "F.hardshrink(x * 2, 0.5)", [(3, 4)], True),
    ("softshrink", "F.softshrink(x * 2, 0.7)", [(3, 4)], True),
    ("tanhshrink", "F.tanhshrink(x * 3)", [(3, 4)], True),
    ("rrelu_eval", "F.rrelu(x + 0.05, 0.1, 0.3)", [(3, 4)], True),
    ("pixel_shuffle", "F.pixel_shuffle(x, 2)", [(1, 8, 2, 3)], True),
    ("pixel_unshuffle", "F.pixel_unshuffle(x, 2)", [(2, 2, 4, 6)], True),
    ("channel_shuffle", "F.channel_shuffle(x, 3)", [(2, 6, 2)], True),
    ("pdist", "F.pdist(x)", [(4, 3)], True),
    ("pdist_p1", "F.pdist(x, 1.0)", [(4, 3)], True),
    ("pdist_dup", "F.pdist(torch.cat([x, x[:1]]), 3.0)", [(3, 2)], False),
    ("rms_norm", "F.rms_norm(x, (4,), y[0], 1e-5)", [(3, 4), (2, 4)], True),
    ("rms_norm_noeps", "F.rms_norm(x, (3, 4))", [(2, 3, 4)], True),
    ("instance_norm", "F.instance_norm(x, weight=y, bias=z)", [(2, 3, 5), (3,), (3,)], True),
    ("instance_norm_running",
     "F.instance_norm(x, torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64),"
     " use_input_stats=False)", [(2, 3, 5)], True),
    ("lrn_3d", "F.local_response_norm(x, 3, 0.1, 0.75, 2.0)", [(2, 5, 4)], True),
    ("lrn_4d", "F.local_response_norm(x, 2, 0.3)", [(1, 4, 3, 2)], True),
    ("triplet", "F.triplet_margin_loss(x, y, z, margin=0.5)", [(4, 3), (4, 3), (4, 3)], True),
    ("triplet_swap_p1", "F.triplet_margin_loss(x, y, z, p=1, swap=True, reduction='none')",
     [(4, 3), (4, 3), (4, 3)], True),
    ("triplet_dist", "F.triplet_margin_with_distance_loss(x, y, z, distance_function="
     "lambda a, b: 1 - F.cosine_similarity(a, b), margin=0.3, swap=True)",
     [(4, 3), (4, 3), (4, 3)], True),
    ("multi_margin", "F.multi_margin_loss(x, T([0, 2, 1, 3]))", [(4, 4)], True),
    ("multi_margin_p2_w", "F.multi_margin_loss(x, T([0, 2, 1]), p=2, margin=0.5, "
     "weight=T([1.0, 2.0, 0.5, 1.5], dtype=torch.float64), reduction='none')", [(3, 4)], True),
    ("multilabel_margin", "F.multilabel_margin_loss(x, T([[3, 0, -1, 1], [1, 2, 3, -1]]), "
     "reduction='none')", [(2, 4)], True),
    ("multilabel_margin_1d", "F.multilabel_margin_loss(x, T([2, -1, 0]))", [(3,)], True),
    ("multilabel_soft", "F.multilabel_soft_margin_loss(x, (y > 0).double(), "
     "weight=z[0])", [(3, 4), (3, 4), (1, 4)], True),
    ("gaussian_nll", "F.gaussian_nll_loss(x, y, z.abs() + 0.1)", [(3, 4), (3, 4), (3, 4)],
     True),
    ("gaussian_nll_full_homo", "F.gaussian_nll_loss(x, y, z.abs()[:, :1], full=True, "
     "reduction='sum')", [(3, 4), (3, 4), (3, 4)], True),
    ("gaussian_nll_small_var", "F.gaussian_nll_loss(x, y, z * 0, reduction='none')",
     [(2, 2), (2, 2), (2, 2)], False),
    ("max_pool3d", "F.max_pool3d(x, 2)", [(1, 2, 4, 4, 4)], True),
    ("max_pool3d_pad", "F.max_pool3d(x, (3, 2, 2), stride=(2, 1, 2), padding=1, dilation=1, "
     "ceil_mode=True, return_indices=True)", [(2, 1, 5, 3, 4)], True),
    ("max_pool3d_ties", "F.max_pool3d(x.round(), 2, return_indices=True)", [(1, 1, 2, 4, 4)],
     False),
    ("max_pool3d_dil", "F.max_pool3d(x, 2, 1, 0, 2)", [(1, 5, 5, 5)], True),
    ("avg_pool3d", "F.avg_pool3d(x, 2)", [(1, 2, 4, 4, 4)], True),
    ("avg_pool3d_pad_ceil", "F.avg_pool3d(x, 3, 2, 1, ceil_mode=True)", [(1, 1, 4, 5, 6)],
     True),
    ("avg_pool3d_nopad", "F.avg_pool3d(x, 3, 2, 1, ceil_mode=True, count_include_pad=False)",
     [(1, 1, 4, 5, 6)], True),
    ("avg_pool3d_div", "F.avg_pool3d(x, 2, divisor_override=3)", [(1, 4, 4, 4)], True),
    ("adaptive_avg3d", "F.adaptive_avg_pool3d(x, (2, 3, None))", [(1, 2, 5, 4, 3)], True),
    ("adaptive_max3d", "F.adaptive_max_pool3d(x, 2, return_indices=True)", [(1, 1, 3, 5, 4)],
     True),
    ("adaptive_max1d_idx", "F.adaptive_max_pool1d_with_indices(x, 3)", [(1, 2, 7)], True),
    ("lp_pool1d", "F.lp_pool1d(x, 2, 3, 2)", [(1, 2, 7)], True),
    ("lp_pool2d", "F.lp_pool2d(x.abs() + 0.1, 1.5, 2)", [(1, 1, 4, 5)], True),
    ("lp_pool3d", "F.lp_pool3d(x.abs() + 0.1, 3, 2)", [(1, 1, 4, 4, 4)], True),
    ("max_unpool2d", "F.max_unpool2d(*F.max_pool2d(x, 2, return_indices=True), 2)",
     [(1, 2, 4, 4)], True),
    ("max_unpool1d_size", "F.max_unpool1d(*F.max_pool1d(x, 2, return_indices=True), 2, "
     "output_size=[7])", [(1, 2, 7)], True),
    ("max_unpool3d", "F.max_unpool3d(*F.max_pool3d(x, 2, return_indices=True), 2)",
     [(1, 1, 4, 2, 4)], True),
    ("unfold", "F.unfold(x, (2, 3), dilation=1, padding=1, stride=(2, 1))", [(2, 2, 4, 5)],
     True),
    ("unfold_dil", "F.unfold(x, 2, dilation=2)", [(2, 5, 5)], True),
    ("fold", "F.fold(x, (4, 5), (2, 3), padding=1, stride=(2, 1))", [(2, 12, 15)], True),
    ("fold_overlap", "F.fold(x, 4, 2)", [(1, 4, 9)], True),
    ("conv3d", "F.conv3d(x, y, z[:4])", [(2, 2, 4, 5, 4), (4, 2, 2, 3, 2), (4,)], True),
    ("conv3d_strided", "F.conv3d(x, y, None, stride=(2, 1, 2), padding=(1, 0, 1), "
     "dilation=(1, 2, 1), groups=2)", [(1, 4, 5, 6, 5), (2, 2, 3, 2, 2)], True),
    ("conv3d_same", "F.conv3d(x, y, padding='same')", [(2, 4, 3, 4), (3, 2, 3, 2, 3)], True),
    ("conv_transpose3d", "F.conv_transpose3d(x, y, z[:3])", [(1, 2, 3, 2, 3), (2, 3, 2, 3, 2),
                                                           (3,)], True),
    ("conv_transpose3d_strided", "F.conv_transpose3d(x, y, None, stride=(2, 1, 2), padding="
     "(1, 0, 1), output_padding=(1, 0, 0), groups=2, dilation=(1, 2, 1))",
     [(1, 4, 3, 2, 3), (4, 1, 2, 2, 3)], True),
    ("conv_tbc", "F.conv_tbc(x, y, z[:3], 1)", [(5, 2, 4), (3, 4, 3), (4,)], True),
    ("affine_grid", "F.affine_grid(x, (2, 1, 3, 4), align_corners=False)", [(2, 2, 3)], True),
    ("affine_grid_ac", "F.affine_grid(x, (1, 1, 2, 3, 2), align_corners=True)", [(1, 3, 4)],
     True),
    ("grid_sample", "F.grid_sample(x, y * 1.2, align_corners=False)",
     [(1, 2, 3, 4), (1, 2, 3, 2)], True),
    ("grid_sample_border_ac", "F.grid_sample(x, y * 1.5, padding_mode='border', "
     "align_corners=True)", [(2, 1, 3, 3), (2, 3, 2, 2)], True),
    ("grid_sample_reflect", "F.grid_sample(x, y * 2.5, padding_mode='reflection', "
     "align_corners=False)", [(1, 2, 3, 4), (1, 2, 3, 2)], True),
    ("grid_sample_reflect_ac", "F.grid_sample(x, y * 2.5, padding_mode='reflection', "
     "align_corners=True)", [(1, 1, 4, 3), (1, 3, 2, 2)], True),
    ("grid_sample_nearest", "F.grid_sample(x, y * 1.3, mode='nearest', align_corners=False)",
     [(1, 2, 3, 4), (1, 2, 3, 2)], False),
    ("grid_sample_3d", "F.grid_sample(x, y * 1.2, align_corners=False)",
     [(1, 2, 2, 3, 3), (1, 2, 2, 2, 3)], True),
    ("grid_sample_3d_border", "F.grid_sample(x, y * 1.4, mode='nearest', padding_mode='border',"
     " align_corners=True)", [(1, 1, 2, 3, 3), (1, 1, 2, 2, 3)], False),
    ("fractional_max_pool2d", "F.fractional_max_pool2d(x, (2, 3), output_size=(3, 4), "
     "return_indices=True, _random_samples=(y.detach()[..., :2] + 1) / 2.1)",
     [(2, 2, 6, 7), (2, 2, 3)], True),
    ("fractional_max_pool2d_ratio", "F.fractional_max_pool2d(x, 2, output_ratio=(0.5, 0.5), "
     "_random_samples=(y.detach() + 1) / 2.1)", [(1, 3, 8, 6), (1, 3, 2)], True),
    ("fractional_max_pool3d", "F.fractional_max_pool3d(x, 2, output_size=(2, 3, 2), "
     "return_indices=True, _random_samples=(y.detach() + 1) / 2.1)",
     [(1, 2, 4, 5, 4), (1, 2, 3)], True),
    ("ctc", "F.ctc_loss(x.log_softmax(2), T([[1, 2, 2], [3, 1, 0]]), [6, 5], [3, 2])",
     [(6, 2, 4)], True),
    ("ctc_concat_none", "F.ctc_loss((x * 2).log_softmax(2), T([1, 1, 2, 3]), T([5, 4]), "
     "T([2, 2]), blank=0, reduction='none')", [(5, 2, 4)], True),
    ("ctc_sum_blank_last", "F.ctc_loss(x.log_softmax(2), T([[0, 1], [2, 2]]), [4, 4], [2, 1], "
     "blank=3, reduction='sum')", [(4, 2, 4)], True),
    ("ctc_empty_target", "F.ctc_loss(x.log_softmax(1), T([[1]]), [3], [0])", [(3, 3)], True),
    ("ctc_impossible_zero_inf", "F.ctc_loss(x.log_softmax(2), T([[1, 1, 1]]), [3], [3], "
     "reduction='none', zero_infinity=True)", [(3, 1, 3)], True),
    ("interpolate_bicubic", "F.interpolate(x, scale_factor=(2, 1.5), mode='bicubic', "
     "align_corners=False)", [(1, 2, 3, 4)], True),
    ("interpolate_bicubic_ac", "F.interpolate(x, size=(5, 2), mode='bicubic', "
     "align_corners=True)", [(2, 1, 3, 4)], True),
    ("grid_sample_bicubic", "F.grid_sample(x, y * 1.3, mode='bicubic', align_corners=False)",
     [(1, 2, 3, 4), (1, 2, 3, 2)], True),
    ("grid_sample_bicubic_border", "F.grid_sample(x, y * 1.6, mode='bicubic', "
     "padding_mode='border', align_corners=True)", [(1, 1, 4, 3), (1, 3, 2, 2)], True),
    ("grid_sample_bicubic_reflect", "F.grid_sample(x, y * 2.2, mode='bicubic', "
     "padding_mode='reflection', align_corners=False)", [(1, 1, 3, 4), (1, 2, 3, 2)], True),
    ("grad_conv2d_input", "torch.nn.grad.conv2d_input((1, 2, 5, 4), y, x, stride=2, "
     "padding=1)", [(1, 3, 3, 2), (3, 2, 3, 3)], True),
    ("grad_conv1d_weight", "torch.nn.grad.conv1d_weight(y, (4, 1, 3), x, dilation=2, "
     "groups=2)", [(2, 4, 3), (2, 2, 7)], True),
    ("grad_conv3d_input", "torch.nn.grad.conv3d_input((1, 2, 3, 4, 3), y, x)",
     [(1, 2, 2, 3, 2), (2, 2, 2, 2, 2)], True),
]
