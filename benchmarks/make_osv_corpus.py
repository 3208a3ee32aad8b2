"""Build a synthetic OSV corpus of any size from the real records in ../shared/data.

Each copy of a real record gets a new id, new aliases and renamed packages (suffix
`-s<copy>`), so that records never collide but keep the real shapes: real ranges, real
version lists, real references and severities. Output: zip archives of OSV JSON files,
one file per record, like OSV.dev's per-ecosystem exports.

    python benchmarks/make_osv_corpus.py --records 1000000 --out /tmp/osv-corpus
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import time
import zipfile
from pathlib import Path
from typing import Any

import orjson

from clearinghouse.formats import load_osv_json, load_osv_yaml

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
PER_ARCHIVE = 10_000


def load_real_records(data: Path) -> list[dict[str, Any]]:
    """The real records, read with the project's own readers (YAML timestamps kept exact)."""
    records = [
        load_osv_yaml(p.read_bytes(), source=str(p))
        for p in sorted((data / "osv" / "pypi").rglob("*.yaml"))
    ]
    records += [
        load_osv_json(p.read_bytes(), source=str(p))
        for p in sorted((data / "osv" / "go").glob("*.json"))
    ]
    return records


def synthesise(record: dict[str, Any], copy: int) -> dict[str, Any]:
    suffix = f"-s{copy}"
    clone = dict(record)
    clone["id"] = record["id"] + suffix
    clone["aliases"] = [alias + suffix for alias in record.get("aliases") or ()]
    if "related" in record:
        clone["related"] = [r + suffix for r in record["related"]]
    affected = []
    for entry in record.get("affected") or ():
        entry = dict(entry)
        package = dict(entry.get("package") or {})
        if "name" in package:
            package["name"] = package["name"] + suffix
        package.pop("purl", None)
        entry["package"] = package
        affected.append(entry)
    clone["affected"] = affected
    return clone


def _write_archive(job: tuple[Path, list[dict[str, Any]], int, int]) -> int:
    path, records, start, count = job
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for n in range(start, start + count):
            record = synthesise(records[n % len(records)], n // len(records))
            archive.writestr(f"{record['id']}.json", orjson.dumps(record))
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--out", type=Path, default=Path("/tmp/clearinghouse-osv-corpus"))
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    records = load_real_records(args.data)
    jobs = []
    for index, start in enumerate(range(0, args.records, PER_ARCHIVE)):
        count = min(PER_ARCHIVE, args.records - start)
        jobs.append((args.out / f"osv-{index:04d}.zip", records, start, count))
    written = 0
    with multiprocessing.get_context("fork").Pool() as pool:
        for count in pool.imap_unordered(_write_archive, jobs):
            written += count
            print(f"\r{written:,} records", end="", file=sys.stderr, flush=True)
    print(
        f"\n{written:,} synthetic OSV records from {len(records):,} real ones in "
        f"{len(jobs)} archives under {args.out} ({time.perf_counter() - started:.0f} s)"
    )


if __name__ == "__main__":
    main()
