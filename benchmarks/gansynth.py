"""GANSynth speed: seconds of audio made per second, sketchml's verb vs the bare module.

Three rows, each timed the same way (best of ``--repeats`` runs of one batch):

* ``gansynth.generate`` (the verb: latents -> generator -> inverse transform -> ``sk.Audio``)
  beside the bare module (``network(z, pitch)`` then ``format.to_waves``, no results made), on
  the embedded CPU-sized default (0.512 s notes);
* the same for a generator of Magenta's full size (4 s notes, ``(128, 1024)`` spectrograms,
  random weights: speed does not depend on them), the size of the published figure;
* the published figure: Magenta's GANSynth made 148 four-second notes in 59 s on a GPU
  (10.0 s of audio per second).

    OMP_NUM_THREADS=1 python benchmarks/gansynth.py
    python benchmarks/gansynth.py --threads 4 --batch 16
"""
from __future__ import annotations

import argparse
import time

import torch

import sketchml as sk
from sketchml_music.gansynth import MAGENTA_FORMAT, Generator

PUBLISHED_NOTES, PUBLISHED_SECONDS, PUBLISHED_NOTE_LENGTH = 148, 59.0, 4.0


def best_of(repeats: int, work) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        work()
        times.append(time.perf_counter() - started)
    return min(times)


def measure(synth: sk.Model, batch: int, repeats: int) -> tuple[float, float]:
    z = synth.sample_latent(batch, seed=0)
    pitches = [24 + (k * 7) % 61 for k in range(batch)]
    index = torch.tensor([p - 24 for p in pitches])
    network, spectral = synth.network, synth.format

    def bare() -> None:
        with torch.no_grad():
            spectral.to_waves(network.denormalize(network(z["z"], index)))

    def verb() -> None:
        synth.generate(z, pitch=pitches)

    verb()  # warm-up: first calls allocate
    audio = batch * spectral.seconds
    return audio / best_of(repeats, verb), audio / best_of(repeats, bare)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    default = sk.model("gansynth", device="cpu")
    full = sk.model("gansynth", device="cpu")
    full.network = Generator(channels=[int(min(4096 / 2 ** b, 256)) for b in range(1, 8)],
                             spectral=MAGENTA_FORMAT).eval()
    print(f"GANSynth on CPU ({args.threads} thread(s)), batches of {args.batch} notes; "
          f"seconds of audio per second of work (higher is faster)")
    print(f"{'model':<34}{'generate()':>12}{'bare module':>13}{'verb/bare':>11}")
    shape = "x".join(str(n) for n in default.format.shape)
    for name, synth, batch in ((f"default (0.512 s notes, {shape})", default, args.batch),
                               ("Magenta size (4 s notes, 128x1024)", full, max(1, args.batch // 4))):
        verb, bare = measure(synth, batch, args.repeats)
        print(f"{name:<34}{verb:>12.2f}{bare:>13.2f}{verb / bare:>11.2f}")
    published = PUBLISHED_NOTES * PUBLISHED_NOTE_LENGTH / PUBLISHED_SECONDS
    print(f"{'published (Magenta, GPU)':<34}{published:>12.2f}{'':>13}{'':>11}  "
          f"({PUBLISHED_NOTES} x {PUBLISHED_NOTE_LENGTH:g} s notes in {PUBLISHED_SECONDS:g} s)")


if __name__ == "__main__":
    main()
