"""Render the sample documents in corpus/samples/src/*.md to PDF, reproducibly.

    python corpus/samples/build_samples.py [--font PATH] [--out DIR]

Needs fpdf2 (dev extra) and a Japanese TrueType font: IPAex Gothic from
Debian's fonts-ipaexfont-gothic by default. Output is byte-for-byte stable
for the same sources, font and fpdf2 version (fixed dates, no random IDs).
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime
from pathlib import Path

from fpdf import FPDF

HERE = Path(__file__).resolve().parent
DEFAULT_FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
FIXED_DATE = datetime(2026, 11, 1, tzinfo=UTC)
FOOTER = "サンプル資料（scqa 開発チーム作成・公式資料ではありません）"


class SamplePDF(FPDF):
    def footer(self) -> None:
        self.set_y(-15)
        self.set_font("jp", size=8)
        self.cell(0, 5, FOOTER, align="L")
        self.cell(0, 5, f"- {self.page_no()} -", align="R")


def render(source: Path, out_dir: Path, font: Path) -> Path:
    lines = source.read_text(encoding="utf-8").splitlines()
    title = lines[0].removeprefix("# ").strip()
    pdf = SamplePDF(format="A4")
    pdf.set_creation_date(FIXED_DATE)
    pdf.set_title(title)
    pdf.set_author("scqa 開発チーム")
    pdf.set_subject("サンプル資料")
    pdf.add_font("jp", fname=str(font))
    pdf.set_margins(20, 20, 20)
    pdf.set_auto_page_break(auto=True, margin=22)
    pdf.add_page()
    pdf.set_font("jp", size=17)
    pdf.multi_cell(0, 10, title)
    pdf.ln(4)
    for line in lines[1:]:
        if not line.strip() or line.startswith("<!--"):
            continue
        if line.startswith("## "):
            pdf.ln(3)
            pdf.set_font("jp", size=14)
            # 「1　見出し」: the ideographic space is how Japanese documents set chapter numbers.
            pdf.multi_cell(0, 8, re.sub(r"^(\d+) ", "\\1\u3000", line[3:].strip()))
        elif line.startswith("### "):
            pdf.ln(1)
            pdf.set_font("jp", size=12)
            pdf.multi_cell(0, 7, line[4:].strip())
        elif line.startswith("- "):
            pdf.set_font("jp", size=10.5)
            pdf.multi_cell(0, 6, "・" + line[2:].strip())
        else:
            pdf.set_font("jp", size=10.5)
            pdf.multi_cell(0, 6, "\u3000" + line.strip())
        pdf.ln(1)
    out = out_dir / (source.stem + ".pdf")
    pdf.output(str(out))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--font", type=Path, default=DEFAULT_FONT)
    parser.add_argument("--out", type=Path, default=HERE)
    args = parser.parse_args()
    for source in sorted((HERE / "src").glob("*.md")):
        print(render(source, args.out, args.font))


if __name__ == "__main__":
    main()
