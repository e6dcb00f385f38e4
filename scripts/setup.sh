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
# The dashboard's browser tests drive Debian's Chromium (never a downloaded browser build).
if [ "${BCA_SKIP_CHROMIUM:-}" != "1" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests..." >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "note: chromium is not installed; browser tests will skip (fail under CI=true)" >&2
  fi
fi
