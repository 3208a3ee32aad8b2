"""The review report: one view model per viewer, rendered as a printable HTML page and a PDF.

Redaction happens here, in the view model: a developer's or partner's `ReviewReport`
never holds a restricted note or finding, so no template can leak one by mistake.
The model's API credential is never read at all; the report says only that it exists.
"""

from __future__ import annotations

import base64
import hashlib
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Literal

from fpdf import FPDF, FontFace, XPos, YPos
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.errors import ClearinghouseError, NotFound
from clearinghouse.evals.views import BenchmarkSection, benchmark_section
from clearinghouse.identity.models import Organisation, User
from clearinghouse.identity.policy import review_view
from clearinghouse.identity.principal import Principal
from clearinghouse.reports.models import Report
from clearinghouse.review.models import (
    AccessGrant,
    AccessKind,
    PartnerDesignation,
    Review,
    ReviewActivity,
    ReviewAssignment,
    ReviewFinding,
    ReviewNote,
    ReviewStatus,
)
from clearinghouse.review.parties import review_parties
from clearinghouse.review.service import get_review
from clearinghouse.web.templating import TEMPLATES_DIR, format_date, format_timestamp

ReportView = Literal["reviewer", "developer", "partner"]

VOLUNTARY_NOTICE = (
    "Review is voluntary. It never blocks, delays or approves a release: the developer "
    "decides when to release, and the review closes with whatever it has when its window ends."
)
NO_BENCHMARK_RUNS = "No benchmark runs recorded."
_DAY = timedelta(days=1)
# DejaVu comes from Debian's fonts-dejavu-core; fpdf2 ships no Unicode font of its own.
DEJAVU_DIR = Path("/usr/share/fonts/truetype/dejavu")


@dataclass(frozen=True)
class ModelFacts:
    developer: str
    name: str
    version: str
    description: str
    modalities: str
    declared_training_compute_flop: float | None
    planned_release_at: datetime
    model_card_name: str | None
    # "API access configured" or the weights location: never the credential itself.
    access: str


@dataclass(frozen=True)
class ReviewWindow:
    status: ReviewStatus
    submitted_at: datetime
    submitted_by: str
    closes_at: datetime
    closed_at: datetime | None
    close_reason: str | None
    days_left: int | None  # None once the review is no longer open


@dataclass(frozen=True)
class Milestone:
    at: datetime
    kind: str  # submission, assignment, activity, partner, grant, finding, close
    label: str
    done: bool  # it has happened (or, for a due date, the date has passed)


@dataclass(frozen=True)
class ActivityItem:
    kind: str
    title: str
    owner: str
    due_at: datetime
    status: str
    completed_at: datetime | None
    result_summary: str


@dataclass(frozen=True)
class PartnerItem:
    partner: str
    status: str
    proposed_by: str
    developer_consented_at: datetime | None
    partner_accepted_at: datetime | None


@dataclass(frozen=True)
class GrantItem:
    partner: str
    scope: str
    issued_at: datetime
    starts_at: datetime
    ends_at: datetime
    created_by: str
    revoked_at: datetime | None
    revoked_by: str | None
    last_used_at: datetime | None

    @property
    def state(self) -> str:
        return "revoked" if self.revoked_at is not None else "issued"


@dataclass(frozen=True)
class FindingItem:
    kind: str
    title: str
    description: str
    severity: str | None
    author: str
    organisation: str | None
    created_at: datetime
    restricted: bool
    report_id: int | None
    report_status: str | None


@dataclass(frozen=True)
class NoteItem:
    author: str
    body: str
    created_at: datetime


@dataclass(frozen=True)
class TimelineDay:
    """One day of the window on the timeline bar: its place comes from its order."""

    day: date
    state: Literal["past", "today", "future"]
    milestones: tuple[Milestone, ...]


@dataclass(frozen=True)
class ReviewReport:
    review_id: int
    view: ReportView
    generated_at: datetime
    model: ModelFacts
    window: ReviewWindow
    milestones: tuple[Milestone, ...]
    activities: tuple[ActivityItem, ...]
    partners: tuple[PartnerItem, ...]
    grants: tuple[GrantItem, ...]
    findings: tuple[FindingItem, ...]
    # Only the reviewer view ever fills this; the others leave it empty.
    notes: tuple[NoteItem, ...] = ()
    benchmark_runs: tuple[str, ...] = ()
    # The viewer's benchmark runs and determinations (issue 7); None for partners.
    benchmarks: BenchmarkSection | None = None
    voluntary_notice: str = field(default=VOLUNTARY_NOTICE)

    @property
    def title(self) -> str:
        return f"{self.model.name} {self.model.version}"

    @property
    def activities_done(self) -> int:
        return sum(1 for activity in self.activities if activity.status == "done")


