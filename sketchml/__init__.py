"""sketchml: creative coding with machine-learning models as drawing material.

Three ways to write a sketch (see docs/getting-started.md):

* imported mode: bare ``setup()``/``draw()`` in a file, run by ``sketchml run sketch.py``;
* module mode: ``import sketchml as sk``; ``sk.size(400, 400)``; ``sk.run_sketch()``;
* class mode: ``class MySketch(sk.Sketch)``; ``MySketch().run_sketch()``.

The module-level drawing functions are generated from :class:`sketchml.Sketch`
(see ``sketchml.runtime.module_api``), never written twice. Live variables such
as ``sk.mouse_x`` and ``sk.frame_count`` are read through the module's
``__getattr__`` so they are always current. Importing sketchml imports no torch.
"""
from __future__ import annotations

from sketchml import constants as _constants
from sketchml import datasets, training  # noqa: F401  (both load their contents lazily)
from sketchml import models as _models
from sketchml.constants import *  # noqa: F401,F403  (Processing's constants are public API)
from sketchml.errors import ApiUsageError, SketchmlError
from sketchml.graphics.image import Image
from sketchml.graphics.offscreen import Graphics
from sketchml.graphics.shader import Shader
from sketchml.graphics.shape_object import Shape
from sketchml.graphics.text import Font
from sketchml import learn, mpl_cmaps
from sketchml.learn import *  # noqa: F401,F403  (Learner, GestureLearner, Wekinator ...)
from sketchml.models import *  # noqa: F401,F403
from sketchml.runtime import module_api as _module_api
from sketchml import sound
from sketchml.sound import *  # noqa: F401,F403  (Sound, AudioIn, Analyzer, react ...)

__version__ = "0.1.0"

_module_api.install(globals())

__all__ = sorted(
    set(_constants.__all__)
    | set(_models.__all__)
    | set(learn.__all__)
    | set(_module_api.exported_names())
    | set(sound.__all__) | {"sound"}
    | {"ApiUsageError", "Font", "Graphics", "Image", "Shader", "Shape", "SketchmlError", "datasets",
       "learn", "mpl_cmaps", "training"}
)


def __getattr__(name: str):
    return _module_api.module_getattr(name)


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_module_api.live_names()))
