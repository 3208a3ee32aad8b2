"""The review report in each view: what the developer's rendering leaves out, compared.

The HTML and the PDF of each view are rendered from one review on SQLite and PostgreSQL;
the PDF's text comes from poppler's `pdftotext`, as a reader would get it.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest

from clearinghouse.errors import NotFound
from clearinghouse.review.report import (
    NO_BENCHMARK_RUNS,
    VOLUNTARY_NOTICE,
    ReviewReport,
    build_report,
    days_left,
    render_report_html,
    render_report_pdf,
    report_content_security_policy,
    timeline_days,
)
from clearinghouse.storage import Database

from .conftest_pages import (
    BANKCO_SCOPE,
    CREDENTIAL,
    GRIDCO_SCOPE,
    OPEN_FINDING,
    PARTNER_FINDING,
    RESTRICTED_FINDING,
    RESTRICTED_FINDING_TEXT,
    RESTRICTED_NOTE,
    RESTRICTED_NOTE_2,
    ReviewScenario,
    build_review_scenario,
)

RESTRICTED = (RESTRICTED_NOTE, RESTRICTED_NOTE_2, RESTRICTED_FINDING, RESTRICTED_FINDING_TEXT)


def pdf_text(pdf: bytes) -> str:
    if shutil.which("pdftotext") is None:
        pytest.skip("reading PDF text needs poppler's pdftotext (apt-get install poppler-utils)")
    done = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True
    )
    # Long lines wrap in the PDF: compare words, not line breaks.
    return " ".join(done.stdout.decode().split())


def html_text(html: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def words(text: str) -> str:
    return " ".join(text.split())


def marker(text: str) -> str:
    """The distinctive token a scenario string starts with: table cells wrap in the PDF."""
    return text.split(":")[0]


def report_for(db: Database, scenario: ReviewScenario, role: str) -> ReviewReport:
    with db.session() as session:
        return build_report(
            session, scenario.principals[role], review_id=scenario.review_id, now=scenario.now
        )


@pytest.fixture
def scenario(db: Database) -> ReviewScenario:
    return build_review_scenario(db)


def renderings(report: ReviewReport) -> dict[str, str]:
    return {
        "html": html_text(render_report_html(report)),
        "pdf": pdf_text(render_report_pdf(report)),
    }


def test_the_developer_view_leaves_out_every_restricted_note_and_finding(
    db: Database, scenario: ReviewScenario
) -> None:
    reviewer = report_for(db, scenario, "reviewer")
    developer = report_for(db, scenario, "developer")
    assert (reviewer.view, developer.view) == ("reviewer", "developer")
    # Redacted in the view model itself, before any template runs.
    assert developer.notes == ()
    assert not any(finding.restricted for finding in developer.findings)
    assert len(reviewer.notes) == 2
    assert [f.restricted for f in reviewer.findings].count(True) == 1

    full, redacted = renderings(reviewer), renderings(developer)
    for kind in ("html", "pdf"):
        for secret in RESTRICTED:
            assert words(secret) in full[kind], (kind, secret)
            assert marker(secret) not in redacted[kind], (kind, secret)
        assert "RESTRICTED" in full[kind] and "RESTRICTED" not in redacted[kind]
        assert "Restricted notes" in full[kind] and "Restricted notes" not in redacted[kind]
        # What the developer may see, both renderings show alike.
        for shared in (OPEN_FINDING, PARTNER_FINDING, "Red-team sessions", marker(GRIDCO_SCOPE)):
            assert shared in full[kind] and shared in redacted[kind], (kind, shared)
        assert words(VOLUNTARY_NOTICE) in redacted[kind]
        assert NO_BENCHMARK_RUNS in redacted[kind]
        assert "Clearinghouse report #" in redacted[kind] and "triaged" in redacted[kind]


def test_a_partner_sees_only_its_own_grant_and_findings(
    db: Database, scenario: ReviewScenario
) -> None:
    partner = report_for(db, scenario, "partner")
    other = report_for(db, scenario, "other_partner")
    assert partner.view == other.view == "partner"
    assert [grant.partner for grant in partner.grants] == ["Grid Co"]
    assert [grant.partner for grant in other.grants] == ["Bank Co"]
    assert partner.notes == () and other.notes == ()

    seen = renderings(partner)
    for kind in ("html", "pdf"):
        assert marker(GRIDCO_SCOPE) in seen[kind], kind
        assert marker(BANKCO_SCOPE) not in seen[kind], kind
        assert PARTNER_FINDING in seen[kind] and OPEN_FINDING not in seen[kind], kind
        assert "Bank Co" not in seen[kind], kind
        for secret in RESTRICTED:
            assert words(secret) not in seen[kind], (kind, secret)
    other_seen = renderings(other)
    assert marker(BANKCO_SCOPE) in other_seen["pdf"]
    assert marker(GRIDCO_SCOPE) not in other_seen["pdf"]
    assert PARTNER_FINDING not in other_seen["html"]


def test_the_model_credential_appears_in_no_rendering(
    db: Database, scenario: ReviewScenario
) -> None:
    for role in ("reviewer", "developer", "partner"):
        report = report_for(db, scenario, role)
        assert CREDENTIAL not in repr(report)
        html, pdf = render_report_html(report), render_report_pdf(report)
        assert CREDENTIAL not in html
        assert CREDENTIAL.encode() not in pdf
        assert CREDENTIAL not in pdf_text(pdf)
    assert report_for(db, scenario, "developer").model.access == "API access configured"


def test_someone_outside_the_review_gets_not_found(db: Database, scenario: ReviewScenario) -> None:
    with pytest.raises(NotFound), db.session() as session:
        build_report(
            session, scenario.principals["outsider"], review_id=scenario.review_id, now=scenario.now
        )
    with pytest.raises(NotFound), db.session() as session:
        build_report(session, scenario.principals["reviewer"], review_id=999_999, now=scenario.now)


def test_the_pdf_carries_title_window_footer_and_pages(
    db: Database, scenario: ReviewScenario
) -> None:
    report = report_for(db, scenario, "developer")
    pdf = render_report_pdf(report)
    assert pdf.startswith(b"%PDF-")
    text = pdf_text(pdf)
    assert "Review report: Atlas 2.0" in text
    assert "Window closes 2026-07-31 09:00 UTC" in text
    assert "Days left in the window 18" in text
    assert "Generated 2026-07-13 12:00 UTC · developer view" in text
    pages = re.findall(r"page (\d+) of (\d+)", text)
    assert pages and all(total == pages[0][1] for _, total in pages)
    assert [int(n) for n, _ in pages] == list(range(1, int(pages[0][1]) + 1))


def test_the_timeline_has_a_cell_per_day_with_today_and_milestones(
    db: Database, scenario: ReviewScenario
) -> None:
    report = report_for(db, scenario, "reviewer")
    days = timeline_days(report, scenario.now)
    assert len(days) == 31  # 1 July to 31 July: submission to the 30-day close
    assert [d.state for d in days].count("today") == 1
    today = next(i for i, d in enumerate(days) if d.state == "today")
    assert today == 12
    assert all(d.state == "past" for d in days[:today])
    assert all(d.state == "future" for d in days[today + 1 :])
    assert days[0].milestones[0].label == "Submitted for review"
    assert days[-1].milestones[-1].label == "Window closes"
    assert not days[-1].milestones[-1].done
    placed = sum(len(d.milestones) for d in days)
    assert placed == len(report.milestones)


def test_the_html_report_is_self_contained_and_its_csp_admits_its_own_style(
    db: Database, scenario: ReviewScenario
) -> None:
    html = render_report_html(report_for(db, scenario, "reviewer"))
    assert "<link" not in html and "<script" not in html and "src=" not in html
    style = re.search(r"<style>(.*?)</style>", html, re.DOTALL)
    assert style is not None and "@media print" in style.group(1)
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    policy = report_content_security_policy(html)
    assert f"style-src 'sha256-{digest}'" in policy
    assert "default-src 'none'" in policy and "script-src" not in policy


@pytest.mark.parametrize(
    ("hours", "expected"), [(-5, 0), (0, 0), (1, 1), (24, 1), (25, 2), (30 * 24, 30)]
)
def test_days_left_counts_a_started_day_as_one(hours: int, expected: int) -> None:
    now = datetime(2026, 7, 1, tzinfo=UTC)
    assert days_left(now + timedelta(hours=hours), now) == expected
