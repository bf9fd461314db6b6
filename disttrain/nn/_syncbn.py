"""Batch normalisation with statistics summed over the ranks of a process group.

Each rank's per-channel sums of x and x² (and its element count) are all-reduced, so every
rank normalises with the statistics of the global batch. The all-reduce is a differentiable
op whose backward all-reduces the gradient, which makes each input's gradient that of the sum
of all ranks' losses, as PyTorch's SyncBatchNorm computes it.
"""
from ..core import creation as _c, functions as _fn
from ..core.autograd import Function
from ..core.grad_mode import no_grad
from ..core.tensor import Tensor

__all__ = ["sync_batch_norm"]


class _AllReduceSum(Function):
    """Every rank gets the sum of ``x`` over the group; the gradient is summed likewise."""

    node_name = "AllReduceSumBackward"

    @staticmethod
    def forward(ctx, x, group):
        from .. import distributed as dist
        t = Tensor._make(x._data.copy())
        dist.all_reduce(t, group=group)
        ctx.group = group
        return t._data

    @staticmethod
    def backward(ctx, g):
        return _AllReduceSum.apply(g, ctx.group), None


def sync_batch_norm(input, weight, bias, running_mean, running_var, eps, momentum, group):
    """Training-mode batch norm of (N, C, *) with the global batch's statistics."""
    from .. import distributed as dist
    dims = [0] + list(range(2, input.dim()))
    count = input.numel() // input.shape[1]
    local = _fn.stack([input.sum(dims), (input * input).sum(dims)])
    total = _AllReduceSum.apply(local, group)
    n = _c.tensor([float(count)], dtype=input.dtype, device=input.device)
    dist.all_reduce(n, group=group)
    n = float(n.item())
    if n <= 1:
        raise ValueError(f"Expected more than 1 value per channel when training, got input "
                         f"size {input.shape}")
    mean = total[0] / n
    var = (total[1] / n - mean * mean).clamp(min=0)
    shape = [1, input.shape[1]] + [1] * (input.dim() - 2)
    y = (input - mean.reshape(shape)) * (var.reshape(shape) + eps).rsqrt()
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    if running_mean is not None:
        with no_grad():
            running_mean.mul_(1 - momentum).add_(mean.detach() * momentum)
            running_var.mul_(1 - momentum).add_(var.detach() * (n / (n - 1)) * momentum)
    return y
