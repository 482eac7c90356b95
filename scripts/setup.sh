#!/usr/bin/env bash
# Idempotent set-up for a fresh Debian/Ubuntu machine (Python 3.10+, no GPU, no display):
# system GL/EGL and xvfb packages, a virtual environment in .venv, sketchml and every
# first-party plugin installed editable with the known-good torch pair from constraints.txt.
set -euo pipefail
shopt -s nullglob
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

# nodejs runs pyright (tests/test_typing.py); the pyright wheel bundles the checker itself.
# fortunes is the text models' training corpus (its literature and poems collections).
system_packages=(libegl1 libegl-mesa0 libgl1-mesa-dri libgl1 xvfb xauth libfluidsynth3 libportaudio2 fontconfig fonts-dejavu-core fonts-symbola nodejs fortunes)
missing=()
for pkg in "${system_packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg")
done
if ((${#missing[@]})); then
    echo "sketchml setup: installing system packages: ${missing[*]}"
    sudo_cmd=()
    [ "$(id -u)" -ne 0 ] && sudo_cmd=(sudo)
    export DEBIAN_FRONTEND=noninteractive
    "${sudo_cmd[@]}" apt-get update -qq
    "${sudo_cmd[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
    "$python" -m venv .venv
fi

plugin_args=()
for plugin in plugins/*/pyproject.toml; do
    plugin_args+=(-e "$(dirname "$plugin")")
done

# The stamp skips pip when nothing that decides the install has changed.
stamp=.venv/.sketchml-installed
want="$(cat pyproject.toml constraints.txt plugins/*/pyproject.toml | sha256sum | cut -d' ' -f1)"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "sketchml setup: installing Python packages into .venv (torch from constraints.txt)"
    log="$(mktemp)"
    # pip's output is kept out of sight (this machine's mirror config makes it noisy) unless
    # the install fails.
    if ! .venv/bin/pip install -q -c constraints.txt -e ".[test]" "${plugin_args[@]}" >"$log" 2>&1; then
        grep -v "is ignored: it is neither a file nor a directory" "$log" >&2
        rm -f "$log"
        echo "sketchml setup: pip install failed (see above)" >&2
        exit 1
    fi
    rm -f "$log"
    echo "$want" > "$stamp"
fi
