"""GPT-2 poem: a poem typed onto the page word by word, while the model is still writing it.

The model writes on a background thread (``gpt.stream``), so ``draw()`` keeps its frame
rate: every frame takes whatever text has arrived and, every few frames, types the next
whole word. Click (or press space) for a new poem from a new seed; keys 1-5 pick the
opening line; up/down change the temperature (low: careful, high: delightfully bizarre).

    sketchml run sketches/gpt2_poem.py
    sketchml run sketches/gpt2_poem.py --headless --frames 120 --out out/poem.gif

Model: the embedded tiny GPT-2, which runs offline and learned its English from the
poems, literature and aphorisms of Debian's fortunes package (Shakespeare, Twain, Ogden
Nash, Dorothy Parker and many more), so expect short lines with rhymes half-caught and an
attribution ("-- ...") now and then. For OpenAI's GPT-2, put its files (config.json, model.safetensors,
tokenizer.json) in ~/.cache/sketchml/weights/gpt2/gpt2/ and set MODEL = "gpt2.gpt2";
for a model you fine-tuned (`sketchml train gpt2 poems.txt --out runs/poems`), use
sk.model("gpt2", weights="runs/poems").
"""
import sketchml as sk

MODEL = "gpt2"
OPENINGS = ["The moon", "Every night the", "Love is", "When I was young", "O little"]
FRAMES_PER_WORD = 4
MARGIN = 40

gpt = None
poem = None        # the Stream the model writes into
arrived = ""       # text written by the model, not yet typed
typed = ""         # text on the page
opening = 0
seed = 1
temperature = 0.9


def setup():
    global gpt
    size(640, 480)
    gpt = sk.model(MODEL)
    start_poem()


def start_poem():
    global poem, arrived, typed
    if poem is not None:
        poem.cancel(wait=0)
    poem = gpt.stream(prompt=OPENINGS[opening], temperature=temperature, top_k=40, top_p=0.95,
                      repetition_penalty=1.2, length=90, seed=seed, stop="\n\n\n")
    typed = OPENINGS[opening]
    arrived = ""


def next_word(text, finished):
    """The leading spaces and the first word of ``text``, once the word is complete."""
    start = len(text) - len(text.lstrip())
    end = start
    while end < len(text) and not text[end].isspace():
        end += 1
    if end == len(text) and not finished:
        return ""      # the word may still grow: wait for the space after it
    return text[:end]


def draw():
    global arrived, typed
    background(246, 241, 228)
    written = poem.done          # read before poll(), so the poll holds the last piece
    arrived += poem.poll()
    if frame_count % FRAMES_PER_WORD == 0:
        word = next_word(arrived, written)
        typed += word
        arrived = arrived[len(word):]
    fill(40, 36, 30)
    text_size(22)
    finished = written and not arrived
    cursor = "_" if (frame_count // 15) % 2 == 0 and not finished else ""
    text(typed + cursor, MARGIN, MARGIN, width - 2 * MARGIN, height - 2 * MARGIN - 30)
    fill(140, 130, 115)
    text_size(13)
    state = "click for another" if finished else "writing..."
    text(f"seed {seed}   temperature {temperature:.1f}   {state}", MARGIN, height - MARGIN)


def mouse_pressed():
    global seed
    seed += 1
    start_poem()


def key_pressed():
    global seed, opening, temperature
    if key == " ":
        seed += 1
    elif key in ("1", "2", "3", "4", "5"):
        opening = int(key) - 1
    elif key_code == UP:
        temperature = min(temperature + 0.1, 2.0)
    elif key_code == DOWN:
        temperature = max(temperature - 0.1, 0.1)
    else:
        return
    start_poem()
