#!/usr/bin/env bash
# Set up (if needed), then run the whole test suite: core and every plugin, headless on the
# CPU; window tests run on a virtual display (xvfb-run).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bash "$root/scripts/setup.sh"
cd "$root"
# Tiny test models run fastest single-threaded, and pytest -n 2 already uses both cores.
export OMP_NUM_THREADS="${OMP_NUM_THREADS:-1}"
exec xvfb-run -a -s "-screen 0 1280x1024x24" .venv/bin/python -m pytest -n 2 "$@"
