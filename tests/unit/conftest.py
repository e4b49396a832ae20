"""The unit tier: no PDF is read, no model loaded, no index built or opened.

A unit test that asks for such a fixture fails at collection, and one that reaches
for a PDF reader, a model or an index at run time fails with a message naming it.
"""

from __future__ import annotations

from pathlib import Path

import pypdf
import pypdfium2
import pytest

import index.dense
import index.search

NOT_IN_THE_UNIT_TIER = ("corpus", "index", "model", "browser", "slow")


@pytest.hookimpl(trylast=True)  # after tests/conftest.py has marked what each test needs
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # A conftest's collection hook sees the whole session's tests: only this folder's count.
    for item in (i for i in items if Path(i.path).is_relative_to(Path(__file__).parent)):
        needs = [m.name for m in item.iter_markers() if m.name in NOT_IN_THE_UNIT_TIER]
        if needs:
            raise pytest.UsageError(
                f"{item.nodeid} needs {', '.join(sorted(set(needs)))}: it belongs in tests/integration"
            )


@pytest.fixture(autouse=True)
def _no_pdf_model_or_index(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(what: str):
        def refused(*args: object, **kwargs: object) -> None:
            raise AssertionError(f"a unit test must not {what}: move it to tests/integration")

        return refused

    monkeypatch.setattr(pypdf.PdfReader, "__init__", refuse("read a PDF (pypdf)"))
    monkeypatch.setattr(pypdfium2.PdfDocument, "__init__", refuse("read a PDF (pypdfium2)"))
    monkeypatch.setattr(index.dense, "load_embedder", refuse("load an embedding model"))
    monkeypatch.setattr(index.search.Searcher, "__init__", refuse("open an index"))
