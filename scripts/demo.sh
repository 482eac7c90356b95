#!/usr/bin/env bash
# Set up (if needed), then render the default demo sketch headless to an MP4 and say where it is.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
cd "$root"
out="${1:-$root/out/demo.mp4}"
.venv/bin/sketchml run sketches/demo.py --headless --frames 180 --out "$out"
echo "sketchml demo: video written to $out"
