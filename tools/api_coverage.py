"""How much of PyTorch's public API disttrain also has, per namespace.

Run it with an interpreter that has PyTorch installed, with the repository on ``PYTHONPATH``::

    PYTHONPATH=. python tools/api_coverage.py
    PYTHONPATH=. python tools/api_coverage.py --missing Tensor
    PYTHONPATH=. python tools/api_coverage.py --python other/python   # disttrain's interpreter

PyTorch's names are read in this interpreter. disttrain's are read in ``--python`` (default:
this interpreter), in a subprocess, because disttrain needs packages (pyzmq, msgpack) that an
interpreter set up for PyTorch may lack; the repository root is put on that process's path.

What counts as a *public name* of a PyTorch namespace (module or class):

- every name in ``dir(ns)`` that does not start with ``_``;
- except objects PyTorch merely re-exports from outside itself: a module whose ``__name__``
  does not start with ``torch`` (``torch.os``, ``torch.math``, ``torch.typing`` ...), and an
  object whose ``__module__`` is a string naming a top-level package other than ``torch``
  (``typing.cast``, ``collections.abc.Sequence`` ...). Objects without a ``__module__``
  (dtypes, constants, instances) count as PyTorch's own;
- submodules of PyTorch (``torch.nn``, ``torch.linalg`` ...) DO count: programs reach them
  as attributes (``torch.nn.Linear``), so disttrain must have them too;
- in a namespace below ``torch`` (``torch.nn.functional``, ``torch.special`` ...), objects
  re-exported from elsewhere in PyTorch do not count as that namespace's names: a module
  that is not one of its submodules (``torch.nn.functional.torch``), and a class or function
  whose ``__module__`` lies outside the namespace and outside ``torch``'s top level
  (``torch.nn.init.Tensor`` is ``torch.Tensor``; ``has_torch_function`` comes from
  ``torch.overrides``; functions implemented in ``torch._C`` count as the namespace's own),
  nor typing aliases (``BroadcastingList1``). Neither do the
  text fragments PyTorch builds docstrings from (``reproducibility_notes``, ``common_args``:
  dicts and strings named ``*_notes``/``*_args``) or ``TYPE_CHECKING``.

disttrain *has* a name when ``getattr`` on the matching disttrain namespace succeeds (lazy
submodules load through the package ``__getattr__``). A namespace that disttrain cannot
import shows its import error and counts 0.
"""
import argparse
import json
import os
import subprocess
import sys
import types

# namespace label -> (PyTorch path, disttrain path); a path is a module, then attributes
NAMESPACES = [
    ("torch", "torch", "disttrain"),
    ("Tensor", "torch.Tensor", "disttrain.Tensor"),
    ("nn", "torch.nn", "disttrain.nn"),
    ("nn.functional", "torch.nn.functional", "disttrain.nn.functional"),
    ("nn.init", "torch.nn.init", "disttrain.nn.init"),
    ("optim", "torch.optim", "disttrain.optim"),
    ("optim.lr_scheduler", "torch.optim.lr_scheduler", "disttrain.optim.lr_scheduler"),
    ("utils.data", "torch.utils.data", "disttrain.utils.data"),
    ("distributed", "torch.distributed", "disttrain.distributed"),
    ("autograd", "torch.autograd", "disttrain.autograd"),
    ("cuda", "torch.cuda", "disttrain.cuda"),
    ("linalg", "torch.linalg", "disttrain.linalg"),
    ("special", "torch.special", "disttrain.special"),
    ("fft", "torch.fft", "disttrain.fft"),
    ("distributions", "torch.distributions", "disttrain.distributions"),
]


def resolve(path):
    """Import ``a.b.C`` as the longest importable module prefix, then attributes."""
    import importlib
    parts = path.split(".")
    err = None
    for i in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:i]))
        except ImportError as e:  # a class name, or a module disttrain lacks
            err = err or e
            continue
        for p in parts[i:]:
            obj = getattr(obj, p)
        return obj
    raise err


