"""collection/paths.py: which corpus file a name read from an index may stand for."""

import pytest

from collection.paths import corpus_file
from tests.conftest import shared_pdf

pytestmark = pytest.mark.corpus


@pytest.mark.parametrize(
    "rel",
    [
        "../x.pdf",
        "a/../../x.pdf",
        "/etc/passwd",
        "C:\\x.pdf",
        "a\\..\\..\\x.pdf",
        "",
        "missing.pdf",
    ],
)
def test_corpus_file_refuses_names_outside_the_corpus(tmp_path, rel):
    with pytest.raises(ValueError):
        corpus_file(tmp_path, rel)


def test_corpus_file_accepts_the_operators_links(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.pdf").symlink_to(shared_pdf("public/cao_ai_senryaku_siryo2.pdf"))
    assert corpus_file(tmp_path, "sub/a.pdf") == tmp_path / "sub" / "a.pdf"
