"""Performance RNN, live: piano music played as it is written, steered by the mouse.

The model writes on a background thread (``rnn.stream``), at most a couple of seconds
ahead of the clock, and asks two functions before every event what to aim for: the mouse's
x position sets the note density (left: 1 note a second, right: 12) and its y position the
key (the twelve major keys around the circle of fifths, C at the top). The piano roll
scrolls to the left; the white line is "now". Notes are heard as their time comes
(FluidSynth's General MIDI piano where it is installed, a plain synth otherwise), and
headless renders carry the sound in their MP4. Click for a new performance from a new seed.

    sketchml run sketches/performance_rnn_live.py
    sketchml run sketches/performance_rnn_live.py --headless --frames 300 --out out/live.mp4

Model: the embedded Performance RNN, trained offline on the Bach works in music21's
corpus, so expect chorale-like harmony. For one you trained on your own MIDI
(`sketchml train performance_rnn my_midis/ --out runs/mine`), use
sk.model("performance_rnn", weights="runs/mine").
"""
import sketchml as sk
from sketchml_music.roll import piano_roll

KEYS = ["C", "G", "D", "A", "E", "B", "F#", "C#", "Ab", "Eb", "Bb", "F"]
SECONDS_SHOWN = 8.0
LEAD = 2.5         # seconds the music may be written ahead of the clock
CHUNK = 0.25       # notes due within this long are rendered to sound together
TOP = 44

rnn = None
stream = None
notes = []         # every note written so far (start/end in seconds from the beginning)
due = []           # notes not yet heard
started = 0.0
seed = 1
steering = False   # until the mouse moves, a middling density in C major
density = 5.0
tonality = "C major"


def setup():
    global rnn
    size(800, 420)
    text_size(16)
    rnn = sk.model("performance_rnn")
    start_performance()


def start_performance():
    """A fresh stream, steered by the two functions below."""
    global stream, notes, due, started, seed
    if stream is not None:
        stream.cancel()
    notes, due = [], []
    started = millis() / 1000
    stream = rnn.stream(seconds=600, seed=seed, lead=LEAD, temperature=1.0,
                        notes_per_second=lambda: density, pitch_histogram=lambda: tonality)
    seed += 1


def steer():
    global density, tonality
    if not steering:
        return
    density = remap(constrain(mouse_x, 0, width), 0, width, 1, 12)
    tonality = KEYS[int(constrain(mouse_y - TOP, 0, height - TOP - 1) / (height - TOP) * 12)] + " major"


def hear(now):
    """Render and play the notes whose time has come, a chunk at a time."""
    global due
    ready = [n for n in due if n.start < now + CHUNK]
    if not ready or min(n.start for n in ready) > now:
        return
    due = [n for n in due if n.start >= now + CHUNK]
    first = min(n.start for n in ready)
    chunk = sk.Notes([{"pitch": n.pitch, "velocity": n.velocity, "start_time": n.start - first,
                       "end_time": n.end - first} for n in ready])
    load_sound(chunk).play()


def draw():
    steer()
    now = millis() / 1000 - started
    fresh = stream.poll()
    notes.extend(fresh)
    due.extend(fresh)
    hear(now)
    background(18, 20, 28)
    piano_roll(notes, 0, TOP, width, height - TOP, now=now + 1.0, seconds=SECONDS_SHOWN,
               low=36, high=84)
    stroke(255)
    stroke_weight(2)
    x_now = width * (1 - 1.0 / SECONDS_SHOWN)
    line(x_now, TOP, x_now, height)
    no_stroke()
    fill(235)
    text(f"{density:4.1f} notes/s (mouse x)   key: {tonality} (mouse y)   {len(notes)} notes"
         f"   click: new seed", 12, 28)


def mouse_moved():
    global steering
    steering = True


def mouse_pressed():
    start_performance()
