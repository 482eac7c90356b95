"""With an audio device, sounds go through PortAudio and AudioIn listens. This machine has
no sound card, so ALSA's "null" device (it plays into nothing and records garbage, as fast
as asked) stands in, in a child process whose HOME holds the ALSA configuration."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

CHILD = """
import time
import numpy as np
import sketchml as sk
from sketchml.sound.engine import engine

assert sk.AudioIn.available(), "the null device has inputs"
sound = sk.load_sound((np.sin(np.arange(44100) * 0.06) * 0.5, 44100))
sound.play()
assert engine().clock == "device", engine().clock
deadline = time.monotonic() + 20
while engine().position == 0 and time.monotonic() < deadline:
    time.sleep(0.01)
assert engine().position > 0, "the device pulled no samples"
mic = sk.AudioIn()
mic.start()
meter = sk.Analyzer(mic)
while mic._tap.end == 0 and time.monotonic() < deadline:
    time.sleep(0.01)
assert mic._tap.end > 0, "the input delivered nothing"
level = meter.rms()
assert np.isfinite(level) and 0 <= level <= 1, level
mic.stop()
engine().use_live()
assert engine()._stream is None
print("ok")
"""


def test_sounds_play_through_a_device_and_audio_in_listens(tmp_path):
    (tmp_path / ".asoundrc").write_text("pcm.!default { type null }\n", encoding="utf-8")
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "OMP_NUM_THREADS": "1"}
    probe = subprocess.run(
        [sys.executable, "-c", "import sounddevice as s; print(len(s.query_devices()))"],
        env=env, capture_output=True, text=True, timeout=120,
    )
    if probe.returncode != 0 or probe.stdout.strip() in ("", "0"):
        pytest.skip("no PortAudio/ALSA null device on this machine")
    child = subprocess.run([sys.executable, "-c", textwrap.dedent(CHILD)], env=env,
                           capture_output=True, text=True, timeout=300)
    assert child.returncode == 0 and child.stdout.strip().endswith("ok"), child.stderr[-2000:]
