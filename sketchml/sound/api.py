"""The sketch's sound functions, mixed into :class:`~sketchml.Sketch` so that class mode
(``self.load_sound``), module mode (``sk.load_sound``) and imported mode (bare
``load_sound``) all have them."""
from __future__ import annotations

from sketchml.sound.sound import load_sound

__all__ = ["SoundMixin"]


class SoundMixin:
    """Sound functions of a sketch (static: they need no canvas)."""

    #: The names the module-level API generates from this mixin.
    API_METHODS: tuple[str, ...] = ("load_sound",)

    load_sound = staticmethod(load_sound)