def days_left(closes_at: datetime, now: datetime) -> int:
    """Whole days until the window closes, counting a started day as one; never negative."""
    return max(0, math.ceil((closes_at - now) / _DAY))


def _access_line(review: Review, view: ReportView) -> str:
    version = review.model_version
    if view == "partner":
        return "Access through your grant's instructions"
    if version.access_kind is AccessKind.api:
        return "API access configured"
    return f"Weights at {version.weights_location or '(location not given)'}"


def _organisation_names(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.scalars(select(Organisation).where(Organisation.id.in_(ids)))
    return {row.id: row.name for row in rows}


def _user_names(session: Session, ids: set[int]) -> dict[int, str]:
    rows = session.scalars(select(User).where(User.id.in_(ids))).unique()
    return {row.id: row.name or row.email for row in rows}


def _milestones(
    review: Review,
    *,
    assignments: list[tuple[str, datetime]],
    activities: tuple[ActivityItem, ...],
    designation_times: list[tuple[str, datetime]],
    grants: tuple[GrantItem, ...],
    findings: tuple[FindingItem, ...],
    now: datetime,
) -> tuple[Milestone, ...]:
    items = [Milestone(review.submitted_at, "submission", "Submitted for review", True)]
    items += [
        Milestone(at, "assignment", f"{agency} assigned", at <= now) for agency, at in assignments
    ]
    for activity in activities:
        items.append(Milestone(activity.due_at, "activity", f"Due: {activity.title}", False))
        if activity.completed_at is not None:
            label = f"Done: {activity.title}"
            items.append(Milestone(activity.completed_at, "activity", label, True))
    items += [Milestone(at, "partner", label, at <= now) for label, at in designation_times]
    for grant in grants:
        label = f"Access grant issued to {grant.partner}"
        items.append(Milestone(grant.issued_at, "grant", label, grant.issued_at <= now))
        if grant.revoked_at is not None:
            label = f"Access grant of {grant.partner} revoked"
            items.append(Milestone(grant.revoked_at, "grant", label, True))
    items += [
        Milestone(finding.created_at, "finding", f"Finding: {finding.title}", True)
        for finding in findings
    ]
    if review.closed_at is not None:
        items.append(Milestone(review.closed_at, "close", "Review closed", True))
    else:
        items.append(Milestone(review.window_closes_at, "close", "Window closes", False))
    # A due date counts as done once it has passed, so the bar reads as "so far".
    items = [m if m.kind != "activity" or m.done else _passed(m, now) for m in items]
    return tuple(sorted(items, key=lambda m: m.at))


def _passed(milestone: Milestone, now: datetime) -> Milestone:
    return Milestone(milestone.at, milestone.kind, milestone.label, milestone.at <= now)


def _partner_decisions(
    designations: list[PartnerDesignation], names: dict[int, str]
) -> list[tuple[str, datetime]]:
    times: list[tuple[str, datetime]] = []
    for item in designations:
        partner = names.get(item.partner_org_id, "a partner")
        times.append((f"{partner} proposed as partner", item.created_at))
        if item.developer_consented_at is not None:
            times.append((f"Developer consented to {partner}", item.developer_consented_at))
        if item.partner_accepted_at is not None:
            times.append((f"{partner} accepted", item.partner_accepted_at))
        if item.status.value in ("declined", "withdrawn") and item.decided_at is not None:
            times.append((f"{partner} {item.status.value}", item.decided_at))
    return times


def build_report(
    session: Session, principal: Principal, *, review_id: int, now: datetime
) -> ReviewReport:
    """The review as `principal` may see it, with restricted content left out of other views.

    Raises `NotFound` when the principal may not see the review at all (never 403, which
    would confirm that it exists).
    """
    review = get_review(session, principal, review_id=review_id, now=now)
    view = review_view(principal, review_parties(session, review, now=now))
    if view is None:
        raise NotFound(f"no review {review_id}")
    reviewer = view == "reviewer"
    own_org = principal.organisation_id

    designations = list(
        session.scalars(
            select(PartnerDesignation)
            .where(PartnerDesignation.review_id == review.id)
            .order_by(PartnerDesignation.created_at, PartnerDesignation.id)
        )
    )
    grants_rows = list(
        session.scalars(
            select(AccessGrant)
            .where(AccessGrant.review_id == review.id)
            .order_by(AccessGrant.created_at, AccessGrant.id)
        )
    )
    findings_rows = list(
        session.scalars(
            select(ReviewFinding)
            .where(ReviewFinding.review_id == review.id)
            .order_by(ReviewFinding.created_at, ReviewFinding.id)
        )
    )
    if view == "partner":
        # A partner sees only its own designation, grants and findings.
        designations = [d for d in designations if d.partner_org_id == own_org]
        grants_rows = [g for g in grants_rows if g.partner_org_id == own_org]
        findings_rows = [f for f in findings_rows if f.organisation_id == own_org]
    if not reviewer:
        findings_rows = [f for f in findings_rows if not f.restricted]

    activity_rows = list(
        session.scalars(
            select(ReviewActivity)
            .where(ReviewActivity.review_id == review.id)
            .order_by(ReviewActivity.due_at, ReviewActivity.id)
        )
    )
    assignment_rows = list(
        session.scalars(
            select(ReviewAssignment)
            .where(ReviewAssignment.review_id == review.id)
            .order_by(ReviewAssignment.assigned_at, ReviewAssignment.id)
        )
    )
    note_rows: list[ReviewNote] = []
    if reviewer:
        note_rows = list(
            session.scalars(
                select(ReviewNote)
                .where(ReviewNote.review_id == review.id)
                .order_by(ReviewNote.created_at, ReviewNote.id)
            )
        )

    org_ids = {review.model_version.model.organisation_id}
    org_ids |= {d.partner_org_id for d in designations}
    org_ids |= {d.proposed_by_org_id for d in designations if d.proposed_by_org_id is not None}
    org_ids |= {g.partner_org_id for g in grants_rows}
    org_ids |= {f.organisation_id for f in findings_rows if f.organisation_id is not None}
    org_ids |= {a.organisation_id for a in assignment_rows}
    orgs = _organisation_names(session, org_ids)
    users = _user_names(session, {a.owner_user_id for a in activity_rows if a.owner_user_id})
    report_ids = {f.report_id for f in findings_rows if f.report_id is not None}
    report_status = {
        row.id: row.status.value
        for row in session.scalars(select(Report).where(Report.id.in_(report_ids)))
    }

    version = review.model_version
    model = ModelFacts(
        developer=orgs.get(version.model.organisation_id, ""),
        name=version.model.name,
        version=version.version,
        description=version.description or version.model.description,
        modalities=version.modalities,
        declared_training_compute_flop=version.declared_training_compute_flop,
        planned_release_at=version.planned_release_at,
        model_card_name=version.model_card_name,
        access=_access_line(review, view),
    )
    is_open = review.status is ReviewStatus.open
    window = ReviewWindow(
        status=review.status,
        submitted_at=review.submitted_at,
        submitted_by=review.submitted_by,
        closes_at=review.window_closes_at,
        closed_at=review.closed_at,
        close_reason=review.close_reason.value if review.close_reason else None,
        days_left=days_left(review.window_closes_at, now) if is_open else None,
    )
    activities = tuple(
        ActivityItem(
            kind=row.kind.value,
            title=row.title,
            owner=users.get(row.owner_user_id, "unassigned") if row.owner_user_id else "unassigned",
            due_at=row.due_at,
            status=row.status.value,
            completed_at=row.completed_at,
            result_summary=row.result_summary,
        )
        for row in activity_rows
    )
    partners = tuple(
        PartnerItem(
            partner=orgs.get(row.partner_org_id, ""),
            status=row.status.value,
            proposed_by=(
                orgs.get(row.proposed_by_org_id, row.proposed_by)
                if row.proposed_by_org_id is not None
                else row.proposed_by
            ),
            developer_consented_at=row.developer_consented_at,
            partner_accepted_at=row.partner_accepted_at,
        )
        for row in designations
    )
    grants = tuple(
        GrantItem(
            partner=orgs.get(row.partner_org_id, ""),
            scope=row.scope,
            issued_at=row.created_at,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            created_by=row.created_by,
            revoked_at=row.revoked_at,
            revoked_by=row.revoked_by,
            last_used_at=row.last_used_at,
        )
        for row in grants_rows
    )
    findings = tuple(
        FindingItem(
            kind=row.kind.value,
            title=row.title,
            description=row.description,
            severity=row.severity,
            author=row.author,
            organisation=orgs.get(row.organisation_id) if row.organisation_id else None,
            created_at=row.created_at,
            restricted=row.restricted,
            report_id=row.report_id,
            report_status=report_status.get(row.report_id) if row.report_id else None,
        )
        for row in findings_rows
    )
    notes = tuple(NoteItem(row.author, row.body, row.created_at) for row in note_rows)
    benchmarks = benchmark_section(session, principal, review, now=now)
    milestones = _milestones(
        review,
        assignments=[
            (orgs.get(a.organisation_id, "an agency"), a.assigned_at) for a in assignment_rows
        ],
        activities=activities,
        designation_times=_partner_decisions(designations, orgs),
        grants=grants,
        findings=findings,
        now=now,
    )
    return ReviewReport(
        review_id=review.id,
        view=view,
        generated_at=now,
        model=model,
        window=window,
        milestones=milestones,
        activities=activities,
        partners=partners,
        grants=grants,
        findings=findings,
        notes=notes,
        benchmark_runs=benchmarks.lines if benchmarks is not None else (),
        benchmarks=benchmarks,
    )


def timeline_days(report: ReviewReport, now: datetime) -> tuple[TimelineDay, ...]:
    """The window cut into days, submission to close, each with the milestones that fall in it."""
    first = report.window.submitted_at.date()
    last = (report.window.closed_at or report.window.closes_at).date()
    last = max(last, first)
    today = now.date()
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        state: Literal["past", "today", "future"] = (
            "today" if day == today else "past" if day < today else "future"
        )
        on_day = tuple(m for m in report.milestones if m.at.date() == day)
        days.append(TimelineDay(day, state, on_day))
    return tuple(days)


def _report_environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["timestamp"] = format_timestamp
    env.filters["day"] = format_date
    return env


_ENVIRONMENT = _report_environment()
_STYLE = re.compile(r"<style>(.*?)</style>", re.DOTALL)


def render_report_html(report: ReviewReport) -> str:
    """The report as one self-contained, printable HTML document (its CSS inline)."""
    template = _ENVIRONMENT.get_template("review_report.html")
    return template.render(
        report=report, days=timeline_days(report, report.generated_at), no_runs=NO_BENCHMARK_RUNS
    )


def report_content_security_policy(html: str) -> str:
    """A CSP that lets exactly this document's own inline stylesheet apply, and nothing else."""
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(m.encode()).digest()).decode() + "'"
        for m in _STYLE.findall(html)
    )
    styles = hashes or "'none'"
    return (
        f"default-src 'none'; style-src {styles}; img-src data:; "
        "form-action 'none'; frame-ancestors 'none'; base-uri 'none'"
    )


