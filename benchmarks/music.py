"""Music benchmark: seconds of music each family writes per second of CPU, against real time.

For the embedded ``performance_rnn`` default, the CPU time (``time.process_time``, so other
processes on the machine do not count) to write ``--seconds`` of music:

1. ``rnn.generate(...)`` (plain sampling, density and key conditioning on);
2. ``rnn.stream(...)`` read to its end (the same notes, decoded one event at a time);
3. the bare torch module: the same network stepped event by event with sampling and
   nothing else (no encoding, no conditioning functions, no notes), for the same number of
   events that ``generate`` took, which is the floor our overhead is measured against.

For the embedded ``musicvae`` default, the CPU time to decode ``--melodies`` 2-bar melodies
(4 s each at 120 bpm) in one batch from latents: ``vae.generate(z)`` against the bare
decoder loop (the LSTM stepped and sampled 32 times, no notes made).

For ``musicvae.trio`` (16 bars of melody, bass and drums, 32 s at 120 bpm) and
``musicvae.multitrack`` (one bar of up to 8 instruments per chord: ``--chords``, 2 s a bar),
the CPU time to decode ``--trios`` latents in one batch: ``vae.generate(z)`` (with
``chords=`` for the multitrack) against the bare conductor-and-core loop of the same
network (the LSTMs stepped and sampled, no notes made; the multitrack's loop stops a track at
its end token, as ``generate`` does).

Each line prints music-seconds per CPU-second, i.e. how many times faster than real time
(target: at least 10x for the defaults), and the overhead against the bare module.
Rounds are interleaved and the best is kept.

Run: ``.venv/bin/python benchmarks/music.py [--seconds 30] [--melodies 16] [--trios 4]
[--chords "C G Am F"] [--rounds 3] [--threads 1] [--only performance_rnn,musicvae,trio,multitrack]``
"""
from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

import sketchml as sk


def cpu_seconds(fn: Callable[[], object]) -> float:
    start = time.process_time()
    fn()
    return time.process_time() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=30.0, help="music to write per round")
    parser.add_argument("--melodies", type=int, default=16, help="MusicVAE melodies per round")
    parser.add_argument("--trios", type=int, default=4, help="trio / multitrack latents per round")
    parser.add_argument("--chords", default="C G Am F", help="the multitrack's progression")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--only", default="performance_rnn,musicvae,trio,multitrack",
                        help="which benchmarks to run, comma-separated")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    chosen = args.only.split(",")
    for name, fn in (("performance_rnn", performance_rnn), ("musicvae", musicvae),
                     ("trio", trio), ("multitrack", multitrack)):
        if name in chosen:
            fn(args)


def best_of(runs: dict[str, Callable[[], object]], rounds: int) -> dict[str, float]:
    best = {name: float("inf") for name in runs}
    for _ in range(rounds):
        for name, fn in runs.items():
            best[name] = min(best[name], cpu_seconds(fn))
    return best


def report(best: dict[str, float], music_seconds: float) -> None:
    bare = next(v for k, v in best.items() if k.startswith("bare"))
    for name, seconds in best.items():
        overhead = seconds / bare - 1
        print(f"  {name:18s}: {seconds:6.2f} CPU-s  {music_seconds / seconds:6.1f}x real time"
              + ("" if name.startswith("bare") else f"  (overhead vs bare: {overhead:+.0%})"))


def performance_rnn(args: argparse.Namespace) -> None:
    rnn = sk.model("performance_rnn", device="cpu")
    net = rnn.network
    options = {"seconds": args.seconds, "notes_per_second": 6, "pitch_histogram": "C major",
               "seed": 1}
    tune = rnn.generate(**options)
    events = len(rnn.encoding.encode(tune))
    control = torch.zeros(1, 1, net.control_size)

    @torch.no_grad()
    def bare() -> None:
        gen = torch.Generator().manual_seed(1)
        event, state = torch.full((1, 1), -1), None
        for _ in range(events):
            logits, state = net(event, control, state)
            event = torch.multinomial(torch.softmax(logits[0, -1].double(), -1), 1,
                                      generator=gen)[None]

    runs = {"generate": lambda: rnn.generate(**options),
            "stream": lambda: rnn.stream(**options).wait(),
            "bare torch module": bare}
    best = {name: float("inf") for name in runs}
    for _ in range(args.rounds):
        for name, fn in runs.items():
            best[name] = min(best[name], cpu_seconds(fn))
    print(f"performance_rnn.default ({net.layers} x {net.hidden} LSTM), {args.seconds:g} s of "
          f"music = {events} events, {len(tune)} notes; best of {args.rounds}, "
          f"{args.threads} thread(s)")
    report(best, args.seconds)


