"""Random numbers: seeds, generators, RNG state, and the sampling functions' ranges and shapes.

The streams come from numpy's PCG64, not PyTorch's Mersenne Twister, so values cannot equal
PyTorch's; what is tested is PyTorch's contract: same seed, same numbers; a saved state
restores the stream exactly; ranges, dtypes and shapes as documented.
"""
import pickle

import pytest

import disttrain
from tests.core.conftest import raises


def draw():
    return (disttrain.rand(3).tolist(), disttrain.randn(2, 2).tolist(),
            disttrain.randint(0, 100, (4,)).tolist(), disttrain.randperm(5).tolist(),
            disttrain.normal(0., 1., (2,)).tolist())


def test_manual_seed_repeats_the_stream():
    """The same seed gives the same numbers from every sampling function."""
    disttrain.manual_seed(1234)
    first = draw()
    disttrain.manual_seed(1234)
    assert draw() == first
    disttrain.manual_seed(1235)
    assert draw() != first


def test_stream_is_stable_across_versions():
    """manual_seed(0) gives these exact numbers: checkpoints that saved RNG state resume the
    same stream on every machine."""
    disttrain.manual_seed(0)
    assert disttrain.rand(3).tolist() == [0.8506242036819458, 0.6369616389274597,
                                          0.5111364722251892]
    assert disttrain.randint(0, 100, (3,)).tolist() == [26, 30, 4]
    assert disttrain.randn(2).tolist() == [0.10490011423826218, -0.5356693863868713]


def test_rng_state_restores_exactly():
    """get_rng_state/set_rng_state rewind the default generator to the same numbers."""
    disttrain.manual_seed(7)
    disttrain.rand(5)
    state = disttrain.get_rng_state()
    assert state.dtype is disttrain.uint8 and state.dim() == 1
    after = draw()
    disttrain.rand(100)
    disttrain.set_rng_state(state)
    assert draw() == after
    assert disttrain.random.get_rng_state().tolist() == disttrain.get_rng_state().tolist()


def test_rng_state_is_a_copy():
    """The returned state does not change as more numbers are drawn."""
    disttrain.manual_seed(3)
    s = disttrain.get_rng_state()
    before = s.tolist()
    disttrain.rand(10)
    assert s.tolist() == before


def test_set_rng_state_rejects_bad_state():
    """A state of the wrong size is refused."""
    with raises(RuntimeError, "Expected an RNG state of size 45 but found the input RNG state "
                              "size to be 3"):
        disttrain.set_rng_state(disttrain.zeros(3, dtype=disttrain.uint8))


def test_seed_bounds():
    """Seeds wrap to 64 bits like PyTorch's; beyond that they overflow."""
    assert disttrain.manual_seed(-1).initial_seed() == 2 ** 64 - 1
    assert disttrain.initial_seed() == 2 ** 64 - 1
    with raises(ValueError, "Overflow when unpacking long long"):
        disttrain.manual_seed(2 ** 70)
    s = disttrain.seed()
    assert isinstance(s, int) and disttrain.initial_seed() == s


def test_generator_objects_are_independent():
    """A Generator has its own stream; generator= draws from it, not the default one."""
    g = disttrain.Generator()
    assert g.manual_seed(5) is g and g.initial_seed() == 5
    assert g.device == disttrain.device("cpu")
    disttrain.manual_seed(5)
    default = disttrain.rand(4).tolist()
    assert disttrain.rand(4, generator=g).tolist() == default
    g.manual_seed(5)
    disttrain.manual_seed(99)
    mine = disttrain.randn(3, generator=g).tolist()
    g.manual_seed(5)
    disttrain.rand(10)                        # the default stream moving does not matter
    assert disttrain.randn(3, generator=g).tolist() == mine


def test_generator_state_and_pickle():
    """Generator.get_state/set_state and pickling keep the stream position."""
    g = disttrain.Generator().manual_seed(11)
    disttrain.rand(3, generator=g)
    st = g.get_state()
    nxt = disttrain.rand(3, generator=g).tolist()
    g.set_state(st)
    clone = pickle.loads(pickle.dumps(g))
    assert disttrain.rand(3, generator=g).tolist() == nxt
    assert disttrain.rand(3, generator=clone).tolist() == nxt


