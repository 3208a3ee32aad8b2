"""Where input comes from: files, folders and zip archives, enumerated lazily and read safely.

Enumeration (`iter_units`) is cheap and runs in the coordinating process; reading
(`UnitReader.read`) happens where the parsing happens, so a worker process reads its own
bytes. Every input is untrusted: sizes are capped before and while reading, zip member
names may not escape, and a member whose real size exceeds what it declared, or whose
compression ratio is absurd, is refused without being inflated.
"""

from __future__ import annotations

import os
import posixpath
import stat
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from clearinghouse.intake.errors import InputNotFound, InputTooLarge, UnsafeArchive


@dataclass(frozen=True)
class Limits:
    record_bytes: int
    catalog_bytes: int
    member_bytes: int
    archive_total_bytes: int
    archive_ratio: int


@dataclass(frozen=True, slots=True)
class Unit:
    """One file to parse: a plain file, or a member of a zip archive."""

    path: str
    member: str | None = None
    size: int = 0

    @property
    def name(self) -> str:
        return f"{self.path}!{self.member}" if self.member else self.path

    @property
    def basename(self) -> str:
        return posixpath.basename(self.member) if self.member else os.path.basename(self.path)


@dataclass(frozen=True, slots=True)
class Refusal:
    """An input refused before it could be parsed: it becomes a rejection in the summary."""

    source: str
    reason: str


def _is_zip(path: Path) -> bool:
    return path.suffix.lower() == ".zip" or zipfile.is_zipfile(path)


def _unsafe_member_name(name: str) -> str | None:
    if "\x00" in name or "\\" in name:
        return "its name holds a NUL or a backslash"
    if name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return "its name is an absolute path"
    if ".." in name.split("/"):
        return "its name climbs out of the archive (path traversal)"
    return None


def _iter_zip(path: Path, limits: Limits) -> Iterator[Unit | Refusal]:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        yield Refusal(str(path), f"not a readable zip archive: {exc}")
        return
    declared_total = 0
    with archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            source = f"{path}!{info.filename}"
            unsafe = _unsafe_member_name(info.filename)
            if unsafe:
                yield Refusal(source, f"unsafe archive member: {unsafe}")
                continue
            if info.file_size > limits.member_bytes:
                yield Refusal(
                    source,
                    f"archive member of {info.file_size} bytes exceeds the "
                    f"{limits.member_bytes}-byte limit",
                )
                continue
            if (
                info.compress_size
                and info.file_size > 1024 * 1024
                and (info.file_size / info.compress_size > limits.archive_ratio)
            ):
                yield Refusal(
                    source,
                    f"compression ratio {info.file_size // info.compress_size}:1 exceeds "
                    f"{limits.archive_ratio}:1 (zip bomb)",
                )
                continue
            declared_total += info.file_size
            if declared_total > limits.archive_total_bytes:
                yield Refusal(
                    str(path),
                    f"archive expands past {limits.archive_total_bytes} bytes; the rest of it "
                    "was not read",
                )
                return
            yield Unit(str(path), info.filename, info.file_size)


def _iter_folder(root: Path, limits: Limits) -> Iterator[Unit | Refusal]:
    # Sorted, so that two runs over the same folder visit files in the same order.
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for filename in sorted(filenames):
            if filename.startswith("."):
                continue
            yield from _iter_file(Path(dirpath) / filename, limits)


def _iter_file(path: Path, limits: Limits) -> Iterator[Unit | Refusal]:
    try:
        info = path.lstat()
    except OSError as exc:
        yield Refusal(str(path), f"cannot be read: {exc.strerror}")
        return
    if stat.S_ISLNK(info.st_mode) or not stat.S_ISREG(info.st_mode):
        yield Refusal(str(path), "not a regular file (links and devices are not followed)")
        return
    if _is_zip(path):
        yield from _iter_zip(path, limits)
    else:
        yield Unit(str(path), None, info.st_size)


def iter_units(paths: list[Path], limits: Limits) -> Iterator[Unit | Refusal]:
    """Every file under the given paths, in a stable order, without reading any of them."""
    for path in paths:
        if not path.exists():
            raise InputNotFound(f"{path}: no such file or folder")
    for path in paths:
        # A path named on the command line is followed if it is a link; links found
        # inside folders and archives are not.
        path = path.resolve()
        if path.is_dir():
            yield from _iter_folder(path, limits)
        else:
            yield from _iter_file(path, limits)


class UnitReader:
    """Reads units' bytes; keeps the last zip archive open, since members come in order."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self._archive_path: str | None = None
        self._archive: zipfile.ZipFile | None = None

    def read(self, unit: Unit, limit: int) -> bytes:
        """The unit's bytes; InputTooLarge when it holds more than `limit` bytes."""
        if unit.member is None:
            if unit.size > limit:
                raise InputTooLarge(f"{unit.size} bytes exceeds the {limit}-byte limit")
            with open(unit.path, "rb") as handle:
                data = handle.read(limit + 1)
        else:
            # Read at most limit+1 bytes: a member that lies about its size is never inflated.
            data = self._read_member(unit, limit + 1)
        if len(data) > limit:
            raise InputTooLarge(f"more than {limit} bytes; the limit for one record is {limit}")
        return data

    def _read_member(self, unit: Unit, size: int) -> bytes:
        assert unit.member is not None
        try:
            with self._zip(unit.path).open(unit.member) as handle:
                return handle.read(size)
        except (zipfile.BadZipFile, EOFError, OSError, ValueError, zlib.error) as exc:
            raise UnsafeArchive(f"archive member cannot be read: {exc}") from exc

    def _zip(self, path: str) -> zipfile.ZipFile:
        if self._archive_path != path:
            self.close()
            self._archive = zipfile.ZipFile(path)
            self._archive_path = path
        assert self._archive is not None
        return self._archive

    def close(self) -> None:
        if self._archive is not None:
            self._archive.close()
        self._archive = None
        self._archive_path = None
