"""``disttrain.hub``: pretrained weights fetched by URL into a cache folder, and models from a
local directory's ``hubconf.py``, as ``torch.hub``.

The cache is PyTorch's own (``$TORCH_HOME/hub``, by default ``~/.cache/torch/hub``), so weights
PyTorch downloaded are found there and read as they are (``disttrain.load`` reads PyTorch's
files through its allow-list: loading a checkpoint never runs code). A download goes to a
``.partial`` file beside its destination and is renamed into place only when complete (and,
with ``check_hash``, when its SHA-256 starts with the hash in its name), so an interrupted one
never leaves a truncated checkpoint to be loaded later.

``load``/``list``/``help`` run a repository's ``hubconf.py`` from a local directory
(``source='local'``); fetching a GitHub repository to run its code is not done here and says
so.
"""
import errno
import hashlib
import importlib.util
import os
import re
import sys
import uuid
import zipfile
from urllib.parse import urlparse
from urllib.request import Request, urlopen

__all__ = ["get_dir", "set_dir", "download_url_to_file", "load_state_dict_from_url", "load",
           "list", "help"]

#: ``resnet18-5c106cde.pth`` -> ``5c106cde``: the hash prefix a file name carries
HASH_REGEX = re.compile(r"-([a-f0-9]*)\.")
_CHUNK = 1 << 16
_hub_dir = None


def get_dir():
    """The hub cache folder: the one given to :func:`set_dir`, else ``$TORCH_HOME/hub``,
    ``$TORCH_HOME`` defaulting to ``$XDG_CACHE_HOME/torch`` and that to ``~/.cache/torch``."""
    if _hub_dir is not None:
        return _hub_dir
    home = os.getenv("TORCH_HOME",
                     os.path.join(os.getenv("XDG_CACHE_HOME", "~/.cache"), "torch"))
    return os.path.join(os.path.expanduser(home), "hub")


def set_dir(d):
    """Use folder ``d`` for the hub cache from now on."""
    global _hub_dir
    _hub_dir = os.path.expanduser(os.fspath(d))


class _Progress:
    """Bytes received, on stderr: tqdm's bar when it is installed, else a percentage."""

    def __init__(self, total, enabled):
        self.total, self.enabled, self.n, self.bar = total, enabled, 0, None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                return
            self.bar = tqdm(total=total, unit="B", unit_scale=True, unit_divisor=1024)

    def update(self, k):
        self.n += k
        if self.bar is not None:
            self.bar.update(k)
        elif self.enabled:
            sys.stderr.write(f"\r{100 * self.n / self.total:.1f}%" if self.total else
                             f"\r{self.n} bytes")

    def close(self):
        if self.bar is not None:
            self.bar.close()
        elif self.enabled:
            sys.stderr.write("\n")


def download_url_to_file(url, dst, hash_prefix=None, progress=True):
    """Download ``url`` to the file ``dst``.

    The bytes go to a ``.partial`` file next to ``dst``, renamed to ``dst`` once complete; with
    ``hash_prefix`` the SHA-256 of the contents must start with it, else RuntimeError and
    ``dst`` is not written.

    Args:
        url (str): what to download (``http(s)://``, ``file://`` ...).
        dst (str): the file to write.
        hash_prefix (str, optional): the start of the expected SHA-256, in hex.
        progress (bool, optional): show the bytes received on stderr. Default: True
    """
    dst = os.path.expanduser(os.fspath(dst))
    for _ in range(100):
        partial = f"{dst}.{uuid.uuid4().hex}.partial"
        try:
            f = open(partial, "xb")
        except FileExistsError:
            continue
        break
    else:
        raise FileExistsError(errno.EEXIST, "No usable temporary file name found")
    try:
        with f, urlopen(Request(url, headers={"User-Agent": "torch.hub"})) as u:
            size = u.headers.get("Content-Length")
            sha256 = hashlib.sha256() if hash_prefix is not None else None
            bar = _Progress(int(size) if size else None, progress)
            try:
                while True:
                    chunk = u.read(_CHUNK)
                    if not chunk:
                        break
                    f.write(chunk)
                    if sha256 is not None:
                        sha256.update(chunk)
                    bar.update(len(chunk))
            finally:
                bar.close()
        if sha256 is not None:
            digest = sha256.hexdigest()
            if digest[:len(hash_prefix)] != hash_prefix:
                raise RuntimeError(f'invalid hash value (expected "{hash_prefix}", got '
                                   f'"{digest}")')
        os.replace(partial, dst)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


