#!/usr/bin/env bash
# Sourced by the other scripts: make .venv and install the project into it, quietly and once per
# change of pyproject.toml. Nothing here downloads a model or a browser build.
set -euo pipefail
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.bca-installed
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "installing banner-canvas-agents into .venv (first run takes a few minutes)..." >&2
  .venv/bin/python -m pip install -q --upgrade pip >&2
  .venv/bin/python -m pip install -q -e '.[dev,nlp]' >&2
  touch "$stamp"
fi
