"""PyTorch's torch.save files, safetensors and .npz: read, written, and refused safely.

The files in tests/data were written by PyTorch 2.13 (tests/data/make_torch_files.py); the
values expected here were printed by PyTorch from the same files.
"""
import collections
import io
import os
import pickle
import pickletools
import random
import zipfile

import numpy as np
import pytest

import disttrain
from disttrain import nn
from disttrain.serialization import (add_safe_globals, clear_safe_globals,
                                     get_unsafe_globals_in_checkpoint, safe_globals)

DATA = os.path.join(os.path.dirname(__file__), "..", "data")


def data(name):
    return os.path.join(DATA, name)


def test_reads_a_pytorch_tensor():
    """A tensor saved by torch.save loads with its values, dtype and shape."""
    t = disttrain.load(data("torch_tensor.pt"))
    assert t.dtype == disttrain.float32 and t.shape == (2, 3)
    np.testing.assert_array_equal(t.numpy(), np.arange(6, dtype=np.float32).reshape(2, 3) / 4)


def test_reads_a_pytorch_state_dict_into_a_model():
    """A Linear+BatchNorm state_dict from PyTorch loads into the same disttrain model."""
    sd = disttrain.load(data("torch_linear_bn.pt"))
    assert isinstance(sd, collections.OrderedDict)
    assert list(sd) == ["0.weight", "0.bias", "1.weight", "1.bias", "1.running_mean",
                        "1.running_var", "1.num_batches_tracked"]
    assert sd._metadata["1"] == {"version": 2}
    np.testing.assert_array_equal(sd["1.running_mean"].numpy(),
                                  np.float32([0.025833332911133766, 0.00833333283662796]))
    np.testing.assert_array_equal(sd["1.running_var"].numpy(),
                                  np.float32([0.9037500023841858, 0.9149999618530273]))
    assert sd["1.num_batches_tracked"].dtype == disttrain.int64
    assert sd["1.num_batches_tracked"].item() == 1
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    model.load_state_dict(sd)
    model.eval()
    out = model(disttrain.tensor([[1.0, 2.0, 3.0]]))
    # PyTorch: model.eval(); model(torch.tensor([[1., 2., 3.]]))
    np.testing.assert_allclose(out.detach().numpy(), [[0.07801573, 0.93215823]], atol=1e-5)


def test_reads_a_pytorch_adam_state_dict():
    """An Adam state_dict from PyTorch keeps int keys, steps, moments and param_groups."""
    sd = disttrain.load(data("torch_adam.pt"))
    assert sorted(sd["state"]) == [0, 1, 2, 3]
    assert sd["state"][0]["step"].item() == 1.0
    np.testing.assert_array_equal(sd["state"][2]["exp_avg"].numpy(),
                                  np.float32([0.7997156977653503, 0.7999288439750671]))
    np.testing.assert_array_equal(sd["state"][3]["exp_avg_sq"].numpy(),
                                  np.float32([2.2737368624290214e-16, 0.0]))
    group = sd["param_groups"][0]
    assert group["betas"] == (0.9, 0.999) and group["params"] == [0, 1, 2, 3]
    assert group["lr"] == 0.01 and group["amsgrad"] is False
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    opt = disttrain.optim.Adam(model.parameters(), lr=0.01)
    opt.load_state_dict(sd)
    np.testing.assert_array_equal(opt.state[model[1].weight]["exp_avg"].numpy(),
                                  np.float32([0.7997156977653503, 0.7999288439750671]))


def test_reads_nested_containers_and_every_kind_of_value():
    """Lists, tuples, OrderedDicts, bytes, sets, complex, Size, dtypes, devices, float16,
    bfloat16 (widened exactly), bool, Parameters and views come back as PyTorch wrote them."""
    obj = disttrain.load(data("torch_nested.pt"))
    assert obj["list"] == [1, 2.5, "three", None, True]
    t, raw = obj["tuple"]
    assert t.dtype == disttrain.float64 and t.tolist() == [1.5, -2.0] and raw == b"raw"
    inner = obj["nested"]["a"]["b"][0]
    assert isinstance(obj["nested"], collections.OrderedDict)
    assert inner.dtype == disttrain.int32 and inner.item() == 7
    assert obj["t_view"].tolist() == [[0.0, 3.0], [1.0, 4.0], [2.0, 5.0]]
    assert obj["half"].dtype == disttrain.float16 and obj["half"].tolist() == [0.5, 1.5]
    assert obj["bf16"].tolist() == [1.0, -2.5, 3.140625]
    assert obj["flag"].tolist() == [True, False]
    assert obj["size"] == disttrain.Size([4, 5]) and isinstance(obj["size"], disttrain.Size)
    assert obj["dtype"] is disttrain.float64
    assert obj["device"] == disttrain.device("cpu")
    assert obj["set"] == {3} and obj["complex"] == 1 + 2j
    assert isinstance(obj["param"], nn.Parameter) and obj["param"].requires_grad
    a, b = obj["shared"]
    assert a.tolist() == [2, 3, 4] and b.tolist() == [0, 3, 6, 9]
    a[0] = 100                       # one storage, as in PyTorch: the other view sees it
    assert b.tolist() == [0, 3, 6, 9] and a.tolist() == [100, 3, 4]


