"""Re-matching one new record against many stored inventories (issue 3: 100,000 inventories,
10,000,000 components, under 100 ms).

    python benchmarks/rematch.py                                   # 100,000 x 100, SQLite
    python benchmarks/rematch.py --inventories 10000               # 1,000,000 components
    python benchmarks/rematch.py --db postgresql
    python benchmarks/rematch.py --path /tmp/rematch.db --keep     # load once, measure again

The inventories are synthetic, from real package names: the 1,972 PyPI and Go packages of
`../shared/data/osv`, each also renamed `<name>-s<k>` to make a universe of `--universe`
packages (the long tail real SBOMs have, most of which no record names), with versions
taken from the real records of the package (listed affected versions and range events), so
that a record matches some components and not others. Each inventory holds
`--components / --inventories` components drawn by Zipf popularity (exponent `--zipf`)
over the universe, in a random order of names: a few packages are in most inventories,
most in a handful. Loading goes through `storage.bulk.BulkInsert` (COPY on PostgreSQL),
with the reverse index built after the rows.

Timed: storing one new record through intake's `write_records` in a transaction that is
then rolled back (so every run meets the same state), and within it the re-match alone
(`sbom.rematch.rematch_records`, the hook). The record is a real record of the probe
package's base package, renamed to the probe package; probes are packages at several
popularity ranks (how many components they have is printed), plus a package that no
inventory contains (the common case for a new record). First run and median of the others.
"""

from __future__ import annotations

import argparse
import gc
import platform
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.orm import Session

import clearinghouse.intake.upsert as upsert
from clearinghouse.formats import load_osv_json, load_osv_yaml, validate_osv
from clearinghouse.identity.models import Organisation
from clearinghouse.intake.parse import record_from_osv
from clearinghouse.matching.errors import InvalidVersion, UnsupportedEcosystem
from clearinghouse.matching.versions import parse_version
from clearinghouse.sbom.models import Inventory, InventoryComponent, InventoryFinding, SbomUpload
from clearinghouse.sbom.rematch import RematchResult
from clearinghouse.storage import Database, open_database
from clearinghouse.storage.bulk import BulkInsert
from clearinghouse.vulnerabilities.package_names import package_name_key

REPO = Path(__file__).resolve().parents[1]
DEFAULT_DATA = REPO.parent / "shared" / "data"
POSTGRES_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
INVENTORIES_PER_ORG = 100
LOAD_CHUNK = 200_000
NOW = datetime(2026, 9, 1, tzinfo=UTC)
INDEXES = {
    "ix_inventory_components_package": "(ecosystem, name_key, version, upload_id)",
    "ix_inventory_components_upload_id": "(upload_id)",
}
PURL_TYPES = {"PyPI": "pypi", "Go": "golang"}

Package = tuple[str, str]  # ecosystem, name


# --- the real packages ---------------------------------------------------------------------


def real_packages(data: Path) -> dict[Package, tuple[list[str], list[dict[str, Any]]]]:
    """Each real package: the versions its records mention (parseable), and the records."""
    documents = [
        load_osv_yaml(p.read_bytes(), source=str(p))
        for p in sorted((data / "osv" / "pypi").rglob("*.yaml"))
    ]
    documents += [
        load_osv_json(p.read_bytes(), source=str(p))
        for p in sorted((data / "osv" / "go").glob("*.json"))
    ]
    found: dict[Package, tuple[set[str], list[dict[str, Any]]]] = {}
    for document in documents:
        for affected in document.get("affected") or ():
            package = affected.get("package") or {}
            key = (package.get("ecosystem", ""), package.get("name", ""))
            if key[0] not in PURL_TYPES or not key[1]:
                continue
            versions, records = found.setdefault(key, (set(), []))
            records.append(document)
            versions.update(str(v) for v in affected.get("versions") or ())
            for osv_range in affected.get("ranges") or ():
                for event in osv_range.get("events") or ():
                    versions.update(str(v) for k, v in event.items() if k != "limit" and v != "0")
    packages = {}
    for key, (versions, records) in found.items():
        readable = sorted(v for v in versions if _readable(key[0], v))
        if readable:
            packages[key] = (readable, records)
    return packages


def _readable(ecosystem: str, version: str) -> bool:
    try:
        parse_version(ecosystem, version)
    except (InvalidVersion, UnsupportedEcosystem):
        return False
    return True


