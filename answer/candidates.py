"""What the reader may quote: every quotable sentence of the top passages, and every
heading or lead sentence with the list it introduces. Each knows where the asked value stands in it, to show it in bold.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from answer.asked import AskedKind, gives, topic_of, value_spans
from answer.context import AnswerContext
from answer.quotes import Quote, quotable, quote_of
from answer.reader import reader_text
from index.search import Passage, SearchResult
from index.tokenize import lexical_tokens

# Sentences on either side that count as "near" a sentence.
WINDOW = 1
# The asked value is shown in bold only where the question's topic words are near it
# (IDF-weighted share): otherwise a date in any footer would be "the answer to いつ".
EVIDENCE_COVERAGE = 0.2


@dataclass(frozen=True)
class Candidate:
    """A quote the answer may use, and what the reader is shown of it."""

    quote: Quote
    order: int  # sentence index in its passage
    holds: frozenset[str]  # the asked kinds it holds near the question's topic
    read_as: str  # heading and text, as the reader reads it (answer/reader.py)


def candidates(
    context: AnswerContext,
    result: SearchResult,
    passages: tuple[Passage, ...],
    kinds: list[AskedKind],
) -> list[Candidate]:
    """Every candidate of ``passages``, in their order."""
    topic_tokens = lexical_tokens(topic_of(result.text)) or lexical_tokens(result.text)
    out: list[Candidate] = []
    for passage in passages:
        chunk = passage.chunk
        located = chunk.sentences
        tokens = [set(lexical_tokens(s.text)) for s in located]
        for i, sentence in enumerate(located):
            items = chunk.introduced_by(i)
            if items:  # a heading or lead is quoted with what it introduces
                quote = quote_of(passage, sentence, items)
                read = reader_text(chunk.section, quote.text, quote.items)
                out.append(Candidate(quote, i, frozenset(), read))
            if not quotable(sentence) or (items and sentence.lead):
                continue  # a lead with its list is quoted whole, never alone
            quote = quote_of(passage, sentence)
            near = set().union(*tokens[max(0, i - WINDOW) : i + WINDOW + 1])
            given = frozenset(k.name for k in kinds if gives(k, sentence.text))
            holds = (
                given if context.coverage(topic_tokens, near) >= EVIDENCE_COVERAGE else frozenset()
            )
            if holds:
                asked = [k for k in kinds if k.name in holds]
                quote = replace(quote, bold=tuple(value_spans(asked, quote.text)))
            out.append(Candidate(quote, i, holds, reader_text(chunk.section, quote.text)))
    return out
