from collection.series import Edition, SeriesMark, mark_series


def test_files_sharing_a_title_without_versions_are_two_documents_not_two_versions():
    # Titles as the shared corpus's PDFs carry them in their metadata (the series key
    # of a file outside the manifest is its title).
    editions = [
        Edition("public/cao_ai_senryaku_siryo2.pdf", "AI事業者ガイドライン案"),
        Edition("public/cao_ai_senryaku_siryo4.pdf", "AI事業者ガイドライン案"),
        *(
            Edition(f"smartcity/guidebook_beta_{v}.pdf", "ガイドブックβ版", v)
            for v in ("2022-10", "2025-03", "2025-09")
        ),
    ]
    marks = mark_series(editions)
    report, summary = (marks[f"public/cao_ai_senryaku_siryo{n}.pdf"] for n in (2, 4))
    assert report.series != summary.series
    assert report.latest and summary.latest
    guidebooks = [marks[e.file] for e in editions[2:]]
    assert len({m.series for m in guidebooks}) == 1
    assert [m.latest for m in guidebooks] == [False, False, True]


def test_two_copies_of_one_version_in_two_folders_are_named_by_their_path():
    marks = mark_series(
        [
            Edition("east/penguin_2024-01.pdf", "penguin", "2024-01"),
            Edition("west/penguin_2024-01.pdf", "penguin", "2024-01"),
        ]
    )
    assert marks["east/penguin_2024-01.pdf"].series == "penguin (east/penguin_2024-01)"
    assert marks["west/penguin_2024-01.pdf"].series == "penguin (west/penguin_2024-01)"
    assert all(m.latest for m in marks.values())


def test_the_manifest_date_decides_the_newest_when_labels_do_not():
    marks = mark_series(
        [
            Edition("a.pdf", "kpi", "第1版", "2021-04"),
            Edition("b.pdf", "kpi", "第2版", "2023-08"),
        ]
    )
    assert marks["a.pdf"] == SeriesMark("kpi", latest=False)
    assert marks["b.pdf"].latest
