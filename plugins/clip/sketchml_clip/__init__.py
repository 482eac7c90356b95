"""CLIP for sketchml, registered exactly as a third party would.

Registration only stores data: no torch, no open_clip, no weights are touched until a
sketch calls ``sk.model("clip")``.

Variants:

* ``clip.tiny`` (the default): a small CLIP trained offline by ``scripts/train_clip_tiny.py``
  on sketchml's shapes world, shipped inside this package. It knows the words of that
  world (shapes, colours, sizes, positions) and runs anywhere, without a network.
* ``clip.<open_clip model>.<pretrained tag>``, e.g. ``clip.ViT-B-32.openai``: open_clip's
  published checkpoints. Their files are looked for in sketchml's cache, the Hugging Face
  cache and, when online, downloaded from the hub; or give the file yourself with
  ``sk.model("clip.ViT-B-32.openai", weights="path/to/open_clip_model.safetensors")``.
  Any other pair of open_clip's works through options:
  ``sk.model("clip", arch="ViT-H-14", pretrained="laion2b_s32b_b79k")``.
"""
from __future__ import annotations

import sketchml as sk

# Published open_clip checkpoints (model name, pretrained tag, Hugging Face repository), as
# listed by open_clip.pretrained; the test suite checks this table against open_clip's own.
PRETRAINED: tuple[tuple[str, str, str], ...] = (
    ("RN50", "openai", "timm/resnet50_clip.openai"),
    ("RN101", "openai", "timm/resnet101_clip.openai"),
    ("ViT-B-16", "laion2b_s34b_b88k", "laion/CLIP-ViT-B-16-laion2B-s34B-b88K"),
    ("ViT-B-16", "openai", "timm/vit_base_patch16_clip_224.openai"),
    ("ViT-B-32", "laion2b_s34b_b79k", "laion/CLIP-ViT-B-32-laion2B-s34B-b79K"),
    ("ViT-B-32", "openai", "timm/vit_base_patch32_clip_224.openai"),
    ("ViT-L-14", "laion2b_s32b_b82k", "laion/CLIP-ViT-L-14-laion2B-s32B-b82K"),
    ("ViT-L-14", "openai", "timm/vit_large_patch14_clip_224.openai"),
)

# open_clip's names for a checkpoint in a hub repository: safetensors first, then its default.
CHECKPOINT_FILES: tuple[str, ...] = ("open_clip_model.safetensors", "open_clip_pytorch_model.bin")


@sk.hookimpl
def sketchml_register_commands(subparsers) -> None:
    """``sketchml guide``: text-to-image from the command line (see :mod:`sketchml_clip.cli`)."""
    from sketchml_clip.cli import register

    register(subparsers)


@sk.hookimpl
def sketchml_register_models(registry) -> None:
    variants: dict[str, dict] = {
        "tiny": {
            "weights": "weights/clip-tiny.safetensors",
            "default": True,
            "description": "a tiny CLIP trained offline on sketchml's shapes world (shapes, colours)",
        },
    }
    for arch, tag, hub_id in PRETRAINED:
        variants[f"{arch}.{tag}"] = {
            "files": CHECKPOINT_FILES,
            "hub_id": hub_id,
            "options": {"arch": arch, "pretrained": tag},
            "description": f"open_clip {arch} trained on {tag} (file from the cache or the hub)",
        }
    registry.add(
        "clip",
        family="sketchml_clip.clip:CLIP",
        modality="embedding",
        variants=variants,
        description="CLIP (Radford et al. 2021): image and text embeddings, zero-shot labels, guidance",
        verbs=["encode"],
        capabilities=["classify", "embed_images", "embed_texts", "guide", "similarity"],
    )
