"""state_dict and load_state_dict: a module's parameters and persistent buffers by name.

Keys follow module order — each module's parameters, then its buffers, then its children's
entries under ``name.`` — which is the order PyTorch writes, so checkpoints line up.
"""
import itertools
from collections import OrderedDict, namedtuple

from ...core.tensor import Tensor
from ...core.grad_mode import no_grad
from ..parameter import Parameter, is_lazy
from ._hooks import add_hook

__all__ = ["StateDictMixin"]

_EXTRA = "_extra_state"


class _IncompatibleKeys(namedtuple("IncompatibleKeys", ["missing_keys", "unexpected_keys"])):
    """What ``load_state_dict`` returns: the keys it did not find and the ones it ignored."""

    __slots__ = ()

    def __repr__(self):
        if not self.missing_keys and not self.unexpected_keys:
            return "<All keys matched successfully>"
        return super().__repr__()

    __str__ = __repr__


class StateDictMixin:
    """The state_dict half of ``Module`` (it relies on the registries Module keeps)."""

    def _save_to_state_dict(self, destination, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                destination[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent_buffers_set:
                destination[prefix + name] = b if keep_vars else b.detach()
        if self._has_extra_state():
            destination[prefix + _EXTRA] = self.get_extra_state()

    def _has_extra_state(self):
        return type(self).get_extra_state is not StateDictMixin.get_extra_state

    def get_extra_state(self):
        """Override (with ``set_extra_state``) to save non-tensor state under
        ``_extra_state`` in ``state_dict``."""
        raise RuntimeError("Reached a code path in Module.get_extra_state() that should never "
                           "be called. Please file an issue.")

    def set_extra_state(self, state):
        """Restore what ``get_extra_state`` returned."""
        raise RuntimeError("Reached a code path in Module.set_extra_state() that should never "
                           "be called. Please file an issue.")

    def state_dict(self, *args, destination=None, prefix="", keep_vars=False):
        """An OrderedDict of parameters and persistent buffers keyed by dotted name.

        Keys follow module order: each module's parameters, then its buffers, then its
        children's entries. Values are detached unless ``keep_vars``.
        """
        if args:   # the deprecated positional form (destination, prefix, keep_vars)
            destination = args[0]
            prefix = args[1] if len(args) > 1 else prefix
            keep_vars = args[2] if len(args) > 2 else keep_vars
        if destination is None:
            destination = OrderedDict()
            destination._metadata = OrderedDict()
        if hasattr(destination, "_metadata"):
            destination._metadata[prefix[:-1]] = {"version": self._version}
        for hook in self._state_dict_pre_hooks.values():
            hook(self, prefix, keep_vars)
        self._save_to_state_dict(destination, prefix, keep_vars)
        for name, m in self._modules.items():
            if m is not None:
                m.state_dict(destination=destination, prefix=prefix + name + ".",
                             keep_vars=keep_vars)
        for hook in self._state_dict_hooks.values():
            result = hook(self, destination, prefix, {})
            if result is not None:
                destination = result
        return destination

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys,
                              unexpected_keys, error_msgs):
        for hook in self._load_state_dict_pre_hooks.values():
            hook(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                 error_msgs)
        persistent = {k: v for k, v in self._buffers.items()
                      if k not in self._non_persistent_buffers_set}
        local = {k: v for k, v in itertools.chain(self._parameters.items(), persistent.items())
                 if v is not None}
        for name, param in local.items():
            key = prefix + name
            if key not in state_dict:
                if strict:
                    missing_keys.append(key)
                continue
            src = state_dict[key]
            if not isinstance(src, Tensor):
                error_msgs.append(f'While copying the parameter named "{key}", expected '
                                  f'torch.Tensor or Tensor-like object from checkpoint but '
                                  f'received {type(src)}')
                continue
            if is_lazy(src):
                continue            # an uninitialised checkpoint entry has nothing to load
            if is_lazy(param):
                with no_grad():
                    param.materialize(src.shape)
            if src.shape != param.shape:
                error_msgs.append(f"size mismatch for {key}: copying a param with shape "
                                  f"{src.shape} from checkpoint, the shape in current model is "
                                  f"{param.shape}.")
                continue
            if local_metadata.get("assign_to_params_buffers", False):
                self._assign(name, param, src)
                continue
            try:
                with no_grad():
                    param.copy_(src)
            except Exception as ex:
                error_msgs.append(f'While copying the parameter named "{key}", whose dimensions '
                                  f'in the model are {param.shape} and whose dimensions in the '
                                  f'checkpoint are {src.shape}, an exception occurred : '
                                  f'{ex.args}.')
        extra = self._has_extra_state()
        if extra:
            if prefix + _EXTRA in state_dict:
                self.set_extra_state(state_dict[prefix + _EXTRA])
            elif strict:
                missing_keys.append(prefix + _EXTRA)
        if strict:
            for key in state_dict:
                if not key.startswith(prefix):
                    continue
                name = key[len(prefix):].split(".", 1)[0]
                if name not in self._modules and name not in local and not (
                        extra and name == _EXTRA):
                    unexpected_keys.append(key)

    def _assign(self, name, current, src):
        """``assign=True``: the checkpoint's tensor itself becomes the parameter or buffer."""
        if name in self._parameters:
            if not isinstance(src, Parameter):
                src = Parameter(src, requires_grad=current.requires_grad)
            self._parameters[name] = src
        else:
            self._buffers[name] = src

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copy parameters and buffers from ``state_dict`` into this module, in place.

        Args:
            state_dict (dict): name -> tensor, as ``state_dict()`` returns.
            strict (bool): require the keys to match exactly. Default: ``True``.
            assign (bool): use the checkpoint's tensors instead of copying into the
                existing ones (their dtype and device then come from the checkpoint).

        Returns:
            ``_IncompatibleKeys(missing_keys, unexpected_keys)``; with ``strict`` (default)
            any missing or unexpected key, or a shape mismatch, raises ``RuntimeError``.
        """
        if not isinstance(state_dict, dict):
            raise TypeError(f"Expected state_dict to be dict-like, got {type(state_dict)}.")
        missing, unexpected, errors = [], [], []
        metadata = getattr(state_dict, "_metadata", None)
        state_dict = OrderedDict(state_dict)

        def load(module, prefix=""):
            meta = {} if metadata is None else dict(metadata.get(prefix[:-1], {}))
            meta["assign_to_params_buffers"] = assign
            module._load_from_state_dict(state_dict, prefix, meta, True, missing, unexpected,
                                         errors)
            for name, child in module._modules.items():
                if child is not None:
                    load(child, prefix + name + ".")
            for hook in module._load_state_dict_post_hooks.values():
                hook(module, _IncompatibleKeys(missing, unexpected))
        load(self)
        if strict:
            if unexpected:
                errors.insert(0, "Unexpected key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in unexpected) + ". ")
            if missing:
                errors.insert(0, "Missing key(s) in state_dict: "
                              + ", ".join(f'"{k}"' for k in missing) + ". ")
        if errors:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n\t"
                               + "\n\t".join(errors))
        return _IncompatibleKeys(missing, unexpected)

    def register_state_dict_pre_hook(self, hook):
        """``hook(module, prefix, keep_vars)`` runs before ``state_dict`` collects entries."""
        return add_hook(self._state_dict_pre_hooks, hook)

    def register_state_dict_post_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata)`` runs after ``state_dict``."""
        return add_hook(self._state_dict_hooks, hook)

    _register_state_dict_hook = register_state_dict_post_hook

    def register_load_state_dict_pre_hook(self, hook):
        """``hook(module, state_dict, prefix, local_metadata, strict, missing, unexpected,
        errors)`` runs before this module loads its entries."""
        return add_hook(self._load_state_dict_pre_hooks,
                         lambda *a: hook(self, *a))

    def _register_load_state_dict_pre_hook(self, hook, with_module=False):
        return add_hook(self._load_state_dict_pre_hooks,
                         (lambda *a: hook(self, *a)) if with_module else hook)

    def register_load_state_dict_post_hook(self, hook):
        """``hook(module, incompatible_keys)`` runs after this module has loaded."""
        return add_hook(self._load_state_dict_post_hooks, hook)
