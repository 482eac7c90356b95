"""Input events handed to callbacks, and Processing's key/key_code rules.

A callback may take the event as its one argument (``def mouse_pressed(e):``)
or take none and read the live variables (``mouse_x``, ``key`` ...) instead.

Processing's key rules: ``key`` is the character typed (``"a"``, ``"A"``,
``"\\n"`` for Enter, ``"\\b"`` for Backspace, ``"\\x1b"`` for Esc); for keys
without a character (arrows, Shift, F1 ...) ``key`` is ``CODED`` and
``key_code`` says which (``UP``, ``DOWN``, ``LEFT``, ``RIGHT``, ``SHIFT`` ...).
``key_code`` is Java's virtual key code (``65`` for the A key, typed or shifted).
"""
from __future__ import annotations

from dataclasses import dataclass

from sketchml import constants as C

__all__ = ["KeyEvent", "MouseEvent", "glfw_key_to_processing", "printable_key_code"]


@dataclass(frozen=True)
class MouseEvent:
    """A mouse event: position in canvas pixels, ``button`` (``LEFT``, ``RIGHT``,
    ``CENTER`` or 0), ``count`` (wheel steps, positive towards the user) and
    ``action`` (``"press"``, ``"release"``, ``"click"``, ``"move"``, ``"drag"`` or ``"wheel"``).

    Examples:
        >>> MouseEvent(10, 20, button=37, action="press").button
        37
    """

    x: float
    y: float
    button: int = 0
    count: int = 0
    action: str = "move"


@dataclass(frozen=True)
class KeyEvent:
    """A key event: ``key`` (the character, or ``CODED``), ``key_code`` and ``action``
    (``"press"``, ``"release"`` or ``"type"``); ``is_repeat`` for presses the keyboard repeats.

    Examples:
        >>> KeyEvent("a", 65, action="press").key
        'a'
    """

    key: str | int
    key_code: int
    action: str = "press"
    is_repeat: bool = False


# GLFW key numbers of keys that type a control character, and what Processing says.
_CHARACTER_KEYS = {
    256: (C.ESC, 27),        # escape
    257: (C.ENTER, 10),      # enter
    258: (C.TAB, 9),         # tab
    259: (C.BACKSPACE, 8),   # backspace
    261: (C.DELETE, 127),    # delete
    335: (C.ENTER, 10),      # keypad enter
}

# GLFW key numbers of keys without a character: key is CODED, key_code is Java's.
_CODED_KEYS = {
    262: C.RIGHT, 263: C.LEFT, 264: C.DOWN, 265: C.UP,
    260: 155,                # insert
    266: 33, 267: 34,        # page up / page down
    268: 36, 269: 35,        # home / end
    280: 20, 281: 145, 282: 144, 283: 154, 284: 19,   # caps/scroll/num lock, print, pause
    340: C.SHIFT, 344: C.SHIFT,
    341: C.CONTROL, 345: C.CONTROL,
    342: C.ALT, 346: C.ALT,
    343: 157, 347: 157,      # super keys: Java's VK_META
    348: 525,                # menu: VK_CONTEXT_MENU
    **{290 + i: 112 + i for i in range(12)},   # F1..F12
}

# Printable keys whose GLFW number differs from Java's virtual key code.
_PRINTABLE_RENAMES = {96: 192, 39: 222}   # grave accent, apostrophe


def glfw_key_to_processing(glfw_key: int) -> tuple[str | int, int] | None:
    """``(key, key_code)`` for a GLFW key number, or ``None`` for a printable key,
    whose ``key`` must come from the character the keyboard layout typed.

    Examples:
        >>> from sketchml.constants import CODED, UP
        >>> glfw_key_to_processing(265) == (CODED, UP)
        True
    """
    if glfw_key in _CHARACTER_KEYS:
        return _CHARACTER_KEYS[glfw_key]
    if glfw_key in _CODED_KEYS:
        return C.CODED, _CODED_KEYS[glfw_key]
    return None


def printable_key_code(glfw_key: int) -> int:
    """Java's virtual key code for a printable GLFW key (letters and digits coincide).

    Examples:
        >>> printable_key_code(65)
        65
    """
    if 320 <= glfw_key <= 329:   # keypad digits: Java's VK_NUMPAD0..9
        return 96 + glfw_key - 320
    return _PRINTABLE_RENAMES.get(glfw_key, glfw_key)
