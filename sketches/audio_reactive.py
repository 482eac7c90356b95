"""Audio-reactive visuals (Lucid Sonic Dreams style): a song drives a GAN's latent walk, live.

``sk.Reactor`` listens to a playing sound and, every frame, moves a walk through the
latent space of dcgan.shapes: louder music travels faster (motion), every drum hit kicks
the picture and lets it fall back (pulse), and silence holds it still. The song here is
made by numbers (kick, hi-hat, chords; silent for two bars in the middle) so the sketch
runs anywhere; use your own with ``load_sound("song.mp3")``. Any image model works:
``sk.model("biggan.deep-256")`` would also pick its classes from the song's chords.

Keys: ``p``/``m`` raise the pulse / motion reaction, shift+``p``/``m`` lower them.

    sketchml run sketches/audio_reactive.py
    sketchml run sketches/audio_reactive.py --headless --frames 450 --out out/audio_reactive.mp4

The same walk rendered offline from a whole file, with the song as the video's sound:

    sketchml react song.wav --model dcgan.shapes --out out/react.mp4
"""
import numpy as np

import sketchml as sk
from sketchml.sound.synth import beat_song

song = None
reactor = None
gan = None
pulse_react = 0.6
motion_react = 0.7


def setup():
    global song, gan
    size(640, 360)
    frame_rate(30)
    gan = sk.model("dcgan.shapes")
    music = beat_song(bpm=120, seconds=16, seed=7)
    # Two silent bars in the middle: the picture stands still until the drums come back.
    music.waveform[:, int(8.0 * music.sample_rate):int(12.0 * music.sample_rate)] = 0
    song = load_sound(music)
    song.loop()
    make_reactor()


def make_reactor():
    global reactor
    reactor = sk.Reactor(gan, song, fps=30, speed_fpm=30, pulse_react=pulse_react,
                         motion_react=motion_react, seed=3)


def draw():
    background(8)
    frame = reactor.frame()
    music = frame.music
    image(frame, 140, 0, 360, 360)
    # Meters: loudness, pulse and motion, and a dot for each onset.
    no_stroke()
    meters = [("loud", music.rms), ("pulse", music.pulse),
              ("motion", min(1.0, music.motion / max(reactor.mapping.step_size * 2, 1e-9)))]
    for i, (name, value) in enumerate(meters):
        fill(90, 200, 255)
        rect(20 + i * 38, 340 - 280 * value, 26, 280 * value)
        fill(200)
        text_size(11)
        text(name, 18 + i * 38, 355)
    if music.onset:
        fill(255, 120, 40)
    else:
        fill(40)
    circle(580, 60, 40)
    fill(200)
    text_size(12)
    text(f"pulse_react {pulse_react:.1f}\nmotion_react {motion_react:.1f}", 520, 120)
    chroma = music.chroma
    rects(np.full(12, 520.0), 180 + np.arange(12) * 14, chroma * 100 + 1, 10,
          fills=np.column_stack([chroma, np.full(12, 0.5), 1 - chroma]))


def key_pressed():
    global pulse_react, motion_react
    if key in ("p", "P"):
        pulse_react = constrain(pulse_react + (0.1 if key == "p" else -0.1), 0, 1)
    elif key in ("m", "M"):
        motion_react = constrain(motion_react + (0.1 if key == "m" else -0.1), 0, 1)
    else:
        return
    make_reactor()
