"""torchrun's flags, environment and checks, as a torchrun user types them."""
import os
import subprocess
import sys
import time

import pytest

from launch.cli import build_parser, parse_args, parse_streams

from .test_launch import ENV_DUMP, _env, _per_rank_json, _script, launch


def test_standalone_picks_a_free_port_and_random_run_id():
    a = parse_args(["--standalone", "--nproc-per-node", "2", "--rdzv-endpoint", "h:1", "s.py"])
    assert (a.nnodes, a.master_addr, a.master_port, a.rdzv_id) == (1, "127.0.0.1", 0, None)


@pytest.mark.parametrize("endpoint, addr, port", [
    ("node7:29611", "node7", 29611), ("node7", "node7", 29400), ("[::1]:5000", "::1", 5000)])
def test_rdzv_endpoint_sets_master_address_and_port(endpoint, addr, port):
    a = parse_args(["--rdzv-backend", "c10d", "--rdzv_endpoint", endpoint, "--rdzv-id",
                    "job7", "--nnodes", "2:2", "--node_rank", "1", "s.py"])
    assert (a.master_addr, a.master_port, a.rdzv_id, a.nnodes) == (addr, port, "job7", 2)


def test_other_torchrun_flags_parse():
    a = parse_args(["--tee", "3", "--redirects", "0:1,1:2", "--local-ranks-filter", "0,2",
                    "--monitor-interval", "0.5", "--role", "trainer", "--run-path",
                    "--nproc", "3", "/abs/s.py", "--x"])
    assert a.tee == {0: 3, 1: 3, 2: 3} and a.redirects == {0: 1, 1: 2}
    assert a.local_ranks_filter == {0, 2} and a.monitor_interval == 0.5
    assert a.role == "trainer" and a.run_path and a.script_args == ["--x"]
    assert parse_args(["-t", "1", "-r", "2", "s.py"]).tee == {0: 1}
    assert parse_streams(None, 2, "--tee") == {}


def test_help_documents_every_torchrun_flag():
    text = build_parser().format_help()
    for flag in ("--standalone", "--rdzv-endpoint", "--rdzv-backend", "--rdzv-id", "--nnodes",
                 "--tee", "--redirects", "--local-ranks-filter", "--monitor-interval",
                 "--role", "--run-path", "--max-restarts", "--log-dir", "--master-port"):
        assert flag in text, flag


@pytest.mark.parametrize("argv, message", [
    (["--nnodes", "1:2", "s.py"], "elastic membership"),
    (["--nnodes", "2:1", "s.py"], "MIN <= MAX"),
    (["--master-port", "99999", "s.py"], "invalid port 99999: must be in 1..65535"),
    (["--master-port", "-5", "s.py"], "invalid port -5"),
    (["--master-port", "x", "s.py"], "invalid port 'x'"),
    (["--nnodes", "2", "--master-port", "0", "s.py"], "works on one node only"),
    (["--rdzv-endpoint", "h:70000", "s.py"], "invalid port 70000"),
    (["--rdzv-backend", "etcd", "s.py"], "--rdzv-backend 'etcd' is not supported"),
    (["--tee", "4", "s.py"], "--tee must be 0, 1, 2, 3"),
    (["--standalone", "--nnodes", "2", "s.py"], "--standalone is for one node"),
])
def test_bad_torchrun_values_are_refused_at_parse_time(argv, message, capsys):
    with pytest.raises(SystemExit):
        parse_args(argv)
    assert message in capsys.readouterr().err


def test_missing_script_is_one_error_before_any_worker(tmp_path):
    code, out, err = launch(tmp_path, "--nproc", 4, "--max-restarts", 3, "nope.py")
    assert code == 2 and out == ""
    assert err.count("no such file") == 1 and "nope.py" in err and "[rank" not in err


def test_master_port_zero_picks_a_free_port(tmp_path):
    code, out, err = launch(tmp_path, "--nproc", 2, "--master-port", 0,
                            _script(tmp_path, ENV_DUMP), timeout=30)
    assert code == 0, err
    ports = {e["MASTER_PORT"] for e in _per_rank_json(out).values()}
    assert len(ports) == 1 and 0 < int(ports.pop()) < 65536


RUN_ENV = """
import json, os
keys = ["TORCHELASTIC_RUN_ID", "TORCHELASTIC_ERROR_FILE", "GROUP_WORLD_SIZE", "ROLE_NAME",
        "ROLE_RANK", "ROLE_WORLD_SIZE", "GROUP_RANK", "TORCHELASTIC_MAX_RESTARTS"]
print(json.dumps({k: os.environ.get(k) for k in keys}))
"""


