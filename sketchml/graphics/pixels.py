"""Placeholder: filled in by the images/text/pixels work."""


class PixelsMixin:
    pass