def test_shared_storage_views_alias_like_pytorch():
    """Two tensors of one storage in a PyTorch file stay views of one buffer."""
    a, b = disttrain.load(data("torch_nested.pt"))["shared"]
    a[1] = -1                        # element 3 of the storage: b[1] is the same element
    assert b[1].item() == -1


def test_a_disallowed_global_is_refused_with_its_name():
    """A pickled class that is not allowed is refused, naming it; nothing is constructed."""
    with pytest.raises(pickle.UnpicklingError) as e:
        disttrain.load(data("torch_disallowed.pt"))
    msg = str(e.value)
    assert "torch_disallowed.pt" in msg and "Weights only load failed" in msg
    assert "Unsupported global: GLOBAL __main__.NotAllowed" in msg
    assert "add_safe_globals([__main__.NotAllowed])" in msg
    assert get_unsafe_globals_in_checkpoint(data("torch_disallowed.pt")) == [
        "__main__.NotAllowed"]


class _Allowed:
    """Stands for a user's trusted config class pickled under __main__.NotAllowed."""


def test_safe_globals_allows_a_trusted_class():
    """safe_globals (a context) and add_safe_globals let a trusted class load."""
    with safe_globals([(_Allowed, "__main__.NotAllowed")]):
        obj = disttrain.load(data("torch_disallowed.pt"))
    assert isinstance(obj["evil"], _Allowed) and obj["evil"].payload == "runs code on load"
    with pytest.raises(pickle.UnpicklingError):
        disttrain.load(data("torch_disallowed.pt"))       # the context is over
    add_safe_globals([(_Allowed, "__main__.NotAllowed")])
    try:
        assert isinstance(disttrain.load(data("torch_disallowed.pt"))["evil"], _Allowed)
    finally:
        clear_safe_globals()


def test_a_flipped_bit_names_the_file_and_record():
    """PyTorch loads this file with one wrong value (0.2501); disttrain refuses it."""
    with pytest.raises(RuntimeError, match=r"torch_flipped_bit.pt: corrupt file "
                                           r"\(record torch_tensor/data/0: Bad CRC-32"):
        disttrain.load(data("torch_flipped_bit.pt"))


def test_map_location_applies_to_pytorch_files():
    """map_location works for PyTorch files as for disttrain's own."""
    seen = []
    t = disttrain.load(data("torch_tensor.pt"), map_location=lambda s, loc: seen.append(loc))
    assert seen == ["cpu"] and t.shape == (2, 3)
    assert disttrain.load(data("torch_tensor.pt"), map_location="cpu").shape == (2, 3)


def test_map_location_for_cuda_saved_pytorch_tensors():
    """A PyTorch file saved from 'cuda:0' needs map_location on a machine without a GPU."""
    z = zipfile.ZipFile(data("torch_tensor.pt"))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as w:
        for name in z.namelist():
            raw = z.read(name)
            if name.endswith("data.pkl"):          # the storage's location, as a GPU save has
                raw = raw.replace(b"X\x03\x00\x00\x00cpu", b"X\x06\x00\x00\x00cuda:0")
            w.writestr(name, raw)
    raw = out.getvalue()
    if not disttrain.cuda.is_available():
        with pytest.raises(RuntimeError, match="Attempting to deserialize object on a CUDA "
                                               "device but disttrain.cuda.is_available"):
            disttrain.load(io.BytesIO(raw))
    for loc in ("cpu", {"cuda:0": "cpu"}):
        assert disttrain.load(io.BytesIO(raw), map_location=loc).shape == (2, 3)


