import itertools

import pytest

from ingest.chunking import MAX_CHARS, ChunkSizes, chunk_pages
from ingest.cleaning import clean_pages
from ingest.japanese import split_sentences
from ingest.pdf_reader import read_pdf
from ingest.records import DocumentInfo, Page
from tests.conftest import shared_pdf

pytestmark = pytest.mark.corpus

GUIDEBOOK = "smartcity/digital_chiiki_service_datamodel_guidebook_beta_2025-09.pdf"


def _chunks(rel):
    raw = read_pdf(shared_pdf(rel)).texts
    pages, _ = clean_pages(raw)
    return chunk_pages(pages, DocumentInfo(rel, "title", "v"), doc_key="k")


def test_guidebook_chunks_stay_within_size_and_carry_pages_and_sections():
    chunks = _chunks(GUIDEBOOK)
    assert all(len(c.text) <= MAX_CHARS + 40 for c in chunks)  # a heading line may ride along
    sizes = sorted(len(c.text) for c in chunks)
    assert 150 <= sizes[len(sizes) // 2] <= 600
    assert all(1 <= p <= 120 for c in chunks for p in c.pages)
    land = next(c for c in chunks if c.text.startswith("４.１"))
    assert land.page == 30
    assert land.section.endswith("４.１ 土地")  # as printed


def test_a_known_sentence_comes_out_whole_in_one_chunk():
    chunks = _chunks(GUIDEBOOK)
    sentence = "文字は、スマートフォン等の一般的な機器に搭載されている JIS X 0213（JIS 第4 水準までの約1 万文字）の範囲内とします。"
    holder = [c for c in chunks if sentence in c.text]
    assert len(holder) == 1
    assert holder[0].page == 21


def test_a_sentence_running_over_a_page_break_is_kept_whole_and_lists_both_pages():
    pages = [
        Page(1, ("前の段落です。", "第一段落です。これは次のページへ続く文で")),
        Page(2, ("ここで終わります。次の文です。",)),
    ]
    chunks = chunk_pages(pages, DocumentInfo("f.pdf", "t"), doc_key="k")
    assert len(chunks) == 1
    assert "これは次のページへ続く文でここで終わります。" in chunks[0].text
    assert chunks[0].pages == (1, 2)


def test_slide_pages_are_not_merged_across_slides():
    chunks = _chunks("public/cao_ai_senryaku_siryo2.pdf")
    assert sum(1 for c in chunks if len(c.pages) > 1) <= 2


def test_a_table_caption_stays_with_the_first_rows_of_its_table():
    # PLATEAU spec p.7: 「表 4-2 …一覧」 then rows such as 「bldg:Building 建築物 〇」.
    chunks = _chunks("public/plateau_13100_tokyo23ku_2022_specification_op.pdf")
    holder = [c for c in chunks if "表 4-2" in c.text]
    assert len(holder) == 1
    text = holder[0].text
    assert (
        text.index("表 4-2") < text.index("bldg:Building 建築物") < text.index("gml:name 主題名称")
    )
    assert holder[0].pages == (7,)


def test_a_caption_at_the_end_of_a_full_chunk_moves_to_the_next_with_its_rows():
    body = "これは前置きの文です。" * 50  # ~550 characters: the chunk is nearly full
    rows = tuple(f"行{i} セルA セルB" for i in range(5))
    page = Page(1, (body, "表 1 データ項目の一覧", *rows))
    chunks = chunk_pages([page], DocumentInfo("t.pdf", "t"), doc_key="k")
    with_caption = next(c for c in chunks if "表 1 データ項目の一覧" in c.text)
    assert with_caption.text.startswith("表 1 データ項目の一覧")
    assert "行0 セルA セルB" in with_caption.text


def test_overlap_repeats_the_last_sentence_after_a_cut_for_size():
    rel = GUIDEBOOK
    raw = read_pdf(shared_pdf(rel)).texts
    pages, _ = clean_pages(raw)
    info = DocumentInfo(rel, "title", "v")
    plain = chunk_pages(pages, info, doc_key="k")
    overlapped = chunk_pages(pages, info, doc_key="k", sizes=ChunkSizes(overlap=1))
    assert len(overlapped) >= len(plain)
    repeats = 0
    for before, after in itertools.pairwise(overlapped):
        last = split_sentences(before.text.replace("\n", ""))[-1]
        if len(last) > 20 and after.text.startswith(last):
            repeats += 1
    assert repeats >= 5  # the guidebook has long sections cut for size (9 at 600 chars)
    # Without overlap no chunk starts with the previous chunk's last sentence.
    assert not any(
        b.text.startswith(split_sentences(a.text.replace("\n", ""))[-1])
        for a, b in itertools.pairwise(plain)
        if len(split_sentences(a.text.replace("\n", ""))[-1]) > 20
    )


def test_smaller_chunks_are_shorter_and_more_numerous():
    rel = GUIDEBOOK
    pages, _ = clean_pages(read_pdf(shared_pdf(rel)).texts)
    info = DocumentInfo(rel, "title", "v")
    small = chunk_pages(pages, info, doc_key="k", sizes=ChunkSizes(100, 300))
    default = chunk_pages(pages, info, doc_key="k")
    assert len(small) > len(default) * 1.4
    assert all(len(c.text) <= 300 + 40 for c in small)


def _squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize(
    "rel",
    [
        GUIDEBOOK,  # Word-origin prose: sentences run over page breaks
        "public/cao_ai_senryaku_ronten_honbun.pdf",  # printed line numbers removed
        "public/digital_ds430_core_data_model_overview_v2.pdf",  # slides and tables
    ],
)
def test_every_sentence_is_located_on_the_page_it_is_printed_on(rel):
    raw = read_pdf(shared_pdf(rel)).texts
    pages, _ = clean_pages(raw)
    printed = {p.number: _squeezed("".join(p.lines)) for p in pages}
    chunks = chunk_pages(pages, DocumentInfo(rel, "title", "v"), doc_key="k")
    checked = spanning = 0
    for chunk in chunks:
        assert len(chunk.page_starts) == len(chunk.pages) == len(chunk.page_labels)
        assert chunk.page_starts[0] == 0 and list(chunk.page_starts) == sorted(chunk.page_starts)
        offset = 0
        for line in chunk.text.split("\n"):
            for sentence in split_sentences(line):
                start = chunk.text.index(sentence, offset)
                offset = start + len(sentence)
                on = chunk.pages_at(start, offset)
                body = _squeezed(sentence)
                if len(body) < 6:
                    continue
                checked += 1
                if len(on) == 1:
                    assert body in printed[on[0]], (chunk.pages, on, sentence)
                else:  # over a page break: what comes before it on one page, the rest on the next
                    spanning += 1
                    turn = chunk.page_starts[chunk.pages.index(on[1])]
                    # Ends of each part (a footnote the reader joined in may sit between).
                    before, after = (
                        _squeezed(t) for t in (chunk.text[start:turn], chunk.text[turn:offset])
                    )
                    for part, page in ((before, on[0]), (after, on[1])):
                        assert part[:6] in printed[page] and part[-6:] in printed[page], sentence
    assert checked > 100
    if rel == GUIDEBOOK:
        assert spanning >= 3
