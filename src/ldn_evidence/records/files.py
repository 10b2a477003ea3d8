r"""The studies file on disk: reading it within limits, writing it atomically, and the writers' lock.

* :func:`read_file` refuses what is not a readable UTF-8 text file of sensible size before any
  parser sees it: only a regular file is opened (a FIFO or a device would block or never end),
  at most :data:`MAX_FILE_BYTES` are read, NUL bytes and other control characters are named
  with their line. It remembers what it read (a hash of the bytes, the line ending, a BOM) so
  that a save can refuse to overwrite a file that changed since, and can write the file back
  in its own style.
* :func:`atomic_write_bytes` writes so that the file holds either the old or the new content,
  never a mixture: a temporary file in the same folder, flushed and fsynced, ``os.replace``
  (POSIX rename is atomic), then the folder is fsynced so the rename itself survives a crash.
  A symbolic link is written through: the file it points to is replaced, the link stays.
* :func:`studies_lock` is the ``<studies>.lock`` file (``fcntl.flock``) that serialises writers,
  beside the file a link resolves to (so two links to one file share one lock).
* :func:`refuse_installed_copy` keeps writers out of the copy installed inside the package.

Examples
--------
>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> atomic_write_text(folder / "s.yaml", "review: {}\r\n")
>>> f = read_file(folder / "s.yaml")
>>> f.text, f.newline, f.bom
('review: {}\n', '\r\n', False)
"""
from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import importlib.util
import os
import re
import stat
import sysconfig
import tempfile
import time
from pathlib import Path

from ..errors import LivingError, LockTimeout, Problem, ReadOnlyReviewError, StudiesFileError

__all__ = ["MAX_FILE_BYTES", "LOCK_TIMEOUT", "FileText", "read_file", "read_text", "encode_text",
           "content_hash", "resolved", "atomic_write_bytes", "atomic_write_text", "remove_stale_temporaries",
           "lock_path_for", "studies_lock", "refuse_installed_copy"]

#: Files larger than this are refused before parsing (a studies file is a few hundred kB).
MAX_FILE_BYTES = 5 * 1024 * 1024
#: seconds a writer waits for another writer before giving up
LOCK_TIMEOUT = 30.0

#: characters YAML does not allow in a stream (YAML 1.2, 5.1): C0 controls other than tab, LF and
#: CR, DEL, C1 controls other than NEL, surrogates and the two non-characters U+FFFE/U+FFFF
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")
_NAMES = {"\x00": "a NUL byte", "\x1b": "an escape character (ESC)", "\x7f": "a DEL character"}


@dataclasses.dataclass(frozen=True)
class FileText:
    """What :func:`read_file` read: the text (line endings normalised to ``\\n``, without a
    byte-order mark) and what is needed to write the file back as it was."""

    text: str
    raw: bytes
    newline: str
    bom: bool

    @property
    def hash(self) -> str:
        return content_hash(self.raw)


def content_hash(raw: bytes) -> str:
    """SHA-256 of a file's bytes (what a save compares to see whether the file changed)."""
    return hashlib.sha256(raw).hexdigest()


def resolved(path: str | os.PathLike) -> Path:
    """The file a path names once symbolic links are followed (the path itself if it is none)."""
    return Path(os.path.realpath(os.fspath(path)))


def _refuse(name: str, message: str, line: int | None = None) -> StudiesFileError:
    return StudiesFileError([Problem(name, line, None, None, message)])


