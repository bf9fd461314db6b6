"""``swap_in_optimizer_params_and_state``: step an optimizer on other parameters and state."""
import contextlib
from collections import defaultdict

from ..core.grad_mode import no_grad
from ..core.tensor import Tensor

__all__ = ["swap_in_optimizer_params_and_state"]

_NAME = "swap_in_optimizer_params_and_state"


def _check_state(state):
    if not isinstance(state, dict):
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['state'] to be a dict mapping "
                           f"packed parameter ids to per-param state dicts, got "
                           f"{type(state).__name__}.")
    if any(isinstance(k, Tensor) for k in state):
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style state keyed by "
                           f"packed parameter ids.")
    if any(isinstance(k, int) and not isinstance(v, dict) for k, v in state.items()):
        raise RuntimeError(f"{_NAME} requires per-parameter optimizer state entries to be "
                           f"dictionaries.")
    return state


def _check_groups(optimizer, groups):
    if not isinstance(groups, list):
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['param_groups'] to be a list "
                           f"of param-group dicts, got {type(groups).__name__}.")
    if len(optimizer.param_groups) != len(groups):
        raise RuntimeError("swapin_optim_state has a different number of parameter groups "
                           "than the live optimizer.")
    return groups


def _check_group(idx, group, swapin_group):
    if not isinstance(swapin_group, dict):
        raise RuntimeError(f"{_NAME} requires each optimizer param group to be a dictionary.")
    ids = swapin_group.get("params")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids):
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style "
                           f"param_groups[*]['params'] entries keyed by packed parameter ids.")
    if len(group["params"]) != len(ids):
        raise RuntimeError(f"swapin_optim_state param group {idx} has a different number of "
                           f"params than the live optimizer param group.")
    swapin_only = [k for k in swapin_group if k not in group]
    live_only = [k for k in group if k not in swapin_group]
    if swapin_only or live_only:
        raise RuntimeError(f"{_NAME} requires optimizer.state_dict()-style param group keys to "
                           f"exactly match the live optimizer group keys for group {idx}. Keys "
                           f"only in swap-in: {swapin_only}. Keys only in live: {live_only}.")
    return ids


@contextlib.contextmanager
def swap_in_optimizer_params_and_state(optimizer, swapin_parameters, swapin_optim_state):
    """Temporarily replace an optimizer's parameters, hyperparameters and state by the given
    ones; restore the live ones on exit.

    Inside the context every optimizer API (``step`` included) acts on ``swapin_parameters``
    and ``swapin_optim_state``. The parameter tensors are updated in place; so are the
    tensors of ``swapin_optim_state["state"]`` (their values are copied back on exit, as the
    step runs on flat buffers); other changes to the state stay local to the context.

    Args:
        optimizer (Optimizer): the live optimizer; its state must be initialised.
        swapin_parameters (dict of str to Tensor): the parameters to use, in the order of the
            optimizer's parameters (``model.named_parameters()`` order, usually).
        swapin_optim_state (dict): an ``optimizer.state_dict()``-shaped dict with the state
            and the param-group hyperparameters to install.

    Example::

        >>> with swap_in_optimizer_params_and_state(opt, dict(shadow.named_parameters()), osd):
        ...     opt.step()
    """
    if not optimizer.state:
        raise RuntimeError(f"{_NAME} requires initialized optimizer state.")
    if not isinstance(swapin_optim_state, dict):
        raise RuntimeError(f"{_NAME} requires a DCP-style optimizer state_dict.")
    state = _check_state(swapin_optim_state.get("state"))
    groups = _check_groups(optimizer, swapin_optim_state.get("param_groups"))
    tensors = list(swapin_parameters.values())
    plan, seen, offset = [], set(), 0
    for idx, (group, swapin_group) in enumerate(zip(optimizer.param_groups, groups)):
        ids = _check_group(idx, group, swapin_group)
        seen.update(ids)
        if offset + len(ids) > len(tensors):
            raise RuntimeError(f"{_NAME} requires the explicit parameter state to match "
                               f"optimizer.param_groups ordering.")
        plan.append((group, swapin_group, tensors[offset:offset + len(ids)]))
        offset += len(ids)
    extra = [k for k in state if k not in seen]
    if extra:
        raise RuntimeError(f"{_NAME} requires swapin_optim_state['state'] to be keyed only by "
                           f"packed parameter ids from param_groups[*]['params']; got extra "
                           f"keys {extra!r}.")

    live_state, live_flat = optimizer.state, optimizer._flat
    snapshots = [dict(g) for g in optimizer.param_groups]
    swapped = defaultdict(dict)
    originals = []
    try:
        for group, swapin_group, params in plan:
            group["params"] = params
            for key, value in swapin_group.items():
                if key != "params":
                    group[key] = value
            for p, pid in zip(params, swapin_group["params"]):
                # A shallow copy: structural changes stay local, tensor values flow back.
                swapped[p] = dict(state.get(pid, {}))
                originals.append((p, state.get(pid, {})))
        optimizer.state = swapped
        optimizer._flat = {}         # the swapped-in parameters get flat buffers of their own
        yield
    finally:
        with no_grad():
            for p, original in originals:
                current = swapped.get(p, {})
                for key, value in original.items():
                    now = current.get(key)
                    if isinstance(value, Tensor) and isinstance(now, Tensor) and now is not value:
                        value.copy_(now)
        for group, snapshot in zip(optimizer.param_groups, snapshots):
            group.clear()
            group.update(snapshot)
        optimizer.state, optimizer._flat = live_state, live_flat
