"""Progress bars for long work (training, renders): tqdm, quiet where nobody is watching."""
from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

from tqdm import tqdm

__all__ = ["progress_bar", "wants_progress"]


def wants_progress() -> bool:
    """True when a person can see stderr: a terminal, or a Jupyter notebook.

    Examples:
        >>> from sketchml.training import wants_progress
        >>> isinstance(wants_progress(), bool)
        True
    """
    stream = sys.stderr
    if stream is None:
        return False
    if type(stream).__module__.startswith("ipykernel"):
        return True
    isatty = getattr(stream, "isatty", None)
    return bool(isatty and isatty())


def progress_bar(iterable: Iterable[Any] | None = None, *, total: int | None = None,
                 desc: str | None = None, initial: int = 0, quiet: bool | None = None) -> tqdm:
    """A tqdm bar; ``quiet=None`` (the default) shows it only when :func:`wants_progress`.

    Examples:
        >>> from sketchml.training import progress_bar
        >>> sum(progress_bar(range(3), quiet=True))
        3
    """
    disable = (not wants_progress()) if quiet is None else quiet
    return tqdm(iterable, total=total, desc=desc, initial=initial, disable=disable,
                dynamic_ncols=True, leave=True)
