"""``disttrain.utils.model_zoo``: the older home of ``load_url``
(``disttrain.hub.load_state_dict_from_url``), still imported by model files as a fallback."""
from ..hub import load_state_dict_from_url as load_url

__all__ = ["load_url"]
