"""disttrain.futures: PyTorch's ``torch.futures`` import path to the collectives' Future."""
import pytest

import disttrain as torch


def test_futures_path_gives_the_collectives_future():
    """``torch.futures.Future`` resolves (lazily) to the Future that collectives return."""
    from disttrain.distributed import Future
    assert torch.futures.Future is Future
    from disttrain.futures import Future as direct
    assert direct is Future


def test_set_result_then_and_exception_as_pytorch():
    """A Future made by hand completes its ``then`` chain on set_result (42 from 21, as in
    PyTorch), and set_exception makes wait raise that exception."""
    fut = torch.futures.Future()
    doubled = fut.then(lambda f: f.value() * 2)
    assert not fut.done()
    fut.set_result(21)
    assert fut.done() and doubled.wait() == 42 and doubled.done()
    failed = torch.futures.Future()
    failed.set_exception(ValueError("boom"))
    with pytest.raises(ValueError, match="^boom$"):
        failed.wait()
