"""Check the import layout: no import circle between files, no module ``__getattr__`` that imports.

Run it from the repository root (it only parses, it imports nothing)::

    python tools/check_imports.py            # exit status 1 and a list when the rule is broken
    python tools/check_imports.py --graph    # also print every module's imports

What counts as an import of module B by module A (an *edge* A -> B):

- ``import B`` / ``from B import name`` anywhere in A's file: at the top, inside a function,
  a method or a branch. A deferred import is still a dependency; putting it in a function
  only hides the circle from the interpreter, not from the reader. The one exception is an
  ``if TYPE_CHECKING:`` block, which never runs.
- ``from P import n`` where ``P/n.py`` (or ``P/n/``) exists is an edge to that submodule, not to
  ``P/__init__.py``; otherwise it is an edge to ``P`` (its ``__init__``).
- The ``__init__`` of the packages around B, which Python runs first, is not an edge: a
  package that holds a module is its namespace, not its dependency (``nn/modules/linear.py``
  importing ``nn/functional.py`` does not make it depend on everything ``nn/__init__.py``
  gathers).
- Only modules of this repository (``disttrain``, ``launch``) are nodes.

The rule: the graph has no cycle (strongly connected set of two or more files, or a file
importing itself) except cycles whose files all lie in ``disttrain/core/`` (outside its
``__init__``), where a Tensor and its ops must know each other; that exception is documented at
the top of ``disttrain/core/__init__.py``. And no module-level ``__getattr__`` contains an
import: an attribute lookup must not load code behind the reader's back; except the lazy
loaders listed in ``LAZY_LOADERS`` below, each with the reason it exists, which is also
written at the loader.
"""
import argparse
import ast
import os
import sys

ROOTS = ("disttrain", "launch")
ALLOWED_CYCLE_DIR = "disttrain/core/"

# file -> why its module __getattr__ may import
LAZY_LOADERS = {
    "disttrain/__init__.py":
        "the package root loads its subpackages on first use: nn/optim/comm/distributed cost "
        "import time in every worker, and the packages written against the root namespace "
        "(distributions, signal, testing, version) would make a circle through it",
    "disttrain/vision/__init__.py":
        "transforms and datasets need the optional Pillow; models do not",
    "disttrain/nn/parallel/__init__.py":
        "nn.parallel.DistributedDataParallel is PyTorch's name in nn for a class of the process "
        "layer above nn; nn must not load the process layer",
    "disttrain/nn/parallel/distributed.py":
        "the same name at PyTorch's module path nn.parallel.distributed",
}


def _module_files(repo):
    files = {}
    for root in ROOTS:
        for dirpath, dirnames, filenames in os.walk(os.path.join(repo, root)):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for fn in sorted(filenames):
                if not fn.endswith(".py"):
                    continue
                rel = os.path.relpath(os.path.join(dirpath, fn), repo).replace(os.sep, "/")
                parts = rel[:-3].split("/")
                if parts[-1] == "__init__":
                    parts = parts[:-1]
                files[".".join(parts)] = rel
    return files


def _is_type_checking(test):
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(tree):
    """Yield (node, lineno) for every import statement outside ``if TYPE_CHECKING:``."""
    stack = [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            stack.extend(node.orelse)
            continue
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            yield node
        stack.extend(ast.iter_child_nodes(node))


def _resolve(modname, is_pkg, node, modules):
    """The repository modules an import statement names."""
    out = []
    if isinstance(node, ast.Import):
        for alias in node.names:
            name = alias.name
            while name and name not in modules:
                name = name.rpartition(".")[0]
            if name:
                out.append(name)
        return out
    if node.level:
        base = modname.split(".")
        if not is_pkg:
            base = base[:-1]
        if node.level > 1:
            base = base[:len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    for alias in node.names:
        sub = f"{target}.{alias.name}"
        if sub in modules:
            out.append(sub)
        elif target in modules:
            out.append(target)
    return out


def build_graph(repo):
    modules = _module_files(repo)
    graph, getattr_imports = {}, []
    for mod, rel in modules.items():
        with open(os.path.join(repo, rel), encoding="utf-8") as f:
            tree = ast.parse(f.read(), rel)
        is_pkg = rel.endswith("__init__.py")
        edges = {}
        for node in _imports(tree):
            for dep in _resolve(mod, is_pkg, node, modules):
                edges.setdefault(dep, node.lineno)
        graph[mod] = edges
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name == "__getattr__":
                for sub in ast.walk(node):
                    if isinstance(sub, (ast.Import, ast.ImportFrom)) or (
                            isinstance(sub, ast.Call) and isinstance(sub.func, (ast.Name, ast.Attribute))
                            and getattr(sub.func, "attr", getattr(sub.func, "id", None))
                            in ("import_module", "__import__")):
                        getattr_imports.append(f"{rel}:{sub.lineno}")
                        break
    return modules, graph, getattr_imports


def cycles(graph):
    """Strongly connected components with more than one module, or a self-import (Tarjan)."""
    index, low, on, stack, out = {}, {}, set(), [], []
    counter = [0]
    sys.setrecursionlimit(max(10000, sys.getrecursionlimit()))

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in graph[v]:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def _allowed(comp, modules):
    return all(modules[m].startswith(ALLOWED_CYCLE_DIR) and m != "disttrain.core"
               for m in comp)


def problems(repo):
    """The list of broken rules, one line each (empty when the layout is clean)."""
    modules, graph, getattr_imports = build_graph(repo)
    out = []
    for comp in cycles(graph):
        if _allowed(comp, modules):
            continue
        inside = set(comp)
        links = [f"{modules[a]}:{ln} -> {modules[b]}" for a in comp
                 for b, ln in sorted(graph[a].items()) if b in inside]
        out.append("import circle between " + ", ".join(modules[m] for m in comp)
                   + "\n    " + "\n    ".join(links))
    for where in getattr_imports:
        if where.rpartition(":")[0] not in LAZY_LOADERS:
            out.append(f"module __getattr__ imports: {where}")
    return out


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repo", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    p.add_argument("--graph", action="store_true", help="print every module's imports")
    args = p.parse_args(argv)
    if args.graph:
        modules, graph, _ = build_graph(args.repo)
        for m in sorted(graph):
            print(modules[m], "->", " ".join(modules[d] for d in sorted(graph[m])))
    found = problems(args.repo)
    for line in found:
        print(line)
    print(f"{len(found)} problem(s)")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
