"""The 資料と状態 tab of the chat: what is indexed, pages flagged at build time, and what
changed between versions of a document."""

from __future__ import annotations

import streamlit as st

from app.safe_text import escape
from app.served_pdfs import corpus_mismatch
from app.version_diff import STATUS_LABELS, diff_versions, summary
from index.search import Searcher
from index.store import read_quality
from ingest.quality import VERDICT_LABELS


@st.cache_data(max_entries=16, show_spinner="版の違いを調べています…")
def _diff(build: str, old: str, new: str, _searcher: Searcher):
    return diff_versions(_searcher.chunks_of(old), _searcher.chunks_of(new))


def version_changes(searcher: Searcher) -> None:
    """What changed between two versions of a document (the same as `scqa diff`)."""
    series = searcher.series_names()
    if not series:
        return
    st.subheader("版の違い")
    title = {s: searcher.document(files[0]).info.title or s for s, files in series.items()}
    name = st.selectbox("資料", list(series), format_func=lambda s: title[s], key="diff_series")
    files = series[name]
    label = {f: searcher.document(f).info.version or f for f in files}
    left, right = st.columns(2)
    old = left.selectbox("古い版", files, index=1, format_func=label.get, key="diff_old")
    new = right.selectbox("新しい版", files, index=0, format_func=label.get, key="diff_new")
    if old == new:
        st.info("異なる版を選んでください。")
        return
    diff = _diff(searcher.build_dir.name, old, new, searcher)
    st.caption(escape(summary(diff, label[old], label[new])))
    pages = lambda ps: ", ".join(map(str, ps))  # noqa: E731
    st.dataframe(
        [
            {
                "変更": STATUS_LABELS[c.status],
                "節": c.section + (f"（旧: {c.old_section}）" if c.old_section else ""),
                "古い版のページ": pages(c.old_pages),
                "新しい版のページ": pages(c.new_pages),
                "追加された記載": c.added_sample,
                "削除された記載": c.removed_sample,
            }
            for c in diff.changes
        ],
        hide_index=True,
        width="stretch",
    )


def documents_tab(searcher: Searcher) -> None:
    meta = searcher.meta
    st.subheader("インデックス")
    st.markdown(
        escape(
            f"作成日時: {meta.built_at}\n"
            f"埋め込みモデル: {meta.model}\n"
            f"資料 {len(searcher.documents)} 件・{meta.pages} ページ・"
            f"チャンク {len(searcher.chunks)} 件"
        )
    )
    # Drawn on every run of every session: the searcher's meta, not meta.json again.
    if mismatch := corpus_mismatch(searcher.build_dir, searcher.settings.corpus_dir, meta.corpus):
        st.warning(escape(mismatch))
    st.subheader("索引した資料")
    latest = searcher.latest_files()
    # Only documents published in several versions need their series named.
    series_of = {f: name for name, files in searcher.series_names().items() for f in files}
    rows = [
        {  # what staff look for first comes first; the file path may scroll off
            "資料名": d.info.title,
            "版": d.info.version,
            "公表日": d.info.date,
            "最新版": "✓" if d.file in latest else "",
            "ページ数": d.pages,
            "系列（複数の版）": series_of.get(d.file, ""),
            "チャンク数": d.chunks,
            "ファイル": d.file,
        }
        for d in sorted(searcher.documents, key=lambda d: d.file)
    ]
    # Columns no document fills (公表日 without a manifest) only push the others off screen.
    empty = [k for k in rows[0] if not any(r[k] for r in rows)] if rows else []
    rows = [{k: v for k, v in r.items() if k not in empty} for r in rows]
    narrow = st.column_config.Column(width="small")
    st.dataframe(
        rows,
        hide_index=True,
        width="stretch",
        column_config={
            "資料名": st.column_config.Column(width="large"),
            "ファイル": narrow,
            **dict.fromkeys(("版", "公表日", "最新版", "ページ数", "チャンク数"), narrow),
        },
    )
    version_changes(searcher)
    st.subheader("注意が必要なページ・OCR で読んだページ")
    shown = [
        q for q in read_quality(searcher.build_dir) if q.flagged or q.ocr_confidence is not None
    ]
    if shown:
        st.caption(
            "文字が少ないページ（表紙・図）、テキスト層がなく検索できないページ、"
            "OCR（文字認識）で読んだページです。OCR の確度（0〜100）が低いページは原本で確認してください。"
        )
        st.dataframe(
            [
                {
                    "ファイル": q.file,
                    "ページ": q.page,
                    "判定": VERDICT_LABELS.get(q.verdict, q.verdict),
                    "文字数": q.chars,
                    "OCRの確度": "" if q.ocr_confidence is None else f"{q.ocr_confidence:.0f}",
                }
                for q in shown
            ],
            hide_index=True,
            width="stretch",
        )
    else:
        st.caption("ありません。")
