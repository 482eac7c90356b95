"""sketchml's first-party GAN families, registered exactly as a third party would.

Registration only stores data: no torch, no networks, no weights are touched until a sketch
calls ``sk.model("dcgan")`` (or biggan / stylegan2).
"""
from __future__ import annotations

import sketchml as sk

_BIGGAN_FILES = ("config.json", "model.safetensors", "pytorch_model.bin")


@sk.hookimpl
def sketchml_register_models(registry) -> None:
    registry.add(
        "dcgan",
        family="sketchml_gan.dcgan:DCGAN",
        modality="image",
        variants={
            "shapes": {
                "weights": "weights/dcgan-shapes.safetensors",
                "default": True,
                "description": "64 px, trained offline on sketchml's procedural shapes world",
            },
        },
        description="DCGAN (Radford et al. 2015): train it on your own images or video",
        verbs=["generate", "encode", "interpolate", "sample_latent", "train"],
    )
    registry.add(
        "biggan",
        family="sketchml_gan.biggan:BigGANDeep",
        modality="image",
        variants={
            f"deep-{res}": {
                "files": _BIGGAN_FILES,
                "hub_id": f"osanseviero/BigGAN-deep-{res}",
                "default": res == 256,
                "options": {"resolution": res},
                "description": f"BigGAN-deep {res} px, ImageNet classes (published PyTorch port)",
            }
            for res in (128, 256, 512)
        } | {
            "shapes": {
                "weights": "weights/biggan-shapes/model.safetensors",
                "options": {"resolution": 32},
                "description": "32 px, the shapes world's five shapes as classes, trained offline "
                               "(scripts/train_biggan_shapes.py)",
            },
        },
        description="BigGAN-deep (Brock et al. 2018): class-conditional ImageNet images",
        verbs=["generate", "interpolate", "sample_latent"],
        capabilities=["class_vector"],
    )
    registry.add(
        "stylegan2",
        family="sketchml_gan.stylegan2:StyleGAN2",
        modality="image",
        variants={
            "default": {
                "default": True,
                # Looked for in the sketchml cache ($SKETCHML_HOME/weights/stylegan2/default/).
                "files": ("stylegan2.safetensors", "stylegan2.pt", "stylegan2.pkl"),
                "description": "load a rosinality .pt or NVIDIA stylegan2-ada .pkl with weights=PATH",
            },
            "shapes": {
                "weights": "weights/stylegan2-shapes.safetensors",
                "description": "32 px, trained offline on sketchml's shapes world",
            },
        },
        description="StyleGAN2 (Karras et al. 2020): truncation, style mixing, projection",
        verbs=["generate", "encode", "interpolate", "sample_latent", "train"],
        capabilities=["mix"],
    )
