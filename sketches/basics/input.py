"""Input: the live variables and the callbacks, shown as they change.

    sketchml run sketches/basics/input.py

Move, drag, click, scroll and type: the panel shows mouse_x/mouse_y, pmouse_x/pmouse_y,
mouse_button, key and key_code (arrows are CODED keys), and every callback logs what it
saw. Dragging paints; the wheel changes the brush; Backspace clears.
"""
log = []
brush = 12


def setup():
    size(480, 320)
    background(250)


def note(line):
    log.append(line)
    del log[:-6]


def draw():
    no_stroke()
    fill(30, 35, 50)
    rect(0, 0, width, 134)
    fill(235)
    text_size(13)
    text_align(LEFT, TOP)
    text(f"mouse ({mouse_x:.0f}, {mouse_y:.0f})  pmouse ({pmouse_x:.0f}, {pmouse_y:.0f})  "
         f"button {mouse_button}  pressed {is_mouse_pressed}", 10, 8)
    shown_key = "CODED" if key == CODED else repr(key)
    text(f"key {shown_key}  key_code {key_code}  key pressed {is_key_pressed}  "
         f"frame {frame_count}  {get_frame_rate():.0f} fps", 10, 26)
    for i, line in enumerate(log):
        text(line, 10, 46 + 14 * i)


def mouse_dragged():
    stroke(40, 120, 220, 160)
    stroke_weight(brush)
    line(pmouse_x, pmouse_y, mouse_x, mouse_y)


def mouse_pressed(event):
    note(f"mouse_pressed: button {event.button} at ({event.x:.0f}, {event.y:.0f})")


def mouse_released():
    note(f"mouse_released: button {mouse_button}")


def mouse_wheel(event):
    global brush
    brush = constrain(brush - event.count, 1, 60)
    note(f"mouse_wheel: count {event.count}, brush {brush}")


def key_pressed(event):
    names = {UP: "UP", DOWN: "DOWN", LEFT: "LEFT", RIGHT: "RIGHT", SHIFT: "SHIFT"}
    shown = names.get(key_code, str(key_code)) if key == CODED else repr(key)
    note(f"key_pressed: {shown}{' (repeat)' if event.is_repeat else ''}")
    if key == BACKSPACE:
        background(250)


def key_released():
    note(f"key_released: key_code {key_code}")
