"""`sketchml train gpt2 FILE --base tiny --out DIR`, as the lesson and the issue spell it."""
from __future__ import annotations

import sketchml as sk
from sketchml.cli.main import main
from sketchml.training import latest_checkpoint

SONG = "the owl sings to the moon and the moon answers the owl\n" * 40


def test_train_command_fine_tunes_from_base(tmp_path, capsys):
    data = tmp_path / "song.txt"
    data.write_text(SONG)
    out = tmp_path / "run"
    code = main(["train", "gpt2", str(data), "--base", "tiny", "--out", str(out),
                 "--steps", "3", "--batch-size", "2", "--device", "cpu"])
    assert code == 0
    assert latest_checkpoint(out / "checkpoints").step == 3
    assert "sk.model('gpt2'" in capsys.readouterr().out
    tuned = sk.model("gpt2", weights=str(out), device="cpu")
    assert isinstance(tuned.generate(prompt="the owl", length=4, seed=0), str)
