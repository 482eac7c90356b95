"""Placeholder for `sketchml models` (filled in by its owner)."""


def register(subparsers) -> None:
    return None
