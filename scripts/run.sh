#!/usr/bin/env bash
# The main job: set up, try to fetch the official PDFs named in corpus/manifest.toml
# (closed networks: a message, then on without them), build the index from corpus/
# incrementally (nothing to do when nothing changed), and serve the chat on
# http://127.0.0.1:8501
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
.venv/bin/scqa fetch --corpus "${SCQA_CORPUS_DIR:-corpus}" --timeout 10 --retries 1 ||
  echo "公式 PDF の取得に失敗しました。配置済みの PDF で続けます。" >&2
.venv/bin/scqa build --corpus "${SCQA_CORPUS_DIR:-corpus}"
exec .venv/bin/scqa serve --corpus "${SCQA_CORPUS_DIR:-corpus}" --port "${SCQA_PORT:-8501}"
