"""The triage queue: the reports an analyst should look at next, filtered and in order.

The default order is `priority` (SSVC decision, then known exploited, CVSS, blast radius:
`scoring.priority`), highest first; the queue can also be read newest first, by CVSS, by
blast radius, or by the SLA deadline nearest first. Filters are plain columns, so the
page answers from indexes at any size (`ix_reports_queue`: status, priority, id). A
reporter asking for the queue gets only their own reports (`identity.policy`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from clearinghouse.identity.policy import ReportAction, report_filter, require_report
from clearinghouse.identity.principal import Principal
from clearinghouse.reports.errors import ReportError
from clearinghouse.reports.models import DiscoveredBy, Report, ReportStatus
from clearinghouse.reports.triage import OPEN_STATES
from clearinghouse.vulnerabilities.package_names import package_name_key

__all__ = ["ORDERS", "QueueFilter", "QueuePage", "triage_queue"]

Order = Literal["priority", "newest", "oldest", "cvss", "blast", "sla"]
ORDERS: tuple[Order, ...] = ("priority", "newest", "oldest", "cvss", "blast", "sla")
Duplicates = Literal["show", "hide", "only"]
MAX_PER_PAGE = 500


@dataclass(frozen=True)
class QueueFilter:
    statuses: tuple[ReportStatus, ...] = OPEN_STATES
    model_run: str | None = None
    ecosystem: str | None = None
    package: str | None = None
    discovered_by: DiscoveredBy | None = None
    min_cvss: float | None = None
    known_exploited: bool | None = None
    duplicates: Duplicates = "show"
    overdue: bool = False
    text: str | None = None


@dataclass(frozen=True)
class QueuePage:
    reports: list[Report]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.per_page))


def _conditions(wanted: QueueFilter, now: datetime) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if wanted.statuses:
        conditions.append(Report.status.in_(wanted.statuses))
    if wanted.model_run:
        conditions.append(Report.model_run == wanted.model_run)
    if wanted.package:
        if wanted.ecosystem:
            key = package_name_key(wanted.ecosystem, wanted.package)
            conditions.append(Report.package_ecosystem == wanted.ecosystem)
            conditions.append(Report.package_name_key == key)
        else:
            conditions.append(func.lower(Report.package_name) == wanted.package.lower())
    elif wanted.ecosystem:
        conditions.append(Report.package_ecosystem == wanted.ecosystem)
    if wanted.discovered_by is not None:
        conditions.append(Report.discovered_by == wanted.discovered_by)
    if wanted.min_cvss is not None:
        conditions.append(Report.cvss_score >= wanted.min_cvss)
    if wanted.known_exploited is not None:
        conditions.append(Report.known_exploited.is_(wanted.known_exploited))
    if wanted.duplicates == "hide":
        conditions.append(Report.duplicate_of_id.is_(None))
    elif wanted.duplicates == "only":
        conditions.append(Report.duplicate_of_id.is_not(None))
    if wanted.overdue:
        conditions.append(Report.sla_due_at < now)
    if wanted.text:
        # Titles only: a LIKE over descriptions would read every row of a large queue.
        escaped = wanted.text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        conditions.append(Report.title.ilike(f"%{escaped}%", escape="\\"))
    return conditions


def _order_by(order: Order) -> Sequence[Any]:
    if order == "newest":
        return (Report.id.desc(),)
    if order == "oldest":
        return (Report.id.asc(),)
    if order == "cvss":
        return (Report.cvss_score.desc().nulls_last(), Report.id.asc())
    if order == "blast":
        return (Report.blast_organisations.desc(), Report.blast_inventories.desc(), Report.id)
    if order == "sla":
        return (Report.sla_due_at.asc().nulls_last(), Report.id.asc())
    return (Report.priority.desc(), Report.id.asc())


def triage_queue(
    session: Session,
    principal: Principal,
    *,
    wanted: QueueFilter = QueueFilter(),
    order: Order = "priority",
    page: int = 1,
    per_page: int = 50,
    now: datetime,
) -> QueuePage:
    """One page of the queue as `principal` may see it, and how many reports match in all."""
    require_report(principal, ReportAction.report_read)
    if order not in ORDERS:
        raise ReportError(f"order by one of {', '.join(ORDERS)}")
    if not 1 <= per_page <= MAX_PER_PAGE:
        raise ReportError(f"per_page is 1 to {MAX_PER_PAGE}")
    page = max(1, page)
    visible = report_filter(
        principal,
        submitted_by_column=Report.submitted_by_user_id,
        reporter_org_column=Report.reporter_org_id,
        tlp_column=Report.tlp,
        sharing_group_column=Report.sharing_group_id,
    )
    conditions = [visible, *_conditions(wanted, now)]
    total = session.scalar(select(func.count(Report.id)).where(*conditions)) or 0
    reports = list(
        session.scalars(
            select(Report)
            .where(*conditions)
            .order_by(*_order_by(order))
            .limit(per_page)
            .offset((page - 1) * per_page)
        )
    )
    return QueuePage(reports, total, page, per_page)
