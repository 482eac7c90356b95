"""Placeholder for `sketchml run` (filled in by its owner)."""


def register(subparsers) -> None:
    return None
