"""Optimizer: parameter groups, per-parameter state, checkpoints, and the flat-buffer step."""
import copy
import functools
import warnings
from collections import OrderedDict, defaultdict
from itertools import chain
from typing import Callable, Optional

import numpy as np

from ..core.autograd import RemovableHandle
from ..core.grad_mode import enable_grad
from ..core.tensor import Tensor
from ._flat import build_flat_groups

__all__ = ["Optimizer", "register_optimizer_step_pre_hook", "register_optimizer_step_post_hook",
           "required"]

# Step hooks common to all optimizers: the pre-hooks run before each optimizer's own, the
# post-hooks after.
_global_optimizer_pre_hooks = OrderedDict()
_global_optimizer_post_hooks = OrderedDict()


def register_optimizer_step_pre_hook(hook):
    """Register ``hook(optimizer, args, kwargs)`` to run before the ``step`` of every
    optimizer; it may return ``(new_args, new_kwargs)``.

    Returns:
        RemovableHandle: ``handle.remove()`` unregisters the hook.
    """
    return _register(_global_optimizer_pre_hooks, hook)


def register_optimizer_step_post_hook(hook):
    """Register ``hook(optimizer, args, kwargs)`` to run after the ``step`` of every
    optimizer.

    Returns:
        RemovableHandle: ``handle.remove()`` unregisters the hook.
    """
    return _register(_global_optimizer_post_hooks, hook)


class _RequiredParameter:
    """Marks a hyperparameter that every param group must give (no default)."""

    def __repr__(self):
        return "<required parameter>"


required = _RequiredParameter()


def _hooked_step(step, owner):
    """Wrap ``owner``'s ``step`` so that step hooks run and schedulers see it was called."""
    @functools.wraps(step)
    def wrapper(self, *args, **kwargs):
        if self.__dict__.get("_in_step"):      # a subclass's step calling super().step()
            return step(self, *args, **kwargs)
        self._in_step = True
        try:
            return _run_hooked(self, step, wrapper, args, kwargs)
        finally:
            self._in_step = False
    wrapper._hooked = True
    # Named after its class even when shared (``step = _flat_step``), as PyTorch's would be.
    wrapper.__name__, wrapper.__qualname__ = "step", f"{owner.__qualname__}.step"
    return wrapper


def _run_hooked(self, step, named, args, kwargs):
    # As in PyTorch, the hooks' ``args`` start with the optimizer itself.
    args = (self,) + tuple(args)
    for hook in list(chain(_global_optimizer_pre_hooks.values(),
                           self._optimizer_step_pre_hooks.values())):
        result = hook(self, args, kwargs)
        if result is not None:
            if not (isinstance(result, tuple) and len(result) == 2):
                raise RuntimeError(f"{named} must return None or a tuple of (new_args, "
                                   f"new_kwargs), but got {result}.")
            args, kwargs = result
    self._opt_called = True
    out = step(*args, **kwargs)
    for hook in list(chain(self._optimizer_step_post_hooks.values(),
                           _global_optimizer_post_hooks.values())):
        hook(self, args, kwargs)
    return out


