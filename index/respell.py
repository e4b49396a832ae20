"""Mis-converted kanji in a question, put right by reading: 休刊日 -> 休館日, 洗濯肢 -> 選択肢.

Staff type Japanese through an input method, so their typos are mostly the
wrong kanji for the right sound. A noun that the corpus never uses but whose
reading is that of a corpus word is almost always such a slip; searching with
the corpus word finds the passage the person meant. Words the corpus does use
are never touched, and short readings (コウ, シ) are left alone because too
many words share them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from index.tokenize import reading_of, words_with_readings
from ingest.normalize import for_matching

# Readings shorter than this (in kana) are shared by too many words to guess from.
MIN_READING = 3


@dataclass(frozen=True)
class Respelled:
    text: str  # the question to search with (unchanged when nothing was respelled)
    changes: dict[str, str] = field(default_factory=dict)  # word as typed -> corpus word


class Respeller:
    def __init__(self, document_frequency: Mapping[str, int]):
        self._known = document_frequency
        best: dict[str, tuple[int, str]] = {}
        for token, count in document_frequency.items():
            reading = reading_of(token)
            if len(reading) >= MIN_READING and count > best.get(reading, (0, ""))[0]:
                best[reading] = (count, token)
        # Several corpus words per reading (仮想, 火葬): the most used one is the likely meaning.
        self._by_reading = {reading: token for reading, (_, token) in best.items()}

    def respell(self, question: str) -> Respelled:
        text = for_matching(question)
        pieces: list[str] = []
        changes: dict[str, str] = {}
        for space, surface, reading, base, is_noun in words_with_readings(text):
            corpus_word = self._by_reading.get(reading) if is_noun else None
            if (
                corpus_word
                and base not in self._known
                and len(surface) >= 2
                and len(reading) >= MIN_READING
                and corpus_word != base
            ):
                changes[surface] = corpus_word
                surface = corpus_word
            pieces.append(space + surface)
        return Respelled("".join(pieces), changes) if changes else Respelled(question)