_VIEW_NAMES: dict[str, str] = {
    "reviewer": "reviewer view (complete, with restricted notes and findings)",
    "developer": "developer view (restricted notes and findings left out)",
    "partner": "partner view (this partner's own grants and findings)",
}


class _ReportPdf(FPDF):
    """An A4 document whose every page ends with when it was made and for which view."""

    def __init__(self, report: ReviewReport) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.report = report
        self.body_font = _load_fonts(self)
        self.set_margins(18, 18, 18)
        self.set_auto_page_break(auto=True, margin=20)
        self.set_title(f"Review report: {report.title}")
        self.set_creation_date(report.generated_at)

    def footer(self) -> None:
        self.set_y(-14)
        self.set_font(self.body_font, size=8)
        self.set_text_color(90, 100, 117)
        generated = format_timestamp(self.report.generated_at)
        view = _VIEW_NAMES[self.report.view]
        self.cell(
            0, 6, f"Generated {generated} · {view} · page {self.page_no()} of {{nb}}", align="C"
        )


def _load_fonts(pdf: FPDF) -> str:
    regular, bold = DEJAVU_DIR / "DejaVuSans.ttf", DEJAVU_DIR / "DejaVuSans-Bold.ttf"
    if not (regular.is_file() and bold.is_file()):
        raise ReportFontMissing(
            f"the PDF report needs DejaVu Sans in {DEJAVU_DIR} (apt-get install fonts-dejavu-core)"
        )
    pdf.add_font("DejaVu", "", str(regular))
    pdf.add_font("DejaVu", "B", str(bold))
    return "DejaVu"


