#!/usr/bin/env bash
# The main job on the embedded default: set up .venv, replay a term start end to end (Banner
# sandbox seeded under ./var/ if empty, Canvas simulator, inbox, worker, agents, approvals) and
# print its summary, build the help pages the chatbot answers from (`bca kb build`), then
# leave everything up (`bca up`): the dashboard URL and sign-in tokens of people with approvals waiting are printed; Ctrl-C stops. Settings: BCA_* variables / .env.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
.venv/bin/bca demo --students "${BCA_DEMO_STUDENTS:-400}" --sections "${BCA_DEMO_SECTIONS:-20}"
.venv/bin/bca kb build
exec .venv/bin/bca up --host "${BCA_HOST:-127.0.0.1}" --port "${BCA_PORT:-8000}"