def load_state_dict_from_url(url, model_dir=None, map_location=None, progress=True,
                             check_hash=False, file_name=None, weights_only=False):
    """The object saved at ``url`` (a state dict, mostly), downloaded once into ``model_dir``
    and read from there afterwards.

    Args:
        url (str): where the checkpoint is.
        model_dir (str, optional): the folder to keep it in. Default: ``get_dir()/checkpoints``
        map_location (optional): as in :func:`disttrain.load`.
        progress (bool, optional): show the download's progress on stderr. Default: True
        check_hash (bool, optional): the file name follows ``name-<sha256 prefix>.ext`` and the
            download must match it. Default: False
        file_name (str, optional): the name to save under (default: the URL's).
        weights_only (bool, optional): accepted; every load reads through an allow-list.

    A zip holding one file (the format before PyTorch 1.6) is unpacked next to it first.
    """
    from .core.serialization import load as _load
    if model_dir is None:
        model_dir = os.path.join(get_dir(), "checkpoints")
    os.makedirs(model_dir, exist_ok=True)
    filename = file_name if file_name is not None else os.path.basename(urlparse(url).path)
    cached = os.path.join(model_dir, filename)
    if not os.path.exists(cached):
        sys.stdout.write(f'Downloading: "{url}" to {cached}\n')
        hash_prefix = None
        if check_hash:
            m = HASH_REGEX.search(filename)
            hash_prefix = m.group(1) if m else None
        download_url_to_file(url, cached, hash_prefix, progress=progress)
    if _is_legacy_zip(cached):
        cached = _unzip_single(cached, model_dir)
    return _load(cached, map_location=map_location)


def _is_legacy_zip(path):
    """A zip of exactly one file that is not itself a checkpoint archive (PyTorch's own format
    is a zip too, of several entries)."""
    if not zipfile.is_zipfile(path):
        return False
    with zipfile.ZipFile(path) as zf:
        members = zf.infolist()
    return len(members) == 1 and not members[0].is_dir()


def _unzip_single(path, folder):
    with zipfile.ZipFile(path) as zf:
        (member,) = zf.infolist()
        target = os.path.realpath(os.path.join(folder, member.filename))
        if os.path.isabs(member.filename) or \
                not target.startswith(os.path.realpath(folder) + os.sep):
            raise ValueError(f"Archive entry escapes its folder: {member.filename}")
        zf.extract(member, folder)
    return target


# ------------------------------------------------------------------ hubconf entry points
def _hubconf(repo_or_dir, source):
    source = source.lower()
    if source not in ("github", "local"):
        raise ValueError(f'Unknown source: "{source}". Allowed values: "github" | "local".')
    if source == "github":
        raise RuntimeError(
            f"disttrain.hub runs hubconf.py from a local directory only: fetching "
            f"'{repo_or_dir}' from GitHub to run its code is not done here. Clone the "
            f"repository and pass its path with source='local'.")
    path = os.path.join(os.path.expanduser(os.fspath(repo_or_dir)), "hubconf.py")
    if not os.path.isfile(path):
        raise FileNotFoundError(errno.ENOENT, "No hubconf.py in the directory", path)
    spec = importlib.util.spec_from_file_location("hubconf", path)
    module = importlib.util.module_from_spec(spec)
    folder = os.path.dirname(path)
    sys.path.insert(0, folder)      # hubconf imports its repository's modules
    try:
        spec.loader.exec_module(module)
    finally:
        if folder in sys.path:
            sys.path.remove(folder)
    missing = [m for m in getattr(module, "dependencies", [])
               if importlib.util.find_spec(m) is None]
    if missing:
        raise RuntimeError(f"Missing dependencies: {', '.join(missing)}")
    return module


def _entry(module, model):
    if not isinstance(model, str):
        raise ValueError("Invalid input: model should be a string of function name")
    fn = getattr(module, model, None)
    if fn is None or not callable(fn):
        raise RuntimeError(f"Cannot find callable {model} in hubconf")
    return fn


def load(repo_or_dir, model, *args, source="github", trust_repo=None, force_reload=False,
         verbose=True, skip_validation=False, **kwargs):
    """``model(*args, **kwargs)`` from the ``hubconf.py`` of the directory ``repo_or_dir``
    (``source='local'``). ``trust_repo``, ``force_reload``, ``verbose`` and
    ``skip_validation`` concern GitHub downloads and are accepted."""
    return _entry(_hubconf(repo_or_dir, source), model)(*args, **kwargs)


def list(github, force_reload=False, skip_validation=False, trust_repo=None, verbose=True,
         source="github"):
    """The names of the entry points (public callables) in ``hubconf.py``; ``source='local'``
    (not in PyTorch's signature, which knows GitHub only) reads a local directory."""
    module = _hubconf(github, source)
    return [name for name in dir(module)
            if callable(getattr(module, name)) and not name.startswith("_")]


def help(github, model, force_reload=False, skip_validation=False, trust_repo=None,
         source="github"):
    """The docstring of entry point ``model`` (``source='local'`` as in :func:`list`)."""
    return _entry(_hubconf(github, source), model).__doc__

