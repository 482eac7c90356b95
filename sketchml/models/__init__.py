"""The model layer (registry, Model base class, Latent, ...). Filled in by the model-layer work."""
__all__: list[str] = []