def musicvae(args: argparse.Namespace) -> None:
    vae = sk.model("musicvae", device="cpu")
    net = vae.network
    z = vae.sample_latent(args.melodies, seed=1)

    @torch.no_grad()
    def bare() -> None:
        gen = torch.Generator().manual_seed(1)
        latent = z.tensor
        state = net.start_state(latent)
        previous = torch.full((len(latent), 1), -1)
        for _ in range(net.coding.steps):
            hidden, state = net.decoder(net.step_inputs(previous, latent), state)
            probs = torch.softmax(net.head(hidden[:, -1]).double() / 0.5, -1)
            previous = torch.multinomial(probs, 1, generator=gen)

    runs = {"generate": lambda: vae.generate(z, seed=1), "bare torch module": bare}
    best = {name: float("inf") for name in runs}
    for _ in range(args.rounds):
        for name, fn in runs.items():
            best[name] = min(best[name], cpu_seconds(fn))
    seconds = args.melodies * net.coding.steps * net.coding.step_seconds
    print(f"musicvae.default (z {net.z_size}, decoder {net.decoder.num_layers} x "
          f"{net.decoder.hidden_size}), {args.melodies} melodies of 2 bars = {seconds:g} s of "
          f"music in one batch; best of {args.rounds}")
    report(best, seconds)


def trio(args: argparse.Namespace) -> None:
    vae = sk.model("musicvae.trio", device="cpu")
    net = vae.network
    z = vae.sample_latent(args.trios, seed=1)

    @torch.no_grad()
    def bare() -> None:
        gen = torch.Generator().manual_seed(1)
        latent = z.tensor
        embeddings = net.embeddings(latent, net.coding.bars)
        previous = [torch.full((len(latent), 1), -1)] * 3
        for bar in range(net.coding.bars):
            emb = embeddings[:, bar]
            states = [core.start(emb) for core in net.cores]
            for _ in range(net.coding.steps_per_bar):
                for t, core in enumerate(net.cores):
                    hidden, states[t] = core.lstm(core.inputs(previous[t], emb), states[t])
                    probs = torch.softmax(core.head(hidden[:, -1]).double() / 0.5, -1)
                    previous[t] = torch.multinomial(probs, 1, generator=gen)

    best = best_of({"generate": lambda: vae.generate(z, seed=1), "bare torch module": bare},
                   args.rounds)
    seconds = args.trios * net.coding.steps * net.coding.step_seconds
    print(f"musicvae.trio (z {net.z_size}, conductor and 3 cores of {net.conductor.num_layers} x "
          f"{net.conductor.hidden_size}), {args.trios} trios of 16 bars = {seconds:g} s of music "
          f"in one batch; best of {args.rounds}")
    report(best, seconds)


def multitrack(args: argparse.Namespace) -> None:
    from sketchml_music.musicvae_hier import chord_list

    vae = sk.model("musicvae.multitrack", device="cpu")
    net = vae.network
    z = vae.sample_latent(args.trios, seed=1)
    chords = chord_list(args.chords)
    code = net.coding

    @torch.no_grad()
    def bare() -> None:
        gen = torch.Generator().manual_seed(1)
        latent = z.tensor.repeat_interleave(len(chords), 0)
        control = torch.nn.functional.one_hot(torch.tensor(chords * args.trios), 49).float()
        embeddings = net.embeddings(latent, code.instruments)
        for slot in range(code.instruments):
            emb = embeddings[:, slot]
            state = net.core.start(emb)
            previous = torch.full((len(latent), 1), -1)
            done = torch.zeros(len(latent), dtype=torch.bool)
            for _ in range(code.events):
                hidden, state = net.core.lstm(net.core.inputs(previous, emb, control), state)
                probs = torch.softmax(net.core.head(hidden[:, -1]).double() / 0.5, -1)
                previous = torch.multinomial(probs, 1, generator=gen)
                done |= previous[:, 0] == code.end
                if bool(done.all()):
                    break

    best = best_of({"generate": lambda: vae.generate(z, chords=args.chords, seed=1),
                    "bare torch module": bare}, args.rounds)
    seconds = args.trios * len(chords) * 4 * 60.0 / code.qpm
    print(f"musicvae.multitrack (z {net.z_size}, conductor and core of {net.conductor.num_layers} "
          f"x {net.conductor.hidden_size}), {args.trios} latents x {len(chords)} chords = "
          f"{seconds:g} s of music in one batch; best of {args.rounds}")
    report(best, seconds)


if __name__ == "__main__":
    main()
