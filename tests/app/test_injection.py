"""A PDF whose text holds HTML and Markdown must be shown as text in the chat and exports."""

import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from index.build import build_index
from index.settings import Settings

pytestmark = pytest.mark.integration

FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
CHAT = str(Path(__file__).resolve().parents[2] / "app" / "chat.py")
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
    at = AppTest.from_file(CHAT, default_timeout=120).run()
    at.chat_input[0].set_value("交通データ連携の注意事項").run()
    assert not at.exception
    shown = "\n".join(m.value for m in at.markdown)
    assert "alert" in shown  # the passage is there ...
    assert not re.search(r"(?<!\\)<", shown)  # ... but never as raw HTML
    assert "\\<script\\>" in shown and "\\<img src" in shown
    assert "[公式サイト](http" not in shown and "\\[公式サイト\\]\\(http" in shown
    assert "**強調**" not in shown and "\\$x^2\\$" in shown
