"""Audio-reactive benchmark: how fast ``sk.react`` renders, and what sound analysis costs a frame.

On a song made by :func:`sketchml.sound.synth.beat_song` (``--seconds`` long, kick, hi-hat
and chords) at ``--fps`` frames per second, with dcgan.shapes on the CPU:

* ``react (whole)``      -- ``sk.react`` end to end: librosa analysis, the mapping,
                            generate, H.264 encoding and muxing the song into the MP4;
* ``react frames``       -- ``sk.react_frames`` from a finished analysis: the mapping
                            (keyframes, model.interpolate, pulses) and generate;
* ``bare generate``      -- ``model.generate`` on the very latents react_frames made,
                            in the same batches: the floor the mapping sits on;

printed as frames per second with the ratio to the bare loop. Then the analysis, in
milliseconds per video frame, against a 60 fps frame's budget (16.7 ms):

* ``Analyzer (live)``    -- every Analyzer value read in each frame (rms, bands, centroid,
                            chroma, onset, beat) as the frame clock moves on;
* ``Reactor.frame()``    -- the live mapping, including generate at batch 1;
* ``audio_features``     -- the offline analysis divided by the frames it covers (the
                            first call in a process also pays librosa's JIT, shown apart).

Each timed piece runs ``--rounds`` times and the fastest round is kept, so load from other
processes drops out.

Run: ``OMP_NUM_THREADS=1 .venv/bin/python benchmarks/react.py [--seconds 20] [--fps 30] [--rounds 3]``
"""
from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

import sketchml as sk
from sketchml.sound.engine import engine
from sketchml.sound.synth import beat_song


def fastest(fn: Callable[[], object], rounds: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--fps", type=float, default=30.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--batch", type=int, default=8)
    args = parser.parse_args()
    torch.set_num_threads(1)
    gan = sk.model("dcgan.shapes", device="cpu")
    song = beat_song(bpm=120, seconds=args.seconds, seed=0)
    folder = Path(tempfile.mkdtemp())

    start = time.perf_counter()
    features = sk.audio_features(song, fps=args.fps)
    first_analysis = time.perf_counter() - start
    frames = features.frames
    analysis = fastest(lambda: sk.audio_features(song, fps=args.fps), args.rounds)

    latents: list[sk.Latent] = []

    def mapped() -> None:
        latents.clear()
        for frame in sk.react_frames(gan, song, fps=args.fps, features=features, batch=args.batch):
            latents.append(frame.latent)

    mapped_s = fastest(mapped, args.rounds)
    batches = [sk.Latent.cat(latents[i:i + args.batch]) for i in range(0, len(latents), args.batch)]

    def bare() -> None:
        for batch in batches:
            gan.generate(batch)

    bare_s = fastest(bare, args.rounds)
    whole_s = fastest(lambda: sk.react(gan, song, out=folder / "react.mp4", fps=args.fps,
                                       batch=args.batch, progress=False), args.rounds)

    print(f"song: {args.seconds:g} s at {args.fps:g} fps = {frames} frames; dcgan.shapes on CPU, "
          f"batch {args.batch}, torch threads 1")
    print(f"{'':22}{'frames/s':>10}{'x bare':>9}")
    for label, seconds in (("react (whole)", whole_s), ("react frames", mapped_s),
                           ("bare generate", bare_s)):
        print(f"{label:22}{frames / seconds:10.1f}{bare_s / seconds:9.2f}")

    eng = engine()
    sound = sk.load_sound(song)
    steps = int(min(args.seconds, 10) * 60)

    def live() -> None:
        eng.use_frames()
        meter = sk.Analyzer(sound)
        sound.play()
        for _ in range(steps):
            meter.rms(), meter.bands(), meter.centroid(), meter.chroma()
            meter.onset(), meter.is_beat()
            eng.after_frame(60)

    def playback_only() -> None:
        eng.use_frames()
        sound.play()
        for _ in range(steps):
            eng.after_frame(60)

    live_s = fastest(live, args.rounds) - fastest(playback_only, args.rounds)
    react_steps = 120

    def reactor() -> None:
        eng.use_frames()
        live_reactor = sk.Reactor(gan, sound, fps=60)
        sound.play()
        for _ in range(react_steps):
            live_reactor.frame()
            eng.after_frame(60)

    reactor_s = fastest(reactor, args.rounds)
    eng.use_live()
    budget = 1000 / 60
    print(f"\n{'analysis':22}{'ms/frame':>10}{'of 60 fps':>11}")
    rows = (("Analyzer (live)", live_s / steps * 1000),
            ("Reactor.frame()", reactor_s / react_steps * 1000),
            ("audio_features", analysis / frames * 1000),
            ("  first call (JIT)", first_analysis / frames * 1000))
    for label, ms in rows:
        print(f"{label:22}{ms:10.2f}{ms / budget:10.1%}")


if __name__ == "__main__":
    main()
