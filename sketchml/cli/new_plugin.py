"""``sketchml new-plugin NAME [--dir DIR]``: write a working, tested model-plugin package.

The package (from the templates in ``sketchml/templates/plugin``) has a pyproject
with the ``sketchml`` entry point, the ``@sk.hookimpl`` registrar, a small image
family with a real latent, tests built on :class:`sketchml.testing.ModelConformance`
and a README. Its tests pass as written, so an author starts from green and changes
one thing at a time.
"""
from __future__ import annotations

import argparse
import os
import re
import shutil
import uuid
from importlib import resources
from pathlib import Path
from typing import Any

from sketchml.errors import SketchmlError

__all__ = ["create_plugin", "register"]

# Template file -> path in the new package ({name} and {package} are filled in).
_FILES = {
    "pyproject.toml.tmpl": "pyproject.toml",
    "README.md.tmpl": "README.md",
    "package/__init__.py.tmpl": "{package}/__init__.py",
    "package/family.py.tmpl": "{package}/family.py",
    "tests/test_family.py.tmpl": "tests/test_{name}.py",
}
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def register(subparsers: Any) -> None:
    """Add the ``new-plugin`` sub-command."""
    parser = subparsers.add_parser(
        "new-plugin",
        help="write a new model-plugin package (entry point, family, tests, README)",
        description="Write the package sketchml-NAME: a plugin registering the model family "
                    "NAME, with a small working image family and tests that pass as written.",
    )
    parser.add_argument("name", help="the family name, a lower-case identifier such as 'noise'")
    parser.add_argument("--dir", default=".", help="folder to create the package in (default: .)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Write the package and say what to do next; exit code 0."""
    target = create_plugin(args.name, directory=args.dir)
    print(f"Created {target} (the {args.name!r} model family):")
    for path in sorted(p for p in target.rglob("*") if p.is_file()):
        print(f"  {path.relative_to(target)}")
    print("Next:")
    print(f"  cd {target}")
    print("  pip install -e .")
    print(f"  sketchml models {args.name}")
    print("  pytest")
    return 0


def create_plugin(name: str, *, directory: str | os.PathLike[str] = ".") -> Path:
    """Write the plugin package ``sketchml-NAME`` into ``directory`` and return its folder.

    Args:
        name: the model family name: a lower-case Python identifier, e.g. ``"noise"``;
            the import package is ``sketchml_NAME``.
        directory: where to create the package folder (created if missing); the
            current folder by default.

    The folder appears whole or not at all: it is written under a temporary name in
    ``directory`` and renamed into place.

    Examples:
        >>> import tempfile
        >>> from sketchml.cli.new_plugin import create_plugin
        >>> create_plugin("blobs", directory=tempfile.mkdtemp()).name
        'sketchml-blobs'
    """
    check_name(name)
    parent = Path(directory)
    if parent.exists() and not parent.is_dir():
        raise SketchmlError(f"--dir {str(parent)!r} is a file, expected a folder to create the "
                            "plugin package in.")
    package = f"sketchml_{name}"
    distribution = f"sketchml-{name.replace('_', '-')}"
    target = parent / distribution
    if target.exists():
        raise SketchmlError(
            f"{str(target)!r} already exists, so the plugin package was not written. Choose "
            "another NAME, another --dir, or move the existing folder away."
        )
    import sketchml

    values = {
        "name": name,
        "package": package,
        "distribution": distribution,
        "class_name": "".join(part.capitalize() for part in name.split("_") if part),
        "sketchml_version": sketchml.__version__,
    }
    parent.mkdir(parents=True, exist_ok=True)
    staging = parent / f".{distribution}.{uuid.uuid4().hex}.tmp"
    staging.mkdir()
    try:
        templates = resources.files("sketchml") / "templates" / "plugin"
        for source, dest in _FILES.items():
            text = templates.joinpath(source).read_text(encoding="utf-8")
            out = staging / dest.format(name=name, package=package)
            out.parent.mkdir(parents=True, exist_ok=True)
            out.write_text(_fill(text, values), encoding="utf-8")
        os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


def check_name(name: str) -> None:
    """Refuse a NAME that cannot be a family name and package suffix, saying what would work.

    Examples:
        >>> check_name("noise")
    """
    base = f"Plugin name {name!r} is not valid: expected a lower-case Python identifier " \
           "(letters, digits and '_', starting with a letter), e.g. 'noise'."
    lowered = (name or "").lower()
    for prefix in ("sketchml_", "sketchml-"):
        rest = lowered[len(prefix):].replace("-", "_")
        if lowered.startswith(prefix) and _NAME.match(rest):
            raise SketchmlError(
                f"Plugin name {name!r} is not valid: NAME is the family name and the package "
                f"is called sketchml_NAME: use {rest!r} (which makes sketchml_{rest})."
            )
    if _NAME.match(name or ""):
        return
    if not name:
        raise SketchmlError(base)
    fixed = re.sub(r"[-\s.]+", "_", lowered)
    if _NAME.match(fixed):
        raise SketchmlError(f"{base} Did you mean {fixed!r}?")
    raise SketchmlError(base)


def _fill(text: str, values: dict[str, str]) -> str:
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values[m.group(1)], text)
