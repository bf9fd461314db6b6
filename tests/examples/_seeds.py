"""The seed scripts under examples/seeds, loaded as modules for the tests beside this file."""
import importlib.util
import pathlib
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = ROOT / "examples" / "seeds"


def load_seed(name):
    """Import examples/seeds/<name>.py as the module ``name``, registered in ``sys.modules``
    so that pickle finds its classes (a whole-model save)."""
    spec = importlib.util.spec_from_file_location(name, SEEDS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
