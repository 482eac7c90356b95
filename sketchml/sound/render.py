"""Sound during a run: what the frame loop does so that a render's video has its sound.

The :class:`~sketchml.runtime.loop.Runner` holds one :class:`RunSound`. When a sketch
starts, the engine is reset: a headless render switches to the frame clock (sound and
analysis advance exactly one frame's worth of samples after every frame, so ``draw()``
sees the sound of its own moment and a render is the same every time) and, when the
frames go somewhere, records the mix to a temporary WAV file; a window plays live. A
soundtrack (``--audio``) starts at time 0. When the run ends, the recording goes to the
frame writer (:meth:`~sketchml.media.video.FrameWriter.add_sound`), which muxes it into
the video as its audio track, sample-aligned with the frames: frame ``k`` is shown at
``(k - 1) / fps`` seconds and a sound the sketch started while drawing it starts there
too. A sketch that played nothing makes a silent video.
"""
from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sketchml.sound.engine import engine

if TYPE_CHECKING:
    from sketchml.sound.sound import Sound

__all__ = ["RunSound"]


class RunSound:
    """Sound for one run: ``soundtrack`` (a path or result) plays from time 0; ``record``
    says whether frames are written (so the sound is worth recording); ``out`` is the
    output path when there is one, for messages."""

    def __init__(self, *, soundtrack: Any = None, out: str | os.PathLike[str] | None = None,
                 record: bool = False) -> None:
        self.track: Sound | None = None
        self.out = None if out is None else Path(out)
        self.record = record
        self._headless = True
        self._file: Path | None = None
        self._voices_at_start = 0
        if soundtrack is not None:
            from sketchml.sound.sound import Sound

            self.track = Sound(soundtrack)

    def begin(self, *, headless: bool) -> None:
        """A sketch (re)starts: reset the clock, start recording and the soundtrack."""
        from sketchml.media.soundtrack import AUDIO_VIDEO_SUFFIXES

        self._headless = headless
        eng = engine()
        self._drop_file()
        if headless:
            if self.record:
                fd, name = tempfile.mkstemp(prefix="sketchml-sound-", suffix=".wav")
                os.close(fd)
                self._file = Path(name)
            eng.use_frames(record=self._file)
        else:
            eng.use_live()
        self._voices_at_start = eng.voices_started
        if self.track is not None:
            self.track.play()
            out = self.out
            if headless and out is not None and out.suffix.lower() not in AUDIO_VIDEO_SUFFIXES:
                print(f"sketchml: {out.name} cannot hold sound, so the soundtrack is only used "
                      "for analysis; write an .mp4 to hear it.", file=sys.stderr)

    def after_frame(self, sketch: Any, *, until_track_ends: bool) -> None:
        """One frame was drawn: move the frame clock on; with ``until_track_ends`` stop the
        sketch once the soundtrack has been covered."""
        if not self._headless:
            return
        eng = engine()
        eng.after_frame(sketch._target_fps)
        if until_track_ends and self.track is not None and eng.position >= self.track._data.shape[1]:
            sketch.exit_sketch()

    def recording(self) -> Path | None:
        """Stop recording; the WAV of what was played, or ``None`` when nothing played."""
        eng = engine()
        samples = eng.finish_recording()
        played = eng.voices_started > self._voices_at_start
        return self._file if samples and played else None

    def finish(self) -> None:
        """The run is over: remove the recording and go back to live sound."""
        self._drop_file()
        engine().use_live()

    def _drop_file(self) -> None:
        engine().finish_recording()
        file, self._file = self._file, None
        if file is not None:
            file.unlink(missing_ok=True)
