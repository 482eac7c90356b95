"""Build the NSynth-style note dataset, train ``gansynth.default`` on it and measure it.

Stages (each skips what is already on disk, so a stopped run goes on where it was):

1. ``notes``: every melodic General MIDI program (0-127) of pretty_midi's soundfont
   (TimGM6mb.sf2), rendered by FluidSynth through sketchml's own ``render_notes`` at every
   pitch 24-84 and velocities 75 and 110 (mono, 16 kHz, 0.512 s: a 0.375 s note and its
   release), written as ``DATA/{train,heldout}/gm{program:03d}-PPP-VVV.wav`` with
   ``DATA/labels.json`` (program -> name, General MIDI family). One program of each of the
   16 GM families (the last of its eight) is held out of all training.
2. ``gan``: GANSynth trained on the pitched training instruments at velocity 110
   (``GANSynth.train``, resumable; CPU-sized: see ``sketchml_music.gansynth.CPU_FORMAT``).
   Pitched: GM families 0-13 (the percussive and sound-effect families have no pitch)
   less the programs of this soundfont that do not sound at their key
   (``sketchml_music.pitch.OFF_KEY_PROGRAMS``: octave-stop organs, bells, a mistuned
   whistle...); the pitch bar is judged on the same population.
3. ``classifier``: a small CNN naming the GM family of a note's log-mel spectrogram, trained
   on the training instruments; its accuracy on the held-out instruments is measured.
4. ``measure``: on notes generated at random pitches and timbres, the YIN detector's pitch
   (exact: within half a semitone; and up to octaves), and the spread of families the
   classifier hears (entropy of its votes) beside the same for the held-out real notes of
   pitched programs, as rendered and after the spectrogram round trip (the best a
   generator in this representation can do).
   The weights, the classifier and the record go to ``plugins/music/sketchml_music/weights``.

Usage:
    OMP_NUM_THREADS=1 nice -n 10 python scripts/train_gansynth_default.py \\
        --data ~/.cache/sketchml/gm-notes --minutes 30
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from safetensors.torch import load_file, save_file

import sketchml as sk
from sketchml.media.audio import write_wav
from sketchml.media.midi import Note
from sketchml.media.synth import general_midi_soundfont, render_notes
from sketchml_music.gansynth import CPU_FORMAT, PITCHES, SpectralFormat, read_notes
from sketchml_music.pitch import OFF_KEY_PROGRAMS, detect_pitch, pitched_program
from sketchml_music.timbre import FamilyClassifier, family_entropy, standardise

WEIGHTS = Path(__file__).resolve().parents[1] / "plugins/music/sketchml_music/weights"
VELOCITIES = (75, 110)
TRAIN_VELOCITY = 110
# Percussive and sound-effect programs (gunshot, applause...) have no pitch to learn; NSynth
# leaves such sounds out too. They stay in the dataset (and in the classifier's training).
UNPITCHED = (14, 15)
RECIPE = {"batch_size": 16, "channels": 32, "fmap_base": 256, "lr": 0.0015, "pitch_weight": 2.0,
          "grow": 0.1, "harmonics": True, "pitch_prior": True}
SLOT = 1.0  # seconds between notes in a render, so each note's release has died away
HELD = 0.375  # seconds each note is held


def held_out(program: int) -> bool:
    return program % 8 == 7


def build_notes(data: Path) -> None:
    """Stage 1: render every program at every pitch and velocity into WAV files."""
    labels_path = data / "labels.json"
    if labels_path.is_file():
        print(f"notes: already in {data}")
        return
    if general_midi_soundfont() is None:
        sys.exit("pretty_midi's soundfont is missing: pip install pretty_midi")
    import pretty_midi

    rate, length = CPU_FORMAT.sample_rate, CPU_FORMAT.audio_length
    labels = {}
    started = time.time()
    for program in range(128):
        folder = data / ("heldout" if held_out(program) else "train")
        folder.mkdir(parents=True, exist_ok=True)
        for velocity in VELOCITIES:
            notes = [Note(p, velocity, i * SLOT, i * SLOT + HELD, program=program)
                     for i, p in enumerate(PITCHES)]
            wave, _ = render_notes(notes, sample_rate=rate, synth="fluidsynth")
            mono = wave.mean(axis=0)
            for i, pitch in enumerate(PITCHES):
                start = int(round(i * SLOT * rate))
                clip = mono[start:start + length]
                write_wav(folder / f"gm{program:03d}-{pitch:03d}-{velocity:03d}.wav",
                          np.clip(clip, -1, 1), rate)
        labels[program] = {"name": pretty_midi.program_to_instrument_name(program),
                           "family": program // 8, "held_out": held_out(program)}
        print(f"notes: program {program} ({labels[program]['name']}) "
              f"{time.time() - started:.0f} s", flush=True)
    labels_path.write_text(json.dumps(labels, indent=1))


def train_gan(data: Path, out: Path, minutes: float, steps: int) -> None:
    """Stage 2: train GANSynth on the training instruments at one velocity."""
    subset = data / "train-gan-pitched"
    if not subset.is_dir():
        subset.mkdir()
        for path in sorted((data / "train").glob(f"*-{TRAIN_VELOCITY:03d}.wav")):
            if pitched_program(int(path.stem[2:5])):
                (subset / path.name).symlink_to(path.resolve())
    synth = sk.model("gansynth", weights=_seed_weights(), device="cpu")
    run = synth.train(subset, out=out, steps=steps, minutes=minutes, **RECIPE, seed=0,
                      sample_every=200, checkpoint_every=100)
    print(f"gan: step {run.step} of {steps}; last losses {run.history[-1] if run.history else {}}")


def _seed_weights() -> Path:
    """Any generator file to make the model object from (training replaces its network)."""
    from sketchml_music.gansynth import Generator

    path = Path("/tmp/gansynth-seed.safetensors")
    g = Generator(channels=(2, 2, 2, 2, 2), start=(4, 8), spectral=CPU_FORMAT)
    save_file({k: v.contiguous() for k, v in g.state_dict().items()}, str(path))
    return path


def _magnitudes(folder: Path, spectral: SpectralFormat = CPU_FORMAT
                ) -> tuple[torch.Tensor, torch.Tensor, list[str]]:
    waves, pitches, names = read_notes(folder, spectral)
    # In pieces: the double-precision transform of every note at once needs over 10 GB.
    spec = torch.cat([spectral.to_specgrams(waves[i:i + 256])[:, :1]
                      for i in range(0, len(waves), 256)])
    return spec, pitches, names


def held_out_accuracy(data: Path, model: FamilyClassifier,
                      spectral: SpectralFormat = CPU_FORMAT) -> float:
    """How often ``model`` names the GM family of the held-out instruments' notes."""
    held_spec, _, held_names = _magnitudes(data / "heldout", spectral)
    held_families = torch.tensor([int(n[2:5]) // 8 for n in held_names])
    with torch.no_grad():
        predicted = torch.cat([model(standardise(held_spec[i:i + 256])).argmax(1)
                               for i in range(0, len(held_spec), 256)])
    return float((predicted == held_families).float().mean())


def train_classifier(data: Path, out: Path, steps: int = 600, reuse: Path | None = None,
                     spectral: SpectralFormat = CPU_FORMAT) -> tuple[FamilyClassifier, float]:
    """Stage 3: the family classifier, and its accuracy on the held-out instruments.

    Kept in ``out`` (``family-classifier.safetensors`` and its accuracy), so a second run
    of the script, or one started beside the GAN's training, does not train it again.
    """
    saved, accuracy_file = out / "family-classifier.safetensors", out / "family-classifier.json"
    if reuse is not None:
        model = FamilyClassifier()
        model.load_state_dict(load_file(str(reuse)))
        model.eval()
        return model, held_out_accuracy(data, model, spectral)
    if saved.is_file() and accuracy_file.is_file():
        model = FamilyClassifier()
        model.load_state_dict(load_file(str(saved)))
        return model.eval(), json.loads(accuracy_file.read_text())["accuracy_heldout"]
    torch.manual_seed(0)
    spec, _, names = _magnitudes(data / "train")
    families = torch.tensor([int(n[2:5]) // 8 for n in names])
    x = standardise(spec)
    model = FamilyClassifier()
    optimiser = torch.optim.Adam(model.parameters(), lr=2e-3)
    for step in range(steps):
        index = torch.randint(0, len(x), (64,))
        loss = F.cross_entropy(model(x[index]), families[index])
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        if step % 100 == 0:
            print(f"classifier: step {step} loss {loss.item():.3f}", flush=True)
    model.eval()
    accuracy = held_out_accuracy(data, model)
    out.mkdir(parents=True, exist_ok=True)
    save_file({k: v.contiguous() for k, v in model.state_dict().items()}, str(saved))
    accuracy_file.write_text(json.dumps({"accuracy_heldout": accuracy}))
    return model, accuracy


def pitch_scores(waves: np.ndarray, pitches: list[int]) -> dict[str, float]:
    heard = np.array([detect_pitch(w, CPU_FORMAT.sample_rate) for w in waves])
    wanted = np.array(pitches, dtype=float)
    ok = ~np.isnan(heard)
    exact = ok & (np.abs(heard - wanted) <= 0.5)
    off = np.abs(heard - wanted)
    octave = ok & (np.abs(off - 12 * np.round(off / 12)) <= 0.5)
    return {"exact": float(exact.mean()), "up_to_octaves": float(octave.mean()),
            "unpitched": float((~ok).mean())}


def measure(data: Path, generator_path: Path, classifier: FamilyClassifier,
            classifier_accuracy: float, samples: int = 305) -> dict:
    """Stage 4: pitch and timbre-variety bars on generated notes beside held-out real notes."""
    synth = sk.model("gansynth", weights=generator_path, device="cpu")
    spectral = synth.format  # the generator's own representation (and the classifier's)
    rng = np.random.default_rng(1)
    pitches = [int(p) for p in rng.integers(PITCHES[0], PITCHES[-1] + 1, samples)]
    notes = synth.generate(synth.sample_latent(samples, seed=1), pitch=pitches)
    waves = np.stack([n.waveform[0].numpy() for n in notes])
    generated = pitch_scores(waves, pitches)
    all_waves, all_pitches, names = read_notes(data / "heldout", spectral)
    programs = [int(n[2:5]) for n in names]
    at_110 = [i for i, n in enumerate(names) if n.endswith(f"-{TRAIN_VELOCITY:03d}")]
    pitched = [i for i in at_110 if pitched_program(programs[i])]
    melodic = [i for i in at_110 if programs[i] < 112]
    pick = rng.choice(pitched, min(samples, len(pitched)), replace=False)
    held_waves = all_waves[pick]
    held_pitches = [int(all_pitches[i]) for i in pick]
    real = pitch_scores(held_waves.numpy(), held_pitches)
    round_trip = pitch_scores(spectral.to_waves(spectral.to_specgrams(held_waves)).numpy(),
                              held_pitches)
    families_0_13 = pitch_scores(all_waves[melodic].numpy(),
                                 [int(all_pitches[i]) for i in melodic])
    with torch.no_grad():
        gen_votes = classifier(standardise(
            spectral.to_specgrams(torch.from_numpy(waves))[:, :1])).argmax(1)
        real_votes = classifier(standardise(
            spectral.to_specgrams(held_waves)[:, :1])).argmax(1)
    return {
        "pitch_generated": generated, "pitch_heldout_real": real,
        "pitch_heldout_real_round_trip": round_trip,
        "pitch_heldout_real_families_0_13_all_programs": families_0_13,
        "family_entropy_generated": round(family_entropy(gen_votes), 4),
        "family_entropy_heldout_real": round(family_entropy(real_votes), 4),
        "families_heard_generated": int(torch.unique(gen_votes).numel()),
        "families_heard_heldout_real": int(torch.unique(real_votes).numel()),
        "classifier_accuracy_heldout": round(classifier_accuracy, 4),
        "samples": samples,
        "heldout_pitched_programs": sorted({programs[i] for i in pitched}),
    }


def better(record: dict, before: dict) -> bool:
    """Whether ``record`` is better on the issue's bars than ``before`` (the shipped default's):
    more notes at their pitch and a family spread at least as close to the real notes'."""
    def spread(r: dict) -> float:
        return r["family_entropy_generated"] / max(r["family_entropy_heldout_real"], 1e-9)
    return (record["pitch_generated"]["exact"] > before["pitch_generated"]["exact"]
            and min(spread(record), 1.0) >= min(spread(before), 1.0))


def judge_shipped(data: Path) -> None:
    """Measure the shipped generator again (same judges) and update its record."""
    shipped = WEIGHTS / "gansynth-default.safetensors"
    spectral = sk.model("gansynth", weights=shipped, device="cpu").format
    classifier, accuracy = train_classifier(
        data, Path("unused"), reuse=WEIGHTS / "gansynth-family-classifier.safetensors",
        spectral=spectral)
    record = json.loads((WEIGHTS / "gansynth-default.json").read_text())
    record.update(measure(data, shipped, classifier, accuracy))
    (WEIGHTS / "gansynth-default.json").write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path.home() / ".cache/sketchml/gm-notes")
    parser.add_argument("--out", type=Path, default=Path("runs/gansynth-default"))
    parser.add_argument("--classifier", type=Path, default=None,
                        help="judge with this family classifier (its held-out accuracy is "
                             "measured again) instead of training one")
    parser.add_argument("--judge-only", action="store_true",
                        help="judge the shipped default again with the shipped classifier "
                             "(the pitched population, as measure() does now) and update "
                             "the judged figures of its record; no training")
    parser.add_argument("--classifier-only", action="store_true",
                        help="build the notes and train the family classifier, then stop")
    parser.add_argument("--ship", action="store_true",
                        help="ship the trained generator even when it is no better on the "
                             "bars than the shipped one (otherwise its record stays in --out)")
    parser.add_argument("--minutes", type=float, default=30.0)
    parser.add_argument("--steps", type=int, default=4000)
    args = parser.parse_args()
    torch.set_num_threads(1)
    build_notes(args.data)
    if args.judge_only:
        judge_shipped(args.data)
        return
    if args.classifier_only:
        print("classifier accuracy on held-out instruments:",
              train_classifier(args.data, args.out)[1])
        return
    started = time.time()
    train_gan(args.data, args.out, args.minutes, args.steps)
    train_minutes = (time.time() - started) / 60
    exported = args.out / "gansynth.safetensors"
    if not exported.is_file():
        sys.exit(f"no exported generator in {args.out}; run again to go on training")
    classifier, accuracy = train_classifier(args.data, args.out, reuse=args.classifier)
    record = measure(args.data, exported, classifier, accuracy)
    shipped_record = WEIGHTS / "gansynth-default.json"
    before = json.loads(shipped_record.read_text()) if shipped_record.is_file() else None
    if before is not None and not args.ship and not better(record, before):
        (args.out / "record.json").write_text(json.dumps(record, indent=1) + "\n")
        print(json.dumps(record, indent=1))
        print(f"not shipped: no better on the bars than the shipped default (pitch exact "
              f"{before['pitch_generated']['exact']:.3f}, family entropy "
              f"{before['family_entropy_generated']:.3f}); record in {args.out}/record.json")
        return
    WEIGHTS.mkdir(exist_ok=True)
    shutil.copyfile(exported, WEIGHTS / "gansynth-default.safetensors")
    if args.classifier is None or args.classifier.resolve() != (
            WEIGHTS / "gansynth-family-classifier.safetensors").resolve():
        save_file({k: v.contiguous() for k, v in classifier.state_dict().items()},
                  str(WEIGHTS / "gansynth-family-classifier.safetensors"))
    losses = [json.loads(line) for line in (args.out / "losses.jsonl").read_text().splitlines()
              if line.strip()]
    record.update({
        "data": "pretty_midi TimGM6mb.sf2 via FluidSynth, GM programs 0-127, MIDI 24-84, "
                f"velocity {TRAIN_VELOCITY} (dataset also {VELOCITIES}); held out: programs "
                "7, 15, ..., 127 (one per GM family)",
        "format": {"audio_length": CPU_FORMAT.audio_length, "frames": CPU_FORMAT.frames,
                   "n_fft": CPU_FORMAT.n_fft, "hop": CPU_FORMAT.hop,
                   "mel_bins": CPU_FORMAT.mel_bins, "sample_rate": CPU_FORMAT.sample_rate},
        "steps": losses[-1].get("step") if losses else None,
        "train_minutes_last_session": round(train_minutes, 1),
        "recipe": RECIPE, "gan_families": [f for f in range(16) if f not in UNPITCHED],
        "command": "OMP_NUM_THREADS=1 nice -n 10 python scripts/train_gansynth_default.py",
    })
    if before is not None:
        # The default this one replaced, as its record judged it, to compare against.
        record["replaced_default"] = {
            key: before.get(key) for key in ("pitch_generated", "family_entropy_generated",
                                             "family_entropy_heldout_real", "format", "recipe",
                                             "steps")}
    (WEIGHTS / "gansynth-default.json").write_text(json.dumps(record, indent=1) + "\n")
    print(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
