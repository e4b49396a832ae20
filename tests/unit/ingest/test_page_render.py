"""The page image's matching rules on plain strings and boxes (no PDF opened): the
pieces of a passage split by a footer, and character boxes merged into lines."""

from __future__ import annotations

from ingest.page_render import fold, match_spans, merge_lines


def test_match_spans_uses_prefix_and_suffix_of_a_sentence_split_by_a_footer():
    page = fold(
        "前の文です。スマートシティの推進には、\n- 12 -\n地域の多様な主体の連携が欠かせない。次の文。"
    ).text
    passage = "スマートシティの推進には、地域の多様な主体の連携が欠かせない。"
    spans = match_spans(page, passage)
    expected = ["スマートシティの推進には、", "地域の多様な主体の連携が欠かせない。"]
    assert [page[a:b] for a, b in spans] == [fold(text).text for text in expected]


def test_merge_lines_gives_one_rectangle_per_line_and_per_vertical_column():
    def row(y: float, x0: float, n: int) -> list[tuple[float, float, float, float]]:
        return [(x0 + 10 * i, y, x0 + 10 * i + 10, y + 12) for i in range(n)]

    two_lines = row(700, 60, 5) + row(682, 50, 3)
    assert merge_lines(two_lines) == [(60, 700, 110, 712), (50, 682, 80, 694)]
    column = [(300, 700 - 12 * i, 310, 712 - 12 * i) for i in range(4)]
    assert merge_lines(column) == [(300, 664, 310, 712)]
    two_columns = row(700, 60, 3) + row(700, 400, 3)  # same line, far apart: two rectangles
    assert len(merge_lines(two_columns)) == 2