class Optimizer:
    """Base class for all optimizers.

    Args:
        params (iterable): an iterable of Tensors or of dicts. Dicts are parameter groups:
            ``{"params": [...], "lr": ...}``; keys missing from a group take ``defaults``.
        defaults (dict): the default value of every hyperparameter.

    Parameters are stepped through flat buffers: at the first step each parameter's memory
    moves into one flat array per (group, dtype, device) (the Tensor objects are unchanged),
    and the optimizer state lives in matching flat arrays, so that a step is a few array
    operations over the whole group.
    """

    # The signatures of step hooks: hook(optimizer, args, kwargs) -> None, or for a pre-hook
    # optionally (new_args, new_kwargs).
    OptimizerPreHook = Callable[["Optimizer", tuple, dict], Optional[tuple]]
    OptimizerPostHook = Callable[["Optimizer", tuple, dict], None]

    # Whether a subclass keeps a step count, and the group keys that pickles and checkpoints
    # from older versions may lack (``__setstate__`` fills them in).
    _with_step = False
    _setstate_defaults = {}
    # Per-parameter 0-d float32 states other than ``step`` (name to initial value).
    _scalar_state = {}
    # Whether the flat layout takes per-parameter state tensors from ``self.state`` into its
    # buffers (LBFGS's state is history over the whole vector, which it keeps itself).
    _imports_flat_state = True

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        step = cls.__dict__.get("step")
        if step is not None and not getattr(step, "_hooked", False):
            cls.step = _hooked_step(step, cls)

    def __init__(self, params, defaults):
        self.defaults = defaults
        self._optimizer_step_pre_hooks = OrderedDict()
        self._optimizer_step_post_hooks = OrderedDict()
        self._optimizer_state_dict_pre_hooks = OrderedDict()
        self._optimizer_state_dict_post_hooks = OrderedDict()
        self._optimizer_load_state_dict_pre_hooks = OrderedDict()
        self._optimizer_load_state_dict_post_hooks = OrderedDict()
        if isinstance(params, Tensor):
            raise TypeError(f"params argument given to the optimizer should be an iterable of "
                            f"Tensors or dicts, but got {_typename(params)}")
        self.state = defaultdict(dict)
        self.param_groups = []
        self._flat = {}
        param_groups = list(params)
        if len(param_groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(param_groups[0], dict):
            param_groups = [{"params": param_groups}]
        for group in param_groups:
            self.add_param_group(group)

    # ------------------------------------------------------------------ pickling, repr
    def __getstate__(self):
        return {"defaults": self.defaults, "state": self.state,
                "param_groups": self.param_groups}

    def __setstate__(self, state):
        self.__dict__.update(state)
        for name in ("_optimizer_step_pre_hooks", "_optimizer_step_post_hooks",
                     "_optimizer_state_dict_pre_hooks", "_optimizer_state_dict_post_hooks",
                     "_optimizer_load_state_dict_pre_hooks",
                     "_optimizer_load_state_dict_post_hooks"):
            self.__dict__.setdefault(name, OrderedDict())
        self.defaults.setdefault("differentiable", False)
        for group in self.param_groups:
            for key, value in self._setstate_defaults.items():
                group.setdefault(key, value)
        self._flat = {}      # the flat layout is rebuilt (and state re-imported) at next step

    def __repr__(self):
        s = self.__class__.__name__ + " ("
        for i, group in enumerate(self.param_groups):
            s += f"\nParameter Group {i}\n"
            for key in sorted(group.keys()):
                if key != "params":
                    s += f"    {key}: {group[key]}\n"
        return s + ")"

    # ------------------------------------------------------------------ groups
    def add_param_group(self, param_group):
        """Add a param group to ``param_groups``, e.g. to train layers unfrozen during
        fine-tuning.

        Args:
            param_group (dict): the Tensors to optimise under ``"params"`` and any
                group-specific hyperparameters.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, but got {type(param_group)}")
        params = param_group["params"]
        if isinstance(params, Tensor):
            param_group["params"] = [params]
        elif isinstance(params, set):
            raise TypeError("optimizer parameters need to be organized in ordered collections, "
                            "but the ordering of tensors in sets will change between runs. "
                            "Please use a list instead.")
        else:
            param_group["params"] = list(params)
        _extract_names(param_group)
        for p in param_group["params"]:
            if not isinstance(p, Tensor):
                raise TypeError(f"optimizer can only optimize Tensors, but one of the params is "
                                f"{_typename(p)}")
            if not self.defaults.get("differentiable", None) and not (p.is_leaf or
                                                                      p.retains_grad):
                raise ValueError("can't optimize a non-leaf Tensor")
        for name, default in self.defaults.items():
            if default is required and name not in param_group:
                raise ValueError(f"parameter group didn't specify a value of required "
                                 f"optimization parameter {name}")
            param_group.setdefault(name, default)
        if param_group.get("differentiable"):
            raise NotImplementedError(
                "differentiable=True is not supported: disttrain's optimizers update flat "
                "buffers in place outside autograd, so a step cannot be differentiated")
        params = param_group["params"]
        if len(params) != len({id(p) for p in params}):
            warnings.warn("optimizer contains a parameter group with duplicate parameters; in "
                          "future, this will cause an error; see "
                          "github.com/pytorch/pytorch/issues/40967 for more information",
                          stacklevel=3)
        seen = set()
        for group in self.param_groups:
            seen.update(id(p) for p in group["params"])
            if ("param_names" in param_group) != ("param_names" in group):
                which = "with names" if "param_names" in param_group else "without names"
                raise ValueError(f"all optimizer param groups should be with/without names. "
                                 f"cannot add param group {which} to the optimizer")
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(param_group)

    # ------------------------------------------------------------------ gradients
    def zero_grad(self, set_to_none=True):
        """Reset the gradients of all optimised Tensors.

        Args:
            set_to_none (bool): set the grads to None instead of zeroing them; a parameter
                whose grad is None is skipped by ``step``, one whose grad is zero is not.
                Default: ``True``.
        """
        for group in self.param_groups:
            for p in group["params"]:
                g = p._grad
                if g is None:
                    continue
                if set_to_none:
                    p._grad = None
                    continue
                if g.grad_fn is not None:
                    g.detach_()
                else:
                    g._requires_grad = False
                g._data.fill(0)
                g._version[0] += 1

    # ------------------------------------------------------------------ hooks
    @staticmethod
    def profile_hook_step(func):
        """Wrap a ``step(self, *args, **kwargs)`` function so that the global and the
        optimizer's step hooks run around it (disttrain has no profiler to record a range
        in). Subclasses need not call it: their ``step`` is wrapped already."""
        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            self, *rest = args
            return _run_hooked(self, func, func, tuple(rest), kwargs)
        return wrapper

    def register_step_pre_hook(self, hook):
        """Register ``hook(optimizer, args, kwargs)`` to run before each ``step``; it may
        return ``(new_args, new_kwargs)``."""
        return _register(self._optimizer_step_pre_hooks, hook)

    def register_step_post_hook(self, hook):
        """Register ``hook(optimizer, args, kwargs)`` to run after each ``step``."""
        return _register(self._optimizer_step_post_hooks, hook)

    def register_state_dict_pre_hook(self, hook, prepend=False):
        """Register ``hook(optimizer)`` to run before ``state_dict``."""
        return _register(self._optimizer_state_dict_pre_hooks, hook, prepend)

    def register_state_dict_post_hook(self, hook, prepend=False):
        """Register ``hook(optimizer, state_dict)`` to run after ``state_dict``; it may return
        a replacement."""
        return _register(self._optimizer_state_dict_post_hooks, hook, prepend)

    def register_load_state_dict_pre_hook(self, hook, prepend=False):
        """Register ``hook(optimizer, state_dict)`` to run before ``load_state_dict``."""
        return _register(self._optimizer_load_state_dict_pre_hooks, hook, prepend)

    def register_load_state_dict_post_hook(self, hook, prepend=False):
        """Register ``hook(optimizer)`` to run after ``load_state_dict``."""
        return _register(self._optimizer_load_state_dict_post_hooks, hook, prepend)

    # ------------------------------------------------------------------ checkpoints
    def state_dict(self):
        """The optimizer's state as a dict: ``state`` (per-parameter state keyed by the
        parameter's index over all groups) and ``param_groups`` (hyperparameters, with
        ``params`` as those indices).

        Example::

            >>> torch.save({"model": model.state_dict(), "optim": optimizer.state_dict()}, path)
        """
        for hook in self._optimizer_state_dict_pre_hooks.values():
            hook(self)
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: v for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {(index[id(k)] if isinstance(k, Tensor) else k): v
                 for k, v in self.state.items()}
        out = {"state": state, "param_groups": groups}
        for hook in self._optimizer_state_dict_post_hooks.values():
            result = hook(self, out)
            if result is not None:
                out = result
        return out

    def load_state_dict(self, state_dict):
        """Restore the state saved by ``state_dict``: hyperparameters and per-parameter state
        (cast to each parameter's dtype and device; ``step`` keeps its own).

        Args:
            state_dict (dict): an object returned by ``state_dict``.
        """
        state_dict = state_dict.copy()
        for hook in self._optimizer_load_state_dict_pre_hooks.values():
            result = hook(self, state_dict)
            if result is not None:
                state_dict = result
        groups = self.param_groups
        saved = copy.deepcopy(state_dict["param_groups"])
        if len(groups) != len(saved):
            raise ValueError("loaded state dict has a different number of parameter groups")
        if any(len(g["params"]) != len(s["params"]) for g, s in zip(groups, saved)):
            raise ValueError("loaded state dict contains a parameter group that doesn't match "
                             "the size of optimizer's group")
        id_map = dict(zip(chain.from_iterable(s["params"] for s in saved),
                          chain.from_iterable(g["params"] for g in groups)))
        state = defaultdict(dict)
        for k, v in state_dict["state"].items():
            if k in id_map:
                state[id_map[k]] = _cast_state(id_map[k], v)
            else:
                state[k] = v
        new_groups = []
        for g, s in zip(groups, saved):
            s["params"] = g["params"]
            if "param_names" in g and "param_names" not in s:
                s["param_names"] = g["param_names"]
            new_groups.append(s)
        self.__setstate__({"state": state, "param_groups": new_groups})
        for hook in self._optimizer_load_state_dict_post_hooks.values():
            hook(self)

    # ------------------------------------------------------------------ the step
    def step(self, closure=None):
        """Perform a single optimization step (subclasses implement it).

        Args:
            closure (Callable, optional): re-evaluates the model and returns the loss.
        """
        raise NotImplementedError

    def _run_step(self, closure, grads=None, bounds=None):
        loss = _closure_loss(closure)
        k = -1
        for gi, group in enumerate(self.param_groups):
            for fg in self._flat_layout(gi, group):
                k += 1
                if grads is None:
                    active = fg.gather_grads(in_place=True)
                    if not active.any():
                        continue
                else:
                    fg.set_grads(grads[k])
                    active = np.ones(len(fg.params), bool)
                self._check_state(fg, group)
                self._update(fg, group, active, None if bounds is None else bounds[k])
                fg.write_back_shared()
                for i in np.flatnonzero(active):
                    fg.params[i]._version[0] += 1
        return loss

    def _update(self, fg, group, active, bounds):
        """Update one flat group in place: the arithmetic of a subclass."""
        raise NotImplementedError

    def _state_names(self, group):
        """The per-parameter state a subclass keeps under ``group``'s settings."""
        return []

    def _check_state(self, fg, group):
        names = self._state_names(group) + (["step"] if self._with_step else [])
        fg.check_state(self.state, names)

    def _start(self, fg, group, active, fills=None):
        """Allocate the state arrays, publish fresh state for parameters stepping for the first
        time, and count the step (for optimizers with a step count)."""
        names = self._state_names(group)
        fills = {name: (fills or {}).get(name, 0.0) for name in names
                 if name not in self._scalar_state}
        for name, fill in fills.items():
            fg.ensure(name, fill)
        fresh = active & ~fg.has_state
        for i in np.flatnonzero(fresh):
            # A region may hold the state of a parameter whose entry was cleared since.
            fg.reset(int(i), fills)
            fg.publish(self.state, int(i), names, self._with_step)
        if self._with_step:
            fg.steps[active] += np.float32(1)

    def _flat_layout(self, gi, group):
        """The flat groups of param group ``gi``, rebuilt when its parameters changed."""
        params = group["params"]
        cached = self._flat.get(gi)
        if cached is not None and cached[1] == [id(p) for p in params] and \
                all(fg.sync_params() for fg in cached[0]):
            return cached[0]
        state = self.state if self._imports_flat_state else {}
        fgs = build_flat_groups(params, gi, state, self._scalar_state) if params else []
        self._flat[gi] = (fgs, [id(p) for p in params])
        return fgs

    # ------------------------------------------------------------------ for data parallelism
    def _flat_groups(self):
        """The flat buffers of every param group (built now if needed), in step order.

        Each ``FlatGroup`` has ``params``, ``param`` and ``grad`` (1-D arrays; every
        ``params[i]._data`` is a view of ``param``), ``offsets``/``numels``/``shapes``,
        ``slice(i)``, ``state`` and ``group_index``. Writing gradients into ``grad`` (or
        making each ``p.grad`` a view of it) lets ``step`` run without copying them.
        """
        return [fg for gi, g in enumerate(self.param_groups) for fg in self._flat_layout(gi, g)]

    def _step_flat(self, grads=None, bounds=None):
        """Step with already-reduced flat gradients, one array per entry of
        ``_flat_groups()`` (``None``: read ``p.grad`` as ``step`` does). Every parameter counts
        as having a gradient. ``bounds``, one ``(lo, hi)`` per flat group, restricts the update
        to those elements (a shard); step counts still advance for the whole group.
        """
        self._opt_called = True
        return self._run_step(None, grads, bounds)


def _closure_loss(closure):
    """The loss ``closure`` returns, computed with grad enabled (it runs backward); None
    without a closure."""
    if closure is None:
        return None
    with enable_grad():
        return closure()


def _flat_step(self, closure=None):
    """Perform a single optimization step.

    Args:
        closure (Callable, optional): re-evaluates the model and returns the loss.
    """
    return self._run_step(closure)


_LABELS = {"lr": "learning rate", "eps": "epsilon value"}


def _check_nonnegative(**hyper):
    """PyTorch's checks, in the order given: a Tensor ``lr`` has one element, and no
    hyperparameter is negative (or NaN)."""
    lr = hyper.get("lr")
    if isinstance(lr, Tensor) and lr.numel() != 1:
        raise ValueError("Tensor lr must be 1-element")
    for name, value in hyper.items():
        if not 0.0 <= value:
            raise ValueError(f"Invalid {_LABELS.get(name, name + ' value')}: {value}")


def _check_betas(betas):
    """PyTorch's check that both betas lie in [0, 1)."""
    for i, beta in enumerate(betas[:2]):
        if not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta}")


def _cast_state(param, value, key=None):
    """A loaded state value in the parameter's dtype and device (``step`` keeps its own)."""
    if isinstance(value, Tensor):
        if key == "step":
            return value
        if param.is_floating_point():
            return value.to(dtype=param.dtype, device=param.device)
        return value.to(device=param.device)
    if isinstance(value, dict):
        return {k: _cast_state(param, v, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_cast_state(param, v) for v in value)
    return value


def _extract_names(group):
    names, tensors = [], []
    for p in group["params"]:
        if isinstance(p, tuple):
            names.append(p[0])
            tensors.append(p[1])
        else:
            tensors.append(p)
    group["params"] = tensors
    if names:
        if len(names) != len(tensors):
            raise ValueError("all optimizer params should be with/without names. Some param "
                             "names are missing")
        group["param_names"] = names


def _register(hooks, hook, prepend=False):
    handle = RemovableHandle(hooks)
    hooks[handle.id] = hook
    if prepend:
        hooks.move_to_end(handle.id, last=False)
    return handle


def _typename(obj):
    if isinstance(obj, Tensor):
        return obj.type()
    t = type(obj)
    return t.__name__ if t.__module__ == "builtins" else f"{t.__module__}.{t.__qualname__}"
