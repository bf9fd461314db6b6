"""Atomic file replacement: a file is either its old content or the complete new one.

The new bytes go to a temporary file in the target's directory (on Linux an unnamed
``O_TMPFILE`` that only gets a name once complete, so even a killed writer leaves nothing
behind), which is flushed, fsynced and renamed over the target; the directory is fsynced
after the rename.
"""
import os
import stat
import uuid

__all__ = ["atomic_write", "fsync_dir"]


def atomic_write(path, write):
    """Write through ``write(fh)`` into a temp file in ``path``'s directory, then rename it
    over ``path``; on any failure the old file stays and the temp file is removed."""
    path = os.path.realpath(path)       # write through a symlink, as open() would
    directory = os.path.dirname(path)
    if not os.path.isdir(directory):
        raise RuntimeError(f"Parent directory {directory} does not exist.")
    mode = stat.S_IMODE(os.stat(path).st_mode) if os.path.exists(path) else None
    tmp = os.path.join(directory, f".{os.path.basename(path)}.{uuid.uuid4().hex[:12]}.tmp")
    fd = _open_unnamed(directory)
    named = fd is None
    if named:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as fh:
            write(fh)
            fh.flush()
            if mode is not None:
                os.fchmod(fh.fileno(), mode)
            os.fsync(fh.fileno())
            if not named:   # give the complete file a name only now
                _link_unnamed(fh.fileno(), directory, tmp)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise
    fsync_dir(directory)


def _open_unnamed(directory):
    """A file with no name in ``directory`` (Linux O_TMPFILE), or None where unsupported:
    killed mid-write, it vanishes instead of leaving a temp file behind."""
    flag = getattr(os, "O_TMPFILE", None)
    if flag is None or not os.path.exists(f"/proc/self/fd"):
        return None
    try:
        return os.open(directory, flag | os.O_WRONLY, 0o666)
    except OSError:
        return None


def _link_unnamed(fd, directory, name):
    # A plain link() would not follow the /proc symlink; passing a dir fd makes Python use
    # linkat(AT_SYMLINK_FOLLOW), which links the open file itself.
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.link(f"/proc/self/fd/{fd}", name, src_dir_fd=dir_fd, follow_symlinks=True)
    finally:
        os.close(dir_fd)


def fsync_dir(directory):
    """Make a rename or a new name in ``directory`` durable; a no-op where the filesystem
    cannot fsync a directory."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
