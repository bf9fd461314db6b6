"""Copy workers' output to the launcher's console and log files, prefixed by rank.

Two console modes:

* **terminal** (the launcher's stream is a terminal; the worker writes into a pty of its own,
  so tqdm, colours and ``isatty()`` behave as under plain python): bytes pass through as
  they come, with the prefix at the start of every line and again after every ``\\r``, so
  a redrawn progress bar overwrites itself, prefix included, on one line. Workers are told
  the terminal's width less the prefix's, so a full-width bar never wraps.
* **file** (a pipe or a file): whole lines only, so ranks never interleave mid-line; every
  ``\\r`` redraw becomes a line of its own and the blank redraws that only erase the
  previous one (tqdm's ``write``) are dropped.

Log files get the worker's bytes unchanged.
"""
import re
import threading

__all__ = ["Console", "Pump"]

_PIECES = re.compile(rb"(\r\n|\n|\r)")


class Console:
    """One launcher stream (stdout or stderr) shared by every worker's pumps."""

    def __init__(self, stream, terminal):
        self.stream, self.terminal = stream, terminal
        self.lock = threading.Lock()
        self.open_by = None   # the pump whose line is unfinished on screen (terminal mode)

    def write(self, data):
        try:
            self.stream.write(data)
            self.stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            pass   # our own output is gone; the log file still gets everything


class Pump:
    """Copies one worker stream (pipe or pty) to a console (or none) and a log (or none).

    Args:
        read (callable): ``read()`` -> bytes, ``b""`` at the end.
        prefix (bytes): put at the start of every console line.
        console (Console, optional): where the stream is shown.
        log (Log, optional): where it is kept.
    """

    def __init__(self, read, prefix, console, log):
        self.read, self.prefix, self.console, self.log = read, prefix, console, log
        self._partial = b""     # file mode: the unfinished line
        self._log_partial = b""
        self._at_start = True   # terminal mode: the next byte starts a (re)drawn line
        self._cr = False        # terminal mode: the last piece was a lone "\r"
        self.thread = threading.Thread(target=self._run, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def _run(self):
        while True:
            try:
                chunk = self.read()
            except OSError:    # a pty whose every writer is gone reads EIO
                chunk = b""
            if not chunk:
                break
            if self.log is not None:
                self._keep(chunk)
            if self.console is not None:
                self._show(chunk)
        if self.log is not None and self._log_partial:
            self.log.write(self._log_partial)
        if self.console is not None:
            self._show(b"", final=True)

    def _keep(self, chunk):
        # Whole lines (or redraws) only, so a worker's stdout and stderr, which arrive on
        # two pipes, never cut into each other's lines in its log.
        data = self._log_partial + chunk
        cut = max(data.rfind(b"\n"), data.rfind(b"\r")) + 1
        self._log_partial = data[cut:]
        if cut:
            self.log.write(data[:cut])

    def _show(self, chunk, final=False):
        c = self.console
        with c.lock:
            if c.terminal:
                out = self._terminal(chunk, final)
                if out:
                    other = c.open_by
                    if other not in (None, self):
                        c.write(b"\n")   # end another worker's unfinished line first
                        other._at_start, other._cr = True, False   # its rest: a new line
                    c.open_by = None if out.endswith(b"\n") else self
                    if final:
                        c.open_by = None
            else:
                out = self._file(chunk, final)
            if out:
                c.write(out)

    def _terminal(self, chunk, final):
        out = []
        for piece in _PIECES.split(chunk):
            if not piece:
                continue
            if piece in (b"\n", b"\r\n"):
                if self._at_start and not self._cr:
                    out.append(self.prefix)   # an empty line
                out.append(b"\n")
                self._at_start, self._cr = True, False
            elif piece == b"\r":
                out.append(b"\r")
                self._at_start, self._cr = True, True
            else:
                self._cr = False
                if self._at_start:
                    out.append(self.prefix)
                    self._at_start = False
                out.append(piece)
        if final and not self._at_start:
            out.append(b"\n")
            self._at_start = True
        return b"".join(out)

    def _file(self, chunk, final):
        data = self._partial + chunk
        pieces = _PIECES.split(data)
        # pieces: text, sep, text, sep, ..., text (the unfinished rest)
        rest = pieces.pop()
        if pieces and pieces[-1] == b"\r" and not final and not rest:
            rest = pieces.pop(-2) + pieces.pop()   # "\r" may be the start of "\r\n"
        self._partial = rest
        if final and rest:
            pieces += [rest, b"\n"]
            self._partial = b""
        out = []
        for text, sep in zip(pieces[0::2], pieces[1::2]):
            if sep == b"\r" and not text.strip():
                continue   # a blank redraw only erases the previous one
            out.append(self.prefix + text + b"\n")
        return b"".join(out)


class Log:
    """A worker's log file; its stdout and stderr pumps share it."""

    def __init__(self, path):
        self.path = path
        self._fh = open(path, "ab")
        self._lock = threading.Lock()

    def write(self, data):
        with self._lock:
            self._fh.write(data)
            self._fh.flush()

    def close(self):
        with self._lock:
            self._fh.close()