class _RestrictedLoader(pickle.Unpickler):
    """What torch.load(weights_only=True) accepts, without PyTorch: only these globals."""

    ALLOWED = {("collections", "OrderedDict"), ("torch._utils", "_rebuild_tensor_v2"),
               ("torch._utils", "_rebuild_parameter"), ("torch", "Size"), ("torch", "device"),
               ("_codecs", "encode"), ("__builtin__", "set"), ("__builtin__", "complex"),
               ("torch", "FloatStorage"), ("torch", "LongStorage"), ("torch", "HalfStorage"),
               ("torch", "float16"), ("torch", "DoubleStorage"), ("torch", "BoolStorage")}

    def __init__(self, data, z, prefix):
        super().__init__(io.BytesIO(data))
        self.z, self.prefix = z, prefix

    def find_class(self, module, name):
        assert (module, name) in self.ALLOWED, (module, name)
        if module == "torch._utils" and name == "_rebuild_tensor_v2":
            return lambda st, off, size, stride, rg, hooks, meta=None: (
                "tensor", np.lib.stride_tricks.as_strided(
                    st[off:], size, tuple(s * st.itemsize for s in stride)).copy())
        if module == "torch._utils":
            return lambda data, rg, hooks: ("param", data[1], rg)
        if module == "collections":
            return collections.OrderedDict
        if module == "_codecs":
            return lambda text, enc: text.encode(enc)
        if module == "__builtin__":
            return {"set": set, "complex": complex}[name]
        if name in ("Size", "device"):
            return lambda *a: (module, name, a)
        return (module, name)                  # a storage type or a dtype: the global itself

    def persistent_load(self, pid):
        kind, stype, key, location, numel = pid
        dtype = {"FloatStorage": np.float32, "LongStorage": np.int64, "HalfStorage": np.float16,
                 "DoubleStorage": np.float64, "BoolStorage": np.bool_}[stype[1]]
        return np.frombuffer(self.z.read(f"{self.prefix}data/{key}"), dtype=dtype,
                             count=numel)


def _parse_like_torch(raw):
    z = zipfile.ZipFile(io.BytesIO(raw))
    names = z.namelist()
    prefix = names[0][:-len("data.pkl")]
    assert names[0].endswith("/data.pkl")
    assert z.read(prefix + "byteorder") == b"little" and z.read(prefix + "version") == b"3\n"
    for info in z.infolist():
        assert info.compress_type == zipfile.ZIP_STORED
    for name in names:
        if "/data/" in name:        # records aligned as PyTorch aligns them (for mmap)
            info = z.getinfo(name)
            local = raw[info.header_offset:info.header_offset + 30]
            start = (info.header_offset + 30 + int.from_bytes(local[26:28], "little")
                     + int.from_bytes(local[28:30], "little"))
            assert start % 64 == 0
    return _RestrictedLoader(z.read(names[0]), z, prefix).load(), z.read(names[0])


def test_save_writes_pytorch_format_that_a_restricted_loader_reads():
    """disttrain.save of a state_dict writes torch.save's zip: records, pickle, bytes."""
    model = nn.Sequential(nn.Linear(3, 2), nn.BatchNorm1d(2))
    sd = model.state_dict()
    buf = io.BytesIO()
    disttrain.save(sd, buf)
    obj, pkl = _parse_like_torch(buf.getvalue())
    assert isinstance(obj, collections.OrderedDict) and list(obj) == list(sd)
    for k, v in sd.items():
        kind, arr = obj[k]
        assert kind == "tensor" and arr.dtype == v.numpy().dtype
        np.testing.assert_array_equal(arr, v.numpy())
    assert obj._metadata[""] == {"version": 1}
    ops = [op.name for op, _, _ in pickletools.genops(pkl)]
    assert ops[0] == "PROTO" and ops[-1] == "STOP"


def test_save_writes_optimizer_state_and_plain_values_for_pytorch():
    """Optimizer state (int keys, tuples, floats, bools, None) and odd values round-trip."""
    model = nn.Linear(2, 1)
    opt = disttrain.optim.Adam(model.parameters(), lr=0.1)
    model(disttrain.ones(3, 2)).sum().backward()
    opt.step()
    value = {"opt": opt.state_dict(), "size": disttrain.Size([2]), "half": disttrain.float16,
             "dev": disttrain.device("cpu"), "b": b"\x00\xff", "s": {1}, "c": 2j,
             "big": [2 ** 40, -2 ** 70, -3, 300, 70000], "t": disttrain.arange(6).reshape(2, 3).t(),
             "p": nn.Parameter(disttrain.ones(2))}
    buf = io.BytesIO()
    disttrain.save(value, buf)
    obj, _ = _parse_like_torch(buf.getvalue())
    assert obj["opt"]["param_groups"][0]["betas"] == (0.9, 0.999)
    assert obj["opt"]["state"][0]["step"][1] == 1.0
    assert obj["size"] == ("torch", "Size", ((2,),)) and obj["half"] == ("torch", "float16")
    assert obj["dev"] == ("torch", "device", ("cpu",))
    assert obj["b"] == b"\x00\xff" and obj["s"] == {1} and obj["c"] == 2j
    assert obj["big"] == [2 ** 40, -2 ** 70, -3, 300, 70000]
    np.testing.assert_array_equal(obj["t"][1], [[0, 3], [1, 4], [2, 5]])
    assert obj["p"][0] == "param" and obj["p"][2] is True
    back = disttrain.load(io.BytesIO(buf.getvalue()))
    assert back["t"].tolist() == [[0, 3], [1, 4], [2, 5]] and back["size"] == (2,)
    assert isinstance(back["p"], nn.Parameter) and back["big"] == value["big"]


