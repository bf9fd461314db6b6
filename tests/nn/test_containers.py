"""Containers: Sequential, ModuleList, ModuleDict, ParameterList, ParameterDict."""
from collections import OrderedDict

import pytest

import disttrain as torch
from disttrain import nn


def _seq():
    return nn.Sequential(nn.Linear(1, 2), nn.ReLU(), nn.Linear(2, 3))


def test_sequential_indexing():
    """Int, negative and slice indexing; a slice is a Sequential keeping the keys."""
    s = _seq()
    assert s[0] is s._modules["0"] and s[-1] is s[2] and len(s) == 3
    assert str(s[1:]) == ("Sequential(\n  (1): ReLU()\n  (2): Linear(in_features=2, "
                          "out_features=3, bias=True)\n)")
    assert list(s) == [s[0], s[1], s[2]]
    for bad in (3, -4):
        with pytest.raises(IndexError, match=f"index {bad} is out of range"):
            s[bad]


def test_sequential_forward_chains():
    """forward feeds each module's output to the next."""
    s = nn.Sequential(nn.Linear(20, 256), nn.ReLU(), nn.Linear(256, 10))
    y = s(torch.rand(2, 20))
    assert y.shape == (2, 10) and type(y.grad_fn).__name__ == "AddmmBackward0"
    assert nn.Sequential()(torch.ones(2)).tolist() == [1.0, 1.0]


def test_sequential_delete_renumbers():
    """del (index or slice) removes modules and renumbers the keys."""
    s = _seq()
    del s[1]
    assert list(s._modules) == ["0", "1"] and isinstance(s[1], nn.Linear)
    s = _seq()
    del s[0:2]
    assert str(s) == "Sequential(\n  (0): Linear(in_features=2, out_features=3, bias=True)\n)"


def test_sequential_append_insert_extend_pop():
    """append, insert (also negative), extend and pop behave like PyTorch's."""
    s = nn.Sequential(nn.ReLU())
    s.append(nn.Tanh())
    s.insert(0, nn.Sigmoid())
    s.insert(-1, nn.ELU())
    assert s.extend([nn.GELU()]) is s
    assert str(s) == ("Sequential(\n  (0): Sigmoid()\n  (1): ReLU()\n  (2): ELU(alpha=1.0)\n"
                      "  (3): Tanh()\n  (4): GELU(approximate='none')\n)")
    assert isinstance(s.pop(1), nn.ReLU) and len(s) == 4 and isinstance(s[1], nn.ELU)
    with pytest.raises(IndexError, match="Index out of range: 9"):
        s.insert(9, nn.ReLU())
    with pytest.raises(AssertionError, match="module should be of type: <class "
                                             "'disttrain.nn.modules.module.Module'>"):
        s.insert(0, 3)


def test_sequential_ordered_dict_and_setitem():
    """An OrderedDict gives named children; item assignment replaces a module."""
    s = nn.Sequential(OrderedDict([("conv", nn.Linear(1, 1)), ("act", nn.ReLU())]))
    assert str(s) == ("Sequential(\n  (conv): Linear(in_features=1, out_features=1, bias=True)\n"
                      "  (act): ReLU()\n)")
    assert s[1] is s.act
    s[0] = nn.Sigmoid()
    assert isinstance(s.conv, nn.Sigmoid)


def test_sequential_add_and_mul():
    """+ concatenates Sequentials, * repeats them; other operands are refused."""
    s = nn.Sequential(nn.Sigmoid(), nn.Tanh())
    assert [type(m).__name__ for m in s + nn.Sequential(nn.ELU())] == ["Sigmoid", "Tanh", "ELU"]
    assert [type(m).__name__ for m in s * 2] == ["Sigmoid", "Tanh"] * 2
    with pytest.raises(ValueError, match="add operator supports only objects of Sequential "
                                         "class, but <class 'disttrain.nn.modules.activation."
                                         "ReLU'> is given."):
        s + nn.ReLU()


def test_module_list():
    """ModuleList registers its modules, supports list operations and cannot be called."""
    ml = nn.ModuleList([nn.ReLU(), nn.Tanh()])
    ml.append(nn.ELU())
    ml.insert(1, nn.GELU())
    ml.extend([nn.SiLU()])
    ml += [nn.Sigmoid()]
    assert [type(m).__name__ for m in ml] == ["ReLU", "GELU", "Tanh", "ELU", "SiLU", "Sigmoid"]
    assert [type(m).__name__ for m in ml[1:3]] == ["GELU", "Tanh"]
    assert isinstance(ml[-1], nn.Sigmoid)
    del ml[0]
    assert list(ml._modules) == ["0", "1", "2", "3", "4"]
    assert isinstance(ml.pop(-1), nn.Sigmoid) and len(ml) == 4
    with pytest.raises(IndexError, match="index 10 is out of range"):
        ml[10]
    with pytest.raises(TypeError, match="ModuleList.extend should be called with an iterable, "
                                        "but got int"):
        ml.extend(5)
    with pytest.raises(NotImplementedError, match='Module \\[ModuleList\\] is missing the '
                                                  'required "forward" function'):
        ml(1)
    both = nn.ModuleList([nn.ReLU()]) + nn.ModuleList([nn.Tanh()])
    assert [type(m).__name__ for m in both] == ["ReLU", "Tanh"]


