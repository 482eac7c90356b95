"""The plugin contract as a check: a plugin imports ``sketchml`` and ``sketchml.plugin`` only.

Everything else in sketchml is internal and may change between releases. sketchml's own
tests run this over every first-party plugin; a plugin made by ``sketchml new-plugin``
runs it over itself.
"""
from __future__ import annotations

import ast
import os
from pathlib import Path

__all__ = ["ALLOWED", "private_imports"]

ALLOWED = ("sketchml", "sketchml.plugin")
"""The sketchml modules a plugin may import."""


def _imported(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        if node.module == "sketchml":
            # `from sketchml import plugin` is the allowed module; other names are modules
            # or objects of the package, and only `sk.` spells those.
            return [f"sketchml.{alias.name}" for alias in node.names]
        return [node.module]
    return []


def private_imports(source: str | os.PathLike[str]) -> list[str]:
    """``"file:line: module"`` for each import of sketchml other than the public two.

    ``source`` is a plugin's package folder (every ``.py`` file in it is read), one file,
    or Python source text.

    Examples:
        >>> private_imports("import sketchml as sk\\nfrom sketchml.plugin import did_you_mean\\n")
        []
        >>> private_imports("from sketchml.models.weights import find_weights\\n")
        ['<source>:1: sketchml.models.weights']
    """
    if isinstance(source, str) and "\n" in source:
        texts = [("<source>", source)]
    else:
        root = Path(source)
        files = sorted(root.rglob("*.py")) if root.is_dir() else [root]
        texts = [(str(f), f.read_text(encoding="utf-8")) for f in files]
    found = []
    for name, text in texts:
        for node in ast.walk(ast.parse(text, filename=name)):
            for module in _imported(node):
                if module.partition(".")[0] == "sketchml" and module not in ALLOWED:
                    found.append((name, node.lineno, module))
    return [f"{name}:{line}: {module}" for name, line, module in sorted(found)]
