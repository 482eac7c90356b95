"""MusicVAE walk: seven melodies on the way from one two-bar tune to another.

Two melodies are encoded into MusicVAE's latent space, the way between their means is cut
into seven points (a slerp, as Magenta walks), and each point is decoded into a melody.
Each row of the picture is one melody's piano roll, from the first tune at the top to the
last at the bottom; the row being played is lit, and the walk plays row after row. Click
for a walk between two random points instead; press space to go back to the two tunes.

    sketchml run sketches/musicvae_interpolate.py
    sketchml run sketches/musicvae_interpolate.py --headless --frames 240 --out out/walk.mp4

Model: the embedded MusicVAE (2-bar melodies), trained offline on the voices of the Bach
works in music21's corpus.
"""
import sketchml as sk
from sketchml_music.roll import piano_roll

STEPS = 7
SECONDS = 4.0      # two bars at 120 bpm
SCALE_UP = [60, 62, 64, 65, 67, 69, 71, 72]
ARPEGGIO_DOWN = [79, 76, 72, 67, 64, 60, 55, 52]

vae = None
melodies = []
low, high = 48, 84   # the pitch range shown: the walk's own, set in walk()
playing = -1
seed = 1


def tune(pitches):
    """Eighth notes, two bars of them, repeating the pitches."""
    return sk.Notes([{"pitch": pitches[i % len(pitches)], "velocity": 90,
                      "start_time": i * 0.25, "end_time": i * 0.25 + 0.25} for i in range(16)])


def walk(first, last):
    global melodies, low, high
    points = vae.interpolate(first, last, steps=STEPS)
    melodies = vae.generate(points, temperature=0.1, seed=0)
    pitches = [n.pitch for melody in melodies for n in melody] or [60]
    low, high = min(pitches) - 1, max(pitches) + 1


def setup():
    global vae
    size(800, 560)
    text_size(14)
    vae = sk.model("musicvae")
    walk(tune(SCALE_UP), tune(ARPEGGIO_DOWN))


def draw():
    global playing
    background(250)
    row = height / STEPS
    step = int(millis() / 1000 / SECONDS) % STEPS
    if step != playing:
        playing = step
        load_sound(melodies[step]).play()
    for i, melody in enumerate(melodies):
        no_stroke()
        fill(30, 30, 40) if i == playing else fill(70, 70, 80)
        rect(0, i * row, width, row - 2)
        piano_roll(melody, 40, i * row + 4, width - 50, row - 10, seconds=SECONDS, low=low,
                   high=high)
        fill(235)
        text(str(i + 1), 12, i * row + row / 2 + 5)


def mouse_pressed():
    global seed
    walk(vae.sample_latent(seed=seed), vae.sample_latent(seed=seed + 1))
    seed += 2


def key_pressed():
    if key == " ":
        walk(tune(SCALE_UP), tune(ARPEGGIO_DOWN))
