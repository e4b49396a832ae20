#!/usr/bin/env bash
# The main job: set up, (re)build the index from corpus/ when it is missing or stale,
# and serve the chat on http://127.0.0.1:8501
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/scqa build --corpus "${SCQA_CORPUS_DIR:-corpus}" --if-stale
exec .venv/bin/scqa serve --port "${SCQA_PORT:-8501}"
