"""``sketchml plugins [--json]``: the plugins found, their versions and any load errors."""
from __future__ import annotations

import argparse
import json
import warnings
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``plugins`` sub-command."""
    parser = subparsers.add_parser(
        "plugins",
        help="list the sketchml plugins found (name, distribution, version, status, error)",
        description="List the plugins of the 'sketchml' entry-point group and how loading went.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the plugins; exit code 1 when one failed to load, else 0."""
    from sketchml.cli.models import _table
    from sketchml.models.registry import PluginWarning, default_registry

    with warnings.catch_warnings():
        # The table below reports failures itself; the warning would say it twice.
        warnings.simplefilter("ignore", PluginWarning)
        plugins = default_registry().plugins
    if args.json:
        print(json.dumps([info.to_dict() for info in plugins], indent=2))
    elif not plugins:
        print("No sketchml plugins are installed (entry-point group 'sketchml').")
    else:
        rows = [("NAME", "DISTRIBUTION", "VERSION", "STATUS", "MODELS")]
        rows += [(p.name, p.distribution, p.version, p.status, ",".join(p.models)) for p in plugins]
        print(_table(rows))
        for info in plugins:
            if info.status == "error":
                print(f"\n{info.name} ({info.distribution} {info.version}): {info.error}")
    return 1 if any(info.status == "error" for info in plugins) else 0
