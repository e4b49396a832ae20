"""The indexed PDFs, where the chat's server can hand them to a browser at a page.

Streamlit serves static files only from a ``static`` folder beside the app
script, and refuses links that resolve outside it. So ``scqa serve`` keeps, in
the index folder (index/layout.py names the paths), ``ui/chat_app.py`` (a two-line
launcher) and ``ui/static/pdf/<sha256>.pdf``:
hard links to the corpus PDFs (a copy only when the index lives on another
file system). Naming by content keeps two versions of a document apart and
lets an open chat keep linking to the files of the build it answered from.
A citation links to ``app/static/pdf/<sha256>.pdf#page=N``, which the browser's
PDF viewer opens at that page.

``scqa serve`` places the PDFs of the served build before the server starts, and
the chat places those of a build published while it runs when it first loads
it; the index build knows nothing of this.
"""

from __future__ import annotations

import logging
import os
import shutil
import threading
from collections.abc import Iterable
from pathlib import Path

from atomic import replacing
from collection.paths import OutsideCorpus, corpus_file
from index.layout import IndexFolder
from index.store import IndexedDocument, builds, read_documents, read_meta

log = logging.getLogger(__name__)

LAUNCHER = """\
# Written by `scqa serve`: Streamlit serves ./static beside the script it runs.
from app.chat import main

main()
"""


class PdfNotPlaced(OSError):
    """Some indexed PDF could not be placed for the chat (a full disk, an I/O error)."""


def pdf_url(sha256: str, page: int) -> str:
    """Relative to the chat page, so it works behind any base path: Streamlit serves
    ``ui/static/pdf/<sha256>.pdf`` (see :meth:`IndexFolder.served_pdf`) at this URL."""
    return f"app/static/pdf/{sha256}.pdf#page={page}"


def write_launcher(index_dir: Path) -> Path:
    script = IndexFolder(index_dir).chat_script
    script.parent.mkdir(parents=True, exist_ok=True)
    if not script.exists() or script.read_text(encoding="utf-8") != LAUNCHER:
        script.write_text(LAUNCHER, encoding="utf-8")
    return script


def _place(source: Path, target: Path) -> None:
    # A corpus of symlinks would otherwise give a hard link to the symlink itself,
    # which Streamlit refuses to serve because it resolves outside ./static.
    source = source.resolve(strict=True)
    with replacing(target, suffix=".part") as tmp:
        try:
            os.link(source, tmp)
        except OSError:  # another file system, or links not allowed
            shutil.copyfile(source, tmp)


def clear_partial(index_dir: Path) -> list[Path]:
    """Remove half-placed copies left by a server that died; only before serving."""
    leftovers = list(IndexFolder(index_dir).served_pdfs.glob(".*.part"))
    for path in leftovers:
        path.unlink(missing_ok=True)
    return leftovers


# The chat's sessions may load a new build at the same moment: one placement at a time.
_placing = threading.Lock()


def place_build_pdfs(index_dir: Path, build: Path, corpus: Path) -> int:
    """Make the PDFs a build cites servable, from the configured corpus.

    The corpus the build recorded in its ``meta.json`` is never used: an index is data
    that anyone with write access to its folder can edit (``"corpus": "/"`` would make
    ``etc/passwd`` a document). Where the two differ, :func:`corpus_mismatch` says so.
    """
    with _placing:
        return publish_pdfs(index_dir, corpus, read_documents(build))


def corpus_mismatch(build: Path, corpus: Path, recorded: str | None = None) -> str | None:
    """A message naming both folders when ``build`` was made from another corpus than the
    configured one (the configured one is served), else None. ``recorded``: the corpus
    the build's meta.json names, when the caller has read it already."""
    recorded = read_meta(build).corpus if recorded is None else recorded
    if not recorded or _same_folder(Path(recorded), corpus):
        return None
    return (
        f"索引（{build}）はコーパス {recorded} から作られていますが、設定のコーパスは {corpus} "
        "です。PDF とページ画像は設定のコーパスからだけ開きます。"
        "正しいコーパスを --corpus か SCQA_CORPUS_DIR で指定してください。"
    )


def _same_folder(a: Path, b: Path) -> bool:
    try:
        return a.resolve() == b.resolve()
    except OSError:
        return False


def publish_pdfs(index_dir: Path, corpus_dir: Path, documents: Iterable[IndexedDocument]) -> int:
    """Make every indexed PDF servable; drop those no build on disk still cites.

    Returns how many files were placed. A document whose ``file`` does not name a
    file of the corpus (see :func:`collection.paths.corpus_file`), or names one whose
    content is not the indexed sha256, is refused and logged, never linked. A PDF that cannot be placed (a full disk) raises
    :class:`PdfNotPlaced` naming every such file, after the others are placed.
    """
    documents = list(documents)
    index = IndexFolder(index_dir)
    folder = index.served_pdfs
    folder.mkdir(parents=True, exist_ok=True)
    placed = 0
    failed: list[str] = []
    for doc in documents:
        sha, file = doc.sha256, doc.file
        try:  # it names the served file: no path may hide in it
            target = index.served_pdf(sha)
        except ValueError:
            log.warning("PDF をチャットから開けるようにしません: sha256 が不正です: %s", file)
            continue
        if target.exists() and not target.is_symlink():
            continue
        try:
            source = corpus_file(corpus_dir, file, sha256=sha)
        except OutsideCorpus as exc:
            log.warning("PDF をチャットから開けるようにしません: %s", exc)
            continue
        except OSError as exc:
            failed.append(f"{file}（{exc.strerror or exc}）")
            continue
        try:
            _place(source, target)
            placed += 1
        except OSError as exc:
            failed.append(f"{file}（{exc.strerror or exc}）")
    if failed:
        raise PdfNotPlaced(
            f"チャットから開く PDF を置けませんでした（{folder}）: " + "、".join(failed)
        )
    cited = {d.sha256 for d in _documents_of_builds(index_dir)}
    cited |= {d.sha256 for d in documents}
    for stale in folder.glob("*.pdf"):
        if stale.stem not in cited:
            stale.unlink(missing_ok=True)
    return placed


def _documents_of_builds(index_dir: Path) -> list[IndexedDocument]:
    docs: list[IndexedDocument] = []
    for build in builds(index_dir):
        try:
            docs += read_documents(build)
        except (OSError, ValueError):
            continue
    return docs
