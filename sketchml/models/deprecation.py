"""Renamed arguments and attributes keep working for one release, with a warning.

When the model API is unified, names users already typed (``prefix=``, ``max_length=``,
``gan.net``) would break their sketches. :func:`renamed` (for keyword arguments) and
:func:`deprecated_alias` (for attributes) keep the old name working and warn with a
:class:`FutureWarning` that names the new one.

Why ``FutureWarning`` and not ``DeprecationWarning``: Python hides a
``DeprecationWarning`` unless it is raised by code in ``__main__``, and a sketch runs
as a module of ``sketchml run`` or inside a notebook cell's library call. The people
who typed the old name are end users, the audience ``FutureWarning`` is meant for, so
it is always shown.
"""
from __future__ import annotations

import functools
import warnings
from collections.abc import Callable
from typing import Any, TypeVar

from sketchml.errors import ApiUsageError

__all__ = ["REMOVED_IN", "deprecated_alias", "renamed", "warn_renamed"]

# The release in which the old names stop working.
REMOVED_IN = "0.3"

_F = TypeVar("_F", bound=Callable[..., Any])


def warn_renamed(where: str, old: str, new: str, *, stacklevel: int = 3) -> None:
    """Warn (``FutureWarning``) that ``old`` in ``where`` is now called ``new``.

    Examples:
        >>> import warnings
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warn_renamed("generate()", "prefix", "prompt")
        >>> "use prompt" in str(caught[0].message)
        True
    """
    warnings.warn(
        f"{where}: {old!r} was renamed; use {new} instead ({old!r} stops working in "
        f"sketchml {REMOVED_IN}).",
        FutureWarning,
        stacklevel=stacklevel,
    )


def renamed(**old_to_new: str) -> Callable[[_F], _F]:
    """Decorate a function so keyword arguments under old names still work, with a warning.

    ``@renamed(prefix="prompt", max_length="length")`` maps ``prefix=`` to ``prompt=``
    (warning once per call) and refuses a call that gives both names. The function's
    signature (what ``help()`` and ``inspect.signature`` show) is the new one; the old
    names are kept in ``__sketchml_renamed__``.

    Examples:
        >>> import warnings
        >>> @renamed(prefix="prompt")
        ... def write(*, prompt: str = "") -> str:
        ...     return prompt + "..."
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     write(prefix="Once")
        'Once...'
    """
    def decorate(function: _F) -> _F:
        where = f"{function.__qualname__}()"

        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            for old, new in old_to_new.items():
                if old not in kwargs:
                    continue
                if new in kwargs:
                    raise ApiUsageError(
                        f"{where} was given both {old}= and {new}=; {old!r} is the old name of "
                        f"{new!r}, so give only {new}=."
                    )
                warn_renamed(where, f"{old}=", f"{new}=")
                kwargs[new] = kwargs.pop(old)
            return function(*args, **kwargs)

        known = dict(getattr(function, "__sketchml_renamed__", {}))
        wrapper.__sketchml_renamed__ = {**known, **old_to_new}  # type: ignore[attr-defined]
        return wrapper  # type: ignore[return-value]

    return decorate


class deprecated_alias:  # noqa: N801 -- used like a function, as property() is
    """A class attribute that reads (and writes) attribute ``new``, warning under the old name.

    Examples:
        >>> import warnings
        >>> class Model:
        ...     net = deprecated_alias("network")
        ...     def __init__(self):
        ...         self.network = "the module"
        >>> with warnings.catch_warnings():
        ...     warnings.simplefilter("ignore")
        ...     Model().net
        'the module'
    """

    def __init__(self, new: str) -> None:
        self.new = new
        self.old = new

    def __set_name__(self, owner: type, name: str) -> None:
        self.old = name

    def __get__(self, instance: Any, owner: type | None = None) -> Any:
        if instance is None:
            return self
        warn_renamed(f"{type(instance).__name__}.{self.old}", self.old, f".{self.new}")
        return getattr(instance, self.new)

    def __set__(self, instance: Any, value: Any) -> None:
        warn_renamed(f"{type(instance).__name__}.{self.old}", self.old, f".{self.new}")
        setattr(instance, self.new, value)