def _open_regular(path: Path, name: str) -> int:
    """A read-only descriptor of a regular file; anything else is refused before it is read."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        if os.path.islink(path):
            raise _refuse(name, f"no such file: it is a symbolic link to {os.readlink(path)}, which does not exist")
        raise _refuse(name, "no such file") from None
    except NotADirectoryError:
        raise _refuse(name, "no such file (a part of the path is not a folder)") from None
    except PermissionError:
        raise _refuse(name, "cannot be read: permission denied") from None
    except OSError as exc:
        raise _refuse(name, f"cannot be read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise _refuse(name, "is a directory, not a YAML file")
    if not stat.S_ISREG(st.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(st.st_mode) else "a socket" if stat.S_ISSOCK(st.st_mode)
                else "a device")
        raise _refuse(name, f"is {kind}, not a regular file; give a YAML file")
    if st.st_size > MAX_FILE_BYTES:
        raise _refuse(name, f"file is {st.st_size / 1e6:.1f} MB; a studies file is limited to "
                            f"{MAX_FILE_BYTES / 1e6:.0f} MB")
    try:
        # O_NONBLOCK: should the path have been swapped for a FIFO since the stat, opening it
        # does not wait for a writer; fstat below then refuses it
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    except PermissionError:
        raise _refuse(name, "cannot be read: permission denied") from None
    except OSError as exc:
        raise _refuse(name, f"cannot be read: {exc.strerror or exc}") from None
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise _refuse(name, "is not a regular file; give a YAML file")
    return fd


def _read_bytes(path: Path, name: str) -> bytes:
    fd = _open_regular(path, name)
    chunks, total = [], 0
    try:
        while total <= MAX_FILE_BYTES:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
    finally:
        os.close(fd)
    if total > MAX_FILE_BYTES:
        raise _refuse(name, f"file is larger than {MAX_FILE_BYTES / 1e6:.0f} MB, the limit for a studies file")
    return b"".join(chunks)


def _newline_of(text: str) -> str:
    crlf = text.count("\r\n")
    lf = text.count("\n") - crlf
    cr = text.count("\r") - crlf
    if crlf > lf and crlf >= cr:
        return "\r\n"
    if cr > lf and cr > crlf:
        return "\r"
    return "\n"


def _forbidden_characters(text: str, name: str) -> None:
    problems = []
    for m in _FORBIDDEN.finditer(text):
        ch = m.group()
        line = text.count("\n", 0, m.start()) + 1
        column = m.start() - (text.rfind("\n", 0, m.start()) + 1) + 1
        what = _NAMES.get(ch, f"the control character U+{ord(ch):04X}")
        problems.append(Problem(name, line, None, None, f"contains {what} at column {column}; a studies file is "
                                                        "plain text (YAML does not allow it)"))
        if len(problems) == 20:
            break
    if problems:
        raise StudiesFileError(problems)


def read_file(path: str | os.PathLike) -> FileText:
    """Read a studies or record file, refusing what no parser should see.

    Refused, each with one message naming the file (and the line where there is one): a path
    that does not exist, a folder, anything but a regular file (a FIFO or device would block or
    never end), more than :data:`MAX_FILE_BYTES`, bytes that are not UTF-8 (UTF-16 is named),
    NUL bytes and other control characters, tabs used for indentation, and an empty file.
    """
    name = str(path)
    raw = _read_bytes(Path(path), name)
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise _refuse(name, "is UTF-16 encoded; save it as UTF-8", 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise _refuse(name, f"not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start})", line) from None
    bom = text.startswith("\ufeff")
    if bom:
        text = text[1:]
    newline = _newline_of(text)
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    _forbidden_characters(text, name)
    if not text.strip():
        raise _refuse(name, "the file is empty", 1)
    for lineno, line in enumerate(text.split("\n"), start=1):
        if line.lstrip(" ").startswith("\t"):
            raise _refuse(name, "a tab is used for indentation; YAML needs spaces", lineno)
    return FileText(text=text, raw=raw, newline=newline, bom=bom)


def read_text(path: str | os.PathLike) -> str:
    """The text of a studies or record file (see :func:`read_file` for what is refused)."""
    return read_file(path).text


def encode_text(text: str, newline: str = "\n", bom: bool = False) -> bytes:
    """``text`` (with ``\\n`` line endings) as the bytes of a file with ``newline`` endings and,
    if ``bom``, a UTF-8 byte-order mark: a file is written back in its own style."""
    if newline != "\n":
        text = text.replace("\n", newline)
    return (b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8")


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


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> Path:
    """Write ``data`` so that the file holds either the old or the new content, never a mixture:
    a temporary file in the same folder, flushed and fsynced, then ``os.replace`` (POSIX rename is
    atomic), then the folder is fsynced so the rename itself survives a crash.

    A symbolic link is written through (the file it points to is replaced; the link stays) and
    the file keeps its permission bits. Returns the path written. An error of the file system
    (a read-only folder, a full disk) raises :class:`LivingError` naming the file; the old file
    is then untouched.
    """
    target = resolved(path)
    folder = target.parent
    remove_stale_temporaries(folder, target.name)
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise LivingError(f"cannot write {path}: {exc.strerror or exc} (in {folder}); nothing was changed") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        if target.exists():
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException as exc:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(exc, OSError):
            raise LivingError(f"cannot write {path}: {exc.strerror or exc}; nothing was changed") from None
        raise
    try:
        dir_fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover - e.g. platforms without directory fds
        return target
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return target


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    """:func:`atomic_write_bytes` of ``text`` in UTF-8, written exactly (no newline translation)."""
    atomic_write_bytes(path, text.encode("utf-8"))


def refuse_installed_copy(path: str | os.PathLike) -> None:
    """Refuse to write into the package's installed folder (site-packages): the bundled review
    there belongs to the installation, and the next upgrade would silently replace it.

    Raises :class:`ReadOnlyReviewError` saying how to start one's own copy.
    """
    target = resolved(path)
    package = Path(__file__).resolve().parent.parent
    inside = target == package or package in target.parents
    if not inside:
        sites = {sysconfig.get_paths().get(k) for k in ("purelib", "platlib")} - {None}
        inside = any(Path(s).resolve() in target.parents for s in sites)
    if inside:
        raise ReadOnlyReviewError(
            f"{path} is the review installed with the package; it is not changed in place. Start your own "
            f"copy: cp {path} studies.yaml, then use --studies studies.yaml (or set "
            f"LDN_EVIDENCE_STUDIES){_init_hint()}. Nothing was written.")


def _init_hint() -> str:
    try:
        found = importlib.util.find_spec("ldn_evidence.cli.commands.init") is not None
    except (ImportError, ValueError):
        found = False
    return ", or start a new review with `ldn-evidence init DIR`" if found else ""


def lock_path_for(path: str | os.PathLike) -> Path:
    """``<file>.lock`` beside the file ``path`` resolves to (through symbolic links)."""
    p = resolved(path)
    return p.with_name(p.name + ".lock")


@contextlib.contextmanager
def studies_lock(path: str | os.PathLike, timeout: float = LOCK_TIMEOUT, poll: float = 0.05):
    """Hold an exclusive ``fcntl.flock`` on ``<path>.lock`` for the duration of the block.

    The lock file is left in place (removing it would let a third process lock a different
    inode); the lock is released by the kernel if the process dies. Raises :class:`LockTimeout`
    after ``timeout`` seconds.
    """
    import fcntl
    import math

    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or not math.isfinite(timeout) \
            or timeout < 0:
        raise ValueError(f"lock timeout must be a finite number of seconds >= 0, got {timeout!r}")
    lock = lock_path_for(path)
    try:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise LivingError(f"cannot lock {path}: cannot create {lock} ({exc.strerror or exc}); nothing was "
                          "changed") from None
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
