"""Sound basics: play, loop, stop, amp, rate and pan, and draw what you hear.

Processing's Sound library in sketchml: ``load_sound`` takes a WAV, FLAC, OGG or MP3 file,
an ``sk.Audio`` result, or (as here, so the sketch needs no files) a waveform made from
numbers. A drum loop plays all the time; a blip plays on every click (its pitch follows
the mouse: ``rate``; its side follows it too: ``pan``) and, so a headless render has it
too, on every fourth beat. An ``Analyzer`` listens to everything playing: the circle is the
loudness (``rms``), the bars the spectrum in 24 ``bands``, the flash a beat
(``is_beat``), the colour the brightness (``centroid``).

Keys: space stops/starts the loop, up/down change its loudness (``amp``).

    sketchml run sketches/sound_basics.py
    sketchml run sketches/sound_basics.py --headless --frames 300 --out out/sound_basics.mp4

With no audio device (a server, CI) everything plays silently but on time; in a headless
render the video's sound is exactly what the sketch played, in sync with its frames.
"""
import numpy as np

from sketchml.sound.synth import beat_song

loop_sound = None
blip = None
meter = None
volume = 0.8
beats = 0


def setup():
    global loop_sound, blip, meter
    size(640, 360)
    frame_rate(30)
    loop_sound = load_sound(beat_song(bpm=110, seconds=60 / 110 * 8, seed=1))
    t = np.arange(int(0.3 * 44100)) / 44100
    blip = load_sound((np.sin(2 * np.pi * 660 * t) * np.exp(-t * 12) * 0.5, 44100))
    loop_sound.loop(amp=volume)
    meter = Analyzer(bands=24)
    no_stroke()


def draw():
    global beats
    beat = meter.is_beat()
    if beat:
        beats += 1
        if beats % 4 == 0:
            play_blip(width * (beats // 4 % 5 + 1) / 6)
    background(40 if beat else 12)
    # Brightness: the spectral centroid from dull red (200 Hz) to bright cyan (4 kHz).
    bright = constrain(remap(meter.centroid(), 200, 4000, 0, 1), 0, 1)
    fill(255 * (1 - bright), 120 + 100 * bright, 255 * bright)
    circle(width / 2, height / 2 - 30, 40 + meter.rms() * 900)
    levels = meter.bands()
    bar = width / len(levels)
    # Decibels: -60 dB (faint) to 0 dB (a full-scale sine) fill half the height.
    heights = np.clip((20 * np.log10(levels + 1e-9) + 60) / 60, 0.01, 1) * height / 2
    rects(np.arange(len(levels)) * bar + 2, height - heights, bar - 4, heights,
          fills=np.column_stack([np.linspace(0.3, 1, len(levels)), np.full(len(levels), 0.5),
                                 np.linspace(1, 0.3, len(levels))]))
    fill(230)
    text_size(14)
    text(f"rms {meter.rms():.3f}   centroid {meter.centroid():5.0f} Hz   "
         f"tempo {meter.tempo():5.1f} bpm   loop amp {volume:.1f}", 12, 22)


def play_blip(x):
    blip.rate(remap(x, 0, width, 0.5, 2.0))
    blip.pan(remap(x, 0, width, -1, 1))
    blip.play()


def mouse_pressed():
    play_blip(mouse_x)


def key_pressed():
    global volume
    if key == " ":
        if loop_sound.is_playing():
            loop_sound.stop()
        else:
            loop_sound.loop(amp=volume)
    elif key_code == UP:
        volume = min(2.0, volume + 0.1)
        loop_sound.amp(volume)
    elif key_code == DOWN:
        volume = max(0.0, volume - 0.1)
        loop_sound.amp(volume)
