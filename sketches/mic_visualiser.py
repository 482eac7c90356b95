"""A microphone visualiser: waveform, spectrum, pitch classes and beats of what you say or play.

``AudioIn`` listens to the microphone (or line input) where the machine has one. Where it
has none (a server, CI, a container) the sketch says so on the canvas and listens to a
drum-and-chords loop it makes itself instead, so it always runs. ``Analyzer(source)``
gives, every frame: the latest samples (``waveform``), the spectrum in bands spaced by
pitch (``bands``), the 12 pitch classes (``chroma``: sing a note and its letter lights
up), the loudness (``rms``) and the beats (``is_beat``).

    sketchml run sketches/mic_visualiser.py
    sketchml run sketches/mic_visualiser.py --headless --frames 240 --out out/mic_visualiser.mp4
"""
import numpy as np

import sketchml as sk
from sketchml.sound.synth import beat_song

meter = None
listening_to = ""
flash = 0.0


def setup():
    global meter, listening_to
    size(640, 360)
    frame_rate(30)
    if AudioIn.available():
        source = AudioIn()
        source.start()
        listening_to = "microphone"
    else:
        source = load_sound(beat_song(bpm=96, seconds=60 / 96 * 8, seed=4))
        source.loop()
        listening_to = "no microphone here: listening to a loop made by numbers"
    meter = Analyzer(source, bands=32)
    text_size(13)


def draw():
    global flash
    flash = 1.0 if meter.is_beat() else flash * 0.85
    background(10 + 40 * flash, 10, 20 + 30 * flash)
    oscilloscope(0, 40, width, 110)
    spectrum(0, 160, width * 0.62, 190)
    pitch_wheel(width * 0.82, 255, 80)
    fill(220)
    no_stroke()
    text(f"{listening_to}   rms {meter.rms():.3f}", 12, 22)


def oscilloscope(x, y, w, h):
    samples = meter.waveform(1024)
    xs = x + np.linspace(0, w, len(samples))
    ys = y + h / 2 - np.clip(samples * 3, -1, 1) * h / 2
    segments = np.stack([np.column_stack([xs[:-1], ys[:-1]]), np.column_stack([xs[1:], ys[1:]])],
                        axis=1)
    lines(segments, colors=np.tile([0.4, 1.0, 0.6, 1.0], (len(segments), 1)))


def spectrum(x, y, w, h):
    levels = meter.bands()
    db = np.clip((20 * np.log10(levels + 1e-9) + 70) / 70, 0.01, 1)
    bar = w / len(levels)
    no_stroke()
    rects(x + np.arange(len(levels)) * bar + 1, y + h - db * h, bar - 2, db * h,
          fills=np.column_stack([db, 0.3 + 0.5 * db, 1 - db]))


def pitch_wheel(cx, cy, radius):
    chroma = meter.chroma()
    angles = np.arange(12) / 12 * 2 * np.pi - np.pi / 2
    sizes = 10 + chroma * 34
    no_stroke()
    circles(cx + np.cos(angles) * radius, cy + np.sin(angles) * radius, sizes,
            fills=np.column_stack([chroma, 0.4 * np.ones(12), 1 - chroma]))
    fill(255)
    text_align(CENTER, CENTER)
    for name, a in zip(sk.PITCH_CLASSES, angles):
        text(name, cx + np.cos(a) * radius * 0.62, cy + np.sin(a) * radius * 0.62)
    text_align(LEFT, BASELINE)
