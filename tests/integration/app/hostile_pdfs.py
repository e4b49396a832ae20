"""PDFs an attacker could slip into a corpus, generated on the fly (never committed).

Their metadata titles and file names hold Markdown links, images and HTML; two
of them share one title and no version, so that only their file names tell them apart.
"""

from __future__ import annotations

from pathlib import Path

import pytest

FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")

LINK_TITLE = "[最新版はこちら](https://evil.example/latest)"
IMAGE_TITLE = (
    "![x](https://evil.example/x.png)<img src=https://evil.example/y.png><script>alert(1)</script>"
)
# file name -> (metadata title, body)
HOSTILE_PDFS = {
    "notice_a.pdf": (
        LINK_TITLE,
        "自転車駐輪場の利用登録は、市民課の窓口またはオンラインで受け付けます。",
    ),
    "notice_b.pdf": (
        LINK_TITLE,
        "粗大ごみの収集は、事前に電話で申し込んだうえで月に二回行います。",
    ),
    "[公式](javascript:alert(1)).pdf": (
        IMAGE_TITLE,
        "## 見出し [リンク](https://evil.example/) 図書館の休館日は毎週月曜日と年末年始です。",
    ),
}


def write_hostile_corpus(folder: Path) -> Path:
    fpdf = pytest.importorskip("fpdf")
    if not FONT.exists():
        pytest.skip("IPAex Gothic is not installed (scripts/setup.sh dev installs it)")
    folder.mkdir(parents=True, exist_ok=True)
    for name, (title, body) in HOSTILE_PDFS.items():
        pdf = fpdf.FPDF()
        pdf.set_title(title)
        pdf.add_font("ipaex", fname=str(FONT))
        pdf.set_font("ipaex", size=11)
        pdf.add_page()
        pdf.multi_cell(0, 7, "市民向けのお知らせ\n\n" + (body + "\n") * 4)
        pdf.output(str(folder / name))
    return folder