def test_save_round_trips_a_pytorch_file_byte_for_value(tmp_path):
    """Loaded from PyTorch, saved by disttrain, loaded again: the same values."""
    sd = disttrain.load(data("torch_linear_bn.pt"))
    disttrain.save(sd, tmp_path / "again.pt")
    back = disttrain.load(tmp_path / "again.pt")
    for k in sd:
        np.testing.assert_array_equal(back[k].numpy(), sd[k].numpy())


def test_default_format_and_explicit_formats(tmp_path):
    """Data goes to PyTorch's format; a whole model to disttrain's; format= forces one."""
    disttrain.save({"x": disttrain.ones(2)}, tmp_path / "a.pt")
    assert zipfile.is_zipfile(tmp_path / "a.pt")
    model = nn.Linear(2, 2)
    disttrain.save(model, tmp_path / "m.pt")
    assert open(tmp_path / "m.pt", "rb").read(8) == b"\x89DTSAVE\n"
    disttrain.save({"x": disttrain.ones(2)}, tmp_path / "b.pt", format="disttrain")
    assert open(tmp_path / "b.pt", "rb").read(8) == b"\x89DTSAVE\n"
    with pytest.raises(TypeError, match="save\\(format='torch'\\): numpy.ndarray has no form"):
        disttrain.save({"a": np.ones(2)}, tmp_path / "c.pt", format="torch")
    assert not os.path.exists(tmp_path / "c.pt")
    with pytest.raises(ValueError, match="unknown format 'pickle'"):
        disttrain.save({}, tmp_path / "d.pt", format="pickle")


def _state_dict():
    return collections.OrderedDict(
        [("w", disttrain.arange(6, dtype=disttrain.float32).reshape(2, 3)),
         ("h", disttrain.tensor([0.5, -1.0], dtype=disttrain.float16)),
         ("n", disttrain.tensor(3)), ("m", disttrain.tensor([True, False]))])


def test_npz_round_trip_and_numpy_reads_it(tmp_path):
    """save(format='npz') writes what numpy.load reads without pickles, and load reads it."""
    sd = _state_dict()
    disttrain.save(sd, tmp_path / "w.npz", format="npz")
    with np.load(tmp_path / "w.npz", allow_pickle=False) as z:
        np.testing.assert_array_equal(z["w"], sd["w"].numpy())
        assert z["h"].dtype == np.float16
    back = disttrain.load(tmp_path / "w.npz")
    assert list(back) == ["w", "h", "n", "m"]
    for k in sd:
        assert back[k].dtype == sd[k].dtype
        np.testing.assert_array_equal(back[k].numpy(), sd[k].numpy())


def test_npz_with_object_arrays_is_refused(tmp_path):
    """An .npz holding pickled objects is refused, naming the file and the record."""
    np.savez(tmp_path / "o.npz", a=np.array([{"x": 1}], dtype=object))
    with pytest.raises(RuntimeError, match=r"o.npz: record a.npy of the .npz cannot be read "
                                           r"without unpickling"):
        disttrain.load(tmp_path / "o.npz")


def test_safetensors_round_trip(tmp_path):
    """save(format='safetensors') writes a file the safetensors package reads, and back."""
    st = pytest.importorskip("safetensors.numpy",
                             reason="the safetensors extra is not installed")
    sd = _state_dict()
    disttrain.save(sd, tmp_path / "w.safetensors", format="safetensors")
    arrays = st.load_file(str(tmp_path / "w.safetensors"))
    np.testing.assert_array_equal(arrays["w"], sd["w"].numpy())
    back = disttrain.load(tmp_path / "w.safetensors")
    for k in sd:
        assert back[k].dtype == sd[k].dtype
        np.testing.assert_array_equal(back[k].numpy(), sd[k].numpy())
    with pytest.raises(TypeError, match="the value of 'x' is a int, not a tensor"):
        disttrain.save({"x": 1}, tmp_path / "bad.safetensors", format="safetensors")


