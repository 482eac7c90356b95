"""Testing tools for model-plugin authors: pytest fixtures and the conformance mix-in.

Installing sketchml installs a pytest plugin (``sketchml.testing.plugin``), so these
fixtures are available in every test without a ``conftest.py``:

* ``sketchml_registry``: a fresh registry that does not scan the environment;
* ``sketchml_gl``: the headless OpenGL context (skips when there is none);
* ``sketchml_canvas``: a 64x64 black canvas on it.

:class:`ModelConformance` is the test class a family's tests subclass to inherit the
checks every family passes; :func:`check_output`, :func:`assert_same_output` and
:func:`api_problems` (a verb's signature against docs/model-api.md) are its building
blocks. :func:`private_imports` checks the plugin contract: a plugin imports
``sketchml`` and ``sketchml.plugin`` only. See docs/plugin-testing.md.

Importing this package is cheap (pytest imports it in every run): the mix-in and
its helpers load on first access.

Examples:
    >>> from sketchml.testing import ModelConformance
    >>> ModelConformance.batch
    2
"""
from __future__ import annotations

from typing import Any

__all__ = ["DRIFTED_NAMES", "MODALITY_DRIFTED_NAMES", "ModelConformance", "api_problems",
           "assert_same_output", "check_output", "expected_returns", "private_imports"]


def __getattr__(name: str) -> Any:
    if name == "private_imports":
        from sketchml.testing.contract import private_imports

        return private_imports
    if name in __all__:
        from sketchml.testing import conformance

        return getattr(conformance, name)
    raise AttributeError(f"module 'sketchml.testing' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))
