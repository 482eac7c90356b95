"""Sound during a run: what the frame loop does so that a render's video has its sound.

The :class:`~sketchml.runtime.loop.Runner` holds one :class:`RunSound`. When a sketch
starts, the engine is reset: a headless render switches to the frame clock (sound and
analysis advance exactly one frame's worth of samples after every frame, so ``draw()``
sees the sound of its own moment and a render is the same every time) and records the
mix when the output is a video; a window plays live. A soundtrack (``--audio``) starts
at time 0. When the video is finished, what was played is muxed in as its audio
track, sample-aligned with the frames: frame ``k`` is shown at ``k / fps`` seconds and
the sound the sketch started while drawing it starts there too.
"""
from __future__ import annotations

import math
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sketchml.sound.engine import engine

if TYPE_CHECKING:
    from sketchml.sound.sound import Sound

__all__ = ["RunSound"]


class RunSound:
    """Sound for one run: ``soundtrack`` (a path or result) plays from time 0; ``video``
    is where the frames go (``None``: nowhere)."""

    def __init__(self, *, soundtrack: Any = None, video: str | os.PathLike[str] | None = None) -> None:
        self.soundtrack = soundtrack
        self.track: Sound | None = None
        self.video = None if video is None else Path(video)
        self._headless = True
        self._record: Path | None = None
        self._voices_at_start = 0
        if soundtrack is not None:
            from sketchml.sound.sound import Sound

            self.track = Sound(soundtrack)

    def frames_for(self, fps: float) -> int | None:
        """Frames that cover the soundtrack at ``fps`` (``None`` without one)."""
        if self.track is None:
            return None
        return max(1, math.ceil(self.track.duration() * fps - 1e-9))

    def begin(self, *, headless: bool) -> None:
        """A sketch (re)starts: reset the clock, start recording and the soundtrack."""
        from sketchml.files import temp_beside
        from sketchml.media.soundtrack import AUDIO_VIDEO_SUFFIXES

        self._headless = headless
        eng = engine()
        self._drop_recording()
        if headless:
            if self.video is not None and self.video.suffix.lower() in AUDIO_VIDEO_SUFFIXES:
                self._record = temp_beside(self.video.with_name(self.video.stem + "-sound.wav"))
            eng.use_frames(record=self._record)
        else:
            eng.use_live()
        self._voices_at_start = eng.voices_started
        if self.track is not None:
            self.track.play()
        if self.track is not None and self.video is not None and self._record is None and headless:
            print(f"sketchml: {self.video.name} cannot hold sound, so the soundtrack is only "
                  "used for analysis; write an .mp4 to hear it.", file=sys.stderr)

    def after_frame(self, sketch: Any, *, until_track_ends: bool) -> None:
        """One frame was drawn: move the frame clock on; with ``until_track_ends`` stop the
        sketch once the soundtrack has been covered."""
        if not self._headless:
            return
        eng = engine()
        eng.after_frame(sketch._target_fps)
        if until_track_ends and self.track is not None and eng.position >= self.track._data.shape[1]:
            sketch.exit_sketch()

    def finish(self, written: str | os.PathLike[str] | None) -> None:
        """The run is over: mux the recording into ``written`` (the finished video, or
        ``None``) if the sketch played anything, and go back to live sound."""
        eng = engine()
        samples = eng.finish_recording()
        played = eng.voices_started > self._voices_at_start
        record = self._record
        try:
            if written is not None and record is not None and samples and played:
                from sketchml.media.soundtrack import mux_audio

                mux_audio(written, record)
        finally:
            self._drop_recording()
            eng.use_live()

    def _drop_recording(self) -> None:
        engine().finish_recording()
        record, self._record = self._record, None
        if record is not None:
            record.unlink(missing_ok=True)

