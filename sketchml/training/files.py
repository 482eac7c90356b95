"""Atomic file writing: a reader sees the old file or the complete new one, never half of one.

The recipe: write a temporary file in the same folder, flush and fsync it, then
``os.replace`` it over the target and fsync the folder so the rename itself is
durable. A crash at any point leaves the previous file untouched (plus, at
worst, a stray ``.tmp`` file that the next write of the same name removes).
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = ["atomic_write", "atomic_write_bytes", "atomic_write_text", "fsync_dir"]

# mkstemp makes owner-only files; written files should get the usual permissions instead.
# Reading the umask means setting it, so it is done once, at import.
_UMASK = os.umask(0o022)
os.umask(_UMASK)


def fsync_dir(folder: str | os.PathLike[str]) -> None:
    """Make a rename or file creation inside ``folder`` durable (a no-op where unsupported).

    Examples:
        >>> from sketchml.training.files import fsync_dir
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


@contextlib.contextmanager
def atomic_write(path: str | os.PathLike[str], mode: str = "wb", *,
                 encoding: str | None = None, newline: str | None = None) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success it replaces ``path`` in one step.

    If the ``with`` block raises, the temporary file is removed and ``path`` is
    left as it was.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.training.files import atomic_write
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
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise
    fsync_dir(folder)


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.training.files import atomic_write_bytes
        >>> atomic_write_bytes(os.path.join(tempfile.mkdtemp(), "a.bin"), b"\\x00\\x01")
    """
    with atomic_write(path, "wb") as handle:
        handle.write(data)


def atomic_write_text(path: str | os.PathLike[str], text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically.

    Examples:
        >>> import tempfile, os
        >>> from sketchml.training.files import atomic_write_text
        >>> atomic_write_text(os.path.join(tempfile.mkdtemp(), "a.txt"), "hi")
    """
    with atomic_write(path, "w", encoding="utf-8", newline="") as handle:
        handle.write(text)
