"""Check what `scqa chunks` holds against the PDFs: key phrases found, running headers gone.

    .venv/bin/scqa build --corpus ../shared/corpus --index /tmp/x
    .venv/bin/python benchmarks/check_extraction.py --index /tmp/x --corpus ../shared/corpus \
        --questions tests/data/dev_questions.jsonl

1. Key phrases: every key phrase of the question set, on each gold page where the
   PDF text (pdftotext, an independent extractor) has it, must be found after NFKC
   and whitespace removal in the chunk text of that page.
2. Running headers: lines that the PDF's raw text repeats on at least half of its
   pages (digits ignored) must not come out as a line of any chunk.
"""

from __future__ import annotations

import argparse
import json
import subprocess
from collections import Counter, defaultdict
from pathlib import Path

from index.store import current_build, read_chunks
from ingest.cleaning import edge_key
from ingest.japanese import match_key
from ingest.pdf_reader import UnreadablePDF, read_pdf

REPEAT_SHARE = 0.5


norm = match_key


def pdftotext(pdf: Path, first: int, last: int) -> str:
    out = subprocess.run(
        ["pdftotext", "-f", str(first), "-l", str(last), str(pdf), "-"],
        capture_output=True,
        text=True,
    )
    return out.stdout


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--questions", type=Path, required=True)
    args = parser.parse_args()
    chunks = read_chunks(current_build(args.index))
    by_page: dict[tuple[str, int], str] = defaultdict(str)
    for chunk in chunks:
        for page in chunk.pages:
            by_page[(chunk.file, page)] += chunk.text

    found = total = 0
    missing = []
    for line in args.questions.read_text(encoding="utf-8").splitlines():
        question = json.loads(line)
        for gold in question["gold"]:
            pages = gold["pages"]
            reference = norm(pdftotext(args.corpus / gold["file"], min(pages), max(pages)))
            ours = norm("".join(by_page[(gold["file"], p)] for p in pages))
            for phrase in question["key_phrases"]:
                if norm(phrase) not in reference:
                    continue  # not printed on this version's page
                total += 1
                if norm(phrase) in ours:
                    found += 1
                else:
                    missing.append(
                        {
                            "id": question["id"],
                            "file": gold["file"],
                            "pages": pages,
                            "phrase": phrase,
                        }
                    )

    headers: list[dict[str, object]] = []
    chunk_lines: dict[str, Counter[str]] = defaultdict(Counter)
    for chunk in chunks:
        chunk_lines[chunk.file].update(edge_key(x) for x in chunk.text.splitlines())
    for file in sorted(chunk_lines):
        try:
            texts = read_pdf(args.corpus / file).texts
        except UnreadablePDF:
            continue
        counts: Counter[str] = Counter()
        for text in texts:
            counts.update({edge_key(x) for x in text.splitlines() if x.strip()})
        repeated = {k for k, n in counts.items() if n >= max(3, REPEAT_SHARE * len(texts)) and k}
        for key in sorted(repeated):
            if chunk_lines[file][key]:
                headers.append({"file": file, "line": key, "chunk_lines": chunk_lines[file][key]})

    print(
        json.dumps(
            {
                "key_phrases": {
                    "found": found,
                    "checked": total,
                    "share": round(found / max(total, 1), 4),
                },
                "missing": missing,
                "repeated_lines_left_in_chunks": headers,
            },
            ensure_ascii=False,
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
