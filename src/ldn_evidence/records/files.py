r"""The studies file on disk: reading it within limits, writing it atomically, and the writers' lock.

* :func:`read_text` refuses what is not a readable UTF-8 text file of sensible size before any
  parser sees it.
* :func:`atomic_write_text` writes so that the file holds either the old or the new content,
  never a mixture: a temporary file in the same folder, flushed and fsynced, ``os.replace``
  (POSIX rename is atomic), then the folder is fsynced so the rename itself survives a crash.
* :func:`studies_lock` is the ``<studies>.lock`` file (``fcntl.flock``) that serialises writers.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write_text(folder / "s.yaml", "review: {}\n")
>>> read_text(folder / "s.yaml")
'review: {}\n'
"""
from __future__ import annotations

import contextlib
import os
import re
import tempfile
import time
from pathlib import Path

from ..errors import LockTimeout, Problem, StudiesFileError

__all__ = ["MAX_FILE_BYTES", "LOCK_TIMEOUT", "read_text", "atomic_write_text", "remove_stale_temporaries",
           "lock_path_for", "studies_lock"]

#: Files larger than this are refused before parsing (a studies file is a few hundred kB).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: seconds a writer waits for another writer before giving up
LOCK_TIMEOUT = 30.0


def read_text(path: Path) -> str:
    name = str(path)
    if not path.exists():
        raise StudiesFileError([Problem(name, None, None, None, "no such file")])
    if path.is_dir():
        raise StudiesFileError([Problem(name, None, None, None, "is a directory, not a YAML file")])
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise StudiesFileError([Problem(
            name, None, None, None,
            f"file is {size / 1e6:.1f} MB; a studies file is limited to {MAX_FILE_BYTES / 1e6:.0f} MB")])
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise StudiesFileError([Problem(
            name, line, None, None, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})")])
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text.strip():
        raise StudiesFileError([Problem(name, 1, None, None, "the file is empty")])
    for lineno, line in enumerate(text.splitlines(), start=1):
        stripped = line.lstrip(" ")
        if stripped.startswith("\t"):
            raise StudiesFileError([Problem(
                name, lineno, None, None, "a tab is used for indentation; YAML needs spaces")])
    return text



def remove_stale_temporaries(folder: Path, name: str) -> None:
    """Delete temporary files left by writers that were killed mid-write (their process is gone).

    The temporary file's name carries its writer's PID; one whose PID is alive is left alone."""
    pattern = re.compile(rf"^\.{re.escape(name)}\.(\d+)\.[^/]*\.tmp$")
    try:
        entries = list(os.scandir(folder))
    except OSError:
        return
    for entry in entries:
        m = pattern.match(entry.name)
        if not m:
            continue
        pid = int(m.group(1))
        try:
            os.kill(pid, 0)
            continue  # a live writer (or another user's process): not ours to remove
        except ProcessLookupError:
            pass
        except (PermissionError, OSError):
            continue
        try:
            os.unlink(entry.path)
        except OSError:
            pass


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """Write ``text`` so that ``path`` holds either the old or the new content, never a mixture:
    a temporary file in the same folder, flushed and fsynced, then ``os.replace`` (POSIX rename is
    atomic), then the folder is fsynced so the rename itself survives a crash."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    remove_stale_temporaries(folder, target.name)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o777)
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. platforms without directory fds
        return
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)



def lock_path_for(path: str | os.PathLike) -> Path:
    p = Path(path)
    return p.with_name(p.name + ".lock")


@contextlib.contextmanager
def studies_lock(path: str | os.PathLike, timeout: float = LOCK_TIMEOUT, poll: float = 0.05):
    """Hold an exclusive ``fcntl.flock`` on ``<path>.lock`` for the duration of the block.

    The lock file is left in place (removing it would let a third process lock a different
    inode); the lock is released by the kernel if the process dies. Raises :class:`LockTimeout`
    after ``timeout`` seconds.
    """
    import fcntl

    lock = lock_path_for(path)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        deadline = time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = ""
                    try:
                        text = lock.read_text().strip()
                        holder = f" by process {text}" if text else ""
                    except OSError:
                        pass
                    raise LockTimeout(
                        f"{path} is being changed by another process (lock file {lock} is held{holder}); "
                        f"gave up after {timeout:g} s. Try again when the other change has finished.") from None
                time.sleep(poll)
        try:
            os.ftruncate(fd, 0)
            os.write(fd, str(os.getpid()).encode())
        except OSError:  # pragma: no cover - informational only
            pass
        yield lock
    finally:
        try:
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
