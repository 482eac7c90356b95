"""Placeholder for `sketchml plugins` (filled in by its owner)."""


def register(subparsers) -> None:
    return None
