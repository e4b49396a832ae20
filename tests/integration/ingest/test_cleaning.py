import pytest

from ingest.cleaning import clean_pages
from ingest.pdf_reader import read_pdf
from tests.conftest import shared_pdf

pytestmark = pytest.mark.corpus

GUIDEBOOK = "smartcity/digital_chiiki_service_datamodel_guidebook_beta_2025-09.pdf"


def _pages(rel):
    raw = read_pdf(shared_pdf(rel)).texts
    return clean_pages(raw)[0]


def test_printed_line_numbers_are_stripped_from_the_cabinet_office_draft():
    page = _pages("public/cao_ai_senryaku_shiryo2-1.pdf")[3]
    text = "".join(page.lines)
    # Printed as 「...ここでは、リス3 \\nクへの対応...」 in the text layer.
    assert "ここでは、リスクへの対応の一般的なアプローチと" in text
    assert "リス3" not in text


def test_page_numbers_and_running_footers_are_dropped_from_the_guidebook():
    pages = _pages(GUIDEBOOK)
    page21 = pages[20]
    assert page21.lines[-1] != "21"
    assert all(line.strip() != str(p.number) for p in pages for line in p.lines)


def test_lines_wrapped_mid_sentence_are_joined_into_one_paragraph():
    pages = _pages(GUIDEBOOK)
    text = "\n".join(pages[20].lines)
    assert (
        "そのため、イベントや施設のデータモデルに共通的に付加して利用できるデータ項目を定義しています。"
        in text
    )
