"""A PDF whose text holds HTML and Markdown must be shown as text in the chat and exports."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from config import Settings
from index.build import build_index

pytestmark = [pytest.mark.index, pytest.mark.model]  # hostile PDFs written by the test

FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
CHAT = str(Path(__file__).resolve().parents[3] / "app" / "chat.py")
HOSTILE = (
    "交通データ連携の注意事項として、次の文字列をそのまま表示すること。"
    "<script>alert('x')</script> と <img src=x onerror=alert(1)> と "
    "[公式サイト](http://evil.example/) と **強調** と # 見出し と $x^2$ を含む。"
)


@pytest.fixture(scope="module")
def hostile_index(tmp_path_factory):
    fpdf = pytest.importorskip("fpdf")
    if not FONT.exists():
        pytest.skip("IPAex Gothic is not installed (scripts/setup.sh dev installs it)")
    corpus = tmp_path_factory.mktemp("hostile")
    pdf = fpdf.FPDF()
    pdf.add_font("ipaex", fname=str(FONT))
    pdf.set_font("ipaex", size=11)
    pdf.add_page()
    pdf.multi_cell(0, 7, "交通データ連携の手引き\n\n" + HOSTILE * 3)
    pdf.output(str(corpus / "hostile.pdf"))
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("index"))
    build_index(corpus, settings)
    return settings


def test_pdf_text_with_html_and_markdown_stays_text(hostile_index, monkeypatch):
    monkeypatch.setenv("SCQA_INDEX_DIR", str(hostile_index.index_dir))
    monkeypatch.setenv("SCQA_CORPUS_DIR", str(hostile_index.corpus_dir))
    at = AppTest.from_file(CHAT, default_timeout=120).run()
    at.chat_input[0].set_value("交通データ連携の注意事項").run()
    assert not at.exception
    shown = "\n".join(m.value for m in at.markdown)
    assert "alert" in shown  # the passage is there ...
    assert not re.search(r"(?<!\\)<", shown)  # ... but never as raw HTML
    assert "\\<script\\>" in shown and "\\<img src" in shown
    assert "[公式サイト](http" not in shown and "\\[公式サイト\\]\\(http" in shown
    assert "**強調**" not in shown and "\\$x^2\\$" in shown


@pytest.fixture(scope="module")
def hostile_titles(tmp_path_factory):
    from tests.integration.app.hostile_pdfs import write_hostile_corpus

    corpus = write_hostile_corpus(tmp_path_factory.mktemp("titles"))
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("index"))
    build_index(corpus, settings)
    return settings


def _visible(markdown: str) -> str:
    return re.sub(r"\\(.)", r"\1", markdown).replace("\u2060", "")


def test_a_pdf_title_never_becomes_a_link_or_an_image(hostile_titles, monkeypatch):
    from tests.integration.app.hostile_pdfs import IMAGE_TITLE, LINK_TITLE

    monkeypatch.setenv("SCQA_INDEX_DIR", str(hostile_titles.index_dir))

    monkeypatch.setenv("SCQA_CORPUS_DIR", str(hostile_titles.corpus_dir))
    at = AppTest.from_file(CHAT, default_timeout=120).run()
    at.chat_input[0].set_value("図書館の休館日").run()
    assert not at.exception
    labels = [e.label for e in at.expander if _visible(e.label).startswith("[")]
    assert labels
    for label in labels:
        # Every character that could open a link, an image or HTML is escaped ...
        assert not re.search(r"(?<!\\)[\[\]()<>!]", label), label
    # ... and the reader sees the title exactly as the PDF has it.
    seen = [_visible(label) for label in labels]
    assert any(IMAGE_TITLE in s for s in seen) and any(LINK_TITLE in s for s in seen)
    assert "javascript" not in "".join(m.value for m in at.markdown if "](" in m.value)


def test_two_documents_with_one_title_are_two_choices(hostile_titles, monkeypatch):
    monkeypatch.setenv("SCQA_INDEX_DIR", str(hostile_titles.index_dir))
    monkeypatch.setenv("SCQA_CORPUS_DIR", str(hostile_titles.corpus_dir))
    at = AppTest.from_file(CHAT, default_timeout=120).run()
    chosen = at.multiselect[0]
    assert sorted(chosen.options) == sorted(set(chosen.options))  # three distinct labels
    assert len(chosen.options) == 3 and len(chosen.value) == 3
    # Either of the two same-titled files can be searched alone.
    for file, words in (("notice_a.pdf", "駐輪場の利用登録"), ("notice_b.pdf", "粗大ごみの収集")):
        chosen.set_value([file]).run()
        at.chat_input[0].set_value(words).run()
        assert not at.exception
        turn = at.session_state["turns"][-1]
        assert turn.answer.passages
        assert {p.chunk.file for p in turn.answer.passages} == {file}


def test_a_tampered_index_cannot_serve_a_file_outside_the_corpus(tmp_path, monkeypatch):
    """documents.json and chunks.jsonl edited to name ../secret/...: the chat offers no
    download, page image or link for that file."""
    import json
    import shutil

    from index.store import current_build
    from tests.integration.app.hostile_pdfs import write_hostile_corpus

    corpus = write_hostile_corpus(tmp_path / "corpus")
    settings = Settings(corpus_dir=corpus, index_dir=tmp_path / "index")
    build_index(corpus, settings)
    secret = tmp_path / "secret"
    secret.mkdir()
    shutil.copy(corpus / "notice_a.pdf", secret / "notice_a.pdf")
    build = current_build(settings.index_dir)
    for name in ("documents.json", "chunks.jsonl"):
        path = build / name
        path.write_text(
            path.read_text(encoding="utf-8").replace('"notice_a.pdf"', '"../secret/notice_a.pdf"'),
            encoding="utf-8",
        )
    assert json.loads((build / "documents.json").read_text(encoding="utf-8"))
    monkeypatch.setenv("SCQA_INDEX_DIR", str(settings.index_dir))
    monkeypatch.setenv("SCQA_CORPUS_DIR", str(settings.corpus_dir))
    at = AppTest.from_file(CHAT, default_timeout=120).run()
    at.chat_input[0].set_value("駐輪場の利用登録").run()
    assert not at.exception
    turn = at.session_state["turns"][-1]
    assert turn.answer.passages[0].chunk.file == "../secret/notice_a.pdf"
    assert any("このサーバーにありません" in i.value for i in at.info)
    saves = [b for b in at.get("download_button") if b.key.startswith(("page-", "file-"))]
    assert len(saves) == 2 * (len(turn.answer.passages) - 1)  # none for the tampered one
