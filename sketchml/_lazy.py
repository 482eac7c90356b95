"""Lazy package exports: names load from their submodule on first attribute access.

Packages whose submodules import torch or GL (``sketchml.training``,
``sketchml.datasets``) use this so ``import sketchml`` stays light.
"""
from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(package: str, names: Mapping[str, str], namespace: dict[str, Any]
                 ) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The ``__getattr__`` and ``__dir__`` of a package that exports ``names`` lazily.

    ``names`` maps each exported name to the submodule of ``package`` defining it;
    a loaded value is cached in ``namespace`` (the package's ``globals()``), and a
    misspelt name gets "did you mean".

    Examples:
        >>> getattr_, dir_ = lazy_exports("sketchml", {"suggest": "errors"}, {})
        >>> getattr_("suggest")("elipse", ["ellipse"])
        ['ellipse']
    """

    def __getattr__(name: str) -> Any:
        module = names.get(name)
        if module is None:
            from sketchml.errors import did_you_mean

            raise AttributeError(f"module {package!r} has no attribute {name!r}."
                                 f"{did_you_mean(name, names)}")
        value = getattr(importlib.import_module(f"{package}.{module}"), name)
        namespace[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(names))

    return __getattr__, __dir__
