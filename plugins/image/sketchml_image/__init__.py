"""sketchml's first-party image-to-image and autoencoder families, registered as a third party would.

Registration only stores data: no torch, no networks, no weights are touched until a sketch
calls ``sk.model("pix2pix")``, ``sk.model("style")`` or ``sk.model("autoencoder")``.
"""
from __future__ import annotations

import sketchml as sk


@sk.hookimpl
def sketchml_register_models(registry) -> None:
    registry.add(
        "pix2pix",
        family="sketchml_image.pix2pix:Pix2Pix",
        modality="image",
        variants={
            "room": {
                "weights": "weights/pix2pix-room.safetensors",
                "default": True,
                "description": "64 px, paints the stand-in webcam's room from its outlines "
                               "(trained offline)",
            },
            "untrained": {
                "description": "no weights: train it on your video, or load weights=DIR or "
                               "a reference latest_net_G.pth",
            },
        },
        verbs=["generate", "train"],
        description="pix2pix (Isola et al. 2017): image-to-image, trained on pairs from your video",
    )
    registry.add(
        "style",
        family="sketchml_image.style:Style",
        modality="image",
        variants={
            "default": {
                "default": True,
                "description": "no style yet: load a fast_neural_style .pth with weights=, "
                               "train one, or use transfer() (no training)",
            },
        },
        verbs=["generate", "train"],
        capabilities=["transfer"],
        description="Style transfer: Johnson et al.'s fast network and Gatys et al.'s "
                    "optimisation",
    )
    registry.add(
        "autoencoder",
        family="sketchml_image.autoencoder:Autoencoder",
        modality="image",
        variants={
            "faces": {
                "weights": "weights/autoencoder-faces.safetensors",
                "default": True,
                "description": "VAE, 64 px, 32-number latent, trained offline on sketchml's "
                               "faces world",
            },
        },
        verbs=["encode", "generate", "interpolate", "sample_latent", "train"],
        description="Autoencoders (AE, VAE, CVAE): encode, decode, sample and walk; train on "
                    "your own pictures",
    )
