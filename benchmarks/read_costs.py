"""What reading each PDF costs, alone: CPU seconds and address-space growth of its process.

    .venv/bin/python benchmarks/read_costs.py --corpus ../shared/corpus

The defaults of ``read_cpu_seconds_per_file`` and ``read_memory_mb`` (config.py) are set
well above the worst file measured here. Each file is read by ``ingest_file`` in a fresh
process (tables and OCR on, as a build reads; OCR's Tesseract runs in processes of its
own and is not counted); one line of JSON per file, then the worst of each.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
ONE = """
import json, resource, sys, tempfile
from pathlib import Path
from collection.manifest import load_manifest
from ingest.ocr import OcrOptions
from ingest.pipeline import ingest_file

def vm(key):
    with open("/proc/self/status") as fh:
        return next(int(line.split()[1]) // 1024 for line in fh if line.startswith(key))

corpus, path = Path(sys.argv[1]), Path(sys.argv[2])
manifest, base = load_manifest(corpus), vm("VmSize:")
before = resource.getrusage(resource.RUSAGE_SELF)
with tempfile.TemporaryDirectory() as cache:
    result = ingest_file(path, path.relative_to(corpus).as_posix(), manifest,
                         ocr=OcrOptions(Path(cache)), table_rows=True)
after = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({
    "file": result.file,
    "pages": len(result.quality),
    "cpu_seconds": round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2),
    "memory_growth_mb": vm("VmPeak:") - base,
    "skipped": result.skipped.reason if result.skipped else "",
}, ensure_ascii=False))
"""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT))
    from collection.scan import find_pdfs

    rows = []
    for pdf in find_pdfs(args.corpus):
        run = subprocess.run(
            [sys.executable, "-c", ONE, str(args.corpus), str(pdf)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        rows.append(json.loads(run.stdout))
        print(run.stdout.strip(), flush=True)
    worst_cpu = max(rows, key=lambda r: r["cpu_seconds"])
    worst_memory = max(rows, key=lambda r: r["memory_growth_mb"])
    print(
        json.dumps(
            {
                "files": len(rows),
                "worst_cpu": [worst_cpu["file"], worst_cpu["cpu_seconds"]],
                "worst_memory": [worst_memory["file"], worst_memory["memory_growth_mb"]],
            },
            ensure_ascii=False,
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
