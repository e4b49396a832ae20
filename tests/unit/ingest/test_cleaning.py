"""Page cleaning on lines as PDFs print them: line numbers, running heads, wrapped paragraphs."""

from ingest.cleaning import clean_pages, join_paragraphs, strip_line_numbers


def test_a_sentence_ending_in_a_number_is_not_taken_for_a_line_number():
    lines = ["対象は 2 件", "本文です。", "合計は 10"]
    assert strip_line_numbers(lines) == lines


def test_headings_and_items_start_their_own_paragraph():
    lines = ["本文の最後の行です。", "３.１\u3000文字", "・一つ目の項目", "・二つ目の項目"]
    assert join_paragraphs(lines) == lines


# The scanned MF notice, p.7, as OCR reads it: numbered answers wrapped at the margin.
NOTICE_ANSWERS = [
    "(問17)原薬等国内管理人を選任せずに、海外の原薬等製造業者が、直接、MF",
    "登録申請を行うことはできるか。",
    "(答)",
    "1.海外の原薬等製造業者がMF登録申請を行う場合は、原薬等国内管理人の選",
    "任が必須となっており、それをせずに、海外の原薬等製造業者が、直接、MF登録",
    "申請を行うことはできません。必ず原薬等国内管理人の選任後に、MF登録申請を",
    "行う必要があります。",
    "2.製造販売業者が原薬の製造に関する詳細情報を入手しているのであれば、それ",
    "を製剤の承認申請書に記載すればよく、MF登録する必要性はないと考えます。",
    "3.MF登録申請は、無料で行っています。",
]


def test_a_numbered_line_wrapped_at_the_margin_is_a_paragraph_not_a_heading():
    paragraphs = join_paragraphs(NOTICE_ANSWERS)
    assert (
        "1.海外の原薬等製造業者がMF登録申請を行う場合は、原薬等国内管理人の選任が必須と"
        "なっており、それをせずに、海外の原薬等製造業者が、直接、MF登録申請を行うことは"
        "できません。必ず原薬等国内管理人の選任後に、MF登録申請を行う必要があります。"
    ) in paragraphs
    assert any(p.startswith("2.製造販売業者が") and p.endswith("考えます。") for p in paragraphs)
    # A short numbered line keeps its own paragraph.
    assert "3.MF登録申請は、無料で行っています。" in paragraphs


def test_a_word_wrapped_onto_its_own_line_is_not_taken_for_a_repeated_tab():
    # fpdf2 wraps 「scqa は、…」 after the ASCII word, mid-page, on many pages of the sample guide.
    words = "資料検索回答出典版番号頁節章表図"
    pages = [
        "\n".join(
            [f"{words[n]}{words[i]}に関する本文です。" for i in range(4)]
            + ["scqa", "は、質問に答えるツールです。"]
            + [f"{words[i]}{words[n]}についての説明が続きます。" for i in range(4, 8)]
        )
        for n in range(6)
    ]
    cleaned, _ = clean_pages(pages)
    assert all("scqaは、質問に答えるツールです。" in p.lines for p in cleaned)


FORM = [
    "様式第{n}号",
    "第{n}条関係の届出書",
    "届出番号{n}の内容は、次のとおりです。",
    "区分{n}の事業者は、毎年{n}月末日までに届け出ること。",
    "添付書類は{n}部とし、写しを保管すること。",
    "問合せ先 内線{n}",
]


def _numbered_pages(n_pages: int, lines: list[str]) -> list[str]:
    """Pages that differ only by a number, as in a register or a book of forms."""
    return ["\n".join(line.format(n=n) for line in lines) for n in range(1, n_pages + 1)]


def test_pages_that_differ_only_by_a_number_keep_their_text():
    pages, _ = clean_pages(_numbered_pages(30, FORM))
    # Every line is on every page (digits aside), but a page is never all running heads.
    for n, page in enumerate(pages, start=1):
        assert f"区分{n}の事業者は、毎年{n}月末日までに届け出ること。" in "".join(page.lines)


def test_only_the_edges_of_a_page_can_be_running_heads():
    # Half the pages hold six lines, half twelve: the first six lines are at an edge on
    # many pages, yet on a long page lines 4 to 6 are its middle, not a running head.
    words = "申請届出審査許可登録変更廃止報告公表保管照会返還"
    lines = [f"{words[2 * i : 2 * i + 2]}の手続は第{{n}}条の定めによる。" for i in range(12)]
    texts = ["\n".join(x.format(n=n) for x in lines[: 6 if n % 2 else 12]) for n in range(1, 31)]
    pages, _ = clean_pages(texts)
    long_page = "".join(pages[9].lines)
    for i in range(3, 9):
        assert lines[i].format(n=10) in long_page


