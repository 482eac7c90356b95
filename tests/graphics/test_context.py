"""The GL context can live beside torch training in one process (regression: triton vs Mesa)."""
from __future__ import annotations

import subprocess
import sys
import textwrap


def test_training_after_drawing_does_not_crash_the_process():
    # A sketch draws first and builds an optimiser later (training sketches, CLIP guidance).
    # With triton loaded after Mesa's llvmpipe, the process used to die with SIGSEGV here.
    script = textwrap.dedent(
        """
        from sketchml.graphics.canvas import Canvas
        from sketchml.graphics.context import create_headless_context
        c = Canvas(32, 32)
        c._gl_init(create_headless_context())
        c.background(0)
        c.circle(16, 16, 20)
        c._flush()
        assert c._read_pixels()[16, 16, 0] == 255
        import torch
        net = torch.nn.Linear(2, 1)
        opt = torch.optim.Adam(net.parameters(), lr=0.1)
        loss = net(torch.ones(4, 2)).pow(2).mean()
        loss.backward()
        opt.step()
        print("trained")
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, (result.returncode, result.stderr[-2000:])
    assert "trained" in result.stdout