def test_module_list_parameters_are_registered():
    """Parameters inside a ModuleList belong to the parent (a plain list would hide them)."""
    m = nn.Module()
    m.layers = nn.ModuleList([nn.Linear(2, 2) for _ in range(2)])
    m.ps = nn.ParameterList([nn.Parameter(torch.ones(1))])
    assert [n for n, _ in m.named_parameters()] == ["layers.0.weight", "layers.0.bias",
                                                    "layers.1.weight", "layers.1.bias", "ps.0"]
    assert list(m.state_dict()) == ["layers.0.weight", "layers.0.bias", "layers.1.weight",
                                    "layers.1.bias", "ps.0"]


def test_module_list_repr_compresses_repeats():
    """Runs of identical modules print once with a count, as in PyTorch."""
    ml = nn.ModuleList([nn.Linear(2, 2) for _ in range(3)] +
                       [nn.ReLU(), nn.Sequential(nn.Linear(1, 1), nn.Linear(1, 1))])
    assert str(ml) == (
        "ModuleList(\n"
        "  (0-2): 3 x Linear(in_features=2, out_features=2, bias=True)\n"
        "  (3): ReLU()\n"
        "  (4): Sequential(\n"
        "    (0): Linear(in_features=1, out_features=1, bias=True)\n"
        "    (1): Linear(in_features=1, out_features=1, bias=True)\n"
        "  )\n"
        ")")
    assert str(nn.ModuleList()) == "ModuleList()" and str(nn.Sequential()) == "Sequential()"


def test_module_dict():
    """ModuleDict keeps insertion order and supports dict operations."""
    md = nn.ModuleDict({"b": nn.ReLU(), "a": nn.Tanh()})
    md["c"] = nn.ELU()
    assert str(md) == "ModuleDict(\n  (b): ReLU()\n  (a): Tanh()\n  (c): ELU(alpha=1.0)\n)"
    assert list(md.keys()) == ["b", "a", "c"] and "a" in md and len(md) == 3
    assert isinstance(md.pop("a"), nn.Tanh) and list(md) == ["b", "c"]
    md.update([("x", nn.GELU())])
    assert [k for k, _ in md.items()] == ["b", "c", "x"]
    assert [type(v).__name__ for v in md.values()] == ["ReLU", "ELU", "GELU"]
    cases = [(5, TypeError, "ModuleDict.update should be called with an iterable of key/value "
                            "pairs, but got int"),
             ([1], TypeError, "ModuleDict update sequence element #0 should be Iterable; isint"),
             ([(1, 2, 3)], ValueError, "ModuleDict update sequence element #0 has length 3; 2 "
                                       "is required")]
    for arg, exc, msg in cases:
        with pytest.raises(exc) as info:
            md.update(arg)
        assert str(info.value) == msg
    md.clear()
    assert len(md) == 0


def test_parameter_list():
    """ParameterList wraps tensors as Parameters, prints dtype and size, cannot be called."""
    pl = nn.ParameterList([nn.Parameter(torch.ones(2)), torch.zeros(3)])
    pl.append(torch.ones(1))
    assert type(pl[1]) is nn.Parameter and len(pl) == 3
    assert [n for n, _ in pl.named_parameters()] == ["0", "1", "2"]
    assert str(pl) == ("ParameterList(\n"
                       "    (0): Parameter containing: [disttrain.float32 of size 2]\n"
                       "    (1): Parameter containing: [disttrain.float32 of size 3]\n"
                       "    (2): Parameter containing: [disttrain.float32 of size 1]\n)")
    assert [p.shape[0] for p in pl[1:]] == [3, 1] and type(pl[1:]) is nn.ParameterList
    pl[0] = torch.full((4,), 2.0)
    assert pl[0].tolist() == [2.0] * 4 and type(pl[0]) is nn.Parameter
    with pytest.raises(RuntimeError, match="ParameterList should not be called."):
        pl(1)


def test_parameter_dict():
    """ParameterDict keeps keys in order, wraps tensors, and prints the tensor type."""
    pd = nn.ParameterDict({"w": torch.ones(2)})
    pd["b"] = nn.Parameter(torch.zeros(1))
    assert str(pd) == ("ParameterDict(\n"
                       "    (w): Parameter containing: [disttrain.FloatTensor of size 2]\n"
                       "    (b): Parameter containing: [disttrain.FloatTensor of size 1]\n)")
    assert [n for n, _ in pd.named_parameters()] == ["w", "b"] and "w" in pd and len(pd) == 2
    assert pd.pop("w").shape == (2,) and list(pd) == ["b"]
    assert pd.get("zzz") is None and pd.get("b") is pd["b"]
    sorted_keys = nn.ParameterDict({"b": torch.ones(1), "a": torch.ones(1)})
    assert list(sorted_keys.keys()) == ["a", "b"]


def test_containers_deepcopy_and_state_dict_round_trip():
    """Containers copy and reload like any module."""
    import copy
    net = nn.Sequential(nn.Linear(2, 3), nn.ModuleList([nn.Linear(3, 3)]),
                        nn.ModuleDict({"out": nn.Linear(3, 1)}))
    clone = copy.deepcopy(net)
    assert list(clone.state_dict()) == ["0.weight", "0.bias", "1.0.weight", "1.0.bias",
                                        "2.out.weight", "2.out.bias"]
    fresh = nn.Sequential(nn.Linear(2, 3), nn.ModuleList([nn.Linear(3, 3)]),
                          nn.ModuleDict({"out": nn.Linear(3, 1)}))
    fresh.load_state_dict(clone.state_dict())
    assert (fresh[2]["out"].weight == net[2]["out"].weight).all()
