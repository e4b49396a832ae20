"""The folders in the order data flows through them: each imports only those above it.

config.py and atomic.py first (every stage uses them, they import no stage), then
collection/ (what the corpus is), ingest/, index/, answer/, evaluation/ and app/
(docs/architecture.md). An import that runs back up (ingest importing app, evaluation
importing app) fails here, whether at module level or inside a function, and so does
a circle of module-level imports.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# Earlier first; a module may import from its own layer and from those before it.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("config", "atomic"),
    ("collection",),
    ("ingest",),
    ("index",),
    ("answer",),
    ("evaluation",),
    ("app",),
)
LAYER_OF = {top: n for n, tops in enumerate(LAYERS) for top in tops}


def project_sources(root: Path = ROOT) -> dict[str, str]:
    """Every module of the layers, by dotted name: its source text."""
    sources = {}
    for top in LAYER_OF:
        single = root / f"{top}.py"
        files = [single] if single.exists() else sorted((root / top).rglob("*.py"))
        for path in files:
            parts = path.relative_to(root).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            sources[name] = path.read_text(encoding="utf-8")
    return sources


def _imported(tree: ast.AST, module: str, *, top_level_only: bool) -> Iterator[str]:
    """The modules one source imports (``from a import b`` gives ``a``)."""
    nodes = tree.body if top_level_only else ast.walk(tree)
    package = module.rsplit(".", 1)[0] if "." in module else module
    for node in nodes:
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolved against the importing module's package
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                yield ".".join([*base, node.module] if node.module else base)
            elif node.module:
                yield node.module


def upward_imports(sources: Mapping[str, str]) -> list[str]:
    """``importer -> imported`` for each import from a later layer into an earlier one."""
    found = []
    for module, source in sorted(sources.items()):
        mine = LAYER_OF[module.split(".")[0]]
        for imported in _imported(ast.parse(source), module, top_level_only=False):
            theirs = LAYER_OF.get(imported.split(".")[0])
            if theirs is not None and theirs > mine:
                found.append(f"{module} -> {imported}")
    return found


def import_circles(sources: Mapping[str, str]) -> list[list[str]]:
    """Circles of module-level imports between the project's modules."""
    graph: dict[str, set[str]] = {}
    for module, source in sources.items():
        tree = ast.parse(source)
        targets = set()
        for imported in _imported(tree, module, top_level_only=True):
            # `from index import versions` imports the module index.versions.
            for name in (imported, *(f"{imported}.{a}" for a in _from_names(tree, imported))):
                if name in sources and name != module:
                    targets.add(name)
        graph[module] = targets
    circles, done, path = [], set(), []

    def visit(module: str) -> None:
        if module in path:
            circles.append([*path[path.index(module) :], module])
            return
        if module in done:
            return
        path.append(module)
        for target in sorted(graph[module]):
            visit(target)
        path.pop()
        done.add(module)

    for module in sorted(graph):
        visit(module)
    return circles


def _from_names(tree: ast.Module, module: str) -> list[str]:
    return [
        alias.name
        for node in tree.body
        if isinstance(node, ast.ImportFrom) and node.module == module and not node.level
        for alias in node.names
    ]


def test_no_import_runs_back_up_the_flow():
    assert upward_imports(project_sources()) == []


def test_no_two_modules_import_each_other():
    assert import_circles(project_sources()) == []


def test_the_check_sees_an_import_that_runs_back_up():
    sources = {
        "ingest.reader": "from app.chat import show\n",
        "collection.scan": "def f():\n    import ingest.pipeline\n",
        "evaluation.report": "from answer.compose import compose_answer\nimport app\n",
        "config": "from collection import manifest\n",
        "index.build": "from collection.scan import scan_files\nfrom . import store\n",
    }
    assert upward_imports(sources) == [
        "collection.scan -> ingest.pipeline",
        "config -> collection",
        "evaluation.report -> app",
        "ingest.reader -> app.chat",
    ]


def test_the_check_sees_a_circle():
    sources = {
        "index.a": "from index import b\n",
        "index.b": "from index.c import x\n",
        "index.c": "import index.a\n",
        "index.d": "def f():\n    import index.d2\n",  # inside a function: not a circle
        "index.d2": "import index.d\n",
    }
    assert import_circles(sources) == [["index.a", "index.b", "index.c", "index.a"]]
