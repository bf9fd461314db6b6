"""functional_call: run a module with some parameters and buffers replaced by given tensors.

The module's own tensors are swapped out for the call and put back afterwards, so gradients
flow to the given tensors and the module is left as it was.
"""
import contextlib
import warnings

__all__ = ["functional_call"]


def _tied_names(module):
    """Each tensor's names, for the tensors registered under more than one name."""
    by_id = {}
    for name, t in list(module.named_parameters(remove_duplicate=False)) + \
            list(module.named_buffers(remove_duplicate=False)):
        by_id.setdefault(id(t), []).append(name)
    return [names for names in by_id.values() if len(names) > 1]


def _untie(module, tensors):
    tensors = dict(tensors)
    for names in _tied_names(module):
        given = [n for n in names if n in tensors]
        if not given:
            continue
        values = {id(tensors[n]) for n in given}
        if len(values) > 1:
            raise ValueError(f"functional_call got multiple values for keys {sorted(given)}, "
                             f"which are tied. Consider using tie_weights=False")
        for n in names:
            tensors.setdefault(n, tensors[given[0]])
    return tensors


def _registry(module, path):
    *parents, attr = path.split(".")
    owner = module.get_submodule(".".join(parents)) if parents else module
    for reg in ("_parameters", "_buffers"):
        if attr in owner.__dict__[reg]:
            return owner.__dict__[reg], attr
    return owner.__dict__, attr


@contextlib.contextmanager
def _reparametrize_module(module, tensors, tie_weights=False, strict=False):
    if strict:
        existing = {n for n, _ in module.named_parameters(remove_duplicate=False)} | \
            {n for n, _ in module.named_buffers(remove_duplicate=False)}
        unexpected = sorted(set(tensors) - existing)
        missing = sorted(existing - set(tensors))
        msgs = []
        if unexpected:
            msgs.append(f"Unexpected key(s): {', '.join(repr(k) for k in unexpected)}.")
        if missing:
            msgs.append(f"Missing key(s): {', '.join(repr(k) for k in missing)}.")
        if msgs:
            raise RuntimeError(f"Error(s) in reparametrizing for {module._get_name()}:\n\t"
                               + "\n\t".join(msgs))
    if tie_weights:
        tensors = _untie(module, tensors)
    saved = []
    try:
        for name, value in tensors.items():
            reg, attr = _registry(module, name)
            saved.append((reg, attr, reg.get(attr, _MISSING)))
            reg[attr] = value
        yield
    finally:
        for reg, attr, old in reversed(saved):
            if old is _MISSING:
                reg.pop(attr, None)
            else:
                reg[attr] = old


_MISSING = object()


def functional_call(module, parameters_and_buffers, args=None, kwargs=None, *,
                    tie_weights=True, strict=False):
    """``module(*args, **kwargs)`` with the named parameters/buffers replaced by the tensors
    of ``parameters_and_buffers`` for this call only.

    Args:
        module (Module): the module to call.
        parameters_and_buffers (dict): dotted names (as in ``named_parameters``) to tensors.
        args (tuple or Tensor, optional): positional arguments of the call.
        kwargs (dict, optional): keyword arguments of the call.
        tie_weights (bool): a tensor registered under several names is replaced under all.
        strict (bool): the dict must name every parameter and buffer, and nothing else.

    Example::

        >>> m = nn.Linear(2, 2)
        >>> out = functional_call(m, {"weight": disttrain.ones(2, 2)}, (disttrain.ones(1, 2),))
    """
    warnings.warn("`torch.nn.utils.stateless.functional_call` is deprecated as of PyTorch 2.0 "
                  "and will be removed in a future version of PyTorch. Please use "
                  "`torch.func.functional_call` instead which is a drop-in replacement.",
                  FutureWarning, stacklevel=2)
    if kwargs is None:
        kwargs = {}
    if args is None:
        args = ()
    elif not isinstance(args, tuple):
        args = (args,)
    with _reparametrize_module(module, parameters_and_buffers, tie_weights=tie_weights,
                               strict=strict):
        return module(*args, **kwargs)
