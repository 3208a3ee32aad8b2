"""Reports made from the real records in ../shared/data, with realistic duplicates mixed in.

Used by the intake tests, `benchmarks/report_load.py` and `benchmarks/near_duplicates.py`.

- Each OSV record (PyPI, Go, and RustSec converted to OSV) becomes a structured report: its
  summary and details, its first affected package with that entry's ranges, its CVSS vector
  and CWE when it has them, found by a model in some run.
- A duplicate re-reports the same vulnerability as another model run would: the same
  report again (an exact duplicate), or the text reworded (sentences dropped and swapped,
  words exchanged for synonyms, a preamble added) with another version range.
- Alias groups (records that name each other through `aliases`) are the ground truth of
  "the same vulnerability": labelled pairs in one group are duplicates; records of the same
  package in different groups are the hard negatives; random pairs the easy ones.
"""

from __future__ import annotations

import itertools
import os
import random
import re
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import orjson
import yaml
from cvss import CVSS3, CVSS4
from cvss.exceptions import CVSSError

from clearinghouse.formats.rustsec import parse_rustsec, rustsec_to_osv

REPO = Path(__file__).resolve().parents[2]
SHARED_DATA = Path(os.environ.get("CLEARINGHOUSE_SHARED_DATA", REPO.parent / "shared" / "data"))


@dataclass(frozen=True)
class Record:
    id: str
    doc: dict[str, Any]
    group: str  # the alias group: one representative id
    source: str  # pypi, go, rustsec


