"""Two cases over HTTP, with a marker planted in every detail of the first.

Case A (TLP:CLEAR) is about a package of Acme's; case B (TLP:AMBER) about Globex's.
`open_cases` leaves both with their vendors invited, statements and a thread of messages,
every detail of case A carrying `MARKER`, so that a test can search any response for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from clearinghouse.reports.models import ReportStatus

from .conftest import DAY, EMBARGO_DAYS, START, World, validated_report

MARKER = "canary7f3a9c"
MARKER_B = "bravo51d2e8"
# The package is a detail too, but searches name it: it is checked apart from MARKER.
PACKAGE = "framecodec-51f0"
CVSS = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"


@dataclass(frozen=True)
class Cases:
    a: int
    b: int
    reports: tuple[int, ...]
    message_id: int


def iso(value: Any) -> str:
    return str(value.isoformat())


def open_cases(world: World) -> Cases:
    """Case A: Acme invited, statements and a thread; case B: Globex invited."""
    # The finder's report names no package: the coordinator works that out, and every
    # detail the case adds (the reporter's own text aside) carries the marker.
    r1 = validated_report(
        world.db,
        title="Heap overflow in a frame decoder",
        description="A crafted frame overflows the decoder's buffer.",
        tlp="AMBER",
    )
    r2 = validated_report(world.db, title="Same overflow, found again", description="dup")
    r3 = validated_report(
        world.db,
        title=f"Path traversal in globex-archive ({MARKER_B})",
        description=f"Entries with ../ escape the target folder ({MARKER_B}).",
        package_ecosystem="npm",
        package_name="globex-archive",
        affected_versions=">=1.0.0 <1.9.3",
    )
    body = {
        "report_ids": [r1, r2],
        "title": f"Heap overflow in {PACKAGE} frame decoding ({MARKER}-title)",
        "summary": f"Remote code execution in {PACKAGE} ({MARKER}-summary)",
        "description": f"A crafted frame overflows the decoder's buffer ({MARKER}-details).",
        "package_ecosystem": "PyPI",
        "package_name": PACKAGE,
        "affected_versions": "<2.4.1",
        "cwe": "CWE-787",
        "cvss_vector": CVSS,
        "tlp": "CLEAR",
        "embargo_ends_at": iso(START + EMBARGO_DAYS * DAY),
    }
    case_a = world.ok("operator", "POST", "/cases", body, 201)
    case_b = world.ok(
        "operator",
        "POST",
        "/cases",
        {"report_ids": [r3], "embargo_ends_at": iso(START + 30 * DAY)},
        201,
    )
    a, b = case_a["id"], case_b["id"]
    world.ok("operator", "POST", f"/cases/{a}/vendors", {"organisation": "acme"}, 201)
    world.ok("operator", "POST", f"/cases/{b}/vendors", {"organisation": "globex"}, 201)
    world.clock.advance(DAY)
    statement = {
        "status": "affected",
        "versions": f"<2.4.1 ({MARKER}-versions)",
        "statement": f"Acme confirms; a fix is in review ({MARKER}-statement).",
    }
    world.ok("vendor_a", "POST", f"/cases/{a}/statements", statement, 201)
    world.ok(
        "vendor_b",
        "POST",
        f"/cases/{b}/statements",
        {"status": "not_affected", "statement": f"Not reachable ({MARKER_B})"},
        201,
    )
    first = world.ok(
        "operator", "POST", f"/cases/{a}/messages", {"body": f"Timeline? ({MARKER}-message)"}, 201
    )
    world.ok(
        "vendor_a",
        "POST",
        f"/cases/{a}/messages",
        {"body": f"Fix by day 10 ({MARKER}-reply)", "parent_id": first["id"]},
        201,
    )
    return Cases(a, b, (r1, r2, r3), first["id"])


def triaged_report(world: World) -> int:
    return validated_report(
        world.db, title="Not yet validated", description="x", status=ReportStatus.triaged
    )
