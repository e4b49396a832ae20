"""What the chat asks of an indexed PDF, on the small index built from real PDFs: the
scanned notice's pages give the characters the build's OCR read (the build and the chat
agree on where the OCR cache is), a page with a text layer gives none."""

from __future__ import annotations

import pytest

from collection.scan import sha256_of
from index.indexed_pdf import is_indexed_file, ocr_characters

pytestmark = pytest.mark.corpus

SCANNED = "bad/scanned_no_text_layer.pdf"
WITH_TEXT = "public/cao_ai_senryaku_ronten_honbun.pdf"


def test_a_page_the_build_read_by_ocr_gives_its_characters_with_boxes(searcher):
    if (SCANNED, 4) not in searcher.ocr_pages:
        pytest.skip("the build could not OCR here (tesseract is not installed)")
    chars = ocr_characters(searcher, SCANNED, 4)
    assert chars and all(len(box) == 4 for _, box in chars)
    assert "小分け" in "".join(c for c, _ in chars)


def test_a_page_with_a_text_layer_gives_no_ocr_characters(searcher):
    assert ocr_characters(searcher, WITH_TEXT, 5) == ()


def test_the_corpus_file_is_the_indexed_one_and_a_copy_changed_is_not(searcher, tmp_path):
    path = searcher.settings.corpus_dir / WITH_TEXT
    sha256 = searcher.documents_by_file[WITH_TEXT].sha256
    assert is_indexed_file(path, sha256)
    changed = tmp_path / "changed.pdf"
    changed.write_bytes(path.read_bytes() + b"\n%")
    assert not is_indexed_file(changed, sha256) and sha256_of(changed) != sha256
