"""Check the helpers' synthetic questions and write them as one training set.

    .venv/bin/python benchmarks/reader_data/assemble.py --index DIR OUT_0.jsonl ... \
        > benchmarks/reader_data/synthetic_questions.jsonl

Each question's key phrases must be in its passage (as the index holds it) and occur in
few passages (a phrase found in many labels unrelated sentences as answers); a question
copying a long run of its passage is dropped (people do not use the documents'
wording). What was dropped, and why, goes to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from difflib import SequenceMatcher
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from evaluation.evaluate import squeeze

LONGEST_COPIED = 12  # characters of the passage a question may repeat in one run
MOST_PASSAGES = 4  # passages a key phrase may occur in (the guidebook has 3 versions)


def longest_copied(question: str, passage: str) -> int:
    match = SequenceMatcher(None, question, passage, autojunk=False)
    return match.find_longest_match(0, len(question), 0, len(passage)).size


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("written", type=Path, nargs="+")
    args = parser.parse_args(argv)
    chunks = {}
    with (args.index / "current" / "chunks.jsonl").open(encoding="utf-8") as lines:
        for line in lines:
            chunk = json.loads(line)
            chunks[chunk["chunk_id"]] = chunk
    texts = [squeeze(c["text"]) for c in chunks.values()]
    dropped: Counter[str] = Counter()
    kept = 0
    for path in args.written:
        for line in path.read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            raw = json.loads(line)
            question = raw["question"].strip()
            chunk = chunks.get(raw.get("chunk_id") or "")
            record = {"id": f"syn-{raw['id']}", "question": question, "kind": raw["style"]}
            if raw.get("chunk_id") is None:
                print(json.dumps({**record, "gold": [], "key_phrases": []}, ensure_ascii=False))
                kept += 1
                continue
            if chunk is None:
                dropped["unknown passage"] += 1
                continue
            if longest_copied(squeeze(question), squeeze(chunk["text"])) > LONGEST_COPIED:
                dropped["copies the passage"] += 1
                continue
            phrases = [
                k
                for k in raw["key_phrases"]
                if squeeze(k)
                and squeeze(k) in squeeze(chunk["text"])
                and sum(squeeze(k) in t for t in texts) <= MOST_PASSAGES
            ]
            if not phrases:
                dropped["no specific key phrase in the passage"] += 1
                continue
            gold = [{"file": chunk["file"], "pages": chunk["pages"]}]
            print(json.dumps({**record, "gold": gold, "key_phrases": phrases}, ensure_ascii=False))
            kept += 1
    print(f"kept {kept}; dropped {dict(dropped)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
