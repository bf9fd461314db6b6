"""save/load: round trips, the file format's checks, atomic writes and the pickle opt-in."""
import collections
import io
import os
import pickle
import struct
import subprocess
import sys
import zlib

import msgpack
import numpy as np
import pytest

import disttrain
import disttrain.nn as nn
from disttrain.core import _atomicfile, _savefile


def roundtrip(obj, **load_kw):
    buf = io.BytesIO()
    disttrain.save(obj, buf, format="disttrain")
    buf.seek(0)
    return disttrain.load(buf, **load_kw)


def same_tensor(a, b):
    return (type(a) is type(b) and a.dtype == b.dtype and a.shape == b.shape
            and a.requires_grad == b.requires_grad and np.array_equal(a.numpy(force=True),
                                                                        b.numpy(force=True)))


class Net(nn.Module):
    """A module defined at top level, so pickle can find its class."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(disttrain.arange(6.0).reshape(2, 3))
        self.register_buffer("steps", disttrain.tensor([3]))

    def forward(self, x):
        return x @ self.w.T


@pytest.mark.parametrize("dtype", ["float16", "float32", "float64", "int8", "int16", "int32",
                                   "int64", "uint8", "bool"])
@pytest.mark.parametrize("shape", [(), (0,), (5,), (2, 3, 4)])
def test_tensor_roundtrip_dtypes_shapes(dtype, shape):
    """Every dtype and shape (0-d and empty included) comes back with the same values."""
    n = int(np.prod(shape))
    t = disttrain.arange(n).reshape(shape).to(getattr(disttrain, dtype))
    assert same_tensor(roundtrip(t), t)


def test_non_contiguous_and_requires_grad():
    """A transposed view saves its own elements; requires_grad survives, also on a non-leaf."""
    t = disttrain.arange(6.0).reshape(2, 3).t()
    leaf = disttrain.ones(3, requires_grad=True)
    out = roundtrip([t, leaf, leaf * 2])
    assert same_tensor(out[0], t) and out[0].is_contiguous()
    assert out[1].requires_grad and out[1].is_leaf
    assert out[2].requires_grad and out[2].is_leaf and out[2].tolist() == [2.0, 2.0, 2.0]


def test_tutorial_tensor_list_dict(tmp_path):
    """The tutorial's three saves print what PyTorch prints after loading."""
    x, y = disttrain.arange(4), disttrain.zeros(4)
    disttrain.save(x, tmp_path / "x-file")
    assert repr(disttrain.load(tmp_path / "x-file")) == "tensor([0, 1, 2, 3])"
    disttrain.save([x, y], str(tmp_path / "x-files"))
    x2, y2 = disttrain.load(str(tmp_path / "x-files"))
    assert repr((x2, y2)) == "(tensor([0, 1, 2, 3]), tensor([0., 0., 0., 0.]))"
    disttrain.save({"x": x, "y": y}, tmp_path / "mydict")
    assert repr(disttrain.load(tmp_path / "mydict")) == (
        "{'x': tensor([0, 1, 2, 3]), 'y': tensor([0., 0., 0., 0.])}")


def test_plain_data_types_roundtrip():
    """Numbers, strings, bytes, None, containers, dtypes, devices, Size and numpy values."""
    obj = {"int": -3, "big": 2 ** 70, "neg_big": -(2 ** 70), "float": 2.5, "nan": float("inf"),
           "bool": True, "complex": 3 - 4j, "str": "héllo", "bytes": b"\x00\xff", "none": None,
           "tuple": (1, (2, [3])), "set": {1, 2}, "frozen": frozenset({"a"}),
           "dtype": disttrain.float64, "device": disttrain.device("cuda", 1),
           "size": disttrain.Size([2, 3]), 7: "int key", (1, 2): "tuple key",
           "np_scalar": np.float32(1.5), "np_array": np.arange(6, dtype=np.int16).reshape(2, 3)}
    out = roundtrip(obj)
    arr = out.pop("np_array")
    assert np.array_equal(arr, obj.pop("np_array")) and arr.dtype == np.int16
    assert out == obj
    assert type(out["tuple"]) is tuple and type(out["tuple"][1][1]) is list
    assert type(out["size"]) is disttrain.Size and out["dtype"] is disttrain.float64
    assert type(out["np_scalar"]) is np.float32 and type(out["frozen"]) is frozenset


