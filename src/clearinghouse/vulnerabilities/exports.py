"""OSV exports in OSV.dev's layout: `ecosystems.txt` and one `<ecosystem>/all.zip` each.

An export holds what anyone may read: records labelled TLP:CLEAR whose embargo, if any,
has passed (`visible_filter` for the anonymous reader), withdrawn ones included with
their `withdrawn` field, as OSV.dev's exports do. A zip is flat, one `<id>.json` per
record holding the stored OSV document as it is, so ingesting the zip again gives the
same records with the same content hashes.

Which zips a record goes into: its ecosystem's base name before the first colon
("Debian"), so that `Debian/all.zip` holds every release's records as OSV.dev's does, and
also each release-qualified name it carries ("Debian:12"), which OSV.dev publishes for
some ecosystems.
"""

from __future__ import annotations

import io
import logging
import os
import re
import tempfile
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from sqlalchemy import ColumnElement, exists, func, or_, select
from sqlalchemy.orm import Session

from clearinghouse.identity.policy import visible_filter
from clearinghouse.identity.principal import ANONYMOUS
from clearinghouse.storage import Database
from clearinghouse.vulnerabilities.models import AffectedPackage, Vulnerability

log = logging.getLogger(__name__)

# Ecosystem names become URL segments and folder names: letters, digits and a few marks
# ("crates.io", "GitHub Actions", "Debian:12"), never a slash or a leading dot.
ECOSYSTEM_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._:+-]{0,63}")
_SAFE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+-]{0,254}")
_CHUNK_BYTES = 1 << 20
_ZIP_EPOCH = datetime(1980, 1, 1, tzinfo=UTC)


def _public(now: datetime) -> ColumnElement[bool]:
    return visible_filter(
        ANONYMOUS,
        tlp_column=Vulnerability.tlp,
        owner_column=Vulnerability.owner_org_id,
        embargo_column=Vulnerability.embargo_ends_at,
        now=now,
    )


def _names_ecosystem(ecosystem: str) -> ColumnElement[bool]:
    exact = AffectedPackage.ecosystem == ecosystem
    if ":" in ecosystem:
        return exact
    escaped = ecosystem.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return or_(exact, AffectedPackage.ecosystem.like(f"{escaped}:%", escape="\\"))


def _in_ecosystem(ecosystem: str) -> ColumnElement[bool]:
    return exists().where(
        AffectedPackage.vulnerability_id == Vulnerability.id, _names_ecosystem(ecosystem)
    )


def export_ecosystems(session: Session, *, now: datetime) -> list[str]:
    """The ecosystems with at least one exported record, with their base names, sorted."""
    named = session.execute(
        select(AffectedPackage.ecosystem)
        .distinct()
        .join(Vulnerability, Vulnerability.id == AffectedPackage.vulnerability_id)
        .where(_public(now))
    ).scalars()
    names: set[str] = set()
    for name in named:
        for candidate in (name, name.split(":", 1)[0]):
            if ECOSYSTEM_NAME.fullmatch(candidate):
                names.add(candidate)
            else:
                log.warning("ecosystem %r is not exported: not a safe name", candidate)
    return sorted(names)


def has_records(session: Session, ecosystem: str, *, now: datetime) -> bool:
    found = session.execute(
        select(Vulnerability.id).where(_public(now), _in_ecosystem(ecosystem)).limit(1)
    ).first()
    return found is not None


def count_records(session: Session, ecosystem: str, *, now: datetime) -> int:
    return session.execute(
        select(func.count(Vulnerability.id)).where(_public(now), _in_ecosystem(ecosystem))
    ).scalar_one()


@dataclass(frozen=True, slots=True)
class ExportedRecord:
    osv_id: str
    document: str
    modified: datetime


def iter_records(session: Session, ecosystem: str, *, now: datetime) -> Iterator[ExportedRecord]:
    """The ecosystem's exported records in id order, read in batches."""
    rows = session.execute(
        select(Vulnerability.osv_id, Vulnerability.document, Vulnerability.modified)
        .where(_public(now), _in_ecosystem(ecosystem))
        .order_by(Vulnerability.osv_id)
        .execution_options(yield_per=500)
    )
    for osv_id, document, modified in rows:
        if not _SAFE_ID.fullmatch(osv_id):
            # A zip member name must not climb out of the folder it is unpacked in.
            log.warning("record %r is not exported: its id is not a safe file name", osv_id)
            continue
        yield ExportedRecord(osv_id, document, modified)


