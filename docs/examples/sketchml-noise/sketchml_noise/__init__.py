"""sketchml-noise: smooth coloured noise images, an example third-party sketchml plugin.

sketchml imports this module while it discovers plugins, so it stays light: it
registers the family by name and dotted path, and ``sketchml_noise.family`` (which
imports torch) is imported only when a sketch asks for ``sk.model("noise")``.

Examples:
    >>> import sketchml as sk
    >>> noise = sk.model("noise", size=32)  # doctest: +SKIP
    >>> noise.generate(noise.sample_latent(4, seed=1)).shape  # doctest: +SKIP
    torch.Size([4, 3, 32, 32])
"""
import sketchml as sk

__version__ = "1.0.0"


@sk.hookimpl
def sketchml_register_models(registry):
    """Register the ``noise`` family with its two variants."""
    registry.add(
        "noise",
        family="sketchml_noise.family:Noise",
        modality="image",
        variants={
            "default": {"default": True, "description": "soft blobs of colour, 64x64"},
            "fine": {"options": {"grid": 12}, "description": "finer, busier noise, 64x64"},
        },
        description="Smooth coloured noise; no weights needed",
        verbs=["generate", "encode", "interpolate", "sample_latent"],
    )
