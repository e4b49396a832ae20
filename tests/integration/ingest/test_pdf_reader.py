import pytest

from ingest.pdf_reader import UnreadablePDF, read_pdf
from tests.conftest import ROOT, shared_pdf

pytestmark = pytest.mark.corpus

SAMPLE = ROOT / "corpus" / "samples" / "smartcity_glossary.pdf"


def test_encrypted_pdf_with_empty_password_opens():
    raw = read_pdf(shared_pdf("public/cao_ai_senryaku_ronten_honbun.pdf"))
    reader, pages = raw.reader, raw.texts
    assert reader.is_encrypted
    assert len(pages) == 17
    assert "暫定的な論点整理" in pages[0]


def test_scanned_pdf_is_reported_as_having_no_text_layer():
    with pytest.raises(UnreadablePDF, match="テキスト層がありません"):
        read_pdf(shared_pdf("bad/scanned_no_text_layer.pdf"))


def test_truncated_pdf_is_reported_not_raised_as_a_crash(tmp_path):
    source = shared_pdf("public/digital_ds430_core_data_model_overview_v2.pdf").read_bytes()
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(source[:2000])
    with pytest.raises(UnreadablePDF):
        read_pdf(broken)


def test_a_file_that_is_not_a_pdf_is_reported(tmp_path):
    fake = tmp_path / "fake.pdf"
    fake.write_text("これはPDFではありません", encoding="utf-8")
    with pytest.raises(UnreadablePDF, match="PDF"):
        read_pdf(fake)


def test_a_pdf_that_needs_a_password_is_reported(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(SAMPLE))
    writer.encrypt(user_password="himitsu", owner_password="owner", algorithm="AES-128")
    locked = tmp_path / "locked.pdf"
    with locked.open("wb") as fh:
        writer.write(fh)
    with pytest.raises(UnreadablePDF, match="パスワード"):
        read_pdf(locked)
