"""The vulnerability pages: a searchable list, and one page per vulnerability (any alias)."""

from __future__ import annotations

import math
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from starlette.datastructures import URL
from starlette.responses import Response

from clearinghouse.api.deps import get_db, page_principal
from clearinghouse.identity.principal import Principal
from clearinghouse.storage import Database
from clearinghouse.vulnerabilities.severity import cvss_severity
from clearinghouse.vulnerabilities.store import (
    RecordView,
    find_group,
    search_vulnerabilities,
)
from clearinghouse.web.templating import render

router = APIRouter()

PER_PAGE = 25
# Offered as suggestions in the search form; any ecosystem name may be typed.
KNOWN_ECOSYSTEMS = ("PyPI", "Go", "crates.io", "npm", "Maven", "RubyGems", "NuGet", "Packagist")
_CLOSING_EVENTS = ("fixed", "last_affected", "limit")
_LINKABLE_SCHEMES = ("https://", "http://")


def range_intervals(events: list[dict[str, Any]]) -> list[dict[str, str | None]]:
    """OSV range events, in order, as rows: introduced, then what ends it (fixed, ...).

    `[{introduced: 0}, {fixed: 1.2}, {introduced: 2.0}]` reads as two rows:
    0 until 1.2 (fixed), and 2.0 with no fix yet.
    """
    rows: list[dict[str, str | None]] = []
    current: dict[str, str | None] | None = None
    for event in events:
        if "introduced" in event:
            if current is not None:
                rows.append(current)
            current = dict.fromkeys(("introduced", *_CLOSING_EVENTS))
            current["introduced"] = str(event["introduced"])
            continue
        for kind in _CLOSING_EVENTS:
            if kind in event:
                if current is None:
                    current = dict.fromkeys(("introduced", *_CLOSING_EVENTS))
                current[kind] = str(event[kind])
                if kind != "limit":
                    rows.append(current)
                    current = None
                break
    if current is not None:
        rows.append(current)
    return rows


def affected_view(affected: dict[str, Any]) -> dict[str, Any]:
    package = affected.get("package") or {}
    return {
        "name": str(package.get("name", "(unnamed package)")),
        "ecosystem": str(package.get("ecosystem", "")),
        "purl": package.get("purl"),
        "ranges": [
            {
                "type": str(item.get("type", "")),
                "repo": item.get("repo"),
                "intervals": range_intervals(list(item.get("events") or [])),
            }
            for item in affected.get("ranges") or []
        ],
        "versions": [str(version) for version in affected.get("versions") or []],
    }


def severity_scores(document: dict[str, Any]) -> list[dict[str, Any]]:
    scores = []
    for entry in document.get("severity") or []:
        kind, vector = str(entry.get("type", "")), str(entry.get("score", ""))
        scored = cvss_severity(kind, vector)
        scores.append(
            {
                "type": kind,
                "vector": vector,
                "base_score": scored[0] if scored else None,
                "word": scored[1] if scored else None,
            }
        )
    return scores


def reference_view(reference: dict[str, Any]) -> dict[str, Any]:
    url = str(reference.get("url", ""))
    # Only web links become links: a `javascript:` URL in a record stays inert text.
    return {
        "type": str(reference.get("type", "WEB")),
        "url": url,
        "linkable": url.lower().startswith(_LINKABLE_SCHEMES),
    }


def record_view(record: RecordView) -> dict[str, Any]:
    document = record.document
    return {
        "osv_id": record.osv_id,
        # The record's own summary only: the store's is cut from `details` for lists.
        "summary": str(document.get("summary") or ""),
        "details": str(document.get("details") or ""),
        "published": record.published,
        "modified": record.modified,
        "withdrawn": record.withdrawn,
        "severity": record.severity,
        "scores": severity_scores(document),
        "tlp": record.tlp,
        "affected": [affected_view(item) for item in document.get("affected") or []],
        "references": [reference_view(item) for item in document.get("references") or []],
        "source": record.source,
        "source_file": record.source_file,
        "ingested_at": record.ingested_at,
        "updated_at": record.updated_at,
        "revisions": record.revisions,
    }


def _page_url(base: URL, page: int) -> str:
    url = base.include_query_params(page=page) if page > 1 else base.remove_query_params("page")
    return f"{url.path}?{url.query}" if url.query else url.path


@router.get("/vulns")
def vulnerability_list(
    request: Request,
    principal: Annotated[Principal, Depends(page_principal)],
    db: Annotated[Database, Depends(get_db)],
    q: Annotated[str, Query(max_length=200)] = "",
    ecosystem: Annotated[str, Query(max_length=64)] = "",
    package: Annotated[str, Query(max_length=400)] = "",
    kev: Annotated[str, Query(max_length=8)] = "",
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
) -> Response:
    known_exploited = kev.lower() in ("1", "on", "true", "yes")
    with db.read_session() as session:
        results = search_vulnerabilities(
            session,
            principal,
            ecosystem=ecosystem.strip() or None,
            package=package.strip() or None,
            q=q.strip() or None,
            kev=True if known_exploited else None,
            page=page,
            per_page=PER_PAGE,
        )
    pages = max(1, math.ceil(results.total / PER_PAGE))
    return render(
        request,
        "vulns.html",
        {
            "query": {"q": q, "ecosystem": ecosystem, "package": package, "kev": known_exploited},
            "results": results,
            "pages": pages,
            "ecosystems": KNOWN_ECOSYSTEMS,
            "previous_url": _page_url(request.url, page - 1) if page > 1 else None,
            "next_url": _page_url(request.url, page + 1) if results.has_next else None,
        },
    )


@router.get("/vulns/{identifier}")
def vulnerability_page(
    request: Request,
    identifier: Annotated[str, Path(max_length=128)],
    principal: Annotated[Principal, Depends(page_principal)],
    db: Annotated[Database, Depends(get_db)],
) -> Response:
    with db.read_session() as session:
        group = find_group(session, identifier, principal)
    records = [record_view(record) for record in group.records]
    return render(
        request,
        "vuln.html",
        {
            "group": group,
            "primary": records[0] if records else None,
            "records": records,
            "kev": group.kev,
            "all_withdrawn": bool(records) and all(r["withdrawn"] for r in records),
        },
    )