def test_ordered_dict_and_metadata_kept():
    """An OrderedDict stays one (with its _metadata, as state_dict has) and keeps its order."""
    d = collections.OrderedDict([("b", 1), ("a", disttrain.ones(1))])
    d._metadata = {"": {"version": 1}}
    out = roundtrip(d)
    assert type(out) is collections.OrderedDict and list(out) == ["b", "a"]
    assert out._metadata == {"": {"version": 1}}
    assert type(roundtrip({"a": 1})) is dict


def test_same_tensor_object_loads_as_one_object():
    """A tensor saved twice is stored once and comes back as a single object; views don't."""
    x = disttrain.arange(4.0)
    v = x[1:]
    out = roundtrip({"a": x, "b": [x, v]})
    assert out["a"] is out["b"][0]
    assert out["b"][1] is not out["a"]
    out["a"][1] = 10.0
    assert out["b"][1].tolist() == [1.0, 2.0, 3.0]      # views load as independent copies


def test_parameter_comes_back_as_parameter():
    """Parameters load as nn.Parameter with their requires_grad flag."""
    p, frozen = nn.Parameter(disttrain.ones(2)), nn.Parameter(disttrain.ones(2), False)
    out = roundtrip([p, frozen, disttrain.ones(2)])
    assert type(out[0]) is nn.Parameter and out[0].requires_grad
    assert type(out[1]) is nn.Parameter and not out[1].requires_grad
    assert type(out[2]) is disttrain.Tensor


def test_module_state_dict_roundtrip(tmp_path):
    """state_dict -> save -> load -> load_state_dict gives a model with equal outputs."""
    net = Net()
    path = tmp_path / "net.pt"
    disttrain.save(net.state_dict(), path)
    net2 = Net()
    with disttrain.no_grad():
        net2.w.fill_(0.0)
    net2.load_state_dict(disttrain.load(path))
    x = disttrain.ones(1, 3)
    assert (net2(x) == net(x)).all()
    assert net2.steps.tolist() == [3]


def test_optimizer_style_state_dict_keeps_int_keys():
    """Optimizer state (int keys, tuples of floats, per-parameter tensors) round-trips."""
    sd = {"state": {0: {"step": disttrain.tensor(3.0), "exp_avg": disttrain.ones(2)}},
          "param_groups": [{"lr": 0.001, "betas": (0.9, 0.999), "params": [0, 1],
                            "nesterov": False, "foreach": None}]}
    out = roundtrip(sd)
    assert list(out["state"]) == [0] and out["param_groups"] == sd["param_groups"]
    assert same_tensor(out["state"][0]["exp_avg"], sd["state"][0]["exp_avg"])


def test_several_objects_in_one_stream():
    """load reads exactly one object and leaves a file object positioned after it."""
    buf = io.BytesIO()
    disttrain.save(disttrain.arange(3), buf, format="disttrain")
    disttrain.save("second", buf, format="disttrain")
    buf.seek(0)
    assert disttrain.load(buf).tolist() == [0, 1, 2]
    assert disttrain.load(buf) == "second"


def test_whole_module_needs_weights_only_false(tmp_path):
    """A pickled model is refused by default with both ways out; weights_only=False loads it."""
    net = Net()
    path = tmp_path / "model.pt"
    disttrain.save(net, path)
    with pytest.raises(pickle.UnpicklingError) as e:
        disttrain.load(path)
    msg = str(e.value)
    assert msg.startswith(f"{path}: Weights only load failed")
    assert "weights_only=False" in msg and "state_dict()" in msg
    net2 = disttrain.load(path, weights_only=False)
    assert type(net2) is Net and type(net2.w) is nn.Parameter and net2.w.requires_grad
    assert (net2(disttrain.ones(1, 3)) == net(disttrain.ones(1, 3))).all()


