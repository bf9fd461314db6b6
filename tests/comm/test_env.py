"""Rank discovery from torchrun, Slurm and MPI variables; nothing set means alone."""
import pytest

from disttrain.comm import DistEnv, discover
from disttrain.comm.env import first_host


def test_nothing_set_is_a_world_of_one():
    """No launcher variables: rank 0 of 1."""
    assert discover({}) == DistEnv()


def test_torchrun_names():
    """RANK, WORLD_SIZE, LOCAL_*, MASTER_* and the secret, as launch/torchrun set them."""
    env = discover({"RANK": "5", "WORLD_SIZE": "8", "LOCAL_RANK": "1", "LOCAL_WORLD_SIZE": "4",
                    "MASTER_ADDR": "node0", "MASTER_PORT": "1234", "DISTTRAIN_SECRET": "s"})
    assert env == DistEnv(5, 8, 1, 4, "node0", 1234, "s", "torchrun")


def test_slurm_names():
    """srun's SLURM_* variables; master = first node, port derived from the job id."""
    env = discover({"SLURM_PROCID": "3", "SLURM_NTASKS": "4", "SLURM_LOCALID": "1",
                    "SLURM_TASKS_PER_NODE": "2(x2)", "SLURM_JOB_NODELIST": "gpu[07-08]",
                    "SLURM_JOB_ID": "123456"})
    assert (env.rank, env.world_size, env.local_rank, env.local_world_size) == (3, 4, 1, 2)
    assert (env.master_addr, env.master_port, env.source) == ("gpu07", 23456, "slurm")


def test_slurm_with_explicit_master():
    """MASTER_ADDR/MASTER_PORT set by the user win over derived values."""
    env = discover({"SLURM_PROCID": "0", "SLURM_NTASKS": "2", "SLURM_JOB_NODELIST": "a,b",
                    "MASTER_ADDR": "10.0.0.9", "MASTER_PORT": "4000"})
    assert (env.master_addr, env.master_port) == ("10.0.0.9", 4000)


def test_open_mpi_and_pmi_names():
    """mpirun's OMPI_COMM_WORLD_* and MPICH's PMI_* variables."""
    env = discover({"OMPI_COMM_WORLD_RANK": "2", "OMPI_COMM_WORLD_SIZE": "3",
                    "OMPI_COMM_WORLD_LOCAL_RANK": "0", "OMPI_COMM_WORLD_LOCAL_SIZE": "1"})
    assert (env.rank, env.world_size, env.local_rank, env.local_world_size, env.source) == \
        (2, 3, 0, 1, "mpi")
    env = discover({"PMI_RANK": "1", "PMI_SIZE": "2"})
    assert (env.rank, env.world_size, env.local_world_size) == (1, 2, 2)


def test_torchrun_names_take_priority():
    """Inside an allocation, launch's own RANK/WORLD_SIZE win over Slurm's."""
    env = discover({"RANK": "1", "WORLD_SIZE": "2", "SLURM_PROCID": "0", "SLURM_NTASKS": "1"})
    assert (env.rank, env.world_size, env.source) == (1, 2, "torchrun")


@pytest.mark.parametrize("environ, message", [
    ({"RANK": "x", "WORLD_SIZE": "2"}, "RANK='x' is not an integer"),
    ({"RANK": "2", "WORLD_SIZE": "2"}, "rank 2 is outside the world of size 2"),
    ({"RANK": "0", "WORLD_SIZE": "1", "MASTER_PORT": "http"}, "MASTER_PORT='http'"),
])
def test_bad_values_name_the_variable(environ, message):
    """A malformed variable raises ValueError naming it and its value."""
    with pytest.raises(ValueError, match=message):
        discover(environ)


@pytest.mark.parametrize("nodelist, first", [
    ("node1", "node1"), ("gpu[07-09,12],cpu1", "gpu07"), ("a,b,c", "a"),
    ("rack1-n[3,5]", "rack1-n3"),
])
def test_first_host_of_slurm_node_list(nodelist, first):
    """Slurm's compressed node list: the first host, zero padding kept."""
    assert first_host(nodelist) == first


def test_master_without_launcher_is_honoured():
    """mp.spawn programs set MASTER_ADDR/MASTER_PORT themselves and pass the rank in code."""
    env = discover({"MASTER_ADDR": "10.0.0.2", "MASTER_PORT": "12355"})
    assert (env.rank, env.world_size, env.master_addr, env.master_port, env.source) == \
        (0, 1, "10.0.0.2", 12355, "none")


def test_collectives_mode_from_env():
    from disttrain.comm.env import mode_from_env
    assert mode_from_env({}) == "auto"
    assert mode_from_env({"DISTTRAIN_COLLECTIVES": "two-level"}) == "two_level"
    assert mode_from_env({"DISTTRAIN_COLLECTIVES": "FLAT"}) == "flat"
    with pytest.raises(ValueError, match="DISTTRAIN_COLLECTIVES='ring' is not one of auto, "
                                         "flat, two_level"):
        mode_from_env({"DISTTRAIN_COLLECTIVES": "ring"})


def test_slurm_step_nodelist_names_the_master():
    """An srun step runs on its own nodes, which need not start with the job's first."""
    env = discover({"SLURM_PROCID": "3", "SLURM_NTASKS": "4", "SLURM_JOB_ID": "77",
                    "SLURM_JOB_NODELIST": "gpu[01-08]", "SLURM_STEP_NODELIST": "gpu[05-06]"})
    assert (env.rank, env.master_addr, env.master_port) == (3, "gpu05", 20077)