@pytest.mark.parametrize("dtype", [disttrain.float16, disttrain.float32, disttrain.float64])
def test_rand_range_and_dtype(dtype):
    """rand samples [0, 1) in the requested dtype (rounding never reaches 1)."""
    disttrain.manual_seed(0)
    x = disttrain.rand(20000, dtype=dtype)
    assert x.dtype is dtype and x.min().item() >= 0 and x.max().item() < 1
    assert abs(x.double().mean().item() - 0.5) < 0.02


def test_randn_moments():
    """randn has mean about 0 and std about 1."""
    disttrain.manual_seed(0)
    x = disttrain.randn(200, 100)
    assert x.shape == (200, 100) and x.dtype is disttrain.float32
    assert abs(x.mean().item()) < 0.02 and abs(x.std().item() - 1) < 0.02


def test_randint_range_and_forms():
    """randint(high, size) and randint(low, high, size) stay in [low, high), int64 default."""
    disttrain.manual_seed(0)
    a = disttrain.randint(10, (1000,))
    b = disttrain.randint(-3, 3, (2, 500), dtype=disttrain.int32)
    assert a.dtype is disttrain.int64 and 0 <= a.min().item() and a.max().item() == 9
    assert b.dtype is disttrain.int32 and b.shape == (2, 500)
    assert b.min().item() == -3 and b.max().item() == 2
    assert disttrain.randint(0, 5, (3,), dtype=disttrain.float32).dtype is disttrain.float32
    assert disttrain.randint_like(disttrain.ones(2, 2), 5).shape == (2, 2)


def test_randperm_and_normal_shapes():
    """randperm is a permutation; normal broadcasts tensor mean/std."""
    assert sorted(disttrain.randperm(50).tolist()) == list(range(50))
    assert disttrain.randperm(0).tolist() == []
    m = disttrain.zeros(3, 1, dtype=disttrain.float64)
    s = disttrain.ones(1, 4, dtype=disttrain.float64)
    n = disttrain.normal(m, s)
    assert n.shape == (3, 4) and n.dtype is disttrain.float64
    assert disttrain.normal(2., disttrain.ones(5)).shape == (5,)
    assert disttrain.normal(2., 0., (3,)).tolist() == [2., 2., 2.]


def test_inplace_samplers():
    """uniform_, normal_, random_, bernoulli_, exponential_ fill in place and bump versions."""
    disttrain.manual_seed(0)
    x = disttrain.empty(1000)
    assert x.uniform_(2, 3) is x and 2 <= x.min().item() and x.max().item() < 3
    v = x._version[0]
    x.normal_(5, 0.1)
    assert abs(x.mean().item() - 5) < 0.05 and x._version[0] == v + 1
    r = disttrain.empty(1000).random_(0, 5)
    assert set(r.tolist()) == {0., 1., 2., 3., 4.}
    b = disttrain.empty(1000).bernoulli_(0.25)
    assert set(b.tolist()) == {0., 1.} and 0.2 < b.mean().item() < 0.3
    assert disttrain.empty(100).exponential_(2.).min().item() > 0


def test_bernoulli_and_multinomial():
    """bernoulli draws 0/1 with the given probabilities; multinomial picks by weight."""
    disttrain.manual_seed(0)
    p = disttrain.tensor([0., 1., 0.5]).expand(2000, 3)
    b = disttrain.bernoulli(p)
    assert b[:, 0].sum().item() == 0 and b[:, 1].sum().item() == 2000
    assert 900 < b[:, 2].sum().item() < 1100
    m = disttrain.multinomial(disttrain.tensor([0., 1., 0.]), 4, replacement=True)
    assert m.tolist() == [1, 1, 1, 1] and m.dtype is disttrain.int64
    w = disttrain.multinomial(disttrain.tensor([1., 1., 1., 1.]), 4)
    assert sorted(w.tolist()) == [0, 1, 2, 3]


def test_cuda_manual_seed_seeds_the_shared_stream():
    """cuda.manual_seed(_all) seed the one host stream all devices draw from."""
    disttrain.cuda.manual_seed(21)
    a = disttrain.rand(3).tolist()
    disttrain.cuda.manual_seed_all(21)
    assert disttrain.rand(3).tolist() == a


def test_random_module_alias():
    """disttrain.random exposes manual_seed and the state functions, as torch.random does."""
    disttrain.random.manual_seed(4)
    a = disttrain.rand(2).tolist()
    disttrain.manual_seed(4)
    assert disttrain.rand(2).tolist() == a
