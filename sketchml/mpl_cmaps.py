"""matplotlib's colormap names as constants, as py5 has them: ``mpl_cmaps.VIRIDIS`` is
``"viridis"``, for ``color_mode(CMAP, mpl_cmaps.VIRIDIS, 100)``.

Each name is the colormap's name in capitals, with what matplotlib spells otherwise
kept (``mpl_cmaps.RDBU_R`` is ``"RdBu_r"``). The names come from the matplotlib that is
installed, read when first asked for, so importing sketchml does not import matplotlib.

Examples:
    >>> from sketchml import mpl_cmaps
    >>> mpl_cmaps.VIRIDIS, mpl_cmaps.RDBU_R
    ('viridis', 'RdBu_r')
"""
from __future__ import annotations

from functools import cache

from sketchml.errors import SketchmlError, did_you_mean


@cache
def _names() -> dict[str, str]:
    try:
        import matplotlib
    except ImportError:
        raise SketchmlError("mpl_cmaps names matplotlib's colormaps, and matplotlib is not "
                            "installed: pip install matplotlib") from None
    return {name.upper(): name for name in matplotlib.colormaps}


def __getattr__(name: str) -> str:
    if name.startswith("__"):
        raise AttributeError(name)
    names = _names()
    if name in names:
        return names[name]
    raise AttributeError(f"matplotlib has no colormap {name!r}.{did_you_mean(name, names)}")


def __dir__() -> list[str]:
    return sorted(_names())