def _member(record: ExportedRecord) -> zipfile.ZipInfo:
    # The record's own modified time, so that the same store gives the same zip.
    moment = max(record.modified.astimezone(UTC), _ZIP_EPOCH)
    info = zipfile.ZipInfo(f"{record.osv_id}.json", date_time=moment.timetuple()[:6])
    info.compress_type = zipfile.ZIP_DEFLATED
    info.external_attr = 0o644 << 16
    return info


def write_zip(
    records: Iterator[ExportedRecord],
    out: BinaryIO,
    *,
    on_record: Callable[[ExportedRecord], None] | None = None,
) -> int:
    """Write `records` as a flat zip of `<id>.json` to `out`; returns how many."""
    count = 0
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for record in records:
            archive.writestr(_member(record), record.document.encode("utf-8"))
            count += 1
            if on_record is not None:
                on_record(record)
    return count


class _ChunkSink(io.RawIOBase):
    """A write-only, non-seekable stream whose bytes are taken out as they come."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []
        self._pending = 0
        self._position = 0

    def writable(self) -> bool:
        return True

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        chunk = bytes(data)
        self._parts.append(chunk)
        self._pending += len(chunk)
        self._position += len(chunk)
        return len(chunk)

    def tell(self) -> int:
        return self._position

    @property
    def pending(self) -> int:
        return self._pending

    def take(self) -> bytes:
        data = b"".join(self._parts)
        self._parts.clear()
        self._pending = 0
        return data


def stream_zip(session: Session, ecosystem: str, *, now: datetime) -> Iterator[bytes]:
    """The ecosystem's `all.zip`, in chunks of about a megabyte, never whole in memory."""
    sink = _ChunkSink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for record in iter_records(session, ecosystem, now=now):
            archive.writestr(_member(record), record.document.encode("utf-8"))
            if sink.pending >= _CHUNK_BYTES:
                yield sink.take()
    tail = sink.take()
    if tail:
        yield tail


@dataclass(frozen=True)
class EcosystemExport:
    ecosystem: str
    records: int
    path: Path
    bytes: int


def export_to_folder(
    db: Database,
    out_dir: Path,
    *,
    now: datetime,
    ecosystems: list[str] | None = None,
    on_start: Callable[[str, int], None] | None = None,
    on_record: Callable[[ExportedRecord], None] | None = None,
) -> list[EcosystemExport]:
    """Write `<out_dir>/ecosystems.txt` and `<out_dir>/<ecosystem>/all.zip` for each one."""
    with db.read_session() as session:
        available = export_ecosystems(session, now=now)
    chosen = available if ecosystems is None else [e for e in ecosystems if e in available]
    out_dir.mkdir(parents=True, exist_ok=True)
    results: list[EcosystemExport] = []
    for ecosystem in chosen:
        folder = out_dir / ecosystem
        folder.mkdir(exist_ok=True)
        target = folder / "all.zip"
        with db.read_session() as session:
            if on_start is not None:
                on_start(ecosystem, count_records(session, ecosystem, now=now))
            # Written beside and renamed: a reader never sees half a zip.
            fd, partial = tempfile.mkstemp(prefix=".all.zip.", dir=folder)
            try:
                with os.fdopen(fd, "wb") as handle:
                    count = write_zip(
                        iter_records(session, ecosystem, now=now), handle, on_record=on_record
                    )
                os.chmod(partial, 0o644)  # mkstemp's 0600 is for the partial file only
                os.replace(partial, target)
            except BaseException:
                Path(partial).unlink(missing_ok=True)
                raise
        results.append(EcosystemExport(ecosystem, count, target, target.stat().st_size))
    (out_dir / "ecosystems.txt").write_text("".join(f"{e}\n" for e in chosen))
    return results
