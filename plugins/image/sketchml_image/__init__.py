"""sketchml's first-party image-to-image and autoencoder families, registered as a third party would.

Registration only stores data: no torch, no networks, no weights are touched until a sketch
calls ``sk.model("pix2pix")``.
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
            "default": {
                "default": True,
                "description": "untrained: train it on your video, or load weights=DIR or "
                               "a reference latest_net_G.pth",
            },
        },
        verbs=["generate", "train"],
        description="pix2pix (Isola et al. 2017): image-to-image, trained on pairs from your video",
    )
