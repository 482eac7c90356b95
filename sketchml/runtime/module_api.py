"""Placeholder until the runtime work generates the module-level API from Sketch."""


def install(namespace: dict) -> None:
    return None


def exported_names() -> list[str]:
    return []


def live_names() -> list[str]:
    return []


def module_getattr(name: str):
    raise AttributeError(f"module 'sketchml' has no attribute {name!r}")