def _reexported(ns, name, obj):
    """Whether ``obj`` is in sub-namespace ``ns`` only as a re-export (module docstring)."""
    if not isinstance(ns, types.ModuleType) or ns.__name__ == "torch":
        return False
    if name == "TYPE_CHECKING" or (isinstance(obj, (dict, str))
                                   and name.endswith(("_notes", "_args"))):
        return True
    if isinstance(obj, types.ModuleType):
        return not obj.__name__.startswith(ns.__name__ + ".")
    if type(obj).__module__ == "typing":          # typing aliases (BroadcastingList1)
        return True
    mod = getattr(obj, "__module__", None)
    if not isinstance(mod, str) or not callable(obj):
        return False
    # functions implemented in C (torch._C._special ...) are the namespace's own
    return not (mod == ns.__name__ or mod.startswith(ns.__name__ + ".")
                or mod in ("torch", "torch.functional") or mod.startswith("torch._C"))


def public_names(ns):
    """PyTorch's public names of ``ns``, as defined in the module docstring."""
    out = []
    for name in dir(ns):
        if name.startswith("_"):
            continue
        try:
            obj = getattr(ns, name)
        except Exception:  # a property of a class, or a lazy attribute that fails to load
            out.append(name)
            continue
        if isinstance(obj, types.ModuleType):
            if not obj.__name__.startswith("torch"):
                continue
        else:
            mod = getattr(obj, "__module__", None)
            if isinstance(mod, str) and mod.split(".")[0] != "torch":
                continue
        if _reexported(ns, name, obj):
            continue
        out.append(name)
    return sorted(out)


def check_disttrain(wanted):
    """For each label: the names disttrain has, or an import error string."""
    import warnings
    warnings.simplefilter("ignore")
    result = {}
    for label, _, dpath in NAMESPACES:
        try:
            ns = resolve(dpath)
        except Exception as e:
            result[label] = f"{type(e).__name__}: {e}"
            continue
        have = []
        for name in wanted[label]:
            try:
                getattr(ns, name)
            except Exception:
                continue
            have.append(name)
        result[label] = have
    return result


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--missing", metavar="NS", help="list the names of NS disttrain lacks")
    ap.add_argument("--present", metavar="NS", help="list the names of NS disttrain has")
    ap.add_argument("--python", default=sys.executable,
                    help="interpreter that can import disttrain (default: this one)")
    ap.add_argument("--check", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.check:  # the subprocess side: names in on stdin, names out on stdout
        json.dump(check_disttrain(json.load(sys.stdin)), sys.stdout)
        return 0

    import warnings
    warnings.simplefilter("ignore")  # deprecated aliases warn when merely looked at
    import torch  # noqa: F401  (PyTorch must be importable here)
    wanted = {label: public_names(resolve(tpath)) for label, tpath, _ in NAMESPACES}
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    env = dict(os.environ)
    env["PYTHONPATH"] = root + os.pathsep + env.get("PYTHONPATH", "")
    proc = subprocess.run([args.python, os.path.abspath(__file__), "--check"],
                          input=json.dumps(wanted), capture_output=True, text=True, env=env,
                          cwd=root)
    if proc.returncode != 0:
        sys.stderr.write(proc.stderr)
        return proc.returncode
    have = json.loads(proc.stdout)

    labels = [n for n, _, _ in NAMESPACES]
    for opt in (args.missing, args.present):
        if opt is not None and opt not in labels:
            ap.error(f"unknown namespace {opt!r}; one of: {', '.join(labels)}")
    if args.missing or args.present:
        label = args.missing or args.present
        got = have[label] if isinstance(have[label], list) else []
        names = [n for n in wanted[label] if (n in got) == bool(args.present)]
        print("\n".join(names))
        return 0

    print(f"{'namespace':<20}{'disttrain':>10}{'PyTorch':>9}{'share':>8}")
    tot_have = tot_want = 0
    for label in labels:
        n_want = len(wanted[label])
        got = have[label]
        note = ""
        if not isinstance(got, list):
            note, got = f"  ({got})", []
        tot_have += len(got)
        tot_want += n_want
        share = 100.0 * len(got) / n_want if n_want else 100.0
        print(f"{label:<20}{len(got):>10}{n_want:>9}{share:>7.1f}%{note}")
    print(f"{'all':<20}{tot_have:>10}{tot_want:>9}{100.0 * tot_have / tot_want:>7.1f}%")
    return 0


if __name__ == "__main__":
    sys.exit(main())
