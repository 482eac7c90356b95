"""GANSynth pads: the mouse picks a pitch (left to right) and a timbre (top to bottom).

The grid's columns are the notes of a pentatonic scale from C2 to C6; its rows are points
on the way between four random instruments (slerps of their latents, top to bottom). A note
sounds every half second at the cell under the mouse, or at once where you click, and its
waveform is drawn in the cell. Press space for four new instruments.

    sketchml run sketches/gansynth_pads.py
    sketchml run sketches/gansynth_pads.py --headless --frames 120 --out out/pads.mp4

Every note played is also written to output/gansynth_pads/ beside the sketch
(sk.output_path()), as WAV, named by pitch and row.

Model: the embedded GANSynth, CPU-sized (0.512 s notes at 16 kHz), trained offline on
General MIDI instruments rendered by FluidSynth.
"""
import numpy as np
import torch

import sketchml as sk

SCALE = [0, 2, 4, 7, 9]
PITCHES = [octave * 12 + step for octave in range(3, 7) for step in SCALE] + [84]
ROWS = 8
EVERY = 0.5           # seconds between notes while the mouse rests on a cell
OUT = "gansynth_pads"  # its folder in the output folder

synth = None
timbres = None
seed = 1
last = None           # (column, row, waveform peaks) of the note heard last
next_time = 0.0


def new_instruments():
    """ROWS timbres: a slerp walk through four random instruments."""
    global timbres
    corners = synth.sample_latent(4, seed=seed)
    per_leg = [synth.interpolate(corners[k], corners[k + 1], steps=4)["z"] for k in range(3)]
    walk = torch.cat([per_leg[0], per_leg[1][1:], per_leg[2][1:]])
    timbres = walk[np.linspace(0, len(walk) - 1, ROWS).round().astype(int)]


def cell():
    column = int(constrain(mouse_x / width * len(PITCHES), 0, len(PITCHES) - 1))
    row = int(constrain(mouse_y / height * ROWS, 0, ROWS - 1))
    return column, row


def play(column, row):
    global last
    note = synth.generate(timbres[row:row + 1], pitch=PITCHES[column])[0]
    note.play()
    note.save(output_path(OUT) / f"pad-{PITCHES[column]}-row{row}-seed{seed}.wav")
    columns = np.array_split(note.waveform[0].numpy(), 60)
    last = (column, row, np.array([[c.min(), c.max()] for c in columns]))


def setup():
    size(800, 480)
    global synth
    synth = sk.model("gansynth")
    new_instruments()
    text_size(11)


def draw():
    global next_time
    background(16, 16, 24)
    w, h = width / len(PITCHES), height / ROWS
    column, row = cell()
    if millis() / 1000 >= next_time:
        play(column, row)
        next_time = millis() / 1000 + EVERY
    stroke(40, 40, 60)
    for i in range(len(PITCHES)):
        for j in range(ROWS):
            fill(70, 60 + 20 * j, 140 - 8 * j) if (i, j) == (column, row) else fill(28, 28, 40)
            rect(i * w, j * h, w, h)
    fill(200)
    for i, pitch in enumerate(PITCHES):
        text(str(pitch), i * w + 3, 12)
    if last is not None:
        i, j, peaks = last
        xs = i * w + np.linspace(2, w - 2, len(peaks))
        middle = j * h + h / 2
        segments = np.stack([xs, middle - peaks[:, 1] * h / 2, xs, middle - peaks[:, 0] * h / 2], 1)
        stroke(255, 220, 120)
        lines(segments)


def mouse_pressed():
    global next_time
    play(*cell())
    next_time = millis() / 1000 + EVERY


def key_pressed():
    global seed
    if key == " ":
        seed += 4
        new_instruments()
