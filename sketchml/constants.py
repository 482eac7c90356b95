"""Processing's constants, with Processing's own values.

Values collide across unrelated groups (``CENTER == HSB == 3``) exactly as in
Processing; each function reads only the group it documents.
"""
from __future__ import annotations

import math

# maths
PI = math.pi
HALF_PI = math.pi / 2
QUARTER_PI = math.pi / 4
TWO_PI = 2 * math.pi
TAU = 2 * math.pi

# shape modes (rect_mode, ellipse_mode, image_mode)
CORNER = 0
CORNERS = 1
RADIUS = 2
CENTER = 3

# colour modes; image formats (create_image) share RGB; CMAP is py5's matplotlib colormap mode
RGB = 1
HSB = 3
ARGB = 2
ALPHA = 4
CMAP = 6

# renderers, as py5 spells them: sketchml draws P2D and JAVA2D alike and refuses P3D
JAVA2D = "processing.awt.PGraphicsJava2D"
P2D = "processing.opengl.PGraphics2D"
P3D = "processing.opengl.PGraphics3D"

# image resampling (Image.resize)
NEAREST_NEIGHBOR = 0
BILINEAR = 1
BICUBIC = 2

# filter kinds
BLUR = 11
GRAY = 12
INVERT = 13
OPAQUE = 14
POSTERIZE = 15
THRESHOLD = 16
ERODE = 17
DILATE = 18

# stroke caps and joins
SQUARE = 1
ROUND = 2
PROJECT = 4
MITER = 8
BEVEL = 32

# begin_shape kinds and end_shape
POINTS = 3
LINES = 5
TRIANGLES = 9
TRIANGLE_STRIP = 10
TRIANGLE_FAN = 11
QUADS = 17
QUAD_STRIP = 18
CLOSE = 2

# create_shape kinds, with Processing's values: a GROUP of shapes, or a primitive
GROUP = 0
POINT = 2
LINE = 4
TRIANGLE = 8
QUAD = 16
RECT = 30
ELLIPSE = 31
ARC = 32

# arc modes
OPEN = 1
CHORD = 2
PIE = 3

# text alignment (LEFT/RIGHT/CENTER double as mouse buttons and arrow keys, as in Processing)
LEFT = 37
RIGHT = 39
TOP = 101
BOTTOM = 102
BASELINE = 0

# blend modes
REPLACE = 0
BLEND = 1
ADD = 2
SUBTRACT = 4
LIGHTEST = 8
DARKEST = 16
DIFFERENCE = 32
EXCLUSION = 64
MULTIPLY = 128
SCREEN = 256

# keys
CODED = 0xFFFF
UP = 38
DOWN = 40
SHIFT = 16
CONTROL = 17
ALT = 18
BACKSPACE = "\b"
TAB = "\t"
ENTER = "\n"
RETURN = "\r"
ESC = "\x1b"
DELETE = "\x7f"

__all__ = sorted(
    name for name in list(globals()) if name.isupper() and not name.startswith("_")
)
