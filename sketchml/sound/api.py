"""The sketch's sound functions, mixed into :class:`~sketchml.Sketch` so that class mode
(``self.load_sound``), module mode (``sk.load_sound``) and imported mode (bare
``load_sound``) all have them."""
from __future__ import annotations

import os
from typing import Any

from sketchml.sound.sound import Sound

__all__ = ["SoundMixin"]


class SoundMixin:
    """Sound functions of a sketch."""

    #: The names the module-level API generates from this mixin.
    API_METHODS: tuple[str, ...] = ("load_sound",)

    def load_sound(self, source: str | os.PathLike[str] | Any) -> Sound:
        """Load a sound to play and analyse (Processing's ``SoundFile``).

        A file name is looked for as Processing does: in the sketch's ``data/`` folder,
        beside the sketch file, then in the working directory (a URL is downloaded once).
        WAV, FLAC, OGG and MP3 are read (other formats through ffmpeg); an ``sk.Audio``
        result, anything with ``to_audio()`` (``sk.Notes``) or a ``(waveform, rate)`` pair
        work too. See :func:`sketchml.sound.sound.load_sound`.

        Examples:
            >>> import numpy as np, sketchml as sk
            >>> sk.Sketch().load_sound((np.zeros(22050), 44100)).duration()
            0.5
        """
        if isinstance(source, (str, os.PathLike)):
            from sketchml.paths import find_input

            source = find_input(source, getattr(self, "_sketch_folder", None), what="sound")
        return Sound(source)
