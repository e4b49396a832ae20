"""Every path inside an index folder: the rest of scqa asks here instead of joining names.

    <index_dir>/
      current                      symlink to the build being served
      .current-*                   that link while it is swapped in (renamed over ``current``)
      builds/<id>/                 a finished build; the files inside are index/store.py's
      builds/.tmp-*                a build in progress, never served
      build.lock                   one build at a time (index/lock.py)
      cache/files/                 parsed PDFs by sha256 (index/file_cache.py)
      cache/vectors.sqlite3        passage vectors by text and model (index/vector_cache.py)
      cache/ocr/                   OCR readings by PDF sha256 and page (ingest/ocr.py)
      feedback.sqlite3             ratings and comments from the chat (app/feedback.py)
      api_keys.json                hashed keys of `scqa api` (app/api_keys.py)
      ui/chat_app.py               the script ``scqa serve`` runs (app/served_pdfs.py)
      ui/static/pdf/<sha256>.pdf   the indexed PDFs, for the browser to open at a page

The ``cache`` setting may put the caches elsewhere (a faster or larger disk); then
``cache/`` above is that folder. What each file holds, and when it is written, is
its module's business; this one only names them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from config import Settings

_SHA256 = re.compile(r"[0-9a-f]{64}")
_UNFINISHED = ".tmp-"
_LINK_IN_PROGRESS = ".current-"


@dataclass(frozen=True)
class IndexFolder:
    """The paths of one index folder; ``cache``: the ``cache`` setting (None: inside it)."""

    root: Path
    cache: Path | None = None

    @classmethod
    def of(cls, settings: Settings) -> IndexFolder:
        return cls(settings.index_dir, settings.cache)

    # --- builds and the served one -------------------------------------------------------

    @property
    def current(self) -> Path:
        return self.root / "current"

    @property
    def builds(self) -> Path:
        return self.root / "builds"

    def unfinished_build(self, name: str) -> Path:
        return self.builds / f"{_UNFINISHED}{name}"

    @staticmethod
    def is_unfinished(build: Path) -> bool:
        return build.name.startswith(_UNFINISHED)

    @staticmethod
    def finished(build: Path) -> Path:
        """Where an unfinished build goes once it is complete."""
        return build.with_name(build.name.removeprefix(_UNFINISHED))

    def current_target(self, build: Path) -> Path:
        """What ``current`` points to for ``build``: relative, so the folder can move."""
        return Path(self.builds.name) / build.name

    def link_in_progress(self, name: str) -> Path:
        return self.root / f"{_LINK_IN_PROGRESS}{name}"

    def leftovers(self) -> list[Path]:
        """Unfinished builds and links in progress, as a build that died leaves them."""
        found = list(self.builds.glob(f"{_UNFINISHED}*")) if self.builds.is_dir() else []
        return found + list(self.root.glob(f"{_LINK_IN_PROGRESS}*"))

    @property
    def lock(self) -> Path:
        return self.root / "build.lock"

    # --- caches kept across builds -------------------------------------------------------

    @property
    def cache_dir(self) -> Path:
        return self.cache or self.root / "cache"

    @property
    def file_cache(self) -> Path:
        return self.cache_dir / "files"

    @property
    def vector_cache(self) -> Path:
        return self.cache_dir / "vectors.sqlite3"

    @property
    def ocr_cache(self) -> Path:
        return self.cache_dir / "ocr"

    # --- the chat ------------------------------------------------------------------------

    @property
    def feedback(self) -> Path:
        return self.root / "feedback.sqlite3"

    @property
    def api_keys(self) -> Path:
        return self.root / "api_keys.json"

    @property
    def chat_script(self) -> Path:
        return self.root / "ui" / "chat_app.py"

    @property
    def served_pdfs(self) -> Path:
        """Streamlit serves only a ``static`` folder beside the script it runs."""
        return self.chat_script.parent / "static" / "pdf"

    def served_pdf(self, sha256: str) -> Path:
        """The served copy of the PDF with this sha256; a value that is not a sha256 (it
        comes from an index, which could hide a path in it) is refused with ValueError."""
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"sha256 ではありません: {sha256!r}")
        return self.served_pdfs / f"{sha256}.pdf"
