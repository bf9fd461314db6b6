"""SyncBatchNorm across 2 real ranks over loopback equals BatchNorm of the whole batch."""
import pytest

from tests.distributed._procs import Results, run_ranks


@pytest.fixture(scope="module")
def two_ranks(tmp_path_factory):
    out = tmp_path_factory.mktemp("syncbn")
    return Results(run_ranks("syncbn_worker.py", 2, [out], timeout=90), str(out))


@pytest.mark.parametrize("name", ["matches_batchnorm_of_the_global_batch",
                                  "converted_model_trains_in_step"])
def test_two_ranks(two_ranks, name):
    """Outputs, input and (summed) parameter gradients and running statistics equal those of
    BatchNorm over the concatenated batch (see workers/syncbn_worker.py)."""
    two_ranks.check(name)
