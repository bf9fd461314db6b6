"""Batch normalisation layers with running statistics: BatchNorm1d/2d/3d, SyncBatchNorm."""
from ...core import creation as _creation, dtype as _dt
from .. import functional as F
from .. import init
from .module import Module
from .normalization import _affine_parameters, _reset_affine

__all__ = ["BatchNorm1d", "BatchNorm2d", "BatchNorm3d", "SyncBatchNorm"]


class _NormBase(Module):
    """Parameters, running-statistics buffers and repr shared by the batch and instance norms."""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.use_bias = affine and bias
        _affine_parameters(self, num_features, affine, bias, device, dtype)
        kw = {"device": device, "dtype": dtype}
        if track_running_stats:
            self.register_buffer("running_mean", _creation.zeros(num_features, **kw))
            self.register_buffer("running_var", _creation.ones(num_features, **kw))
            self.register_buffer("num_batches_tracked",
                                 _creation.tensor(0, dtype=_dt.long, device=device))
        else:
            self.register_buffer("running_mean", None)
            self.register_buffer("running_var", None)
            self.register_buffer("num_batches_tracked", None)
        self.reset_parameters()

    def reset_running_stats(self):
        """Zero the running mean and batch count, set the running variance to one."""
        if self.track_running_stats:
            init.zeros_(self.running_mean)
            init.ones_(self.running_var)
            init.zeros_(self.num_batches_tracked)

    def reset_parameters(self):
        """Running statistics reset; weight ones, bias zeros."""
        self.reset_running_stats()
        _reset_affine(self)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.use_bias}, "
                f"track_running_stats={self.track_running_stats}")


class _BatchNorm(_NormBase):
    """The forward shared by the BatchNorm layers."""

    def forward(self, input):
        self._check_input_dim(input)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked._data += 1
            self.num_batches_tracked._version[0] += 1
            if self.momentum is None:    # a cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked.item())
        use_batch = self.training or (self.running_mean is None and self.running_var is None)
        keep = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep else None,
                            self.running_var if keep else None, self.weight, self.bias,
                            use_batch, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalisation over (N, C) or (N, C, L), per channel C.

    Args:
        num_features (int): C.
        eps (float): added to the variance. Default 1e-5.
        momentum (float or None): weight of each batch in the running statistics; None for
            a cumulative average. Default 0.1.
        affine (bool): learnable per-channel weight and bias. Default True.
        track_running_stats (bool): keep running mean/variance for eval mode. Default True.
        bias (bool, keyword): learnable bias (with ``affine``). Default True.

    Shape:
        - Input: (N, C) or (N, C, L); Output: the same shape.

    Example::

        >>> m = nn.BatchNorm1d(100)
        >>> m(disttrain.randn(20, 100)).shape
        disttrain.Size([20, 100])
    """

    def _check_input_dim(self, input):
        if input.dim() not in (2, 3):
            raise ValueError(f"expected 2D or 3D input (got {input.dim()}D input)")


class BatchNorm2d(_BatchNorm):
    """Batch normalisation over (N, C, H, W), per channel C.

    Args:
        num_features (int): C.
        eps (float): added to the variance. Default 1e-5.
        momentum (float or None): weight of each batch in the running statistics; None for
            a cumulative average. Default 0.1.
        affine (bool): learnable per-channel weight and bias. Default True.
        track_running_stats (bool): keep running mean/variance for eval mode. Default True.
        bias (bool, keyword): learnable bias (with ``affine``). Default True.

    Shape:
        - Input: (N, C, H, W); Output: the same shape.

    Example::

        >>> nn.BatchNorm2d(6)
        BatchNorm2d(6, eps=1e-05, momentum=0.1, affine=True, bias=True, track_running_stats=True)
    """

    def _check_input_dim(self, input):
        if input.dim() != 4:
            raise ValueError(f"expected 4D input (got {input.dim()}D input)")


class BatchNorm3d(_BatchNorm):
    """Batch normalisation over (N, C, D, H, W), per channel C (arguments as BatchNorm2d)."""

    def _check_input_dim(self, input):
        if input.dim() != 5:
            raise ValueError(f"expected 5D input (got {input.dim()}D input)")


class SyncBatchNorm(_BatchNorm):
    """Batch normalisation whose training statistics are those of the whole data-parallel
    batch: each rank's per-channel sums are all-reduced over ``process_group`` (default: the
    world) before normalising, and gradients flow back through the same reduction.

    Outside training, or with no initialised process group or a group of one process, it is
    exactly BatchNorm over (N, C, *). Unlike PyTorch it also synchronises CPU tensors.

    Args:
        num_features, eps, momentum, affine, track_running_stats: as BatchNorm.
        process_group (optional): the group whose ranks share statistics.
    """

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, process_group=None, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype)
        self.process_group = process_group

    def _check_input_dim(self, input):
        if input.dim() < 2:
            raise ValueError(f"expected at least 2D input (got {input.dim()}D input)")

    def forward(self, input):
        if not (self.training and _world_size(self.process_group) > 1):
            return super().forward(input)
        self._check_input_dim(input)
        if input.shape[1] == 0:
            raise ValueError("SyncBatchNorm number of input channels should be non-zero")
        factor = 0.0 if self.momentum is None else self.momentum
        if self.track_running_stats:
            self.num_batches_tracked._data += 1
            self.num_batches_tracked._version[0] += 1
            if self.momentum is None:
                factor = 1.0 / float(self.num_batches_tracked.item())
        from .._syncbn import sync_batch_norm
        keep = self.track_running_stats
        return sync_batch_norm(input, self.weight, self.bias,
                               self.running_mean if keep else None,
                               self.running_var if keep else None, self.eps, factor,
                               self.process_group)

    @classmethod
    def convert_sync_batchnorm(cls, module, process_group=None):
        """Return ``module`` with every BatchNorm*D layer replaced by a SyncBatchNorm holding
        the same parameters and buffers."""
        out = module
        if isinstance(module, _BatchNorm) and not isinstance(module, SyncBatchNorm):
            out = cls(module.num_features, module.eps, module.momentum, module.affine,
                      module.track_running_stats, process_group)
            if module.affine:
                with _no_grad():
                    out.weight = module.weight
                    out.bias = module.bias
            out.running_mean = module.running_mean
            out.running_var = module.running_var
            out.num_batches_tracked = module.num_batches_tracked
            out.training = module.training
        for name, child in module.named_children():
            out.add_module(name, cls.convert_sync_batchnorm(child, process_group))
        return out


def _no_grad():
    from ...core.grad_mode import no_grad
    return no_grad()


def _world_size(group):
    """Ranks in ``group`` (the world by default); 1 without an initialised process group."""
    from ... import distributed as dist
    if dist.is_available() and dist.is_initialized():
        return dist.get_world_size(group)
    return 1
