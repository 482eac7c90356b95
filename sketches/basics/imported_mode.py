"""Imported mode: bare setup()/draw(), every API name available as is.

    sketchml run sketches/basics/imported_mode.py

A ball bounces around the canvas; hold the mouse button to pull it towards the
pointer. Save the file while it runs and the sketch reloads with your changes.
"""
x, y = 100.0, 80.0
vx, vy = 2.5, 1.7


def setup():
    size(400, 300)


def draw():
    global x, y, vx, vy
    background(25, 30, 45)
    if is_mouse_pressed:
        vx += (mouse_x - x) * 0.002
        vy += (mouse_y - y) * 0.002
    x, y = x + vx, y + vy
    if not 20 < x < width - 20:
        vx = -vx
    if not 20 < y < height - 20:
        vy = -vy
    x, y = constrain(x, 20, width - 20), constrain(y, 20, height - 20)
    no_stroke()
    fill(255, 120, 80)
    circle(x, y, 40)