def test_a_page_of_running_heads_alone_is_not_emptied():
    pages, _ = clean_pages(_numbered_pages(10, ["ヘッダー第{n}章", "本文{n}", "{n}"]))
    assert all(p.lines for p in pages)


WHITE_PAPER_PAGE = [  # MEXT white paper 2024, chapter 1, p.4 (pypdf): two columns, full-width notes
    "第３節 生成ＡＩ技術の飛躍的な進展をもたらした技術的な要因と次世代技術の方向性",
    "ChatGPTのような「対話型生成ＡＩ」技術が",
    "急速に普及した要因としては、自然言語をイン",
    "ターフェースとし、インターネット上で使える",
    "形で提供されたことに加えて、技術的な面で超",
    "大規模学習が進められ、予測精度が大幅に向上",
    "したことが挙げられます。",
    "例えば、2014年にカナダのモントリオール",
    "大学の研究者らによって発表された「敵対的生",
    "成ネットワーク1」により、少ないデータから",
    "学習に必要なデータを作り出し、高精度の結果",
    "を出すことが可能となりました。また、高性能",
    "計算機の普及により、大量の計算を高速に行う",
    "ことが可能となりました。",
    "また、ニューラルネットワークの中のどこに",
    "注目するか自体を自動的に学習することがで",
    "きる手法（自己注意機構）を活用した「トラン",
    "スフォーマー」と呼ばれる深層学習モデルが、",
    "2017年にGoogle社の研究者によって発表さ",
    "れ2、タスクを特定しない形の事前学習で、従",
    "来より効率性や汎用性が高いモデルを構築する",
    "1 Generative Adversarial Networks（ＧＡＮ）",
    "2 Vaswani, A., et al., (2017), “Attention Is All You Need”,  arXiv. https://arxiv.org/abs/1706.03762",
    "3 Bidirectional Encoder Representations from Transformers",
    "4 Kaplan, J., et al., (2020), “Scaling Laws for Neural Language Models”, arXiv. https://doi.org/10.48550/arXiv.2001.08361",
    "5 Diffusion Model",
    "Sohl-Dickstein, J., et al., (2015), “Deep Unsupervised Learning using Nonequilibrium Thermodynamics”, arXiv.",
    "https://arxiv.org/abs/1503.03585",
    "6 Denoising Diffusion Probabilistic Models（ＤＤＰＭ）",
    "Ho, J., et al., (2020), “Denoising Diffusion Probabilistic Models”, arXiv. https://arxiv.org/abs/2006.11239",
    "ことが可能になりました。さらに、それまで主",
    "流だった「教師あり学習」に代わり、データか",
    "ら擬似的な教師データ（正解ラベル）を自動的",
    "に作って「教師あり学習」を行う「自己教師あ",
    "り学習」のアプローチが進みました。例えば、",
    "2018年にGoogle社から発表された「ＢＥＲＴ3」",
    "では、元のテキストの複数箇所を隠して訓練す",
    "るという方法が導入され、人間による正解の生",
    "成が必要なくなり、大規模学習が可能になりま",
    "した（第１-１-３図）。このような中、2020年",
    "には、大量のデータを学習させてモデルの規模",
    "を巨大化するほど、予測精度が向上すること",
    "（スケーリング則）4が確認されたことで（第",
    "１-１-４図）、モデルの超大規模化に向けた研",
    "究開発が急速に進められました。",
    "画像生成についても、前述の「敵対的生成",
    "ネットワーク」により、精巧な画像の生成が可",
]


def test_full_width_footnotes_do_not_make_a_columns_lines_look_short():
    paragraphs = join_paragraphs(WHITE_PAPER_PAGE)
    assert any(
        "人間による正解の生成が必要なくなり、大規模学習が可能になりました（第１-１-３図）。" in p
        for p in paragraphs
    )
    assert any(
        p.startswith("例えば、2014年にカナダの") and p.endswith("可能となりました。")
        for p in paragraphs
    )


def test_a_note_ending_in_a_url_is_not_glued_to_the_text_after_it():
    lines = [
        "6 Denoising Diffusion Probabilistic Models（ＤＤＰＭ）",
        "Ho, J., et al., (2020), “Denoising Diffusion Probabilistic Models”, arXiv. https://arxiv.org/abs/2006.11239",
        "ことが可能になりました。さらに、それまで主",
        "流だった「教師あり学習」に代わり、データか",
        "ら擬似的な教師データ（正解ラベル）を自動的",
    ]
    paragraphs = join_paragraphs(lines)
    assert any(p.endswith("https://arxiv.org/abs/2006.11239") for p in paragraphs)
    assert any(p.startswith("ことが可能になりました。") for p in paragraphs)
