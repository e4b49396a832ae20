"""Shared fixtures (the real PDFs in ../shared/corpus, a small index built from them) and
the markers that say what each test needs (tests/README.md)."""

from __future__ import annotations

import os
import pickle
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from filelock import FileLock

from config import Settings

ROOT = Path(__file__).resolve().parents[1]
SHARED_CORPUS = Path(os.environ.get("SCQA_SHARED_CORPUS", ROOT.parent / "shared" / "corpus"))

# A few real PDFs that between them show most quirks: Word-origin guidebook with
# running footers, encrypted Cabinet Office text with Kangxi radicals, printed line
# numbers, a slide deck, a document in two versions, and a scanned PDF with no text layer.
SMALL_CORPUS = [
    "smartcity/digital_chiiki_service_datamodel_guidebook_appendix_2022-10.pdf",
    "smartcity/digital_chiiki_service_datamodel_guidebook_appendix_2025-09.pdf",
    "public/digital_ds430_core_data_model_overview_v2.pdf",
    "public/cao_ai_senryaku_ronten_honbun.pdf",
    "public/cao_ai_senryaku_shiryo2-1.pdf",
    "public/cao_ai_senryaku_siryo2.pdf",
    "bad/scanned_no_text_layer.pdf",
]


# Tests using these fixtures need what they say, whatever their module's markers.
NEEDS_OF_FIXTURE = {
    "small_corpus": ("corpus",),
    "built_index": ("corpus", "index", "model"),
    "searcher": ("corpus", "index", "model"),
}
UNIT_DIR = ROOT / "tests" / "unit"


# The longest modules, longest first (tests/README.md's durations). With two test
# processes, modules are handed out in this order: one process starts on the chat
# (which builds the shared small index) while the other starts on the rebuilds, and the
# short modules fill the end, so neither process waits long for the other.
LONGEST_FIRST = [
    "app/test_chat.py",
    "index/test_rebuild.py",
    "ingest/test_ocr.py",
    "index/test_build_hostile.py",
    "index/test_build_search.py",
    "ingest/test_pipeline.py",
    "app/test_browser.py",
    "evaluation/test_evaluate.py",
    "app/test_cli_hostile.py",
    "ingest/test_tables.py",
    "ingest/test_read_limits.py",
    "index/test_dense.py",
]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The tier comes from the folder; needs from the fixtures a test uses (and markers).
    In a pytest-xdist worker, the longest modules come first (see LONGEST_FIRST)."""
    for item in items:
        unit = Path(item.path).is_relative_to(UNIT_DIR)
        item.add_marker("unit" if unit else "integration")
        for fixture, needs in NEEDS_OF_FIXTURE.items():
            if fixture in item.fixturenames:
                for need in needs:
                    item.add_marker(need)
    if os.environ.get("PYTEST_XDIST_WORKER"):
        integration = ROOT / "tests" / "integration"

        def rank(item: pytest.Item) -> int:
            path = Path(item.path)
            rel = (
                path.relative_to(integration).as_posix() if path.is_relative_to(integration) else ""
            )
            return LONGEST_FIRST.index(rel) if rel in LONGEST_FIRST else len(LONGEST_FIRST)

        items.sort(key=rank)  # stable: the rest keep their order


def shared_pdf(rel: str) -> Path:
    path = SHARED_CORPUS / rel
    if not path.exists():
        pytest.skip(f"shared corpus not found: {path} (set SCQA_SHARED_CORPUS)")
    return path


def _shared_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder every test process of this run sees: with pytest-xdist (the README's test
    command runs two), the parent of the workers' own temporary folders."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A corpus folder of symlinks to real PDFs (never copies of them), one per run."""
    folder = _shared_folder(tmp_path_factory) / "small-corpus"
    with FileLock(f"{folder}.lock"):
        if not folder.exists():
            making = folder.with_name(folder.name + ".making")
            shutil.rmtree(making, ignore_errors=True)
            for rel in SMALL_CORPUS:
                target = making / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                target.symlink_to(shared_pdf(rel))
            making.rename(folder)
    return folder


@pytest.fixture(scope="session")
def built_index(small_corpus: Path, tmp_path_factory: pytest.TempPathFactory):
    """The small corpus's index, built once per run: the first test process to need it
    builds it (the others wait), and each process works on a copy of its own, since
    tests rebuild it, place PDFs in it and store feedback in it."""
    from index.build import build_index

    built = _shared_folder(tmp_path_factory) / "small-index"
    saved = built.with_name("small-index-report.pickle")  # written once the build is done
    with FileLock(f"{built}.lock"):
        if not saved.exists():
            report = build_index(small_corpus, Settings(corpus_dir=small_corpus, index_dir=built))
            saved.write_bytes(pickle.dumps(report))
    report = pickle.loads(saved.read_bytes())
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return Settings(corpus_dir=small_corpus, index_dir=built), report
    mine = tmp_path_factory.mktemp("index")
    shutil.copytree(built, mine, symlinks=True, dirs_exist_ok=True)  # `current` is relative
    return Settings(corpus_dir=small_corpus, index_dir=mine), report


@pytest.fixture(scope="session")
def searcher(built_index):
    from index.search import Searcher

    settings, _ = built_index
    return Searcher.open(settings)


FONT = Path("/usr/share/fonts/opentype/ipaexfont-gothic/ipaexg.ttf")
FIXED_DATE = datetime(2026, 11, 1, tzinfo=UTC)


def write_pdf(path: Path, pages: list[str], padding: int = 0, title: str = "") -> Path:
    """A real PDF generated in the test (never committed): one string per page, with
    ``title`` in its metadata when given.

    ``padding`` bytes of incompressible noise make the file that large, for tests
    that need a PDF bigger than the free space of a small disk.
    """
    fpdf = pytest.importorskip("fpdf")
    if not FONT.exists():
        pytest.skip("IPAex Gothic is not installed (scripts/setup.sh dev installs it)")
    pdf = fpdf.FPDF()
    pdf.set_creation_date(FIXED_DATE)
    if title:
        pdf.set_title(title)
    pdf.add_font("ipaex", fname=str(FONT))
    pdf.set_font("ipaex", size=11)
    for text in pages:
        pdf.add_page()
        pdf.multi_cell(0, 7, text)
    if padding:
        # An embedded file is stored as given, so random bytes stay their size.
        pdf.embed_file(basename="noise.bin", bytes=os.urandom(padding), compress=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    pdf.output(str(path))
    return path


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """Mount a real, small tmpfs (root only) and return a function that fills it.

    A full disk is simulated by the kernel, not by patching: writes fail with ENOSPC.
    """
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(mount)],
        capture_output=True,
        check=False,
    )
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode(errors='replace').strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", "-l", str(mount)], check=False)


def fill_disk(mount: Path, leave: int) -> Path:
    """Take all free space on ``mount`` but about ``leave`` bytes."""
    stat = os.statvfs(mount)
    free = stat.f_bavail * stat.f_frsize
    filler = mount / "filler"
    with filler.open("wb") as fh:
        fh.write(b"\0" * max(0, free - leave))
    return filler


# --- processes, read from /proc (Linux) --------------------------------------------------


def children(pid: int) -> set[int]:
    """The processes ``pid`` started that still run (or wait to be reaped)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found |= {int(x) for x in task.read_text().split()}
        except OSError:
            continue
    return found


def descendants(pid: int) -> set[int]:
    found: set[int] = set()
    todo = [pid]
    while todo:
        for child in children(todo.pop()) - found:
            found.add(child)
            todo.append(child)
    return found


def alive(pid: int) -> bool:
    """Running, not a zombie waiting to be reaped by whoever adopted it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"
