#!/usr/bin/env bash
# The main job on the embedded default (for now): set up .venv, seed the SQLite Banner sandbox
# under ./var/ if it is empty, and print its summary. Settings come from BCA_* variables / .env.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
.venv/bin/bca banner seed --if-empty --students "${BCA_DEMO_STUDENTS:-3000}" \
  --sections "${BCA_DEMO_SECTIONS:-200}"
.venv/bin/bca banner summary
