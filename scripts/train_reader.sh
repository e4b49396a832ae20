#!/usr/bin/env bash
# Train the reader from nothing (answer/reader_model/): build an index of the shared
# corpus to search the development questions in, then train on 2 threads. About 25
# minutes on this project's 2-core machine (the model card says how long it took).
#   bash scripts/train_reader.sh [--out DIR] [more benchmarks/train_reader.py options]
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="${SCQA_CORPUS_DIR:-../shared/corpus}"
index="${SCQA_TRAIN_INDEX:-var/train-index}"
if [ ! -e "$index/current" ]; then
  SCQA_INDEX_DIR="$index" .venv/bin/scqa build --corpus "$corpus"
fi
OMP_NUM_THREADS=2 exec .venv/bin/python -W ignore benchmarks/train_reader.py --index "$index" "$@"
