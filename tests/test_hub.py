"""``disttrain.hub``: the cache folder, downloads (atomic, hash-checked), checkpoints by URL
read through the allow-list (PyTorch's own files included), and local ``hubconf.py`` entry
points. URLs are ``file://`` ones, so nothing here needs a network."""
import hashlib
import os
import pathlib
import shutil
import subprocess
import sys
import zipfile

import numpy as np
import pytest

import disttrain as torch
from disttrain import hub

DATA = pathlib.Path(__file__).parent / "data"


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "home"))
    monkeypatch.setattr(hub, "_hub_dir", None)
    return tmp_path


def test_cache_folder_follows_pytorchs_rules(tmp_path, monkeypatch):
    monkeypatch.setattr(hub, "_hub_dir", None)
    monkeypatch.delenv("TORCH_HOME", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert hub.get_dir() == str(tmp_path / "xdg" / "torch" / "hub")
    monkeypatch.setenv("TORCH_HOME", str(tmp_path / "th"))
    assert hub.get_dir() == str(tmp_path / "th" / "hub")
    hub.set_dir(tmp_path / "mine")
    assert hub.get_dir() == str(tmp_path / "mine")


def test_download_checks_the_hash_and_leaves_nothing_half_written(tmp_path):
    src = tmp_path / "weights.bin"
    src.write_bytes(os.urandom(200_000))
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    dst = tmp_path / "out" / "w.bin"
    dst.parent.mkdir()
    hub.download_url_to_file(src.as_uri(), str(dst), digest[:10], progress=False)
    assert dst.read_bytes() == src.read_bytes()
    bad = tmp_path / "out" / "bad.bin"
    with pytest.raises(RuntimeError, match=rf'^invalid hash value \(expected "0000", got '
                                           rf'"{digest}"\)$'):
        hub.download_url_to_file(src.as_uri(), str(bad), "0000", progress=False)
    assert sorted(p.name for p in dst.parent.iterdir()) == ["w.bin"]   # no bad.bin, no .partial


def test_state_dict_by_url_reads_pytorchs_file_and_caches_it(home, capsys):
    ref = torch.load(DATA / "torch_linear_bn.pt")
    served = home / "served"
    served.mkdir()
    digest = hashlib.sha256((DATA / "torch_linear_bn.pt").read_bytes()).hexdigest()
    name = f"linear_bn-{digest[:8]}.pth"
    shutil.copy(DATA / "torch_linear_bn.pt", served / name)
    sd = hub.load_state_dict_from_url((served / name).as_uri(), check_hash=True, progress=False)
    cached = home / "home" / "hub" / "checkpoints" / name
    assert f'Downloading: "{(served / name).as_uri()}" to {cached}' in capsys.readouterr().out
    assert sd.keys() == ref.keys()
    for k in sd:
        np.testing.assert_array_equal(sd[k].numpy(), ref[k].numpy())
    (served / name).unlink()                       # the second call reads the cache
    again = hub.load_state_dict_from_url((served / name).as_uri(), progress=False)
    assert again.keys() == ref.keys() and "Downloading" not in capsys.readouterr().out
    wrong = served / "linear_bn-deadbeef.pth"
    shutil.copy(DATA / "torch_linear_bn.pt", wrong)
    with pytest.raises(RuntimeError, match='invalid hash value \\(expected "deadbeef"'):
        hub.load_state_dict_from_url(wrong.as_uri(), check_hash=True, progress=False)
    assert not (cached.parent / wrong.name).exists()


def test_single_file_zip_and_file_name(home):
    saved = home / "inner.pt"
    torch.save({"w": torch.arange(3.0)}, saved)
    with zipfile.ZipFile(home / "old.zip", "w") as zf:
        zf.write(saved, "inner.pt")
    sd = hub.load_state_dict_from_url((home / "old.zip").as_uri(), model_dir=str(home / "md"),
                                      file_name="renamed.zip", progress=False)
    assert sd["w"].tolist() == [0.0, 1.0, 2.0]
    assert sorted(os.listdir(home / "md")) == ["inner.pt", "renamed.zip"]


HUBCONF = '''
dependencies = ["numpy"]
import disttrain as torch


def tiny(k=2, bias=True):
    """A Linear(k, 1)."""
    return torch.nn.Linear(k, 1, bias=bias)


def _private():
    return None
'''


def test_local_hubconf_entry_points(tmp_path):
    (tmp_path / "hubconf.py").write_text(HUBCONF)
    model = hub.load(str(tmp_path), "tiny", 3, source="local", bias=False)
    assert isinstance(model, torch.nn.Linear) and model.weight.shape == (1, 3)
    assert model.bias is None
    assert hub.list(str(tmp_path), source="local") == ["tiny"]
    assert hub.help(str(tmp_path), "tiny", source="local") == "A Linear(k, 1)."
    with pytest.raises(RuntimeError, match="^Cannot find callable nope in hubconf$"):
        hub.load(str(tmp_path), "nope", source="local")
    with pytest.raises(ValueError, match='^Unknown source: "ftp"'):
        hub.load(str(tmp_path), "tiny", source="ftp")
    with pytest.raises(RuntimeError, match="from GitHub to run its code is not done here"):
        hub.load("pytorch/vision", "resnet18")
    (tmp_path / "hubconf.py").write_text(HUBCONF.replace('["numpy"]', '["no_such_module_x"]'))
    with pytest.raises(RuntimeError, match="^Missing dependencies: no_such_module_x$"):
        hub.load(str(tmp_path), "tiny", source="local")


def test_model_files_import_it_under_the_torch_name(tmp_path):
    script = tmp_path / "m.py"
    script.write_text("from torch.hub import load_state_dict_from_url\n"
                      "from torch.utils.model_zoo import load_url\n"
                      "import torch\n"
                      "print(load_url is load_state_dict_from_url, torch.hub.get_dir() != '')\n")
    out = subprocess.run([sys.executable, "-m", "disttrain.as_torch", str(script)],
                         capture_output=True, text=True, timeout=120, check=True).stdout
    assert out.strip() == "True True"
