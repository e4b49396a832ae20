"""Plain records about corpus files, passed on to the later stages."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class SkippedFile:
    """A file the build could not index, and why (in Japanese, for the operator)."""

    file: str
    reason: str
