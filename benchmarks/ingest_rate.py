"""Ingest rate and peak memory on a synthetic OSV corpus, on SQLite and/or PostgreSQL.

Prints records/s for a first ingest into an empty database and for a second run over
the same input (everything unchanged), with the peak resident memory of the
coordinating process and of the largest parser process.

    python benchmarks/make_osv_corpus.py --records 1000000 --out /tmp/clearinghouse-osv-corpus
    python benchmarks/ingest_rate.py --corpus /tmp/clearinghouse-osv-corpus --db sqlite
    python benchmarks/ingest_rate.py --corpus /tmp/clearinghouse-osv-corpus --db postgresql
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
RUNNER = """
import json, resource, sys, time
from pathlib import Path
from clearinghouse.intake import ingest_paths
from clearinghouse.settings import Settings
from clearinghouse.storage import open_database
settings = Settings(database_url=sys.argv[1])
db = open_database(settings.database_url)
summary = ingest_paths(db, [Path(p) for p in sys.argv[2:]], settings=settings, actor="benchmark")
out = summary.as_dict(); out.pop("rejections")
out["peak_rss_main_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
out["peak_rss_workers_mib"] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps(out))
"""


def _database(kind: str, workdir: Path) -> tuple[str, object]:
    if kind == "sqlite":
        return f"sqlite:///{workdir / 'bench.db'}", None
    name = f"clearinghouse_bench_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    return POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}", (admin, name)


def _drop(handle: object) -> None:
    if handle is None:
        return
    admin, name = handle  # type: ignore[misc]
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def _run(url: str, corpus: Path) -> dict[str, object]:
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", RUNNER, url, str(corpus)], capture_output=True, text=True, check=True
    )
    result = json.loads(done.stdout.strip().splitlines()[-1])
    result["wall_seconds"] = round(time.perf_counter() - started, 1)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, required=True)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--second-run", action=argparse.BooleanOptionalAction, default=True)
    args = parser.parse_args()
    print(f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        url, handle = _database(args.db, Path(tmp))
        try:
            for label in ("first run (empty database)", "second run (all unchanged)"):
                result = _run(url, args.corpus)
                records = sum(
                    int(result[k]) for k in ("added", "updated", "unchanged", "withdrawn", "stale")
                )
                print(
                    f"{args.db:10s} {label:28s} {records:>9,} records  {result['seconds']:>8} s  "
                    f"{result['records_per_second']:>7,} records/s  rejected {result['rejected']}  "
                    f"peak RSS main {result['peak_rss_main_mib']:.0f} MiB, "
                    f"largest worker {result['peak_rss_workers_mib']:.0f} MiB",
                    flush=True,
                )
                if not args.second_run:
                    break
        finally:
            _drop(handle)


if __name__ == "__main__":
    main()