def test_interrupted_save_keeps_old_file(tmp_path, monkeypatch):
    """A save that fails midway leaves the previous file intact and no temp file behind."""
    path = tmp_path / "ckpt.pt"
    disttrain.save({"v": 1}, path)
    before = path.read_bytes()

    def half_then_fail(fh, chunks):
        fh.write(next(iter(chunks))[:10])
        raise OSError("disk full")
    monkeypatch.setattr(_savefile, "_write_chunks", half_then_fail)
    for unnamed in (True, False):      # O_TMPFILE and the named temp file fallback
        if not unnamed:
            monkeypatch.setattr(_atomicfile, "_open_unnamed", lambda d: None)
        with pytest.raises(OSError, match="disk full"):
            disttrain.save({"v": disttrain.zeros(1000)}, path, format="disttrain")
        assert path.read_bytes() == before
        assert os.listdir(tmp_path) == ["ckpt.pt"]


_KILL_MID_SAVE = """
import os, signal, sys
import disttrain
from disttrain.core import _savefile
def die(fh, chunks):
    fh.write(next(iter(chunks)))
    fh.flush()
    os.kill(os.getpid(), signal.SIGKILL)
_savefile._write_chunks = die
disttrain.save({"v": disttrain.zeros(1000)}, sys.argv[1], format="disttrain")
"""


def test_killed_save_keeps_old_file_and_leaves_no_temp(tmp_path):
    """SIGKILL in the middle of a save: the old file is intact and nothing else appears."""
    if _atomicfile._open_unnamed(str(tmp_path)) is None:
        pytest.skip("this filesystem has no unnamed temp files (O_TMPFILE), so a killed save "
                    "leaves its named temp file behind")
    path = tmp_path / "ckpt.pt"
    disttrain.save({"v": 1}, path)
    before = path.read_bytes()
    proc = subprocess.run([sys.executable, "-c", _KILL_MID_SAVE, str(path)], timeout=60)
    assert proc.returncode == -9
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["ckpt.pt"]
    assert disttrain.load(path) == {"v": 1}


def test_save_keeps_mode_and_writes_through_symlink(tmp_path):
    """Replacing a file keeps its permission bits; a symlink's target is what gets written."""
    target = tmp_path / "real.pt"
    disttrain.save(1, target)
    os.chmod(target, 0o640)
    link = tmp_path / "link.pt"
    link.symlink_to(target)
    disttrain.save(2, link)
    assert link.is_symlink() and disttrain.load(target) == 2
    assert os.stat(target).st_mode & 0o777 == 0o640


def test_missing_parent_directory(tmp_path):
    """Saving into a directory that does not exist names it."""
    with pytest.raises(RuntimeError, match="Parent directory .*nope does not exist"):
        disttrain.save(1, tmp_path / "nope" / "f.pt")


def _saved_bytes(obj):
    buf = io.BytesIO()
    disttrain.save(obj, buf, format="disttrain")
    return bytearray(buf.getvalue())


