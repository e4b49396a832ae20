#!/usr/bin/env bash
# The main job: set up, try to fetch the official PDFs named in corpus/manifest.toml
# (closed networks: a message, then on without them), build the index from corpus/
# incrementally (nothing to do when nothing changed), and serve the chat on
# http://127.0.0.1:8501 and the HTTP API on http://127.0.0.1:8000 (SCQA_API_PORT=0: no API;
# keys: `.venv/bin/scqa api-key add NAME`).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/scqa fetch --corpus "${SCQA_CORPUS_DIR:-corpus}" --timeout 10 --retries 1 ||
  echo "公式 PDF の取得に失敗しました。配置済みの PDF で続けます。" >&2
.venv/bin/scqa build --corpus "${SCQA_CORPUS_DIR:-corpus}"
if [ "${SCQA_API_PORT:-8000}" = 0 ]; then
  exec .venv/bin/scqa serve --corpus "${SCQA_CORPUS_DIR:-corpus}" --port "${SCQA_PORT:-8501}"
fi
# Ctrl+C or a service manager's signal stops both; either one ending stops the other.
api="" chat=""
trap 'kill $api $chat 2>/dev/null; wait' EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
.venv/bin/scqa api --port "${SCQA_API_PORT:-8000}" &
api=$!
.venv/bin/scqa serve --corpus "${SCQA_CORPUS_DIR:-corpus}" --port "${SCQA_PORT:-8501}" &
chat=$!
wait -n  # the first of the two to end (bash 5)