def _documents(root: Path, sources: Sequence[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    if "pypi" in sources:
        for path in sorted((root / "osv" / "pypi").glob("*/*.yaml")):
            yield "pypi", yaml.safe_load(path.read_bytes())
    if "go" in sources:
        for path in sorted((root / "osv" / "go").glob("*.json")):
            yield "go", orjson.loads(path.read_bytes())
    if "rustsec" in sources:
        for path in sorted((root / "rustsec").glob("**/*.md")):
            yield "rustsec", rustsec_to_osv(parse_rustsec(path.read_bytes(), source=str(path)))


@lru_cache(maxsize=4)
def load_records(
    root: Path = SHARED_DATA, sources: tuple[str, ...] = ("pypi", "go", "rustsec")
) -> tuple[Record, ...]:
    """Every record, in a stable order, with its alias group (union of `id` and `aliases`)."""
    documents = list(_documents(root, sources))
    parent: dict[str, str] = {}

    def find(name: str) -> str:
        parent.setdefault(name, name)
        while parent[name] != name:
            parent[name] = parent[parent[name]]
            name = parent[name]
        return name

    for _, doc in documents:
        for alias in doc.get("aliases") or ():
            parent[find(str(alias))] = find(doc["id"])
    return tuple(Record(doc["id"], doc, find(doc["id"]), source) for source, doc in documents)


# The Go database's note on its own version mapping: about the feed, not the flaw, and in
# 484 Go records; a reporter would not copy it into a report.
_FEED_NOTE = re.compile(
    r"\n*NOTE: The source advisory for this report contains additional versions.*", re.S
)


def record_text(doc: dict[str, Any], *, as_report: bool = False) -> tuple[str, str]:
    """(title, description) as written in the record, or as a reporter would write them."""
    details = str(doc.get("details") or "").strip()
    if as_report:
        details = _FEED_NOTE.sub("", details).strip()
    summary = str(doc.get("summary") or "").strip()
    title = summary or re.split(r"(?<=[.!?])\s+|\n", details, maxsplit=1)[0]
    if len(title) > 300:
        title = title[:297] + "..."
    return title or doc["id"], details or summary or doc["id"]


_SYNONYMS = (
    ("allows", "lets"),
    ("remote attackers", "a remote attacker"),
    ("arbitrary code", "code of the attacker's choosing"),
    ("via", "through"),
    ("vulnerability", "flaw"),
    ("denial of service", "DoS"),
    ("crafted", "malicious"),
    ("before", "prior to"),
    ("attacker", "adversary"),
    ("execute", "run"),
    ("could", "can"),
    ("issue", "problem"),
    ("does not", "fails to"),
    ("sensitive information", "secrets"),
    ("users", "callers"),
)
_PREAMBLES = (
    "While fuzzing this package we found that",
    "Automated analysis indicates:",
    "Our model observed the following.",
    "Reproduced locally:",
    "",
)


def reword(text: str, rng: random.Random) -> str:
    """The same finding in other words, as a second model run would write it."""
    sentences = re.split(r"(?<=[.!?])\s+", text)
    if len(sentences) > 2 and rng.random() < 0.5:
        sentences.pop(rng.randrange(1, len(sentences)))
    if len(sentences) > 1 and rng.random() < 0.5:
        i = rng.randrange(len(sentences) - 1)
        sentences[i], sentences[i + 1] = sentences[i + 1], sentences[i]
    result = " ".join(sentences)
    for old, new in _SYNONYMS:
        if rng.random() < 0.7:
            result = re.sub(rf"\b{re.escape(old)}\b", new, result, flags=re.IGNORECASE)
    return f"{rng.choice(_PREAMBLES)} {result}".strip()


def _vector(doc: dict[str, Any]) -> str | None:
    for entry in doc.get("severity") or ():
        score = str(entry.get("score", ""))
        try:
            if entry.get("type") == "CVSS_V3" and score.startswith("CVSS:3"):
                CVSS3(score)
                return score
            if entry.get("type") == "CVSS_V4":
                CVSS4(score)
                return score
        except CVSSError:
            continue
    return None


def _affected(doc: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]] | None:
    for entry in doc.get("affected") or ():
        package = entry.get("package") or {}
        if not package.get("ecosystem") or not package.get("name"):
            continue
        ranges = [
            {"type": r["type"], "events": r["events"]}
            for r in entry.get("ranges") or ()
            if r.get("type") in ("ECOSYSTEM", "SEMVER")
        ]
        versions = [str(v) for v in (entry.get("versions") or ())][:50]
        affected: dict[str, Any] = {}
        if ranges:
            affected["ranges"] = ranges
        if versions:
            affected["versions"] = versions
        return {"ecosystem": package["ecosystem"], "name": package["name"]}, affected
    return None


def _widened(affected: dict[str, Any]) -> dict[str, Any]:
    """Another version range for the same flaw: from the beginning up to the first fix."""
    fixes = [
        event["fixed"]
        for osv_range in affected.get("ranges") or ()
        for event in osv_range["events"]
        if "fixed" in event
    ]
    kind = (affected.get("ranges") or [{"type": "ECOSYSTEM"}])[0]["type"]
    events: list[dict[str, str]] = [{"introduced": "0"}]
    if fixes:
        events.append({"fixed": fixes[-1]})
    return {"ranges": [{"type": kind, "events": events}]}


def structured_report(
    record: Record,
    *,
    model_run: str,
    rng: random.Random | None = None,
    reworded: bool = False,
    identifiers: bool = False,
) -> dict[str, Any]:
    """The record as a structured report; reworded (with another range) when asked."""
    doc = record.doc
    title, description = record_text(doc, as_report=True)
    body: dict[str, Any] = {
        "title": title,
        "description": description,
        "discovered_by": "model",
        "discovered_by_name": f"frontier-model {model_run.split('-')[0]}",
        "model_run": model_run,
    }
    placed = _affected(doc)
    if placed is not None:
        body["package"], affected = placed
        if affected:
            body["affected"] = _widened(affected) if reworded else affected
    vector = _vector(doc)
    if vector:
        body["cvss_vector"] = vector
    cwes = (doc.get("database_specific") or {}).get("cwe_ids") or []
    if cwes:
        body["cwe"] = str(cwes[0])
    if identifiers:
        body["identifiers"] = [doc["id"], *(doc.get("aliases") or ())][:10]
    if reworded:
        assert rng is not None
        body["title"] = reword(title, rng)[:300]
        body["description"] = reword(description, rng)
    return body


@dataclass(frozen=True)
class Submission:
    body: dict[str, Any]
    record_id: str
    group: str
    kind: str  # original, exact, reworded


def submissions(
    records: Sequence[Record], count: int, *, duplicate_share: float = 0.25, seed: int = 7
) -> list[Submission]:
    """`count` reports: distinct records, and duplicates of them placed after their original."""
    rng = random.Random(seed)
    duplicates = int(count * duplicate_share)
    originals = rng.sample(list(records), min(count - duplicates, len(records)))
    duplicates = count - len(originals)
    # Each submission gets a place in time; a duplicate's comes after its original's.
    timed = [
        (
            float(i),
            Submission(
                structured_report(r, model_run=f"run-{i % 40:02d}"), r.id, r.group, "original"
            ),
        )
        for i, r in enumerate(originals)
    ]
    for n in range(duplicates):
        position = rng.randrange(len(originals))
        record = originals[position]
        run = f"run-{40 + n % 20:02d}"
        if rng.random() < 0.4:
            body = structured_report(record, model_run=run)
            kind = "exact"
        else:
            body = structured_report(record, model_run=run, rng=rng, reworded=True)
            kind = "reworded"
        timed.append(
            (
                rng.uniform(position + 0.5, len(originals)),
                Submission(body, record.id, record.group, kind),
            )
        )
    timed.sort(key=lambda pair: pair[0])
    return [submission for _, submission in timed]


@dataclass(frozen=True)
class Pair:
    left: tuple[str, str]
    right: tuple[str, str]
    duplicate: bool
    kind: str  # alias-group, reworded, same-package, random


def _package_key(doc: dict[str, Any]) -> tuple[str, str] | None:
    placed = _affected(doc)
    return (placed[0]["ecosystem"], placed[0]["name"].lower()) if placed else None


def labelled_pairs(
    records: Sequence[Record],
    *,
    seed: int = 42,
    reworded: int = 1500,
    same_package: int = 3000,
    unrelated: int = 1500,
) -> list[Pair]:
    """Pairs of report texts, each labelled duplicate or not, from the real records.

    Duplicates: every pair of records in one alias group (written by different databases
    about one vulnerability), and records paired with a reworded re-report of themselves.
    Not duplicates: records of the same package in different alias groups (hard: the same
    product, often the same boilerplate), and random pairs from different groups.
    """
    rng = random.Random(seed)
    pairs: list[Pair] = []
    by_group: dict[str, list[Record]] = defaultdict(list)
    by_package: dict[tuple[str, str], list[Record]] = defaultdict(list)
    for record in records:
        by_group[record.group].append(record)
        key = _package_key(record.doc)
        if key is not None:
            by_package[key].append(record)
    for members in by_group.values():
        for left, right in itertools.combinations(members, 2):
            pairs.append(Pair(record_text(left.doc), record_text(right.doc), True, "alias-group"))
    for record in rng.sample(list(records), min(reworded, len(records))):
        title, description = record_text(record.doc)
        copy = (reword(title, rng), reword(description, rng))
        pairs.append(Pair((title, description), copy, True, "reworded"))
    hard: list[Pair] = []
    for members in by_package.values():
        for _ in range(min(5, len(members) - 1)):
            left, right = rng.sample(members, 2)
            if left.group != right.group:
                hard.append(
                    Pair(record_text(left.doc), record_text(right.doc), False, "same-package")
                )
    rng.shuffle(hard)
    pairs += hard[:same_package]
    pool = list(records)
    while sum(1 for p in pairs if p.kind == "random") < unrelated:
        left, right = rng.sample(pool, 2)
        if left.group != right.group:
            pairs.append(Pair(record_text(left.doc), record_text(right.doc), False, "random"))
    return pairs
