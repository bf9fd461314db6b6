"""Single-process mode: no launcher variables means world size 1 and no network at all."""
import json
import subprocess
import sys

import numpy as np
import pytest

from disttrain.comm import ProcessGroup, ReduceOp

from ._procs import JOBS, clean_env


def test_no_env_is_world_of_one_with_nothing_listening():
    """Without RANK/WORLD_SIZE (or Slurm/MPI), collectives return their input and the
    process opens no socket and starts no thread."""
    out = subprocess.run([sys.executable, str(JOBS), "single"], env=clean_env(),
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    res = json.loads(out.stdout.split("RESULT", 1)[1])
    assert (res["size"], res["rank"]) == (1, 0)
    assert res["same"] == [True, True] and res["x"] == [0, 1, 2, 3, 4]
    assert res["gathered"] == [0, 1, 2, 3, 4] and res["obj"] == {"a": 1}
    assert res["sockets"] == 0 and res["threads"] == 1


@pytest.mark.parametrize("op", list(ReduceOp))
def test_world_of_one_collectives_are_identity(op):
    """With world_size 1 every reduction leaves the array as it was (AVG divides by 1)."""
    pg = ProcessGroup(0, 1)
    x = np.arange(6, dtype="float32").reshape(2, 3)
    work = pg.all_reduce(x, op)
    assert work.is_completed() and work.wait() and work.result() is x
    np.testing.assert_array_equal(x, np.arange(6, dtype="float32").reshape(2, 3))


def test_world_of_one_rooted_and_gathering_calls():
    """broadcast/gather/scatter/all_gather/reduce_scatter all work with one rank."""
    pg = ProcessGroup(0, 1)
    x = np.arange(4.0)
    outs = [np.zeros(4)]
    pg.all_gather(outs, x).wait()
    np.testing.assert_array_equal(outs[0], x)
    got = [np.zeros(4)]
    pg.gather(x, got, 0).wait()
    np.testing.assert_array_equal(got[0], x)
    y = np.zeros(4)
    pg.scatter(y, [x], 0).wait()
    np.testing.assert_array_equal(y, x)
    z = np.zeros(4)
    pg.reduce_scatter_into(z, x).wait()
    np.testing.assert_array_equal(z, x)
    assert pg.broadcast_obj([1, "a"]).result() == [1, "a"]
    assert pg.all_gather_obj({"k": 2}).result() == [{"k": 2}]
    assert pg.barrier().wait()


def test_bad_arguments_raise_at_the_call_with_the_values():
    """Wrong ranks, dtypes, lists and ops raise right away, naming what was wrong."""
    pg = ProcessGroup(0, 1)
    with pytest.raises(ValueError, match=r"broadcast: src 3 is not a rank of this group"):
        pg.broadcast(np.zeros(2), 3)
    with pytest.raises(TypeError, match="dtype complex128 is not supported"):
        pg.all_reduce(np.zeros(2, complex))
    with pytest.raises(TypeError, match="expects a numpy or cupy array, got list"):
        pg.all_reduce([1, 2])
    with pytest.raises(TypeError, match="AVG is not defined for bool"):
        pg.all_reduce(np.zeros(2, bool), "avg")
    with pytest.raises(ValueError, match="unknown reduce op 'mean'"):
        pg.all_reduce(np.zeros(2), "mean")
    with pytest.raises(ValueError, match="read-only"):
        ro = np.zeros(2)
        ro.flags.writeable = False
        pg.all_reduce(ro)
    with pytest.raises(ValueError, match=r"out_list must hold one array per rank \(1\), got 2"):
        pg.all_gather([np.zeros(2), np.zeros(2)], np.zeros(2))
    with pytest.raises(ValueError, match=r"output has 3 x float64, expected 2 x float64"):
        pg.all_gather_into(np.zeros(3), np.zeros(2))
    with pytest.raises(ValueError, match="rank 5 is outside the world of size 2"):
        ProcessGroup(5, 2)


class FakeDeviceArray:
    """Just enough of cupy.ndarray (get/set/flags) to drive the host-staging path."""

    def __init__(self, host):
        self._host = host

    def get(self):
        return self._host.copy()

    def set(self, arr):
        assert arr.shape == self._host.shape and self.flags.c_contiguous
        self._host[...] = arr

    @property
    def flags(self):
        return self._host.flags

    shape = property(lambda self: self._host.shape)
    dtype = property(lambda self: self._host.dtype)


def test_device_arrays_go_through_host_buffers():
    """An array with .get()/.set() (cupy) is copied to the host and the result copied back."""
    pg = ProcessGroup(0, 1)
    dev = FakeDeviceArray(np.arange(6.0).reshape(2, 3))
    assert pg.all_reduce(dev, "max").result() is dev
    pg.broadcast(dev, 0).wait()
    np.testing.assert_array_equal(dev.get(), np.arange(6.0).reshape(2, 3))
    out = FakeDeviceArray(np.zeros(6))
    pg.all_gather_into(out, dev).wait()
    np.testing.assert_array_equal(out.get(), np.arange(6.0))
