"""Entry point of the ``sketchml`` console command.

Each sub-command lives in its own module of this package and exposes
``register(subparsers)``, which adds its parser and sets ``func`` (called with
the parsed arguments, returning an exit code). Sub-command modules import
nothing heavy at module level, so ``sketchml --help`` stays instant. Plugins add
their own commands after these, through the ``sketchml_register_commands`` hook
(the clip plugin's ``sketchml guide``, for one).
"""
from __future__ import annotations

import argparse
import importlib
import sys

from sketchml.errors import SketchmlError

# Sub-command modules, in the order ``--help`` lists them.
COMMAND_MODULES = [
    "sketchml.cli.run",
    "sketchml.cli.train",
    "sketchml.cli.walk",
    "sketchml.cli.models",
    "sketchml.cli.plugins",
    "sketchml.cli.new_plugin",
]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sketchml",
        description="Creative coding with machine-learning models as drawing material.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(sub)
    from sketchml.models.registry import default_registry

    default_registry().add_commands(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except SketchmlError as err:
        print(f"sketchml: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
