"""Folding versions checked against a brute-force grouping written from the specification.

Specification (``index/versions.py``): candidates come in rank order; each joins the
first group, in creation order, whose head (first member) is of the same series,
which holds nothing from the candidate's file, and whose text has a character-trigram
Jaccard similarity of at least ``SAME_TEXT`` with the candidate's; otherwise it opens
a new group. Trigrams are taken from ``for_matching`` text, and an empty trigram set
is similar to nothing.

The reference computes the similarity itself with set operations on the texts, so a
wrong trigram, a wrong threshold or a check against the wrong member all show.
Candidates are real guidebook sentences and light edits of them, some above and some
below the threshold, spread over versions of a few series and shuffled (seeded).
"""

from __future__ import annotations

import itertools
import random
from collections import Counter
from dataclasses import dataclass

from index.versions import SAME_TEXT, Candidate, group_same_text, similar, trigrams
from ingest.normalize import for_matching

SERIES = {
    "datamodel_guidebook": [
        "datamodel_guidebook_2022-10.pdf",
        "datamodel_guidebook_2025-03.pdf",
        "datamodel_guidebook_2025-09.pdf",
    ],
    "smartcity_guidebook": ["smartcity_guidebook_2021-04.pdf", "smartcity_guidebook_2023-05.pdf"],
    "ai_strategy": ["ai_strategy_ronten.pdf"],
}
SENTENCES = [
    "データ連携基盤は、分野を越えてデータを流通させるための仕組みです。",
    "地方公共団体は、交通、防災、観光などの分野ごとに個別のシステムを運用してきました。",
    "施設データには、名称、所在地、緯度経度、開館時間などの項目が含まれます。",
    "相互運用性を確保するため、国が示す標準仕様に準拠したＡＰＩを採用します。",
    "推進主体は、地方公共団体、民間事業者、大学などで構成されるコンソーシアムとすることが一般的です。",
    "生成ＡＩの利活用に当たっては、リスクへの対応と イノベーションの促進を両立させます。",
]
# Edits such as a revised edition makes: a word changed, a note or a sentence added.
EDITS = [
    lambda s: s.replace("データ", "情報", 1),
    lambda s: s.replace("、", "，"),
    lambda s: s[:-1] + "（改訂なし）。",
    lambda s: s + "詳細は第3章を参照してください。",
    lambda s: s.replace("ます。", "ました。"),
    lambda s: s.replace("ＡＰＩ", "API"),
    lambda s: s[: len(s) // 2] + "（2025年3月改訂）" + s[len(s) // 2 :],
]


@dataclass(frozen=True)
class Passage:
    """A ranked passage as the reference sees it: with its text, not its trigrams."""

    id: int
    series: str
    file: str
    text: str


def reference_trigrams(text: str) -> set[str]:
    """Every run of three characters of the matching text."""
    folded = for_matching(text)
    grams = set()
    for start in range(len(folded) - 2):
        grams.add(folded[start : start + 3])
    return grams


def jaccard(a: str, b: str) -> float:
    first, second = reference_trigrams(a), reference_trigrams(b)
    if not first or not second:
        return 0.0
    return len(first & second) / len(first | second)


def reference_groups(passages: list[Passage], blockers: Counter[str]) -> list[list[int]]:
    """Brute force, in rank order. ``blockers`` counts joins, and the rule that alone
    kept a passage out of a group (to show the data puts every rule to work)."""
    groups: list[list[Passage]] = []
    for passage in passages:
        for group in groups:
            head = group[0]
            same_series = head.series == passage.series
            new_file = all(member.file != passage.file for member in group)
            same_text = jaccard(head.text, passage.text) >= SAME_TEXT
            if same_series and new_file and same_text:
                blockers["joined"] += 1
                group.append(passage)
                break
            if [same_series, new_file, same_text].count(False) == 1:
                if not new_file:
                    blockers["head's file" if head.file == passage.file else "member's file"] += 1
                else:
                    blockers["series" if not same_series else "text"] += 1
        else:
            groups.append([passage])
    return [[p.id for p in group] for group in groups]


def random_passages(rng: random.Random) -> list[Passage]:
    """A result list: a few sentences, each in some versions, some of them edited."""
    passages = []
    for sentence in rng.sample(SENTENCES, rng.randint(2, 4)):
        # Mostly one series; sometimes two documents quote the same definition.
        quoted_in = rng.sample(list(SERIES), rng.choice([1, 1, 2]))
        for _ in range(rng.randint(1, 5)):
            text = sentence
            for edit in rng.sample(EDITS, rng.choice([0, 0, 1, 1, 2])):
                text = edit(text)
            series = rng.choice(quoted_in)
            passages.append((series, rng.choice(SERIES[series]), text))
    rng.shuffle(passages)
    return [Passage(rank, *passage) for rank, passage in enumerate(passages)]


def test_grouping_agrees_with_the_brute_force_reference() -> None:
    blockers: Counter[str] = Counter()
    similarities = []
    for seed in range(300):
        passages = random_passages(random.Random(seed))
        candidates = [Candidate(p.id, p.series, p.file, trigrams(p.text)) for p in passages]
        got = group_same_text(candidates)
        assert got == reference_groups(passages, blockers), f"seed {seed}"

        by_id = {p.id: p for p in passages}
        assert sorted(i for group in got for i in group) == [p.id for p in passages]
        for group in got:
            members = [by_id[i] for i in group]
            assert len({m.file for m in members}) == len(members)
            assert len({m.series for m in members}) == 1
            assert group == sorted(group)  # the best ranked leads
        similarities += [jaccard(a.text, b.text) for a, b in itertools.combinations(passages, 2)]
    # Each rule alone decided some case, and edits fell on both sides of the threshold.
    assert min(blockers.values()) > 0 and len(blockers) == 5, blockers
    assert any(0.5 < s < SAME_TEXT for s in similarities)
    assert any(SAME_TEXT <= s < 1.0 for s in similarities)


def test_trigrams_are_every_three_characters_of_the_matching_text() -> None:
    rng = random.Random(5)
    texts = [*SENTENCES, "", "AI", "ＡＩ戦略", "  データ  連携  "]
    for sentence in SENTENCES:
        texts += [edit(sentence) for edit in EDITS]
        start = rng.randrange(len(sentence))
        texts.append(sentence[start : start + rng.randint(0, 6)])
    for text in texts:
        assert trigrams(text) == reference_trigrams(text), text


def test_similar_is_jaccard_at_least_the_threshold_and_never_for_empty_text() -> None:
    grams = sorted(reference_trigrams(SENTENCES[0]))[:10]
    assert similar(set(grams), set(grams[:8]))  # 8 / 10 = SAME_TEXT exactly
    assert not similar(set(grams), set(grams[:7]))
    assert not similar(set(), set())
    assert not similar(trigrams("AI"), trigrams("AI"))  # too short for a trigram
