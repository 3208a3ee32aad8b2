"""Acceptance 1 of issue 4: 10,000 reports through the HTTP API from concurrent clients.

The reports are made from the real records in ../shared/data (tests/reports/corpus.py): 7,500
distinct records as structured reports, and 2,500 duplicates of them as later model runs
send them (40% the same report again, 60% reworded with another version range), each after
its original. A real uvicorn server (its own process, on a loopback socket) takes them from
`--clients` threads, each with its own httpx client and a reporter's token. Printed: the
submission rate and latency, whether any report was lost (count and each report's content
SHA-256, as the client computed it, against what the server stored), how many duplicates
were linked to a report of their own vulnerability (alias group) and how many links were
wrong, and the time of the triage queue page (HTML) and its JSON twin at that size.

    .venv/bin/python benchmarks/report_load.py                         # SQLite, 10,000
    .venv/bin/python benchmarks/report_load.py --db postgresql+psycopg://postgres@127.0.0.1/x
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from clearinghouse.storage import Database, upgrade  # noqa: E402
from reports.corpus import SHARED_DATA, load_records, submissions  # noqa: E402
from reports.load import all_reports, check, running_server, submit_all, time_queue  # noqa: E402


def _database(url: str | None, folder: Path) -> tuple[str, str | None]:
    """A fresh, migrated database: a SQLite file, or a new database on the PostgreSQL given."""
    if url is None:
        url = f"sqlite:///{folder / 'clearinghouse.db'}"
        created = None
    else:
        created = f"report_load_{uuid.uuid4().hex[:8]}"
        admin = create_engine(url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{created}"'))
        admin.dispose()
        url = url.rsplit("/", 1)[0] + f"/{created}"
    db = Database(url)
    upgrade(db)
    db.dispose()
    return url, created


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reports", type=int, default=10_000)
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--db", help="a PostgreSQL URL to create the database on (default: SQLite)")
    parser.add_argument("--data", type=Path, default=SHARED_DATA)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        url, created = _database(args.db, Path(folder))
        stream = submissions(load_records(args.data), args.reports)
        kinds = {
            k: sum(1 for s in stream if s.kind == k) for k in ("original", "exact", "reworded")
        }
        print(f"{platform.node()} · Python {platform.python_version()} · {url.split(':')[0]}")
        print(
            f"reports: {len(stream)} ({kinds['original']} distinct records, {kinds['exact']} exact "
            f"and {kinds['reworded']} reworded duplicates); clients: {args.clients}"
        )
        with running_server(url, Path(folder)) as server:
            result = submit_all(server, stream, clients=args.clients)
            stored = all_reports(server)
            timings = time_queue(server)
        outcome = check(stream, result, stored)
        latencies = sorted(result.latencies)
        print(
            f"submitted in {result.seconds:.1f} s: {result.per_second:.0f} reports/s; latency "
            f"median {statistics.median(latencies) * 1000:.0f} ms, "
            f"p95 {latencies[int(len(latencies) * 0.95)] * 1000:.0f} ms; "
            f"failures {len(result.failures)}"
        )
        print(
            f"stored: {outcome.stored} of {len(stream)}; missing {len(outcome.missing)}; "
            f"content hash mismatches {len(outcome.hash_mismatches)}"
        )
        print(
            f"duplicates linked to their own vulnerability: {outcome.duplicates_linked} of "
            f"{outcome.duplicates} ({outcome.duplicates_linked / outcome.duplicates:.1%}); "
            f"distinct records linked to an earlier report: {outcome.originals_linked}; "
            f"links to another vulnerability: {outcome.wrongly_linked} "
            f"({outcome.wrongly_linked / len(stream):.1%} of reports; "
            f"{outcome.wrong_near_identical} of them between texts scoring 0.9 or more)"
        )
        print(
            f"triage queue at {outcome.stored} reports: "
            f"page median {timings['page_median_ms']:.0f} ms "
            f"(max {timings['page_max_ms']:.0f}), JSON median {timings['api_median_ms']:.0f} ms "
            f"(max {timings['api_max_ms']:.0f})"
        )
        for failure in result.failures[:5]:
            print("failure:", failure)
        if created and args.db:
            admin = create_engine(args.db, isolation_level="AUTOCOMMIT")
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{created}" WITH (FORCE)'))
            admin.dispose()


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"took {time.perf_counter() - started:.0f} s")