class ReportFontMissing(ClearinghouseError):
    status_code = 500
    title = "Report font missing"


def _heading(pdf: _ReportPdf, text: str) -> None:
    # A heading never sits alone at the foot of a page.
    if pdf.get_y() > pdf.page_break_trigger - 30:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font(pdf.body_font, "B", 12)
    pdf.set_text_color(29, 35, 48)
    pdf.multi_cell(0, 7, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_draw_color(217, 221, 229)
    pdf.line(pdf.l_margin, pdf.get_y(), pdf.w - pdf.r_margin, pdf.get_y())
    pdf.ln(1.5)
    pdf.set_font(pdf.body_font, size=9.5)


def _paragraph(pdf: _ReportPdf, text: str, *, muted: bool = False) -> None:
    pdf.set_text_color(*((90, 100, 117) if muted else (29, 35, 48)))
    pdf.multi_cell(0, 5, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(29, 35, 48)


def _table(
    pdf: _ReportPdf,
    header: tuple[str, ...] | None,
    rows: Sequence[tuple[str, ...]],
    widths: tuple[int, ...],
) -> None:
    pdf.set_font(pdf.body_font, size=8.5)
    # Tables draw with the current colours: set them, whatever was drawn before.
    pdf.set_fill_color(246, 247, 250)
    pdf.set_draw_color(217, 221, 229)
    pdf.set_line_width(0.2)
    with pdf.table(
        col_widths=widths,
        text_align="LEFT",
        line_height=4.6,
        first_row_as_headings=header is not None,
        headings_style=FontFace(emphasis="BOLD", fill_color=(228, 232, 240)),
        cell_fill_color=(246, 247, 250),
        cell_fill_mode="ROWS",
        borders_layout="HORIZONTAL_LINES",
    ) as table:
        for values in ((header,) if header else ()) + tuple(rows):
            row = table.row()
            for value in values:
                row.cell(value)
    pdf.set_font(pdf.body_font, size=9.5)


def _pdf_timeline_bar(pdf: _ReportPdf, report: ReviewReport) -> None:
    """The window as a bar, submission to close, with a tick per milestone and today's line."""
    start = report.window.submitted_at
    end = max(report.window.closed_at or report.window.closes_at, start + timedelta(hours=1))
    left, width = pdf.l_margin, pdf.w - pdf.l_margin - pdf.r_margin
    top = pdf.get_y() + 6

    def x_at(moment: datetime) -> float:
        share = (moment - start) / (end - start)
        return left + width * min(1.0, max(0.0, share))

    now_x = x_at(report.generated_at)
    pdf.set_fill_color(219, 228, 243)
    pdf.rect(left, top, width, 4, style="F")
    pdf.set_fill_color(31, 95, 191)
    pdf.rect(left, top, now_x - left, 4, style="F")
    for milestone in report.milestones:
        colour = (29, 35, 48) if milestone.done else (150, 158, 172)
        pdf.set_fill_color(*colour)
        pdf.rect(x_at(milestone.at) - 0.4, top + 4.6, 0.8, 2.4, style="F")
    pdf.set_draw_color(179, 38, 30)
    pdf.set_line_width(0.6)
    pdf.line(now_x, top - 2, now_x, top + 7.5)
    pdf.set_line_width(0.2)
    pdf.set_font(pdf.body_font, "B", 7.5)
    pdf.set_text_color(179, 38, 30)
    pdf.text(max(left, min(now_x - 4, left + width - 8)), top - 2.6, "Today")
    pdf.set_font(pdf.body_font, size=8)
    pdf.set_text_color(90, 100, 117)
    pdf.text(left, top + 11, f"Submitted {format_date(start)}")
    closing = "Closed" if report.window.closed_at else "Closes"
    label = f"{closing} {format_date(end)}"
    pdf.text(left + width - pdf.get_string_width(label), top + 11, label)
    pdf.set_text_color(29, 35, 48)
    pdf.set_y(top + 14)


def _pdf_facts(pdf: _ReportPdf, report: ReviewReport) -> None:
    model, window = report.model, report.window
    facts = [
        ("Developer", model.developer),
        ("Model", f"{model.name} {model.version}"),
        ("Modalities", model.modalities),
        ("Planned public release", format_date(model.planned_release_at)),
        ("Access for reviewers", model.access),
        ("Review status", window.status.value),
        ("Submitted", f"{format_timestamp(window.submitted_at)} by {window.submitted_by}"),
        ("Window closes", format_timestamp(window.closes_at)),
    ]
    if window.closed_at is not None:
        reason = (window.close_reason or "").replace("_", " ")
        facts.append(("Closed", f"{format_timestamp(window.closed_at)} ({reason})"))
    elif window.days_left is not None:
        facts.append(("Days left in the window", str(window.days_left)))
    _table(pdf, None, [(name, value) for name, value in facts], (45, 129))


def render_report_pdf(report: ReviewReport) -> bytes:
    """The report as an A4 PDF, with the same content as the HTML report of the same view."""
    pdf = _ReportPdf(report)
    pdf.add_page()
    pdf.set_font(pdf.body_font, "B", 17)
    pdf.multi_cell(0, 9, f"Review report: {report.title}", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf.body_font, size=9.5)
    _paragraph(pdf, f"Review {report.review_id} · {_VIEW_NAMES[report.view]}", muted=True)
    pdf.ln(2)
    pdf.set_fill_color(232, 241, 252)
    pdf.set_font(pdf.body_font, "B", 9.5)
    pdf.multi_cell(0, 5.5, report.voluntary_notice, fill=True, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(pdf.body_font, size=9.5)

    _heading(pdf, "Model and window")
    _pdf_facts(pdf, report)

    _heading(pdf, "Timeline")
    _pdf_timeline_bar(pdf, report)
    rows: list[tuple[str, ...]] = [
        (format_timestamp(m.at), m.kind, m.label, "yes" if m.done else "not yet")
        for m in report.milestones
    ]
    _table(pdf, ("When", "What", "Milestone", "Happened"), rows, (40, 22, 90, 22))

    _heading(pdf, f"Activities ({report.activities_done} of {len(report.activities)} done)")
    if report.activities:
        rows = [
            (
                a.title,
                a.kind.replace("_", " "),
                a.owner,
                format_date(a.due_at),
                a.status.replace("_", " "),
            )
            for a in report.activities
        ]
        _table(pdf, ("Activity", "Kind", "Owner", "Due", "Status"), rows, (56, 28, 44, 24, 22))
    else:
        _paragraph(pdf, "No activities planned.", muted=True)

    _heading(pdf, "Trusted partners and access grants")
    if report.partners:
        rows = [(p.partner, p.status, p.proposed_by) for p in report.partners]
        _table(pdf, ("Partner", "Designation", "Proposed by"), rows, (70, 34, 70))
    if report.grants:
        rows = [
            (
                g.partner,
                g.scope,
                f"{format_date(g.starts_at)} to {format_date(g.ends_at)}",
                g.state + (f" {format_timestamp(g.revoked_at)}" if g.revoked_at else ""),
            )
            for g in report.grants
        ]
        _table(pdf, ("Partner", "Scope", "Period", "Grant"), rows, (42, 58, 40, 34))
    if not report.partners and not report.grants:
        _paragraph(pdf, "No partners or grants.", muted=True)

    _heading(pdf, "Findings")
    for finding in report.findings:
        _pdf_finding(pdf, finding)
    if not report.findings:
        _paragraph(pdf, "No findings recorded.", muted=True)

    _heading(pdf, "Benchmark results")
    _paragraph(pdf, "\n".join(report.benchmark_runs) or NO_BENCHMARK_RUNS, muted=True)
    if report.benchmarks is not None and report.benchmarks.profile_svg:
        pdf.image(BytesIO(report.benchmarks.profile_svg.encode()), w=pdf.epw)

    if report.view == "reviewer":
        _heading(pdf, "Restricted notes (reviewers only)")
        for note in report.notes:
            pdf.set_font(pdf.body_font, "B", 9)
            _paragraph(pdf, f"{note.author} · {format_timestamp(note.created_at)}")
            pdf.set_font(pdf.body_font, size=9.5)
            _paragraph(pdf, note.body)
            pdf.ln(1)
        if not report.notes:
            _paragraph(pdf, "No notes.", muted=True)
    return bytes(pdf.output())


def _pdf_finding(pdf: _ReportPdf, finding: FindingItem) -> None:
    pdf.set_font(pdf.body_font, "B", 10)
    marker = " [restricted: reviewers only]" if finding.restricted else ""
    _paragraph(pdf, f"{finding.title}{marker}")
    pdf.set_font(pdf.body_font, size=8.5)
    facts = [finding.kind, f"severity {finding.severity or 'not given'}", f"by {finding.author}"]
    if finding.organisation:
        facts.append(finding.organisation)
    facts.append(format_timestamp(finding.created_at))
    if finding.report_id is not None:
        facts.append(f"Clearinghouse report #{finding.report_id}: {finding.report_status}")
    _paragraph(pdf, " · ".join(facts), muted=True)
    pdf.set_font(pdf.body_font, size=9.5)
    _paragraph(pdf, finding.description)
    pdf.ln(1.5)