def universe_names(real: Sequence[Package], size: int) -> list[tuple[Package, Package]]:
    """`size` (package, its real base) pairs: the real ones, then renamed copies."""
    names = [(p, p) for p in real]
    copy = 0
    while len(names) < size:
        names.extend(((eco, f"{name}-s{copy}"), (eco, name)) for eco, name in real)
        copy += 1
    return names[:size]


# --- loading -------------------------------------------------------------------------------


@contextmanager
def timed(label: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    print(f"  {label}: {time.perf_counter() - started:.1f} s", flush=True)


def load(
    db: Database,
    args: argparse.Namespace,
    universe: list[tuple[Package, Package]],
    versions: dict[Package, list[str]],
    rng: np.random.Generator,
) -> np.ndarray:
    """Organisations, inventories, one upload each, and their components; returns the
    number of components of each universe package."""
    organisations = -(-args.inventories // INVENTORIES_PER_ORG)
    per_inventory = args.components // args.inventories
    with db.session() as session:
        for name in INDEXES:
            session.execute(text(f"DROP INDEX IF EXISTS {name}"))
        BulkInsert(Organisation, ("id", "slug", "name", "kind", "created_at"))(
            session,
            [
                (i, f"org-{i}", f"Organisation {i}", "critical_infrastructure", NOW)
                for i in range(1, organisations + 1)
            ],
        )
        BulkInsert(
            Inventory,
            (
                "id",
                "organisation_id",
                "name",
                "created_at",
                "created_by",
                "latest_upload_id",
                "latest_upload_at",
            ),
        )(
            session,
            [
                (i, (i - 1) // INVENTORIES_PER_ORG + 1, f"inventory-{i}", NOW, "benchmark", i, NOW)
                for i in range(1, args.inventories + 1)
            ],
        )
        BulkInsert(
            SbomUpload,
            (
                "id",
                "inventory_id",
                "file_name",
                "format",
                "encoding",
                "declared_count",
                "component_count",
                "skipped_count",
                "size_bytes",
                "sha256",
                "uploaded_by",
                "uploaded_at",
                "skipped",
                "vex",
                "warnings",
            ),
        )(
            session,
            [
                (
                    i,
                    i,
                    "bom.json",
                    "CycloneDX",
                    "json",
                    per_inventory,
                    per_inventory,
                    0,
                    0,
                    "0" * 64,
                    "benchmark",
                    NOW,
                    "[]",
                    "[]",
                    "[]",
                )
                for i in range(1, args.inventories + 1)
            ],
        )
    ranks = np.arange(1, len(universe) + 1, dtype=np.float64)
    weights = ranks ** (-args.zipf)
    weights /= weights.sum()
    cdf = np.cumsum(weights)
    cdf[-1] = 1.0
    order = rng.permutation(len(universe))  # which name has which popularity
    counts = np.zeros(len(universe), dtype=np.int64)
    insert = BulkInsert(
        InventoryComponent,
        ("id", "upload_id", "ecosystem", "name", "name_key", "version", "purl", "bom_ref"),
    )
    keys = [
        (eco, name, package_name_key(eco, name), PURL_TYPES[eco]) for (eco, name), _ in universe
    ]
    base_versions = [versions[base] for _, base in universe]
    total = args.inventories * per_inventory
    inventories_per_chunk = max(1, LOAD_CHUNK // per_inventory)
    next_id = 1
    for first in range(0, args.inventories, inventories_per_chunk):
        count = min(inventories_per_chunk, args.inventories - first)
        picks = _distinct_picks(rng, cdf, count, per_inventory)
        picks = order[picks]
        counts += np.bincount(picks.ravel(), minlength=len(universe))
        choice = rng.random(picks.size).tolist()
        rows = []
        for offset, pick in enumerate(picks.ravel().tolist()):
            eco, name, name_key, purl_type = keys[pick]
            options = base_versions[pick]
            version = options[int(choice[offset] * len(options))]
            upload_id = first + offset // per_inventory + 1
            rows.append(
                (
                    next_id,
                    upload_id,
                    eco,
                    name,
                    name_key,
                    version,
                    f"pkg:{purl_type}/{name}@{version}",
                    None,
                )
            )
            next_id += 1
        with db.session() as session:
            insert(session, rows)
        print(f"\r  {next_id - 1:,} of {total:,} components", end="", file=sys.stderr, flush=True)
    print(file=sys.stderr)
    return counts


def _distinct_picks(
    rng: np.random.Generator, cdf: np.ndarray, inventories: int, per_inventory: int
) -> np.ndarray:
    """`per_inventory` distinct popularity ranks for each inventory: a package is listed once
    per SBOM, so a popular package is in many inventories rather than many times in one."""
    picks = np.empty((inventories, per_inventory), dtype=np.int64)
    draws = np.searchsorted(cdf, rng.random((inventories, per_inventory * 3)))
    for row in range(inventories):
        sample = draws[row]
        while True:
            _, first_seen = np.unique(sample, return_index=True)
            if first_seen.size >= per_inventory:
                break
            more = np.searchsorted(cdf, rng.random(per_inventory * 3))
            sample = np.concatenate([sample, more])
        picks[row] = sample[np.sort(first_seen)[:per_inventory]]
    return picks


def build_indexes(db: Database) -> None:
    with db.session() as session:
        for name, columns in INDEXES.items():
            session.execute(
                text(f"CREATE INDEX IF NOT EXISTS {name} ON inventory_components {columns}")
            )
        if db.is_sqlite:
            session.execute(text("ANALYZE"))
    if not db.is_sqlite:
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE inventory_components"))
            conn.execute(text("VACUUM ANALYZE inventories"))


# --- measuring -----------------------------------------------------------------------------


def probe_record(package: Package, base_records: list[dict[str, Any]], n: int) -> dict[str, Any]:
    """The base package's record with the most ranges, renamed to the probe package."""
    source = max(base_records, key=lambda d: len(str(d.get("affected"))))
    record = dict(source)
    record["id"] = f"OSV-BENCH-{n}-{uuid.uuid4().hex[:8]}"
    record["aliases"] = []
    record.pop("related", None)
    record["modified"] = "2026-09-01T00:00:00Z"
    affected = []
    for entry in source.get("affected") or ():
        entry = dict(entry)
        entry["package"] = {"ecosystem": package[0], "name": package[1]}
        affected.append(entry)
    record["affected"] = affected
    return record


def measure(db: Database, document: dict[str, Any], runs: int) -> dict[str, Any]:
    record = record_from_osv(
        validate_osv(document, source="bench"), source="bench", source_file="bench"
    )
    rematch_ms: list[float] = []
    total_ms: list[float] = []
    results: list[RematchResult] = []
    original: Callable[..., RematchResult] = upsert.rematch_records

    def timed_rematch(*args: Any, **kwargs: Any) -> RematchResult:
        started = time.perf_counter()
        result = original(*args, **kwargs)
        rematch_ms.append((time.perf_counter() - started) * 1000)
        results.append(result)
        return result

    upsert.rematch_records = timed_rematch  # type: ignore[assignment]
    try:
        for _ in range(runs):
            with Session(db.engine) as session:
                transaction = session.begin()
                started = time.perf_counter()
                upsert.write_records(session, [record], actor="benchmark")
                total_ms.append((time.perf_counter() - started) * 1000)
                transaction.rollback()
    finally:
        upsert.rematch_records = original  # type: ignore[assignment]
    last = results[-1]
    return {
        "first_rematch_ms": rematch_ms[0],
        "rematch_ms": statistics.median(rematch_ms[1:] or rematch_ms),
        "store_and_rematch_ms": statistics.median(total_ms[1:] or total_ms),
        "components": last.components,
        "versions": last.versions,
        "opened": last.opened,
        "organisations": len(last.organisations),
    }


def _database(kind: str, path: Path | None) -> tuple[str, Callable[[], None]]:
    if kind == "sqlite":
        target = path or Path(tempfile.mkdtemp()) / "rematch.db"
        return f"sqlite:///{target}", lambda: None
    name = f"clearinghouse_rematch_{uuid.uuid4().hex[:8]}"
    admin = create_engine(POSTGRES_ADMIN, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))

    def drop() -> None:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    return POSTGRES_ADMIN.rsplit("/", 1)[0] + f"/{name}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--inventories", type=int, default=100_000)
    parser.add_argument("--components", type=int, default=0, help="default: 100 per inventory")
    parser.add_argument("--universe", type=int, default=200_000, help="distinct package names")
    parser.add_argument("--zipf", type=float, default=1.1)
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--path", type=Path, help="SQLite file (reused with --keep)")
    parser.add_argument("--keep", action="store_true", help="keep the database; reuse if loaded")
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument(
        "--ranks",
        default="1,3,10,30,100,300,1000,3000,10000,100000",
        help="popularity ranks of the probe packages, comma-separated",
    )
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args()
    args.components = args.components or args.inventories * 100
    print(f"machine: {platform.node()} {platform.machine()}, python {platform.python_version()}")
    rng = np.random.default_rng(args.seed)
    real = real_packages(args.data)
    universe = universe_names(sorted(real), args.universe)
    versions = {key: value[0] for key, value in real.items()}
    print(f"{len(real):,} real packages, a universe of {len(universe):,} names")

    url, drop = _database(args.db, args.path)
    db = open_database(url)
    try:
        with db.read_session() as session:
            stored = session.scalar(select(func.count()).select_from(InventoryComponent)) or 0
        if stored and args.keep:
            print(f"reusing {stored:,} stored components at {url}")
            counts = np.zeros(len(universe), dtype=np.int64)
        else:
            print(
                f"loading {args.inventories:,} inventories, {args.components:,} components "
                f"into {args.db}:"
            )
            started = time.perf_counter()
            with timed("rows"):
                counts = load(db, args, universe, versions, rng)
            with timed("indexes"):
                build_indexes(db)
            print(f"  loaded in {time.perf_counter() - started:.0f} s")
        # This script's own state (every real record, the universe of names) is not what an
        # intake process holds; frozen, the collector stops walking it on every pass.
        gc.freeze()
        run_probes(db, args, universe, real, counts)
    finally:
        db.dispose()
        if not args.keep:
            drop()


def run_probes(
    db: Database,
    args: argparse.Namespace,
    universe: list[tuple[Package, Package]],
    real: dict[Package, tuple[list[str], list[dict[str, Any]]]],
    counts: np.ndarray,
) -> None:
    with db.read_session() as session:
        inventories = session.scalar(select(func.count()).select_from(Inventory))
        components = session.scalar(select(func.count()).select_from(InventoryComponent))
        findings = session.scalar(select(func.count()).select_from(InventoryFinding))
    print(f"store: {inventories:,} inventories, {components:,} components, {findings:,} findings")
    if not counts.any():  # a reused database: count the probes' packages instead
        counts = _count_components(db, universe)
    by_popularity = np.argsort(-counts, kind="stable")
    probes: list[tuple[str, int | None]] = [
        (f"rank {rank:,}", int(by_popularity[rank - 1]))
        for rank in (int(r) for r in args.ranks.split(",") if r)
        if 1 <= rank <= len(universe)
    ]
    probes.append(("in no inventory", None))
    print(
        f"{'probe package':<18} {'components':>10} {'versions':>8} {'opened':>7} "
        f"{'orgs':>5} {'rematch ms (first)':>19} {'median':>7} {'store+rematch':>13}"
    )
    for n, (label, index) in enumerate(probes):
        if index is None:
            package, base = ("PyPI", f"brand-new-package-{n}"), ("PyPI", "requests")
        else:
            package, base = universe[index]
        document = probe_record(package, real[base][1], n)
        figures = measure(db, document, args.runs)
        print(
            f"{label:<18} {figures['components']:>10,} {figures['versions']:>8,} "
            f"{figures['opened']:>7,} {figures['organisations']:>5,} "
            f"{figures['first_rematch_ms']:>19.1f} {figures['rematch_ms']:>7.1f} "
            f"{figures['store_and_rematch_ms']:>13.1f}   {package[0]}/{package[1]}",
            flush=True,
        )


def _count_components(db: Database, universe: list[tuple[Package, Package]]) -> np.ndarray:
    index = {(eco, package_name_key(eco, name)): i for i, ((eco, name), _) in enumerate(universe)}
    counts = np.zeros(len(universe), dtype=np.int64)
    with db.read_session() as session:
        rows = session.execute(
            select(
                InventoryComponent.ecosystem, InventoryComponent.name_key, func.count()
            ).group_by(InventoryComponent.ecosystem, InventoryComponent.name_key)
        )
        for eco, name_key, n in rows:
            if (eco, name_key) in index:
                counts[index[(eco, name_key)]] = n
    return counts


if __name__ == "__main__":
    main()