def _data_start(raw):
    hlen = struct.unpack_from("<Q", raw, 16)[0]
    return -(-(36 + hlen) // 64) * 64


def test_truncated_file_names_file_and_section(tmp_path):
    """Truncation inside the tensor data says how many bytes were expected and found."""
    raw = _saved_bytes(disttrain.zeros(1024))
    start = _data_start(raw)
    path = tmp_path / "checkpoint.pt"
    path.write_bytes(raw[:start + 1000])
    with pytest.raises(RuntimeError) as e:
        disttrain.load(path)
    assert str(e.value) == (f"{path}: truncated file (expected 4096 bytes of tensor data, "
                            f"found 1000)")
    path.write_bytes(raw[:40])
    with pytest.raises(RuntimeError, match=r"truncated file \(expected \d+ bytes of header, "
                                           r"found 4\)"):
        disttrain.load(path)
    path.write_bytes(raw[:-3])
    with pytest.raises(RuntimeError, match=r"truncated file \(expected an 8-byte trailer, "
                                           r"found 5\)"):
        disttrain.load(path)
    path.write_bytes(raw[:20])
    with pytest.raises(RuntimeError, match="expected 36 bytes of preamble, found 20"):
        disttrain.load(path)


def test_truncated_stream_without_seek():
    """A non-seekable stream that ends early also reports the truncation."""
    raw = _saved_bytes(disttrain.zeros(1024))

    class Pipe(io.RawIOBase):
        def __init__(self, data):
            self.data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            return self.data.readinto(b)
    with pytest.raises(RuntimeError, match=r"<file object>: truncated file \(expected 4096 "
                                           r"bytes of tensor data, found 100\)"):
        disttrain.load(Pipe(bytes(raw[:_data_start(raw) + 100])))


@pytest.mark.parametrize("where", ["data", "header", "trailer"])
def test_one_flipped_bit_is_caught(tmp_path, where):
    """A single flipped bit in the tensor data, the header or the checksum fails the load."""
    raw = _saved_bytes({"w": disttrain.arange(100.0)})
    pos = {"data": _data_start(raw) + 123, "header": 40, "trailer": len(raw) - 6}[where]
    raw[pos] ^= 0x10
    path = tmp_path / "flip.pt"
    path.write_bytes(raw)
    with pytest.raises(RuntimeError, match=f"^{path}: corrupt file \\(checksum mismatch"):
        disttrain.load(path)


def test_flipped_length_field_is_caught():
    """A bit flip in the preamble's lengths is caught before a length is used."""
    raw = _saved_bytes(disttrain.zeros(4))
    raw[29] ^= 0x01           # the top bytes of the data length
    with pytest.raises(RuntimeError, match="corrupt file \\(preamble checksum mismatch\\)"):
        disttrain.load(io.BytesIO(bytes(raw)))


def forge(header, data=b"", version=1, flags=0):
    """A file with valid checksums around an arbitrary header: what a hostile writer makes."""
    head = msgpack.packb(header, use_bin_type=True)
    pre = struct.pack("<8sIIQQ", _savefile.MAGIC, version, flags, len(head), len(data))
    pre += struct.pack("<I", zlib.crc32(pre))
    body = pre + head
    body += bytes(-len(body) % 64) + data
    return body + struct.pack("<I", zlib.crc32(body)) + b"DTOK"


def test_huge_length_field_does_not_allocate():
    """A data length of 2**60 is refused against the file size before anything is allocated."""
    raw = forge({"tensors": [], "root": msgpack.packb(None), "pickle": None})
    raw = bytearray(raw)
    struct.pack_into("<Q", raw, 24, 1 << 60)
    struct.pack_into("<I", raw, 32, zlib.crc32(bytes(raw[:32])))
    with pytest.raises(RuntimeError, match=f"expected {1 << 60} bytes of tensor data"):
        disttrain.load(io.BytesIO(bytes(raw)))


@pytest.mark.parametrize("entry,message", [
    ({"offset": 0, "nbytes": 1 << 40, "shape": [1 << 38]}, "outside the 16-byte data section"),
    ({"offset": 8, "nbytes": 16, "shape": [4]}, "outside the 16-byte data section"),
    ({"offset": 0, "nbytes": 16, "shape": [5]}, r"shape \[5\] of float32 needs 20 bytes"),
    ({"dtype": "object"}, "bad entry"),
    ({"kind": "ndarray", "dtype": "|O"}, "bad entry"),
    ({"shape": [-4]}, "bad entry"),
])
def test_forged_tensor_entries_are_refused(entry, message):
    """Every length and type in a tensor entry is checked against the file before use."""
    e = {"kind": "tensor", "dtype": "float32", "shape": [4], "offset": 0, "nbytes": 16,
         "requires_grad": False, "device": "cpu"}
    e.update(entry)
    raw = forge({"tensors": [e], "root": msgpack.packb(None), "pickle": None}, bytes(16))
    with pytest.raises(RuntimeError, match=message):
        disttrain.load(io.BytesIO(raw))


def test_forged_object_data_is_refused():
    """Unknown type codes and dangling tensor references are corrupt-file errors."""
    for root, message in ((msgpack.ExtType(99, b"\xc0"), "unknown object type code 99"),
                          (msgpack.ExtType(3, msgpack.packb(5)), "tensor reference 5")):
        raw = forge({"tensors": [], "root": msgpack.packb(root), "pickle": None})
        with pytest.raises(RuntimeError, match=message):
            disttrain.load(io.BytesIO(raw))


def test_newer_version_is_refused():
    """A file from a newer format version asks for an upgrade."""
    raw = forge({"tensors": [], "root": msgpack.packb(1), "pickle": None}, version=2)
    with pytest.raises(RuntimeError, match="format version 2, newer than this reader"):
        disttrain.load(io.BytesIO(raw))


@pytest.mark.parametrize("content,message", [
    (b"", "empty file"),
    (b"PK\x03\x04rest-of-zip", "zip archive"),
    (pickle.dumps([1, 2]), "a pickle stream"),
    (b"hello world, this is text", "bad magic bytes"),
])
def test_foreign_files(tmp_path, content, message):
    """Files that are not ours say what they look like, naming the file."""
    path = tmp_path / "foreign.bin"
    path.write_bytes(content)
    with pytest.raises(RuntimeError, match=f"^{path}: .*{message}"):
        disttrain.load(path)


def test_trailing_garbage_in_file(tmp_path):
    """Bytes appended after a complete save make the file corrupt."""
    path = tmp_path / "f.pt"
    disttrain.save(1, path, format="disttrain")
    with open(path, "ab") as fh:
        fh.write(b"xx")
    with pytest.raises(RuntimeError, match="2 unexpected bytes after the end"):
        disttrain.load(path)


def test_map_location_for_gpu_saved_tensors(monkeypatch):
    """Tensors saved from 'cuda:0' load on the CPU through every form of map_location."""
    monkeypatch.setattr(_savefile, "_device_str", lambda t: "cuda:0")
    buf = io.BytesIO()
    disttrain.save({"w": disttrain.ones(2)}, buf, format="disttrain")
    raw = buf.getvalue()
    if not disttrain.cuda.is_available():
        with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA "
                                               "device but disttrain.cuda.is_available"):
            disttrain.load(io.BytesIO(raw))
    seen = []

    def to_cpu(t, location):
        seen.append(location)
        return t
    for loc in ("cpu", disttrain.device("cpu"), {"cuda:0": "cpu"}, to_cpu):
        out = disttrain.load(io.BytesIO(raw), map_location=loc)
        assert out["w"].device == disttrain.device("cpu") and out["w"].tolist() == [1.0, 1.0]
    assert seen == ["cuda:0"]


