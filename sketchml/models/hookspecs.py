"""The hooks a sketchml plugin can implement (pluggy project ``"sketchml"``).

A plugin is a module (or any object) with functions marked ``@sk.hookimpl``,
published under the ``sketchml`` entry-point group::

    # pyproject.toml
    [project.entry-points.sketchml]
    noise = "sketchml_noise"

Every hook is documented, with an example, in ``docs/plugins.md``; a test fails
when a hook here has no section there. Hook implementations must stay light:
they run while sketchml discovers plugins, so they store names and dotted paths
and never import torch or read weights.
"""
from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    from sketchml.models.registry import Registry

__all__ = ["PROJECT", "hookimpl", "hookspec", "sketchml_register_commands",
           "sketchml_register_models"]

PROJECT = "sketchml"

hookspec = pluggy.HookspecMarker(PROJECT)
"""Marks a hook specification of the ``sketchml`` project (for hook modules)."""

hookimpl = pluggy.HookimplMarker(PROJECT)
"""Marks a plugin's implementation of a sketchml hook.

Examples:
    >>> import sketchml as sk
    >>> @sk.hookimpl
    ... def sketchml_register_models(registry):
    ...     registry.add("noise", family="sketchml_noise.family:Noise", modality="image")
"""


@hookspec
def sketchml_register_models(registry: Registry) -> None:
    """Add the plugin's model families to ``registry``.

    Call :meth:`Registry.add` once per family. Only data is stored: the family
    class named by ``family="package.module:Class"`` is imported the first time
    a sketch asks for it with ``sk.model(name)``, so this hook must not import
    torch or load weights.

    Examples:
        >>> import sketchml as sk
        >>> @sk.hookimpl
        ... def sketchml_register_models(registry):
        ...     registry.add(
        ...         "noise",
        ...         family="sketchml_noise.family:Noise",
        ...         modality="image",
        ...         variants={"default": {"options": {"size": 64}}},
        ...     )
    """


@hookspec
def sketchml_register_commands(
        subparsers: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the plugin's sub-commands to the ``sketchml`` command line.

    ``subparsers`` is the ``sketchml`` parser's sub-command set (what argparse's
    ``add_subparsers()`` returned). Add each command with ``subparsers.add_parser(NAME,
    help=..., description=...)``, give it its arguments, and set ``func``: a function
    called with the parsed arguments that returns the exit code. A ``SketchmlError`` it
    raises is shown as ``sketchml: error: ...`` with exit code 1. This hook runs every
    time ``sketchml`` starts, so import heavy modules inside ``func``, not here. A plugin
    whose commands fail to register (a name already taken, a bug) is reported and left
    out; the other commands keep working.

    Examples:
        >>> import argparse, sketchml as sk
        >>> @sk.hookimpl
        ... def sketchml_register_commands(subparsers):
        ...     hello = subparsers.add_parser("hello", help="say hello")
        ...     hello.add_argument("name")
        ...     hello.set_defaults(func=lambda args: print(f"hello {args.name}") or 0)
        >>> parser = argparse.ArgumentParser(prog="sketchml")
        >>> sketchml_register_commands(parser.add_subparsers())
        >>> args = parser.parse_args(["hello", "you"])
        >>> args.func(args)
        hello you
        0
    """
