"""load_latest says so when every checkpoint is skipped and the job starts afresh."""
import os
import warnings

import pytest

from disttrain.distributed import checkpoint


def test_every_checkpoint_unusable_says_starting_from_step_0(tmp_path):
    for step in (1, 2):
        path = checkpoint.save({"s": step}, tmp_path, step=step)
        os.remove(os.path.join(path, "MANIFEST.json"))
    with pytest.warns(RuntimeWarning) as got:
        assert checkpoint.load_latest(tmp_path) is None
    messages = [str(w.message) for w in got]
    assert messages[-1] == f"no usable checkpoint in {tmp_path}: starting from step 0"
    assert sum("skipped: it is incomplete" in m for m in messages) == 2


def test_no_checkpoint_at_all_is_a_quiet_fresh_start(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert checkpoint.load_latest(tmp_path) is None
