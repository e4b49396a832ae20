#!/usr/bin/env bash
# The whole test suite: set up (dev extras), lint, then pytest.
set -uo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh dev || exit 1
.venv/bin/ruff check . || exit 1
.venv/bin/ruff format --check . || exit 1
# Two test processes (pytest-xdist), one per core; each module's tests stay in one
# process, so a module's shared fixtures are made once, and the longest modules are
# handed out first (tests/conftest.py: LONGEST_FIRST; tests/README.md).
.venv/bin/python -m pytest -n auto --dist loadfile --no-loadscope-reorder "$@"
status=$?
if [ $status -eq 5 ]; then
  echo "pytest collected no tests: failing on purpose" >&2
  exit 1
fi
exit $status
