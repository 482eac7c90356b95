"""Audio tracks of videos: put a WAV into an MP4 beside its frames, and read one back.

Both run the ffmpeg binary that ``imageio-ffmpeg`` ships. Muxing copies the video
stream unchanged and encodes the sound as AAC; the new file replaces the old one
atomically.
"""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import numpy as np

from sketchml.errors import SketchmlError
from sketchml.files import temp_beside

__all__ = ["AUDIO_VIDEO_SUFFIXES", "mux_audio", "read_audio_track"]

#: Video types that carry an audio track (a GIF or PNG frames cannot).
AUDIO_VIDEO_SUFFIXES = (".mp4", ".mov", ".mkv", ".webm")


def _ffmpeg() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def mux_audio(video: str | os.PathLike[str], audio: str | os.PathLike[str], *,
              bitrate: str = "192k") -> Path:
    """Give ``video`` the sound in ``audio`` (any file ffmpeg reads) as its audio track.

    The frames are copied as they are; the sound is encoded as AAC (Opus in a ``.webm``).
    ``video`` is replaced atomically; returns its path.

    Examples:
        >>> import numpy as np, tempfile, os
        >>> from sketchml.media.video import open_frame_writer
        >>> from sketchml.media.audio import write_wav
        >>> folder = tempfile.mkdtemp()
        >>> with open_frame_writer(os.path.join(folder, "v.mp4"), fps=10) as out:
        ...     for _ in range(10):
        ...         out.write(np.zeros((16, 16, 3), np.uint8))
        >>> wav = write_wav(os.path.join(folder, "a.wav"), np.zeros(8000), 8000)
        >>> mux_audio(out.path, wav).name
        'v.mp4'
    """
    target = Path(video)
    if target.suffix.lower() not in AUDIO_VIDEO_SUFFIXES:
        raise SketchmlError(
            f"{target.name} cannot hold sound: only {', '.join(AUDIO_VIDEO_SUFFIXES)} videos have "
            "an audio track (a GIF or PNG frames do not)."
        )
    codec = ["-c:a", "libopus"] if target.suffix.lower() == ".webm" else ["-c:a", "aac"]
    tmp = temp_beside(target)
    command = [_ffmpeg(), "-y", "-loglevel", "error", "-i", str(target), "-i", str(audio),
               "-map", "0:v:0", "-map", "1:a:0", "-c:v", "copy", *codec, "-b:a", bitrate,
               "-movflags", "+faststart", str(tmp)]
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=3600)
        if result.returncode != 0:
            raise SketchmlError(
                f"ffmpeg could not add the sound to {target.name}: {result.stderr.strip()[-400:]}"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def read_audio_track(video: str | os.PathLike[str], *, sample_rate: int | None = None
                     ) -> tuple[np.ndarray, int]:
    """Decode a video's audio track: ``(waveform (channels, samples) float32, sample_rate)``.

    Raises :class:`~sketchml.SketchmlError` when the file has no audio track.

    Examples:
        >>> read_audio_track("missing.mp4")  # doctest: +IGNORE_EXCEPTION_DETAIL
        Traceback (most recent call last):
        sketchml.errors.SketchmlError: No video at 'missing.mp4'.
    """
    source = Path(video)
    if not source.is_file():
        raise SketchmlError(f"No video at {str(source)!r}.")
    probe = subprocess.run([_ffmpeg(), "-hide_banner", "-i", str(source)],
                           capture_output=True, text=True, timeout=120).stderr
    line = next((row for row in probe.splitlines() if "Audio:" in row), None)
    if line is None:
        raise SketchmlError(f"{source.name} has no audio track.")
    channels = 1 if " mono" in line else 2
    rate = sample_rate or int(line.split(" Hz")[0].rsplit(",", 1)[-1].strip())
    result = subprocess.run(
        [_ffmpeg(), "-loglevel", "error", "-i", str(source), "-map", "0:a:0", "-f", "f32le",
         "-ac", str(channels), "-ar", str(rate), "-"],
        capture_output=True, timeout=3600,
    )
    if result.returncode != 0:
        raise SketchmlError(f"ffmpeg could not decode the sound of {source.name}: "
                            f"{result.stderr.decode(errors='replace').strip()[-400:]}")
    samples = np.frombuffer(result.stdout, dtype="<f4")
    return np.ascontiguousarray(samples.reshape(-1, channels).T), rate
