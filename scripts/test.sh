#!/usr/bin/env bash
# Set up (a virtualenv in .venv with the project and its dev tools) and run the test suite.
# Extra arguments go to pytest. Exit code: pytest's, except that "no tests collected" fails.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/setup.sh
set +e
.venv/bin/python -m pytest "$@"
rc=$?
set -e
if [ "$rc" -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit "$rc"
