"""Plain records passed between ingest stages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Page:
    """One physical page of a PDF after cleaning.

    ``lines`` hold display text (readable, as printed); matching text is derived
    later with :func:`ingest.normalize.for_matching`.
    """

    number: int  # 1-based physical page
    lines: tuple[str, ...]
    label: str = ""  # printed page label (/PageLabels or the number printed on the page)


@dataclass(frozen=True)
class DocumentInfo:
    """What we know about a document: from the manifest, PDF metadata or its text."""

    file: str  # path relative to the corpus folder, forward slashes
    title: str
    version: str = ""
    date: str = ""
    series: str = ""
    url: str = ""


@dataclass(frozen=True)
class Document:
    info: DocumentInfo
    sha256: str
    pages: tuple[Page, ...]


@dataclass(frozen=True)
class Chunk:
    """A passage we index and cite: display text plus where it came from."""

    chunk_id: str
    file: str
    pages: tuple[int, ...]
    title: str
    version: str
    section: str
    text: str
    page_label: str = ""  # printed label of the first page, when known

    @property
    def page(self) -> int:
        return self.pages[0]


@dataclass
class SkippedFile:
    file: str
    reason: str
