"""The ingest pipeline: enumerate inputs, parse them (in worker processes), store in batches.

Memory stays flat whatever the input size: units are enumerated lazily, at most a few
chunks are in flight between the parsers and the writer, and each batch is written and
dropped before the next one is built.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

from clearinghouse.audit import append
from clearinghouse.formats import Format
from clearinghouse.intake.parse import (
    Parsed,
    ParsedKevCatalog,
    ParsedRecord,
    Skipped,
    UnitParser,
)
from clearinghouse.intake.sources import Limits, Refusal, Unit, iter_units
from clearinghouse.intake.upsert import write_kev, write_records
from clearinghouse.settings import Settings, get_settings
from clearinghouse.storage import Database

MAX_REJECTIONS_KEPT = 1000
CHUNK_UNITS = 200
CHUNKS_IN_FLIGHT = 8

Progress = Callable[[int], None]


@dataclass
class IngestSummary:
    """What a run did. Each record counts once: added, updated, unchanged, withdrawn or
    rejected; `stale` (an older copy of a stored record, kept out) and `skipped` (files
    that hold no record) are reported beside them."""

    counts: Counter[str] = field(default_factory=Counter)
    kev: Counter[str] = field(default_factory=Counter)
    rejections: list[Refusal] = field(default_factory=list)
    files: int = 0
    seconds: float = 0.0

    def reject(self, refusal: Refusal) -> None:
        self.counts["rejected"] += 1
        if len(self.rejections) < MAX_REJECTIONS_KEPT:
            self.rejections.append(refusal)

    @property
    def records(self) -> int:
        return sum(self.counts[k] for k in ("added", "updated", "unchanged", "withdrawn", "stale"))

    @property
    def changed(self) -> bool:
        return any(self.counts[k] or self.kev[k] for k in ("added", "updated", "withdrawn"))

    def as_dict(self) -> dict[str, Any]:
        return {
            "added": self.counts["added"],
            "updated": self.counts["updated"],
            "unchanged": self.counts["unchanged"],
            "withdrawn": self.counts["withdrawn"],
            "rejected": self.counts["rejected"],
            "stale": self.counts["stale"],
            "skipped_files": self.counts["skipped"],
            "kev": {k: self.kev[k] for k in ("added", "updated", "unchanged")},
            "files": self.files,
            "seconds": round(self.seconds, 3),
            "records_per_second": round(self.records / self.seconds) if self.seconds else None,
            "rejections": [{"source": r.source, "reason": r.reason} for r in self.rejections],
            "rejections_not_listed": max(0, self.counts["rejected"] - len(self.rejections)),
        }


def limits_from(settings: Settings) -> Limits:
    return Limits(
        record_bytes=settings.max_record_bytes,
        catalog_bytes=max(settings.max_record_bytes, 64 * 1024 * 1024),
        member_bytes=settings.max_archive_member_bytes,
        archive_total_bytes=settings.max_archive_total_bytes,
        archive_ratio=settings.max_archive_ratio,
    )


# --- the parsing side: inline, or in a pool of worker processes --------------------------

_worker_parser: UnitParser | None = None


def _init_worker(limits: Limits, forced_format: Format | None) -> None:
    global _worker_parser
    _worker_parser = UnitParser(limits, forced_format)


def _parse_chunk(items: list[Unit | Refusal]) -> list[Parsed]:
    assert _worker_parser is not None
    return _parse_items(_worker_parser, items)


def _parse_items(parser: UnitParser, items: list[Unit | Refusal]) -> list[Parsed]:
    parsed: list[Parsed] = []
    for item in items:
        if isinstance(item, Refusal):
            parsed.append(item)
        else:
            parsed.extend(parser(item))
    return parsed


def _chunked(items: Iterable[Unit | Refusal], size: int) -> Iterator[list[Unit | Refusal]]:
    iterator = iter(items)
    while chunk := list(islice(iterator, size)):
        yield chunk


def _parsed_stream(
    units: Iterable[Unit | Refusal], limits: Limits, forced_format: Format | None, workers: int
) -> Iterator[tuple[int, list[Parsed]]]:
    """(units in the chunk, what they parsed to), in input order, bounded in flight."""
    if workers == 0:
        parser = UnitParser(limits, forced_format)
        try:
            for chunk in _chunked(units, CHUNK_UNITS):
                yield len(chunk), _parse_items(parser, chunk)
        finally:
            parser.close()
        return
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers, _init_worker, (limits, forced_format)) as pool:
        in_flight: deque[tuple[int, Any]] = deque()
        for chunk in _chunked(units, CHUNK_UNITS):
            in_flight.append((len(chunk), pool.apply_async(_parse_chunk, (chunk,))))
            if len(in_flight) >= CHUNKS_IN_FLIGHT * workers:
                size, pending = in_flight.popleft()
                yield size, pending.get()
        while in_flight:
            size, pending = in_flight.popleft()
            yield size, pending.get()


def default_workers(paths: list[Path]) -> int:
    """Worker processes for parsing: none for a few files, the spare cores for bulk input."""
    bulk = any(p.is_dir() or p.suffix.lower() == ".zip" for p in paths)
    if not bulk:
        return 0
    return max(1, min((os.cpu_count() or 1) - 1, 4))


# --- the writing side ----------------------------------------------------------------------


class _BatchWriter:
    def __init__(self, db: Database, summary: IngestSummary, actor: str, batch_size: int) -> None:
        self.db = db
        self.summary = summary
        self.actor = actor
        self.batch_size = batch_size
        self.batch: dict[str, ParsedRecord] = {}

    def add(self, record: ParsedRecord) -> None:
        if record.osv_id in self.batch:
            # The same id twice in one batch: store the first before judging the second.
            self.flush()
        self.batch[record.osv_id] = record
        if len(self.batch) >= self.batch_size:
            self.flush()

    def flush(self) -> None:
        if not self.batch:
            return
        with self.db.session() as session:
            result = write_records(session, list(self.batch.values()), actor=self.actor)
        self.summary.counts.update(result.counts)
        self.batch.clear()

    def kev(self, catalog: ParsedKevCatalog) -> None:
        self.flush()
        with self.db.session() as session:
            result = write_kev(session, catalog, actor=self.actor)
        self.summary.kev.update(result.counts)


def ingest_paths(
    db: Database,
    paths: list[Path],
    *,
    actor: str = "system",
    forced_format: Format | None = None,
    settings: Settings | None = None,
    workers: int | None = None,
    progress: Progress | None = None,
) -> IngestSummary:
    """Ingest files, folders and zip archives; returns what was added, updated and refused."""
    settings = settings or get_settings()
    limits = limits_from(settings)
    summary = IngestSummary()
    started = time.perf_counter()
    writer = _BatchWriter(db, summary, actor, settings.ingest_batch_size)
    units = iter_units(paths, limits)
    if workers is None:
        workers = default_workers(paths)
    for size, parsed in _parsed_stream(units, limits, forced_format, workers):
        summary.files += size
        for item in parsed:
            if isinstance(item, ParsedRecord):
                writer.add(item)
            elif isinstance(item, ParsedKevCatalog):
                writer.kev(item)
            elif isinstance(item, Skipped):
                summary.counts["skipped"] += 1
            else:
                summary.reject(item)
        if progress:
            progress(size)
    writer.flush()
    summary.seconds = time.perf_counter() - started
    if summary.changed:
        with db.session() as session:
            append(
                session,
                actor=actor,
                action="intake.run",
                subject_type="ingest",
                subject_id=",".join(str(p) for p in paths)[:200],
                details={k: v for k, v in summary.as_dict().items() if k != "rejections"},
            )
    return summary
