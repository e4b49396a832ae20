from index.versions import Candidate, group_same_text, trigrams


def test_the_same_passage_in_two_versions_is_grouped_but_not_two_passages_of_one_file():
    text = "データ連携基盤は、分野を越えてデータを流通させるための仕組みです。"
    other = "モデル就業規則は、労働基準法に沿って就業規則を作るための例です。"
    items = [
        Candidate(0, "guide", "guide_2025.pdf", trigrams(text)),
        Candidate(1, "guide", "guide_2022.pdf", trigrams(text + "（改訂なし）")),
        Candidate(
            2, "guide", "guide_2025.pdf", trigrams(text)
        ),  # a repeat inside one file stays apart
        Candidate(3, "rules", "rules.pdf", trigrams(other)),
    ]
    assert group_same_text(items) == [[0, 1], [2], [3]]
