"""How a model builder takes its weights, and the registry behind ``get_model``."""
import os

__all__ = ["register", "list_models", "get_model", "build"]

_BUILDERS = {}


def register(fn):
    _BUILDERS[fn.__name__] = fn
    return fn


def list_models():
    """The names ``get_model`` accepts, sorted."""
    return sorted(_BUILDERS)


def get_model(name, **config):
    """Build a model by name: ``get_model("resnet18", num_classes=10)``."""
    if name not in _BUILDERS:
        raise ValueError(f"Unknown model {name}")
    return _BUILDERS[name](**config)


def _is_path(weights):
    if isinstance(weights, os.PathLike):
        return True
    return isinstance(weights, str) and (os.path.exists(weights) or os.sep in weights or
                                         weights.endswith((".pth", ".pt", ".safetensors")))


def build(name, make, weights, kwargs):
    """``make(**kwargs)`` with ``weights`` loaded into it.

    ``weights`` is None or the path of a file of torchvision's weights (``.pth`` as
    ``torch.save`` wrote it, or ``.safetensors``), read by ``disttrain.load`` without running
    code. torchvision's weight enums or names (``"DEFAULT"``) and the deprecated
    ``pretrained=True`` would download: they raise an error saying how to pass a file.
    """
    if kwargs.pop("pretrained", False) and weights is None:
        weights = "DEFAULT"
    kwargs.pop("progress", None)
    if weights is not None and not _is_path(weights):
        raise ValueError(
            f"{name}(weights={weights!r}): disttrain.vision downloads nothing. Get the weights "
            f"file once (torchvision's URL, or torch.save(model.state_dict()) in PyTorch), "
            f"then pass its path: {name}(weights='path/to/{name}.pth')")
    model = make(**kwargs)
    if weights is not None:
        from ... import load
        state = load(weights, map_location="cpu")
        if isinstance(state, dict) and isinstance(state.get("state_dict"), dict):
            state = state["state_dict"]            # a training checkpoint around the weights
        model.load_state_dict(state)
    return model
