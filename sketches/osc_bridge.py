"""sketchml in Wekinator's place: the engine between Wekinator's example input and output programs.

Wekinator's example programs (Processing, Max, openFrameworks, ...) talk OSC: input
programs send /wek/inputs (one float per input) to port 6448, output programs listen for
/wek/outputs (one float per output) on port 12000. This sketch listens and sends on the
same ports, so start any of them, set INPUTS and OUTPUTS to match, and sketchml learns the
mapping in the middle.

Record as in Wekinator: drag the sliders on the right to the outputs you want, hold R
while the input program plays the matching inputs, release; repeat for a few other
settings; press T to train. From then on every /wek/inputs is answered with /wek/outputs.
Wekinator's control messages (/wekinator/control/outputs, startRecording, stopRecording,
train, startRunning, stopRunning, deleteAllExamples) work too, from any program.

    R (hold) record   T train   SPACE run / pause   C forget the examples   S save

Until you touch the mouse or a key, a scripted stand-in input program sends a mouse-like
circle as /wek/inputs to the sketch, and a scripted remote records three settings with
control messages and trains. The mapping is saved to output/osc_bridge/mapping.safetensors
beside the sketch (sk.output_path()).

    sketchml run sketches/osc_bridge.py
    sketchml run sketches/osc_bridge.py --headless --frames 150 --out out/bridge.mp4
"""
import math

import sketchml as sk

INPUTS = 2           # Wekinator's Processing mouse example sends 2 (x, y)
OUTPUTS = 3
PORT = 6448          # where inputs arrive (Wekinator's port)
SEND_PORT = 12000    # where outputs go (Wekinator's output programs listen here)
SAVED = "osc_bridge/mapping.safetensors"  # in the output folder
CONTROL = "/wekinator/control/"

learner = None
engine = None
stand_in = None      # the scripted input program and remote, until a person arrives
targets = [0.5] * OUTPUTS
person = False
message = ""
recording_key = False
# The scripted remote: at these frames, these control messages (with these values).
REMOTE = {
    5: ("outputs", [1.0, 0.0, 0.2]), 6: ("startRecording", []), 30: ("stopRecording", []),
    35: ("outputs", [0.0, 1.0, 0.8]), 36: ("startRecording", []), 60: ("stopRecording", []),
    65: ("outputs", [0.5, 0.5, 0.5]), 66: ("startRecording", []), 90: ("stopRecording", []),
    95: ("train", []),
}


def setup():
    global learner, engine, stand_in, message
    size(600, 320)
    learner = sk.Learner(inputs=INPUTS, outputs=OUTPUTS, model="neural")
    try:
        engine = sk.Wekinator(learner, port=PORT, send_port=SEND_PORT)
    except sk.SketchmlError as err:
        # Another program has the port: still run, on a free one, and say which.
        engine = sk.Wekinator(learner, port=0, send_port=SEND_PORT)
        message = f"port {PORT} is busy ({err}); listening on {engine.port} instead"
        print("osc_bridge:", message)
    stand_in = sk.OscOut(engine.port)


def script():
    """The stand-in input program and remote: what a person's programs would send."""
    f = frame_count
    a = f * 0.07
    stand_in.send("/wek/inputs", 0.5 + 0.4 * math.cos(a), 0.5 + 0.4 * math.sin(a))
    if f in REMOTE:
        command, values = REMOTE[f]
        stand_in.send(CONTROL + command, *values)
        if command == "outputs":
            targets[:] = values        # as a person's sliders would show them
    if f == 96:
        learner.save(sk.output_path(SAVED))


def bars(x, y, label, values, colour):
    fill(200)
    text(label, x, y - 8)
    for i, v in enumerate(values):
        fill(50, 54, 72)
        rect(x, y + i * 30, 150, 20, 4)
        fill(*colour)
        rect(x, y + i * 30, 150 * constrain(v, 0, 1), 20, 4)
        fill(240)
        text(f"{v:.2f}", x + 156, y + 15 + i * 30)


def draw():
    if not person:
        script()
    engine.poll()                                 # record, train or answer, as told
    background(16, 18, 28)
    text_size(13)
    bars(16, 60, "/wek/inputs received", engine.inputs or [0.0] * INPUTS, (110, 180, 255))
    bars(200, 60, "/wek/outputs sent", engine.outputs or [0.0] * OUTPUTS, (120, 220, 140))
    bars(384, 60, "outputs to record", targets, (255, 170, 80) if learner.recording else (150, 120, 90))
    fill(220)
    state = ("recording" if learner.recording else
             "running" if learner.trained and engine.running else
             "paused" if learner.trained else "not trained")
    who = "you" if person else "the scripted stand-in"
    text(f"in :{engine.port}  out :{engine.osc_out.port}   {len(learner)} examples, {state}; "
         f"playing: {who}", 16, 24)
    if engine.bad_messages:
        fill(255, 150, 120)
        text(f"{engine.bad_messages} OSC messages ignored (see the console)", 16, 290)
    fill(170)
    text(message or "drag the sliders, hold R to record, T to train", 16, 310)


def mouse_dragged():
    global person
    person = True
    for i in range(OUTPUTS):
        if 384 <= mouse_x <= 534 and 60 + i * 30 <= mouse_y <= 80 + i * 30:
            targets[i] = constrain((mouse_x - 384) / 150, 0, 1)


def mouse_moved():
    global person
    person = True


def key_pressed():
    global person, message, recording_key
    person = True
    if key in ("r", "R") and not recording_key:
        recording_key = True
        learner.start_recording(targets)
    elif key in ("t", "T") and len(learner):
        message = f"trained in {learner.train() * 1000:.0f} ms"
    elif key == " ":
        engine.running = not engine.running
    elif key in ("c", "C"):
        learner.delete_examples()
    elif key in ("s", "S"):
        learner.save(sk.output_path(SAVED))
        message = f"saved {SAVED}"


def key_released():
    global recording_key
    if key in ("r", "R"):
        recording_key = False
        learner.stop_recording()