def test_python_m_disttrain_distributed_run_and_torchelastic_env(tmp_path):
    """python -m disttrain.distributed.run works as torchrun: run id, error file,
    GROUP_WORLD_SIZE and ROLE_* in every worker; --log-dir has one directory per run."""
    script = _script(tmp_path, RUN_ENV)
    runs = []
    for _ in range(2):
        out = subprocess.run([sys.executable, "-m", "disttrain.distributed.run",
                              "--nproc-per-node", "2", "--role", "trainer", "--rdzv-id",
                              "exp1", "--log-dir", str(tmp_path / "logs"), str(script)],
                             cwd=tmp_path, env=_env(), capture_output=True, text=True,
                             timeout=30)
        assert out.returncode == 0, out.stderr
        runs.append(_per_rank_json(out.stdout))
        assert "launch: run id exp1" in out.stderr
    for r, e in runs[0].items():
        assert e["TORCHELASTIC_RUN_ID"] == "exp1" and e["ROLE_NAME"] == "trainer"
        assert (e["ROLE_RANK"], e["ROLE_WORLD_SIZE"], e["GROUP_WORLD_SIZE"]) == (str(r), "2",
                                                                                   "1")
        assert e["TORCHELASTIC_ERROR_FILE"].endswith(f"exp1/attempt_0/error_rank_{r}.json")
    # the same --rdzv-id again never mixes its files into the first run's
    assert sorted(os.listdir(tmp_path / "logs")) == ["exp1", "exp1_2"]
    for run in ("exp1", "exp1_2"):
        assert sorted(os.listdir(tmp_path / "logs" / run / "attempt_0")) == \
            ["rank_0.log", "rank_1.log"]


def test_random_run_ids_differ_and_logs_do_not_mix(tmp_path):
    script = _script(tmp_path, "print('hi')\n")
    ids = []
    for _ in range(2):
        code, out, err = launch(tmp_path, "--log-dir", tmp_path / "logs", script)
        assert code == 0, err
        ids.append(err.split("run id ")[1].split(":")[0])
    assert ids[0] != ids[1] and sorted(os.listdir(tmp_path / "logs")) == sorted(ids)


def test_redirects_tee_and_local_ranks_filter(tmp_path):
    """--redirects 1: stdout only in the file; --tee 2: stderr in both; the filter hides
    rank 1 from the console, not from its file."""
    script = _script(tmp_path, """
        import os, sys
        print("out", os.environ["RANK"])
        print("err", os.environ["RANK"], file=sys.stderr)
    """)
    code, out, err = launch(tmp_path, "--nproc", 2, "--redirects", 1, "--tee", 2,
                            "--local-ranks-filter", 0, "--log-dir", tmp_path / "logs", script)
    assert code == 0, err
    assert out == "" and "[rank 0] err 0\n" in err and "rank 1]" not in err
    (run,) = os.listdir(tmp_path / "logs")
    for r in (0, 1):
        text = (tmp_path / "logs" / run / "attempt_0" / f"rank_{r}.log").read_text()
        assert sorted(text.splitlines()) == [f"err {r}", f"out {r}"]


def test_run_path_runs_the_script_as_main(tmp_path):
    script = _script(tmp_path, "import sys\nprint(__name__, sys.argv[1:])\n")
    code, out, err = launch(tmp_path, "--run-path", script, "--lr", "1")
    assert code == 0, err
    assert out == "[rank 0] __main__ ['--lr', '1']\n"


def test_waiting_nodes_say_whom_they_wait_for(tmp_path):
    """Node 0 without node 1, and node 1 without node 0, each say every few seconds whom
    they are waiting for."""
    from launch.cli import pick_free_port
    script = _script(tmp_path, "print('never')\n")
    procs = [subprocess.Popen([sys.executable, "-m", "launch", "--nnodes", "2", "--node-rank",
                               str(node), "--master-port", str(pick_free_port()), str(script)],
                              cwd=tmp_path, env=_env(DISTTRAIN_SECRET="s"), text=True,
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE)
             for node in (0, 1)]
    try:
        time.sleep(4.5)   # the first notice comes after 3 s
        for p in procs:
            p.terminate()
        errs = [p.communicate(timeout=10)[1] for p in procs]
        assert [p.returncode for p in procs] == [143, 143]
    finally:
        for p in procs:
            p.kill()
    assert "node 0: waiting for node(s) 1 to join (1 of 2 here)" in errs[0], errs[0]
    assert "node 1: waiting for node 0 at 127.0.0.1:" in errs[1], errs[1]
    assert "never" not in "".join(errs)


def test_python_m_disttrain_distributed_launch_passes_local_rank(tmp_path):
    """python -m disttrain.distributed.launch appends --local-rank=N before the script's
    arguments, as torch.distributed.launch; --use-env leaves the arguments alone."""
    script = _script(tmp_path, "import os, sys\nprint(os.environ['LOCAL_RANK'], sys.argv[1:])\n")
    for flags, want in (([], "['--local-rank={r}', '--lr', '1']"),
                        (["--use-env"], "['--lr', '1']")):
        out = subprocess.run([sys.executable, "-m", "disttrain.distributed.launch",
                              "--nproc_per_node", "2", *flags, str(script), "--lr", "1"],
                             cwd=tmp_path, env=_env(), capture_output=True, text=True,
                             timeout=30)
        assert out.returncode == 0, out.stderr
        for r in (0, 1):
            assert f"[rank {r}] {r} {want.format(r=r)}\n" in out.stdout, out.stdout
