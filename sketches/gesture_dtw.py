"""Teach the sketch three mouse gestures, then perform them: dynamic time warping knows them.

A sk.GestureLearner compares the path your mouse has just drawn with the examples you
recorded, stretching time as needed, so a circle drawn slowly or quickly is still a
circle. Hold 1, 2 or 3 while drawing a gesture to record one example of it (two or three
each is plenty), press T, then draw: when the path you just drew matches an example
closely enough (the threshold, set from your examples), its name lights up.

    T train   S save   C forget the examples   + / - loosen / tighten the threshold

Until you touch the mouse or a key, a scripted performer records two examples of each
gesture at different speeds, trains, and then performs them again, each at yet another
speed. The gestures are saved to output/gesture_dtw/gestures.safetensors beside the sketch
(sk.output_path()).

    sketchml run sketches/gesture_dtw.py
    sketchml run sketches/gesture_dtw.py --headless --frames 420 --out out/gestures.mp4
"""
import math

import sketchml as sk

GESTURES = ["circle", "swipe", "zigzag"]
SAVED = "gesture_dtw/gestures.safetensors"  # in the output folder
COLOURS = [(255, 120, 90), (90, 200, 140), (100, 160, 255)]

gestures = None
trail = []
recording = None        # the gesture being recorded while its key is held
heard = None            # the last gesture recognised, and when
heard_at = -100
person = False
message = ""
script = []             # the performer's frames: (x, y, key held)


def shape(name, s):
    """Where gesture ``name`` is at ``s`` (0: start, 1: end), in canvas pixels."""
    if name == "circle":
        return 240 + 90 * math.cos(2 * math.pi * s), 200 + 90 * math.sin(2 * math.pi * s)
    if name == "swipe":
        return 100 + 280 * s, 200 + 20 * math.sin(math.pi * s)
    return 100 + 280 * s, 140 + 120 * abs(((3 * s) % 2) - 1)


def perform(name, frames, key_held):
    """The performer draws ``name`` in ``frames`` frames, speeding up and slowing down."""
    steps = [0.0]
    for i in range(1, frames):
        steps.append(steps[-1] + 1.0 + 0.6 * math.sin(i * 0.4))
    path = [(*shape(name, t / steps[-1]), key_held) for t in steps]
    rest = (*path[-1][:2], None)
    return path + [rest] * 12


def setup():
    global gestures
    size(480, 400)
    gestures = sk.GestureLearner(inputs=["x", "y"], gestures=GESTURES)
    for frames in (30, 45):                         # two examples each, two speeds
        for i, name in enumerate(GESTURES):
            script.extend(perform(name, frames, str(i + 1)))
    script.append((240, 200, "train"))
    for i, name in enumerate(GESTURES):             # then perform each, at a third speed
        script.extend(perform(name, 38, None))


def hand():
    if not person:
        if frame_count <= len(script):
            return script[frame_count - 1]
        a = frame_count * 0.02
        return 240 + 30 * math.cos(a), 200 + 30 * math.sin(a), None
    held = key if is_key_pressed and isinstance(key, str) and key in "123" else None
    return mouse_x, mouse_y, held


def train():
    global message
    if len(gestures) == 0:
        message = "record examples first: hold 1, 2 or 3 while you draw"
        return
    gestures.train()
    message = f"trained on {len(gestures)} examples; threshold {gestures.threshold:.3f}"
    gestures.save(sk.output_path(SAVED))


def draw():
    global recording, heard, heard_at
    x, y, held = hand()
    if held == "train":
        train()
        held = None
    if held is not None and recording is None:       # key went down: start an example
        recording = GESTURES[int(held) - 1]
        gestures.start_recording(recording)
    elif held is None and recording is not None:     # key came up: store it
        gestures.stop_recording()
        recording = None
    found = gestures.feed([x, y])                    # records, or matches once trained
    if found is not None:
        heard, heard_at = found, frame_count
    trail.append((x, y))
    del trail[:-60]

    background(14, 16, 26)
    stroke_weight(3)
    for (ax, ay), (bx, by) in zip(trail, trail[1:]):
        if dist(ax, ay, bx, by) > 60:                # the performer lifted its hand
            continue
        stroke(*(COLOURS[GESTURES.index(recording)] if recording else (200, 200, 220)))
        line(ax, ay, bx, by)
    no_stroke()
    fill(255)
    circle(x, y, 10)

    text_size(14)
    for i, name in enumerate(GESTURES):
        lit = heard == name and frame_count - heard_at < 45
        fill(*(COLOURS[i] if lit else (70, 74, 92)))
        rect(12 + i * 156, 330, 146, 34, 6)
        fill(255 if lit else 190)
        count = sum(1 for _, g in gestures.examples() if g == name)
        distance = gestures.distances.get(name)
        shown = f"  {distance:.2f}" if distance is not None and distance < 9 else ""
        text(f"{i + 1} {name} ({count}){shown}", 20 + i * 156, 352)
    fill(210)
    text_size(13)
    who = "you" if person else "the scripted performer"
    state = "recording " + recording if recording else ("listening" if gestures.trained else "not trained")
    text(f"{state}; playing: {who}", 12, 24)
    text(message or "hold 1, 2 or 3 while drawing to record; T to train", 12, 44)


def mouse_moved():
    global person
    person = True


def key_pressed():
    global person, message
    person = True
    if key in ("t", "T"):
        train()
    elif key in ("s", "S"):
        gestures.save(sk.output_path(SAVED))
        message = f"saved {SAVED}"
    elif key in ("c", "C"):
        gestures.delete_examples()
        message = "examples forgotten"
    elif key in ("+", "-") and gestures.trained:
        gestures.threshold *= 1.25 if key == "+" else 0.8
        message = f"threshold {gestures.threshold:.3f}"
