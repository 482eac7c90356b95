"""Multitrack chords: type a chord progression, hear and see four instruments play it.

MusicVAE's multitrack model (Magenta's ``hier-multiperf_vel_1bar_med_chords``) decodes one
point of its latent space once per chord, one bar each, every bar following its chord. The
four busiest instruments are drawn as piano rolls, one row each (one batched call a row),
with the bar being played lit; the progression loops.

Keys: a letter A-G puts that chord at the cursor (shown in brackets), ``m`` makes it minor
(again: major), ``#`` / ``-`` raise or lower it a semitone, left / right move the cursor,
``+`` adds a bar after it, backspace removes it, Enter plays the progression again from a
new point, ``s`` saves the music as MIDI under ``output/`` beside the sketch
(``sk.output_path()``).

    sketchml run sketches/multitrack_chords.py
    sketchml run sketches/multitrack_chords.py --headless --frames 300 --out out/chords.mp4

Headless, the sound is rendered into the MP4. Model: ``musicvae.multitrack``, trained offline
on the Bach chorales in music21's corpus, the four voices played as a string quartet, so
expect chorale-like voices on violins, viola and cello.
"""
import sketchml as sk
from sketchml_music.musicvae_hier import chord_index, chord_name
from sketchml_music.roll import piano_roll

ROWS = 4
TOP = 50
BPM = 120
BAR = 4 * 60 / BPM

vae = None
chords = ["C", "G", "Am", "F"]
cursor = 0
seed = 1
music = None
tracks = []        # the notes of each row
ranges = []        # the pitches each row shows: its own, so every row fills its height
started = 0.0
heard = -1         # the loop being heard


def regenerate():
    """Decode a new point with the chords, and split the result into the four busiest instruments."""
    global music, tracks, ranges, started, heard, seed
    music = vae.generate(vae.sample_latent(seed=seed), chords=chords, temperature=0.5, seed=seed)[0]
    seed += 1
    by_instrument = {}
    for note in music.notes:
        by_instrument.setdefault(note.instrument, []).append(note)
    busiest = sorted(by_instrument, key=lambda k: -len(by_instrument[k]))[:ROWS]
    tracks = [by_instrument[k] for k in sorted(busiest)] + [[]] * (ROWS - len(busiest))
    ranges = [(min(n.pitch for n in t) - 3, max(n.pitch for n in t) + 3) if t else (48, 72)
              for t in tracks]
    started, heard = millis() / 1000, -1


def setup():
    global vae
    size(800, 520)
    text_size(18)
    vae = sk.model("musicvae.multitrack")
    regenerate()


def draw():
    global heard
    seconds = BAR * len(chords)
    now = millis() / 1000 - started
    loop = int(now // seconds)
    if loop != heard:
        heard = loop
        load_sound(music).play()
    background(18, 20, 28)
    bar = int((now % seconds) // BAR)
    row = (height - TOP) / ROWS
    for i, notes in enumerate(tracks):
        no_stroke()
        fill(34, 36, 48)
        rect(0, TOP + i * row, width, row - 4)
        fill(255, 255, 255, 28)
        rect(bar * width / len(chords), TOP + i * row, width / len(chords), row - 4)
        piano_roll(notes, 0, TOP + i * row + 2, width, row - 8, seconds=seconds,
                   low=ranges[i][0], high=ranges[i][1])
    fill(235)
    names = [f"[{c}]" if j == cursor else c for j, c in enumerate(chords)]
    text("  ".join(names) + "    keys: A-G m # -  arrows  +  backspace  Enter  s", 12, 32)


def key_pressed():
    global cursor
    name = chords[cursor]
    if key == ENTER or key == RETURN:
        regenerate()
        return
    if key == "s":
        path = music.save(sk.output_path(f"chords-{seed - 1}.mid"))
        print(f"saved {path}")
        return
    if key_code == LEFT:
        cursor = max(0, cursor - 1)
    elif key_code == RIGHT:
        cursor = min(len(chords) - 1, cursor + 1)
    elif key == "+" and len(chords) < 8:
        chords.insert(cursor + 1, name)
        cursor += 1
    elif key == BACKSPACE and len(chords) > 1:
        chords.pop(cursor)
        cursor = min(cursor, len(chords) - 1)
    elif isinstance(key, str) and key.upper() in "ABCDEFG" and len(key) == 1:
        chords[cursor] = key.upper() + ("m" if name.endswith("m") else "")
    elif key == "m":
        chords[cursor] = name[:-1] if name.endswith("m") else name + "m"
    elif key in ("#", "-"):
        index = chord_index(name)
        root = (index - 1) % 12 + (1 if key == "#" else -1)
        chords[cursor] = chord_name(1 + (index - 1) // 12 * 12 + root % 12)
