"""GANSynth melody: a tune played by an instrument that morphs as the piece goes on.

As in Magenta's GANSynth demo, a few random timbres ("instruments") are placed along the
piece, one every two seconds; each note takes the timbre on the way between the two around
it (a slerp), so the instrument changes smoothly from note to note. The picture shows the
spectrogram of the whole render (low notes at the bottom) with the waveform under it; the
white line follows the sound, and the marks on top are where each timbre sits. Click for
new instruments.

    sketchml run sketches/gansynth_melody.py
    sketchml run sketches/gansynth_melody.py --headless --frames 240 --out out/melody.mp4

Set MIDI_FILE to a .mid file of your own; without one a built-in tune is played. Each render
is written to output/gansynth_melody/ beside the sketch, sk.output_path() (the sound as WAV,
the built-in tune as MIDI, each note's timbre as a latent that sk.load_latent reads back).

Model: the embedded GANSynth, CPU-sized (notes at most half a second, then they are cut
with a short fade), trained offline on General MIDI instruments rendered by FluidSynth.
"""
import numpy as np
import torch

import sketchml as sk

MIDI_FILE = None            # e.g. "my_tune.mid"
INSTRUMENTS = 4
SECONDS_PER_INSTRUMENT = 2.0
OUT = "gansynth_melody"  # its folder in the output folder
TUNE = [(64, 1), (64, 1), (65, 1), (67, 1), (67, 1), (65, 1), (64, 1), (62, 1),
        (60, 1), (60, 1), (62, 1), (64, 1), (64, 1.5), (62, 0.5), (62, 2),
        (52, 1), (55, 1), (48, 2)]
BEAT = 0.3                  # seconds per beat of the built-in tune

synth = None
song = None
picture = None
peaks = None
seed = 1
started = 0


def built_in_tune():
    notes, time = [], 0.0
    for pitch, beats in TUNE:
        notes.append({"pitch": pitch, "velocity": 100, "start_time": time,
                      "end_time": time + beats * BEAT * 0.9})
        time += beats * BEAT
    return sk.Notes(notes)


def spectrogram(wave, height=160):
    """Log-magnitude STFT of the song as an RGB picture (3, height, frames), lows at the bottom."""
    stft = torch.stft(wave, 512, 128, window=torch.hann_window(512), return_complex=True)
    magnitude = torch.log(stft.abs()[:height] + 1e-4)
    level = ((magnitude - magnitude.max() + 9) / 9).clamp(0, 1).flip(0)
    return torch.stack([level ** 0.6, level ** 1.2, level ** 3 * 0.6 + 0.1 * level])


def render():
    global song, picture, peaks, started
    tune = MIDI_FILE or built_in_tune()
    song = synth.play_midi(tune, instruments=INSTRUMENTS,
                           seconds_per_instrument=SECONDS_PER_INSTRUMENT, seed=seed)
    folder = output_path(OUT)
    song.save(folder / f"melody-{seed}.wav")
    if MIDI_FILE is None:
        tune.save(folder / f"melody-{seed}.mid")
    song.latent.save(folder / f"melody-{seed}-timbres.safetensors")
    wave = song.waveform[0]
    picture = spectrogram(wave)
    columns = np.array_split(wave.numpy(), width)
    peaks = np.array([[c.min(), c.max()] if c.size else [0, 0] for c in columns])
    started = millis()
    song.play()


def setup():
    global synth
    size(800, 400)
    synth = sk.model("gansynth")
    render()


def draw():
    background(12, 12, 18)
    image(picture, 0, 0, width, 260)
    middle, half = 330, 60
    xs = np.arange(width)
    segments = np.stack([xs, middle - peaks[:, 1] * half, xs, middle - peaks[:, 0] * half], 1)
    stroke(120, 200, 255)
    lines(segments)
    now = (millis() - started) / 1000
    x = now / song.duration * width
    stroke(255)
    stroke_weight(2)
    line(x, 0, x, height)
    stroke_weight(1)
    fill(255, 200, 80)
    no_stroke()
    for k in range(int(song.duration / SECONDS_PER_INSTRUMENT) + 1):
        circle(k * SECONDS_PER_INSTRUMENT / song.duration * width, 8, 10)
    fill(230)
    text(f"{len(song.latent['z'])} notes, {INSTRUMENTS} instruments, seed {seed} "
         f"(click for new ones)", 10, height - 12)
    if now > song.duration + 0.5:
        started_again()


def started_again():
    global started
    started = millis()
    song.play()


def mouse_pressed():
    global seed
    seed += 1
    render()
