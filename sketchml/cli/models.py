"""``sketchml models [PATTERN] [--json]``: list the installed models."""
from __future__ import annotations

import argparse
import json
from typing import Any


def register(subparsers: Any) -> None:
    """Add the ``models`` sub-command."""
    parser = subparsers.add_parser(
        "models",
        help="list the installed models (family.variant, modality, verbs, other methods, "
        "weights here?)",
        description="List the installed models, sorted; PATTERN is a glob such as 'big*'.",
    )
    parser.add_argument("pattern", nargs="?", default=None, help="glob over names, e.g. 'dcgan*'")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Print the table (or JSON) of models; exit code 0."""
    from sketchml.models.registry import default_registry

    registry = default_registry()
    entries = registry.entries(args.pattern)
    if args.json:
        print(json.dumps([entry.to_dict() for entry in entries], indent=2))
        return 0
    if not entries:
        where = f" matching {args.pattern!r}" if args.pattern else ""
        print(f"No models{where}. Model families come from plugins: pip install one, "
              "then check `sketchml plugins`.")
        return 0
    rows = [("NAME", "MODALITY", "VERBS", "ALSO", "WEIGHTS", "PLUGIN")]
    for entry in entries:
        name = entry.name + (" *" if entry.default else "")
        weights = "here" if entry.weights_available else "missing"
        rows.append((name, entry.modality, ",".join(entry.verbs) or "?",
                     ",".join(entry.capabilities) or "-", weights, entry.plugin))
    print(_table(rows))
    print("* default variant (sk.model('family') picks it); ALSO: the family's other methods; "
          "VERBS ?: not declared by its plugin")
    return 0


def _table(rows: list[tuple[str, ...]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows)
    return "\n".join(line.rstrip() for line in lines)
