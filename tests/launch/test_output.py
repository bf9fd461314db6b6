"""launch's console output: in a terminal (workers get a pty) and redirected to a file."""
import fcntl
import os
import pty
import struct
import subprocess
import sys
import termios

import pytest

from .test_launch import ROOT, _env, _script

pytest.importorskip("tqdm", reason="the progress-bar tests draw with tqdm (pip install tqdm)")

BAR = """
import os, shutil, sys
from tqdm import tqdm
print("isatty", sys.stdout.isatty(), sys.stderr.isatty(), "columns",
      shutil.get_terminal_size().columns, os.environ.get("COLUMNS"), flush=True)
print("to stderr", file=sys.stderr, flush=True)
bar = tqdm(total=40, mininterval=0, dynamic_ncols=True)
for i in range(40):
    bar.update(1)
    bar.set_postfix(epoch=i // 10, loss=f"{1 / (i + 1):.3f}", refresh=False)
    if i % 10 == 9:
        bar.write(f"epoch {i // 10}: test accuracy 0.9{i}")
bar.close()
print("done", flush=True)
"""


def _in_terminal(argv, columns, env, timeout=60):
    """Run ``argv`` with stdout and stderr on a pty ``columns`` wide; all it wrote."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, columns, 0, 0))
    proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                            cwd=ROOT, start_new_session=True)
    os.close(slave)
    data = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:   # EIO: every writer is gone
            break
        if not chunk:
            break
        data += chunk
    os.close(master)
    assert proc.wait(timeout=timeout) == 0, data.decode(errors="replace")
    return data.decode()


def _screen(raw, columns):
    """What a terminal shows: "\\r" returns to column 0, text overwrites, lines wrap."""
    lines, line, col = [], [], 0
    for ch in raw:
        if ch == "\n":
            lines.append("".join(line))
            line, col = [], 0
        elif ch == "\r":
            col = 0
        else:
            if col == columns:   # a wrap: the bar did not fit
                lines.append("".join(line))
                line, col = [], 0
            line[col:col + 1] = [ch]
            col += 1
    return lines + (["".join(line)] if line else [])


def test_progress_bar_in_a_terminal_redraws_one_line(tmp_path):
    """Under launch in a 100-column terminal, a worker has a tty as plain python would,
    COLUMNS is the width left after the prefix, and the bar redraws in place: one screen
    line per bar, prefixed, never wrapped, no stale text left at its end."""
    env = _env()
    env.pop("COLUMNS", None)
    raw = _in_terminal([sys.executable, "-m", "launch", "--nproc", "2",
                        "--local-ranks-filter", "0", str(_script(tmp_path, BAR))], 100, env)
    raw = raw.replace("\r\n", "\n")    # the terminal's own newline translation
    assert "[rank 0] isatty True True columns 91 91\n" in raw
    assert "[rank 1]" not in raw                         # --local-ranks-filter 0
    shown = [ln for ln in _screen(raw, 100) if not ln.startswith("launch: ")]
    assert all(ln.startswith("[rank 0] ") for ln in shown), shown
    assert all(len(ln) <= 100 for ln in shown)
    for text, line in zip(raw.split("\n"), _screen(raw, 100)):
        last = text.split("\r")[-1] or text.rstrip("\r").split("\r")[-1]
        assert line.rstrip() == last.rstrip(), (line, last)   # no stale text
    bars = [ln for ln in shown if "it/s" in ln]
    assert len(bars) == 1 and "100%" in bars[0] and "40/40" in bars[0]   # redrawn in place
    visible = [ln.rstrip() for ln in shown]   # (trailing blanks: a redraw's erasing)
    for epoch in range(4):
        assert f"[rank 0] epoch {epoch}: test accuracy 0.9{epoch * 10 + 9}" in visible
    assert visible[-1] == "[rank 0] done"


def test_progress_bar_redirected_to_a_file(tmp_path):
    """launch ... > log 2>&1: one line per redraw, each with one prefix, blank redraws
    dropped, no "\\r"; stdout and stderr of a worker keep their order; the log file per
    rank keeps the raw bytes."""
    log = tmp_path / "out.txt"
    with open(log, "wb") as fh:
        proc = subprocess.run([sys.executable, "-m", "launch", "--nproc", "1", "--log-dir",
                               tmp_path / "logs", str(_script(tmp_path, BAR))], cwd=ROOT,
                              env=_env(COLUMNS="120"), stdout=fh, stderr=subprocess.STDOUT,
                              timeout=60)
    text = log.read_text()
    assert proc.returncode == 0, text
    assert "\r" not in text
    lines = [ln for ln in text.splitlines() if not ln.startswith("launch: ")]
    assert all(ln.startswith("[rank 0] ") and "[rank 0] [rank 0]" not in ln and
               ln.strip() != "[rank 0]" for ln in lines), lines
    assert lines[:2] == ["[rank 0] isatty False False columns 120 120", "[rank 0] to stderr"]
    assert lines[-1] == "[rank 0] done"
    bars = [ln for ln in lines if "/40 [" in ln]
    assert len(bars) >= 40 and "40/40" in bars[-1]
    assert sum("test accuracy" in ln for ln in lines) == 4
    raw = next((tmp_path / "logs").glob("*/attempt_0/rank_0.log")).read_bytes().decode()
    assert "\r" in raw and "[rank" not in raw and raw.endswith("done\n")


def test_another_rank_never_writes_into_an_unfinished_line(tmp_path):
    """In a terminal, rank 1's line while rank 0's is unfinished starts a line of its own,
    and the rest of rank 0's line gets its prefix again."""
    script = _script(tmp_path, """
        import os, sys, time
        r = int(os.environ["RANK"])
        if r == 0:
            sys.stdout.write("half of "); sys.stdout.flush()
            time.sleep(1.0)
            sys.stdout.write("a line\\n")
        else:
            time.sleep(0.5)
            print("whole line")
    """)
    env = _env()
    env.pop("COLUMNS", None)
    raw = _in_terminal([sys.executable, "-m", "launch", "--nproc", "2", str(script)], 80, env)
    shown = [ln.rstrip() for ln in _screen(raw.replace("\r\n", "\n"), 80)
             if not ln.startswith("launch: ")]
    assert shown == ["[rank 0] half of", "[rank 1] whole line", "[rank 0] a line"], shown
