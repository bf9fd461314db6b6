"""A one-process world for the tests that need a default process group."""
import datetime

import pytest

import disttrain.distributed as dist


@pytest.fixture
def world1(monkeypatch):
    """The default group of a plain ``python`` run, whatever launcher started pytest."""
    for name in ("RANK", "WORLD_SIZE", "SLURM_PROCID", "OMPI_COMM_WORLD_RANK", "PMI_RANK"):
        monkeypatch.delenv(name, raising=False)
    dist.init_process_group(timeout=datetime.timedelta(seconds=30))
    yield
    dist.destroy_process_group()
