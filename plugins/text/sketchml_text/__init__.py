"""sketchml's first-party text families, registered exactly as a third party would.

* ``charrnn``: a character-level LSTM/GRU you train on your own text (textgenrnn-style);
  the ``default`` variant ships in this package, trained offline on standard-library prose.
* ``gpt2``: GPT-2 and causal language models through transformers; the ``tiny`` variant
  ships in this package (GPT-2's own architecture, small config, trained offline), the
  ``gpt2`` variant is OpenAI's 124M checkpoint from a local folder, a cache or the hub.

Registration only stores data: no torch, no networks, no weights are touched until a sketch
calls ``sk.model("charrnn")`` or ``sk.model("gpt2")``.
"""
from __future__ import annotations

import sketchml as sk

# A Hugging Face GPT-2 folder: weights (the first found wins) and the files beside them.
_GPT2_FILES = ("config.json", "model.safetensors", "pytorch_model.bin", "tokenizer.json",
               "vocab.json", "merges.txt", "tokenizer_config.json", "generation_config.json")


@sk.hookimpl
def sketchml_register_models(registry) -> None:
    registry.add(
        "charrnn",
        family="sketchml_text.charrnn:CharRNN",
        modality="text",
        variants={
            "default": {
                "weights": "weights/charrnn-default.safetensors",
                "default": True,
                "description": "small LSTM trained offline on verse and prose from Debian's fortunes",
            },
        },
        description="char-RNN (Karpathy 2015, textgenrnn-style): train it on your own text",
        verbs=["generate", "encode", "interpolate", "sample_latent", "train"],
        capabilities=["bits_per_char", "stream"],
    )
    registry.add(
        "gpt2",
        family="sketchml_text.gpt2:GPT2",
        modality="text",
        variants={
            "tiny": {
                "weights": "weights/gpt2-tiny/model.safetensors",
                "default": True,
                "description": ("GPT-2 architecture, small config, trained offline on verse and "
                                "prose from Debian's fortunes"),
            },
            "gpt2": {
                "files": _GPT2_FILES,
                "hub_id": "gpt2",
                "description": "OpenAI GPT-2 124M (Radford et al. 2019) from a folder, cache or the hub",
            },
        },
        description="GPT-2 and causal language models (transformers): prompts, sampling, fine-tuning",
        verbs=["generate", "encode", "interpolate", "train"],
        capabilities=["loss", "stream"],
    )
