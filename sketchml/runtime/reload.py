"""Hot reload: notice when a sketch's files are saved.

Polling, not OS notifications: a sketch folder holds a handful of small files,
reading them a few times a second costs nothing, works the same on every
platform and filesystem (network mounts, containers) and needs no dependency.
Contents are compared, not modification times, so two quick saves inside one
timestamp tick are still seen and a save that changes nothing reloads nothing.

Examples:
    >>> import tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "s.py")
    >>> open(path, "w").write("a = 1\\n")
    6
    >>> watcher = FileWatcher([path], interval=0)
    >>> watcher.changed()
    False
    >>> open(path, "w").write("a = 2\\n")
    6
    >>> watcher.changed()
    True
"""
from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Iterable

__all__ = ["FileWatcher"]


def _digest(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return hashlib.blake2b(handle.read(), digest_size=16).digest()
    except OSError:
        return None


class FileWatcher:
    """Reports, at most every ``interval`` seconds, whether any watched file changed.

    A file that is missing for a moment (editors that save by delete-and-rename)
    is not a change; its reappearance with new content is.
    """

    def __init__(self, paths: Iterable[str | os.PathLike[str]], *, interval: float = 0.25) -> None:
        self.interval = float(interval)
        self._last_check = 0.0
        self._digests: dict[str, bytes | None] = {}
        self.set_paths(paths)

    def set_paths(self, paths: Iterable[str | os.PathLike[str]]) -> None:
        """Watch ``paths`` from now on, taking their current contents as the baseline."""
        self._digests = {os.fspath(p): _digest(os.fspath(p)) for p in paths}

    @property
    def paths(self) -> list[str]:
        """The watched files."""
        return list(self._digests)

    def changed(self) -> bool:
        """True once after any watched file's contents change (checked at most every
        ``interval`` seconds)."""
        now = time.monotonic()
        if now - self._last_check < self.interval:
            return False
        self._last_check = now
        changed = False
        for path, old in self._digests.items():
            new = _digest(path)
            if new is not None and new != old:
                self._digests[path] = new
                changed = True
        return changed
