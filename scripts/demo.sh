#!/usr/bin/env bash
# Set up (if needed), then render the default demo -- a latent walk through the embedded
# dcgan.shapes GAN -- headless to an MP4 and say where it is. No network, no GPU.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
cd "$root"
out="${1:-$root/out/demo.mp4}"
.venv/bin/sketchml run sketches/dcgan_latent_walk.py --headless --frames 180 --out "$out"
echo "sketchml demo: video written to $out"
