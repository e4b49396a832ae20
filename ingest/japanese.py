"""Japanese text rules that several stages apply: where a sentence ends, and the key two
texts are compared by. Written once here so that cleaning, chunking, page images,
answers and evaluation cannot disagree; tests/unit/ingest/test_japanese.py checks each
rule against a plain, obviously right one on sentences from the corpus.

A sentence ends at a full stop: 「。」「！」「？」 or their ASCII forms, with any closing
brackets after it (「…です。」 ends where the 」 does). The full-width 「．」 is not a
full stop. In the shared corpus (698k characters of chunk text, 6,504 「。」) it stands
53 times, always inside a line: numbering 44 times (「１．はじめに」「１－１．ＡＩを活用
した科学研究」「ア．医療機器」), decimals 9 times (「１７７．１時間」), an abbreviation
twice (「ＯＥＣＤ．ＡＩ」); no sentence and no line ends with it. Splitting there would
cut 「１．」 from its title and a number in two.
"""

from __future__ import annotations

import re
import unicodedata

from ingest.normalize import fix_radicals

FULL_STOPS = "。！？!?"
CLOSING_BRACKETS = "」』）)】〕"

_SENTENCE = re.compile(f"[^{FULL_STOPS}]*(?:[{FULL_STOPS}]+[{CLOSING_BRACKETS}]*|$)")
_ENDS_SENTENCE = re.compile(f"[{FULL_STOPS}][{CLOSING_BRACKETS}]*$")


def split_sentences(text: str) -> list[str]:
    """The sentences of ``text`` in order, each with its full stops and closing brackets;
    joined again they give ``text`` back, blank pieces aside. A last piece without a full
    stop (a title, a table cell, a sentence cut by a page break) is a sentence too."""
    return [s for s in (m.group() for m in _SENTENCE.finditer(text)) if s.strip()]


def ends_sentence(text: str) -> bool:
    """Does ``text`` end a sentence: a full stop, then nothing but closing brackets?"""
    return _ENDS_SENTENCE.search(text) is not None


def ends_with_full_stop(line: str) -> bool:
    """Does a printed line end on a full stop itself? Where a PDF wrapped a paragraph,
    a line ending in a closing bracket (「…「都市OS」」) is as often cut mid-sentence, so
    cleaning asks this narrower question than :func:`ends_sentence`."""
    return line.endswith(tuple(FULL_STOPS))


def match_key(text: str) -> str:
    """The form two texts are compared in when spacing and width must not matter: NFKC,
    radicals repaired (⽉ and ⻑ are 月 and 長), no white space, case kept. Outline
    titles against printed headings, versions of one section, an answer against its key
    phrases."""
    return "".join(unicodedata.normalize("NFKC", fix_radicals(text)).split())
