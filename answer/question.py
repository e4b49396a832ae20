"""A question as typed, pasted or piped in -> text that can be searched, or a message why not.

The chat and every `scqa ask` form pass questions through :func:`check_question`
first, so that nothing a person can type or paste reaches the tokenizers as
something they cannot take, and every refusal is a Japanese sentence, never a
traceback.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MAX_QUESTION_CHARS = 500

# Bytes Python could not decode from the command line or a pipe arrive as lone
# surrogates (surrogateescape), e.g. a question typed in a Shift-JIS terminal.
_ESCAPED_BYTES = re.compile("[\udc80-\udcff]")
_UNREADABLE = re.compile("[\ud800-\udfff]")
# Control characters (NUL included) other than line breaks and tabs: pasted from
# other programs, they carry nothing a question needs.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class CheckedQuestion:
    text: str  # what to search (the input, with unusable characters removed)
    problem: str = ""  # why it cannot be searched, in Japanese; empty when it can

    @property
    def ok(self) -> bool:
        return not self.problem


def recover_bytes(text: str) -> str:
    """Undecodable bytes read as Shift-JIS (CP932, as Japanese Windows writes it) when that
    reads them all; otherwise they are dropped."""
    if not _ESCAPED_BYTES.search(text):
        return text
    raw = text.encode("utf-8", errors="surrogateescape")
    try:
        return raw.decode("cp932")
    except UnicodeDecodeError:
        return raw.decode("utf-8", errors="ignore")


def check_question(raw: str, max_chars: int = MAX_QUESTION_CHARS) -> CheckedQuestion:
    """Clean a question and say, in Japanese, why it cannot be searched, if it cannot."""
    text = _UNREADABLE.sub("", recover_bytes(raw))
    text = _CONTROL.sub(" ", text).strip()
    if not text:
        return CheckedQuestion("", "質問を入力してください。")
    if len(text) > max_chars:
        return CheckedQuestion(
            text,
            f"質問が長すぎます（{len(text)} 文字）。{max_chars} 文字以内にまとめてください。"
            "文書の一部を貼り付けた場合は、知りたい点だけを質問にしてください。",
        )
    # Letters (kana, kanji, Latin ...) or digits: an emoji or punctuation alone asks nothing.
    if not any(unicodedata.category(c)[0] in "LN" for c in text):
        return CheckedQuestion(
            text,
            "質問に文字が含まれていません。知りたいことを言葉で入力してください"
            "（例: データ連携基盤とは何ですか）。",
        )
    return CheckedQuestion(text)
