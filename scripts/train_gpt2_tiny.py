"""Train the embedded ``gpt2.tiny`` model of the text plugin, offline, on one CPU core.

    python scripts/train_gpt2_tiny.py            # about 4 CPU-minutes on one core
    python scripts/train_gpt2_tiny.py --steps 20 --out /tmp/tiny   # a quick try

What it does, reproducibly (same ``fortunes`` package -> same corpus -> same model):

1. reads the literary corpus: verse and prose from the literature, songs-poems, love,
   wisdom, humorists, tao and people collections of Debian's ``fortunes`` package, where
   the package installed them (``sketchml_text.corpus.literary_corpus``; ``scripts/setup.sh``
   installs it); validation text is whole fortunes held out by a hash of their text;
2. trains a byte-level BPE tokenizer on the training text with the ``tokenizers`` library
   (GPT-2's own vocabulary cannot be downloaded here);
3. trains transformers' ``GPT2LMHeadModel`` with a small config on it, with sketchml's
   ``TrainingRun`` (resumable: run again with the same ``--work`` to continue);
4. writes the model folder (``config.json``, ``model.safetensors``, tokenizer files) into
   ``plugins/text/sketchml_text/weights/gpt2-tiny/`` and ``training.json`` beside them: the
   validation loss (nats per token, bits per token and bits per character), two baselines
   fitted on the training documents (a smoothed token unigram model on the same tokens; a
   Witten-Bell character 5-gram model on the same characters) and the settings. ``plugins/text/tests/test_gpt2_tiny.py`` checks the shipped model
   against that record.
"""
from __future__ import annotations

import argparse
import json
import math
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "plugins" / "text"))

from sketchml.training import TrainingRun, seed_everything  # noqa: E402
from sketchml.files import atomic_write_text  # noqa: E402
from sketchml_text.charrnn import ngram_bits_per_char  # noqa: E402
from sketchml_text.corpus import LITERARY, literary_corpus  # noqa: E402
from sketchml_text.gpt2 import (bits_per_char, save_model_folder, token_loss,  # noqa: E402
                                unigram_loss)

EOS = "<|endoftext|>"


def train_tokenizer(text: str, vocab_size: int):
    """A GPT-2-style byte-level BPE tokenizer trained on ``text``, wrapped for transformers."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import GPT2TokenizerFast

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=[EOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    bpe.train_from_iterator([text], trainer=trainer)
    return GPT2TokenizerFast(tokenizer_object=bpe, bos_token=EOS, eos_token=EOS, unk_token=EOS,
                             model_max_length=1_000_000)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--steps", type=int, default=490)
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--length", type=int, default=128, help="tokens per training window")
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--vocab", type=int, default=2048)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--work", default=str(ROOT / "runs" / "gpt2-tiny"),
                        help="run folder (checkpoints, losses); resumed when it exists")
    parser.add_argument("--out", default=str(ROOT / "plugins" / "text" / "sketchml_text" /
                                             "weights" / "gpt2-tiny"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    started = time.monotonic()
    cpu_started = time.process_time()

    from transformers import GPT2Config, GPT2LMHeadModel

    corpus = literary_corpus(seed=args.seed)
    tokenizer = train_tokenizer(corpus.train, args.vocab)
    encode = lambda text: torch.tensor(tokenizer(text)["input_ids"], dtype=torch.long)  # noqa: E731
    train_ids, val_ids = encode(corpus.train), encode(corpus.validation)
    print(f"corpus: {len(corpus.train)} + {len(corpus.validation)} characters -> "
          f"{len(train_ids)} + {len(val_ids)} tokens (vocabulary {len(tokenizer)})")

    seed_everything(args.seed)
    config = GPT2Config(vocab_size=len(tokenizer), n_positions=256, n_embd=128, n_layer=4,
                        n_head=4, bos_token_id=tokenizer.eos_token_id,
                        eos_token_id=tokenizer.eos_token_id)
    lm = GPT2LMHeadModel(config)
    opt = torch.optim.AdamW(lm.parameters(), lr=args.lr, weight_decay=0.01, betas=(0.9, 0.98))
    warmup = max(1, args.steps // 20)

    def schedule(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = (step - warmup) / max(1, args.steps - warmup)
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    sched = torch.optim.lr_scheduler.LambdaLR(opt, schedule)
    windows = train_ids[: (len(train_ids) - 1) // (args.length + 1) * (args.length + 1)]
    data = torch.utils.data.TensorDataset(windows.view(-1, args.length + 1))
    run = TrainingRun(out=args.work, model=lm, optimizers=opt, schedulers=sched,
                      steps=args.steps, seed=args.seed, device="cpu",
                      checkpoint_every=max(1, args.steps // 5), config=vars(args))
    for step, (batch,) in run.loop(data, batch_size=args.batch_size):
        loss = run.model(input_ids=batch, labels=batch).loss
        opt.zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(lm.parameters(), 1.0)
        opt.step()
        sched.step()
        values = {"loss": loss}
        if step % max(1, args.steps // 5) == 0 or step == args.steps:
            values["val_loss"] = token_loss(lm, val_ids, length=args.length)
            print(f"step {step}: loss {loss.item():.3f}, validation {values['val_loss']:.3f}",
                  flush=True)
        run.log(**values)
    if not run.completed:
        sys.exit("Stopped before the last step; run the script again to resume.")

    val = token_loss(lm, val_ids, length=args.length)
    unigram = unigram_loss(train_ids, val_ids, vocab_size=len(tokenizer))
    ngram = ngram_bits_per_char(corpus.validation, reference=corpus.train, order=5)
    lm.generation_config.pad_token_id = tokenizer.eos_token_id
    out = save_model_folder(lm, tokenizer, args.out)
    record = {
        "validation_loss": round(val, 4),
        "validation_bits_per_token": round(val / math.log(2), 4),
        "validation_bits_per_char": round(
            bits_per_char(val, len(val_ids), len(corpus.validation)), 4),
        "unigram_loss": round(unigram, 4),
        "unigram_bits_per_char": round(
            bits_per_char(unigram, len(val_ids), len(corpus.validation)), 4),
        "char_5gram_bits_per_char": round(ngram, 4),
        "eval_length": args.length,
        "train_tokens": len(train_ids),
        "validation_tokens": len(val_ids),
        "corpus": {"source": "fortunes", "collections": list(LITERARY), "seed": args.seed,
                   "train_chars": len(corpus.train), "validation_chars": len(corpus.validation),
                   "validation_documents": corpus.validation_modules},
        "steps": args.steps, "batch_size": args.batch_size, "lr": args.lr, "vocab": args.vocab,
        "parameters": sum(p.numel() for p in lm.parameters()),
        "python": platform.python_version(), "torch": torch.__version__,
        "minutes": round((time.monotonic() - started) / 60, 1),
        "cpu_minutes_this_run": round((time.process_time() - cpu_started) / 60, 1),
    }
    atomic_write_text(out / "training.json", json.dumps(record, indent=2) + "\n")
    print(json.dumps(record, indent=2))
    lm.eval()
    for seed in range(3):
        torch.manual_seed(seed)
        prompt = tokenizer("The ", return_tensors="pt")["input_ids"]
        ids = lm.generate(prompt, do_sample=True, temperature=0.8, top_k=50, max_new_tokens=80,
                          pad_token_id=tokenizer.eos_token_id)
        print(f"--- sample, seed {seed} ---\n{tokenizer.decode(ids[0])}")


if __name__ == "__main__":
    main()
