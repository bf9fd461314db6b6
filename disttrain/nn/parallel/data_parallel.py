"""``nn.DataParallel``: PyTorch's single-process wrapper for data parallelism.

PyTorch's DataParallel splits each batch across the GPUs of one process and gathers the
outputs. Here it keeps its interface and semantics for the cases that programs meet: without a
GPU it is the wrapped module itself (PyTorch's behaviour on a CPU-only machine), and with
GPUs the whole batch runs on ``device_ids[0]``. For several GPUs, or several hosts, use
``DistributedDataParallel`` under ``launch --nproc N``: one process per device, which is how
PyTorch itself recommends scaling out.
"""
from ...core import device as _device
from ..modules.module import Module

__all__ = ["DataParallel"]


def _cuda_index(d):
    if isinstance(d, int):
        return d
    d = _device.as_device(d)
    return d.index if d.index is not None else _device.current_cuda_index()


def _move(obj, device):
    """Tensors (also inside lists, tuples and dicts) moved to ``device``; the rest as is."""
    if hasattr(obj, "to") and hasattr(obj, "_data"):
        return obj.to(device)
    if isinstance(obj, (list, tuple)):
        return type(obj)(_move(v, device) for v in obj)
    if isinstance(obj, dict):
        return {k: _move(v, device) for k, v in obj.items()}
    return obj


class DataParallel(Module):
    """Data parallelism in one process: wraps ``module``, whose ``forward`` it runs.

    Args:
        module (Module): the module to run.
        device_ids (list of int or disttrain.device, optional): GPUs to use. Default: all.
        output_device (int or disttrain.device, optional): where outputs go.
            Default: ``device_ids[0]``
        dim (int, optional): the batch dimension. Default: 0

    Without a GPU, ``device_ids`` is ``[]`` and calling the wrapper calls ``module``. The
    wrapped module is ``self.module``, so state_dict keys gain a ``module.`` prefix.

    Example::

        >>> net = nn.DataParallel(model)
        >>> output = net(input_var)
    """

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        self.module = module
        if not _device.cuda_available():
            self.device_ids = []
            return
        if device_ids is None:
            device_ids = list(range(_device.cuda_device_count()))
        self.device_ids = [_cuda_index(d) for d in device_ids]
        self.output_device = _cuda_index(output_device if output_device is not None
                                         else self.device_ids[0])
        self.dim = dim
        self.src_device_obj = _device.device("cuda", self.device_ids[0])
        self.module.to(self.src_device_obj)

    def forward(self, *inputs, **kwargs):
        if not self.device_ids:
            return self.module(*inputs, **kwargs)
        for t in list(self.module.parameters()) + list(self.module.buffers()):
            if t.device != self.src_device_obj:
                raise RuntimeError(
                    f"module must have its parameters and buffers on device "
                    f"{self.src_device_obj} (device_ids[0]) but found one of them on device: "
                    f"{t.device}")
        inputs, kwargs = _move(inputs, self.src_device_obj), _move(kwargs, self.src_device_obj)
        output = self.module(*inputs, **kwargs)
        return _move(output, _device.device("cuda", self.output_device))