def test_safetensors_bf16_widens_exactly(tmp_path):
    """A BF16 entry (as Hugging Face checkpoints hold) loads as exact float32 values."""
    pytest.importorskip("safetensors", reason="the safetensors extra is not installed")
    # safetensors.torch.save_file({"x": torch.tensor([1.0, -2.5, 3.140625], dtype=bfloat16)})
    raw = (b'8\x00\x00\x00\x00\x00\x00\x00{"x":{"dtype":"BF16","shape":[3],'
           b'"data_offsets":[0,6]}} \x80? \xc0I@')
    (tmp_path / "b.safetensors").write_bytes(raw)
    assert disttrain.load(tmp_path / "b.safetensors")["x"].tolist() == [1.0, -2.5, 3.140625]


def test_legacy_and_torchscript_files_get_clear_errors(tmp_path):
    """PyTorch's pre-1.6 format and TorchScript archives are named, not misread."""
    (tmp_path / "old.pt").write_bytes(b"\x80\x02\x8a\x0al\xfc\x9cF\xf9 j\xa8P\x19.rest")
    with pytest.raises(RuntimeError, match="old.pt: a file in PyTorch's legacy format"):
        disttrain.load(tmp_path / "old.pt")
    with zipfile.ZipFile(tmp_path / "ts.pt", "w") as z:
        z.writestr("ts/constants.pkl", b"x")
        z.writestr("ts/code/x.py", b"x")
    with pytest.raises(RuntimeError, match="ts.pt: a TorchScript archive"):
        disttrain.load(tmp_path / "ts.pt")


@pytest.mark.parametrize("source", ["torch_nested.pt", "torch_linear_bn.pt", "ours"])
def test_fuzzed_pytorch_files_fail_cleanly(tmp_path, source):
    """Every mutated PyTorch-format file gives an error naming the file, or intact data;
    nothing hangs and no code runs."""
    if source == "ours":
        buf = io.BytesIO()
        disttrain.save(_state_dict(), buf)
        good = buf.getvalue()
        source = "ours.pt"
    else:
        good = open(data(source), "rb").read()
    reference = disttrain.load(io.BytesIO(good))
    rng = random.Random(source)
    path = tmp_path / source
    for trial in range(150):
        raw = bytearray(good)
        how = trial % 3
        if how == 0:                                   # one flipped bit
            i = rng.randrange(len(raw))
            raw[i] ^= 1 << rng.randrange(8)
        elif how == 1:                                 # truncated
            raw = raw[:rng.randrange(len(raw))]
        else:                                          # a run of random bytes
            i = rng.randrange(len(raw))
            raw[i:i + 8] = bytes(rng.randrange(256) for _ in range(8))
        path.write_bytes(bytes(raw))
        try:
            got = disttrain.load(path)
        except (RuntimeError, pickle.UnpicklingError) as e:
            assert str(path) in str(e), str(e)
            continue
        _assert_same(got, reference)


def _assert_same(a, b):
    if isinstance(b, disttrain.Tensor):
        assert isinstance(a, disttrain.Tensor) and a.dtype == b.dtype
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
    elif isinstance(b, dict):
        assert list(a) == list(b)
        for k in b:
            _assert_same(a[k], b[k])
    elif isinstance(b, (list, tuple)):
        assert len(a) == len(b)
        for x, y in zip(a, b):
            _assert_same(x, y)
    else:
        assert a == b


def test_whole_pytorch_model_file_says_what_to_do(tmp_path):
    """torch.save(model) files pickle PyTorch classes: refused even with weights_only=False,
    with the way out named."""
    src = zipfile.ZipFile(data("torch_tensor.pt"))
    out = tmp_path / "whole.pt"
    with zipfile.ZipFile(out, "w") as w:
        for name in src.namelist():
            raw = src.read(name)
            if name.endswith("data.pkl"):      # a module class where the tensor rebuild was
                raw = raw.replace(b"ctorch._utils\n_rebuild_tensor_v2\n",
                                  b"ctorch.nn.modules.linear\nLinear\n")
            w.writestr(name, raw)
    with pytest.raises(pickle.UnpicklingError, match="whole.pt: .*torch.nn.modules.linear"
                                                     ".Linear, a PyTorch object"):
        disttrain.load(out, weights_only=False)
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        disttrain.load(out)
