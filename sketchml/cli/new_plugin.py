"""Placeholder for `sketchml new-plugin` (filled in by its owner)."""


def register(subparsers) -> None:
    return None
