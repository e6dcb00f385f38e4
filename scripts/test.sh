#!/usr/bin/env bash
# Set up (a virtualenv in .venv with the project and its dev tools) and run the test suite.
# Extra arguments go to pytest. Exit code: pytest's, except that "no tests collected" fails.
set -euo pipefail
cd "$(dirname "$0")/.."
BCA_EXTRAS=${BCA_EXTRAS:-dev,nlp,local-llm} source scripts/setup.sh
# The browser tests (only they) drive Debian's Chromium, never a downloaded browser build.
if [ "${BCA_SKIP_CHROMIUM:-}" != "1" ] && ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing Debian's chromium for the browser tests..." >&2
    apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >&2
  else
    echo "note: chromium is not installed; browser tests will skip (fail under CI=true)" >&2
  fi
fi
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$rc"