def test_loaded_tensors_are_writable():
    """Loaded tensors can be updated in place (an optimizer step on a loaded model)."""
    t = roundtrip(disttrain.zeros(3))
    t.add_(1.0)
    assert t.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("make", [
    lambda ps: disttrain.optim.SGD(ps, lr=0.1, momentum=0.9),
    lambda ps: disttrain.optim.Adam(ps, lr=0.01),
])
def test_real_optimizer_and_scheduler_state_dicts(make):
    """An optimizer's and a scheduler's state_dict load without pickle and restore the state:
    the next step of the restored optimizer equals the original's."""
    def setup():
        disttrain.manual_seed(0)
        net = nn.Linear(3, 2)
        opt = make(net.parameters())
        return net, opt, disttrain.optim.lr_scheduler.StepLR(opt, 2)

    def step(net, opt):
        opt.zero_grad()
        net(disttrain.ones(4, 3)).pow(2).sum().backward()
        opt.step()
    net, opt, sched = setup()
    step(net, opt)
    sched.step()
    saved = roundtrip({"model": net.state_dict(), "opt": opt.state_dict(),
                       "sched": sched.state_dict()})
    net2, opt2, sched2 = setup()
    net2.load_state_dict(saved["model"])
    opt2.load_state_dict(saved["opt"])
    sched2.load_state_dict(saved["sched"])
    step(net, opt)
    step(net2, opt2)
    assert (net.weight == net2.weight).all() and sched2.last_epoch == sched.last_epoch
