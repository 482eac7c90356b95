"""Atomic file writing: a reader sees the old file or the complete new one, never half of one.

The recipe: write a temporary file in the same folder, flush and fsync it, then
``os.replace`` it over the target and fsync the folder so the rename itself is
durable. A crash at any point leaves the previous file untouched (plus, at
worst, a stray ``.tmp`` file that the next write of the same name removes).
A full disk raises :class:`sketchml.errors.DiskFullError` naming the file, after
the temporary file is removed.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from sketchml.errors import DiskFullError

__all__ = ["atomic_path", "atomic_write", "atomic_write_bytes", "atomic_write_text", "fsync_dir",
           "temp_beside"]

# mkstemp makes owner-only files; written files should get the usual permissions instead.
# Reading the umask means setting it, so it is done once, at import.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make a rename or file creation inside ``folder`` durable (a no-op where unsupported).

    Examples:
        >>> from sketchml.files import fsync_dir
        >>> fsync_dir(".")
    """
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def temp_beside(target: str | os.PathLike[str]) -> Path:
    """A new empty file in ``target``'s folder, with its suffix and the usual permissions.

    For writers that keep a file open across many calls (a video encoder) and rename
    it onto ``target`` when they finish. The folder is created if needed.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.files import temp_beside
        >>> temp_beside(os.path.join(tempfile.mkdtemp(), "walk.mp4")).suffix
        '.mp4'
    """
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.stem}-", suffix=target.suffix)
    os.close(fd)
    os.chmod(tmp, 0o666 & ~_UMASK)
    return Path(tmp)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, durable: bool = True) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; it replaces ``path`` when the block succeeds.

    The temporary name keeps ``path``'s suffix, so writers that pick a format by
    extension (Pillow, imageio) do the right thing. If the block raises, the
    temporary file is removed and ``path`` is left as it was. ``durable=False``
    skips the fsyncs (still atomic, but a power cut may lose the newest file):
    for streams of many small files such as video frames.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.files import atomic_path
        >>> target = os.path.join(tempfile.mkdtemp(), "note.txt")
        >>> with atomic_path(target) as tmp:
        ...     _ = tmp.write_text("hi")
        >>> open(target).read()
        'hi'
    """
    target = Path(path)
    tmp = temp_beside(target)
    try:
        yield tmp
        if durable:
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        if DiskFullError.caused(err) and not isinstance(err, DiskFullError):
            raise DiskFullError.writing(target) from err
        raise
    if durable:
        fsync_dir(target.parent)


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb", *,
                 encoding: str | None = None, newline: str | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one step.

    If the ``with`` block raises, the temporary file is removed and ``path`` is
    left as it was.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.files import atomic_write
        >>> target = os.path.join(tempfile.mkdtemp(), "hello.txt")
        >>> with atomic_write(target, "w") as f:
        ...     _ = f.write("hello")
        >>> open(target).read()
        'hello'
    """
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_write opens files for writing only ('w' or 'wb'), not {mode!r}")
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, mode, encoding=encoding, newline=newline) as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp_name, 0o666 & ~_UMASK)
        os.replace(tmp_name, target)
    except BaseException as err:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        if DiskFullError.caused(err) and not isinstance(err, DiskFullError):
            raise DiskFullError.writing(target) from err
        raise
    fsync_dir(folder)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.files import atomic_write_bytes
        >>> atomic_write_bytes(os.path.join(tempfile.mkdtemp(), "a.bin"), b"\\x00\\x01").name
        'a.bin'
    """
    with atomic_write(path, "wb") as handle:
        handle.write(data)
    return Path(path)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.files import atomic_write_text
        >>> atomic_write_text(os.path.join(tempfile.mkdtemp(), "a.txt"), "hi").name
        'a.txt'
    """
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
    return Path(path)
