"""Rebuild times: a full build, a rebuild with nothing changed, a rebuild with one PDF changed.

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_rebuild.py --corpus ../shared/corpus

Works on a temporary corpus of symlinks to the given folder (nothing is copied),
with a fresh index and cache. "One changed" replaces one file by another real
PDF under the same name, as when a new version is published over the old one
(the replacement is left out of the corpus so its text is new): by default an
18-page slide deck replaced by a 36-page document, and a 120-page guidebook
replaced by its next version, reported separately.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from collection.scan import find_pdfs
from config import load_settings
from index.build import build_index


def link_corpus(source: Path, target: Path, leave_out: set[str]) -> list[str]:
    rels = []
    for pdf in find_pdfs(source):
        rel = pdf.relative_to(source)
        if rel.as_posix() in leave_out:
            continue
        (target / rel).parent.mkdir(parents=True, exist_ok=True)
        (target / rel).symlink_to(pdf.resolve())
        rels.append(rel.as_posix())
    return rels


def timed_build(corpus: Path, settings, label: str, **kwargs) -> float:
    start = time.perf_counter()
    report = build_index(corpus, settings, **kwargs)
    seconds = time.perf_counter() - start
    changed = {k: len(v) for k, v in report.changes.items()}
    stages = ", ".join(f"{k} {v:.1f}" for k, v in report.seconds.items())
    print(
        f"| {label} | {seconds:.1f} | {changed} | read {report.files - report.reused_files}, "
        f"embedded {report.embedded} | {stages} |",
        flush=True,
    )
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument(
        "--changes",
        nargs="*",
        default=[
            "public/cao_ai_senryaku_siryo4.pdf=public/cao_ai_senryaku_siryo1.pdf",
            "smartcity/digital_chiiki_service_datamodel_guidebook_beta_2025-03.pdf="
            "smartcity/digital_chiiki_service_datamodel_guidebook_beta_2025-09.pdf",
        ],
        help="FILE=REPLACEMENT pairs, relative to the corpus; each is one 'one PDF changed' run",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus"
        # The replacements stay out of the corpus, so that their text is new to the caches.
        link_corpus(args.corpus, corpus, {pair.split("=", 1)[1] for pair in args.changes})
        settings = load_settings(corpus_dir=corpus, index_dir=Path(tmp) / "index")
        print("| run | seconds | changes | work | stages (s) |")
        print("|---|---|---|---|---|")
        full = timed_build(corpus, settings, "full build (empty cache)", full=True)
        same = timed_build(corpus, settings, "nothing changed")
        rows = [("nothing changed", same)]
        for pair in args.changes:
            rel, replacement = pair.split("=", 1)
            original = (corpus / rel).resolve()
            (corpus / rel).unlink()
            (corpus / rel).symlink_to((args.corpus / replacement).resolve())
            rows.append(
                (f"one changed: {rel}", timed_build(corpus, settings, f"one changed: {rel}"))
            )
            (corpus / rel).unlink()
            (corpus / rel).symlink_to(original)
            timed_build(corpus, settings, f"restore {rel}")
        print()
        for label, seconds in rows:
            print(
                f"{label}: {seconds:.1f} s = {100 * seconds / full:.1f}% of the full build ({full:.1f} s)"
            )


if __name__ == "__main__":
    main()
