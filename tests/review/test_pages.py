"""The review pages as people use them: Debian's chromium with JavaScript off, per role."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest_pages import (
    BANKCO_SCOPE,
    CREDENTIAL,
    GRIDCO_SCOPE,
    OPEN_FINDING,
    PARTNER_FINDING,
    RESTRICTED_FINDING,
    RESTRICTED_NOTE,
    RESTRICTED_NOTE_2,
    ReviewSite,
    review_browser,
    review_page,
    review_site,
)

pytestmark = pytest.mark.browser
SCREENSHOT = Path("/tmp/clearinghouse-review-page.png")
REPORT_PNG = Path("/tmp/clearinghouse-review-report.png")
NOTICE = "Review is voluntary. It never blocks, delays or approves a release"
__all__ = ["review_browser", "review_page", "review_site"]  # fixtures, used by name


def log_in(page: Page, site: ReviewSite, role: str, next_url: str) -> None:
    page.goto(f"/login?next={next_url}")
    page.get_by_label("Email").fill(site.scenario.emails[role])
    page.get_by_label("Password").fill(site.scenario.password)
    page.get_by_role("button", name="Log in").click()


def review_url(site: ReviewSite) -> str:
    return f"/reviews/{site.scenario.review_id}"


def visible_text(page: Page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def test_a_reviewer_sees_everything_with_the_window_as_a_timeline(
    review_page: Page, review_site: ReviewSite
) -> None:
    page = review_page
    log_in(page, review_site, "reviewer", review_url(review_site))
    expect(page).to_have_url(re.compile(rf"{review_url(review_site)}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Atlas 2.0")
    expect(page.get_by_role("note")).to_contain_text(NOTICE)
    expect(page.locator(".review-view")).to_have_text("reviewer")
    days = page.locator("li.timeline-day")
    expect(days).to_have_count(31)
    expect(page.locator("li.timeline-day.today")).to_have_count(1)
    expect(page.locator("li.timeline-day.past")).to_have_count(12)
    expect(page.locator("li.timeline-day.today")).to_contain_text("Today")
    expect(page.locator(".days-left")).to_have_text("18")
    expect(page.locator(".timeline-ends")).to_contain_text("Closes 2026-07-31")
    checklist = page.locator("ul.checklist li")
    expect(checklist).to_have_count(3)
    expect(checklist.nth(0)).to_contain_text("Cyber benchmark battery")
    expect(checklist.nth(0)).to_contain_text("owner reviewer@cisa.example · due 2026-07-09 · done")
    expect(checklist.nth(2)).to_contain_text("owner unassigned · due 2026-07-28 · planned")

    text = visible_text(page)
    for seen in (RESTRICTED_NOTE, RESTRICTED_NOTE_2, RESTRICTED_FINDING, OPEN_FINDING):
        assert seen in text
    assert GRIDCO_SCOPE in text and BANKCO_SCOPE in text
    assert "Clearinghouse report #1: triaged" in text
    assert "Restricted notes" in text
    assert CREDENTIAL not in page.content()
    page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_the_developer_page_leaves_out_restricted_notes_and_findings(
    review_page: Page, review_site: ReviewSite
) -> None:
    page = review_page
    log_in(page, review_site, "developer", review_url(review_site))
    expect(page.locator(".review-view")).to_have_text("developer")
    expect(page.get_by_role("note")).to_contain_text(NOTICE)
    text = visible_text(page)
    assert OPEN_FINDING in text and PARTNER_FINDING in text
    assert GRIDCO_SCOPE in text and BANKCO_SCOPE in text
    assert "Clearinghouse report #1: triaged" in text
    assert "RESTRICTED" not in text and "Restricted notes" not in text
    # Left out of the page, not hidden in it.
    assert "RESTRICTED" not in page.content()
    assert CREDENTIAL not in page.content()
    expect(page.locator(".review-facts")).to_contain_text("API access configured")


def test_a_partner_sees_only_its_own_grant(review_page: Page, review_site: ReviewSite) -> None:
    page = review_page
    log_in(page, review_site, "partner", review_url(review_site))
    expect(page.locator(".review-view")).to_have_text("partner")
    expect(page.get_by_role("heading", name="Your access")).to_be_visible()
    grants = page.locator("table.grants tbody tr")
    expect(grants).to_have_count(1)
    expect(grants.first).to_contain_text(GRIDCO_SCOPE)
    expect(grants.first).to_contain_text("revoked")
    text = visible_text(page)
    assert PARTNER_FINDING in text and OPEN_FINDING not in text
    assert "Bank Co" not in page.content() and BANKCO_SCOPE not in page.content()
    assert "RESTRICTED" not in page.content()


@pytest.mark.parametrize(
    ("role", "review"), [("outsider", "this review"), ("reviewer", "a review that does not exist")]
)
def test_someone_outside_the_review_gets_the_not_found_page(
    review_page: Page, review_site: ReviewSite, role: str, review: str
) -> None:
    page = review_page
    target = review_url(review_site) if review == "this review" else "/reviews/424242"
    log_in(page, review_site, role, "/")
    # The same 404 whether the review exists or not: never a 403 that would confirm it.
    for path in (target, f"{target}/report.html"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("404 · Not found")
    response = page.request.get(f"{target}/report.pdf", headers={"accept": "text/html"})
    assert response.status == 404
    assert "Atlas" not in response.text()


def test_the_developer_downloads_the_pdf_report_and_it_renders(
    review_page: Page, review_site: ReviewSite, tmp_path: Path
) -> None:
    page = review_page
    log_in(page, review_site, "developer", review_url(review_site))
    with page.expect_download() as download_info:
        page.get_by_role("link", name="PDF").click()
    download = download_info.value
    assert download.suggested_filename == "review-1-developer-report.pdf"
    pdf = tmp_path / "report.pdf"
    download.save_as(pdf)
    assert pdf.read_bytes().startswith(b"%PDF-")

    prefix = tmp_path / "page"
    rendered = subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", str(pdf), str(prefix)],
        capture_output=True,
        check=False,
    )
    assert rendered.returncode == 0, rendered.stderr
    (png,) = tmp_path.glob("page*.png")
    assert png.stat().st_size > 5_000
    REPORT_PNG.write_bytes(png.read_bytes())
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    pages = int(re.search(r"^Pages:\s+(\d+)", info.stdout, re.MULTILINE).group(1))  # type: ignore[union-attr]
    assert pages >= 1
    text = subprocess.run(
        ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "developer view" in text and f"page {pages} of {pages}" in text
    assert "RESTRICTED" not in text and CREDENTIAL not in text


def test_the_printable_report_applies_its_own_stylesheet_under_the_csp(
    review_page: Page, review_site: ReviewSite
) -> None:
    page = review_page
    log_in(page, review_site, "developer", review_url(review_site))
    page.get_by_role("link", name="HTML (printable)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Review report: Atlas 2.0")
    notice = page.get_by_role("note")
    expect(notice).to_contain_text(NOTICE)
    # The inline stylesheet applies only if the page's CSP hash admits it.
    expect(notice).to_have_css("background-color", "rgb(232, 241, 252)")
    assert "RESTRICTED" not in page.content()
    expect(page.locator("footer")).to_contain_text(
        "Generated 2026-07-13 12:00 UTC · developer view"
    )


def test_lists_of_reviews_and_models(review_page: Page, review_site: ReviewSite) -> None:
    page = review_page
    log_in(page, review_site, "developer", "/reviews")
    row = page.locator("table.reviews tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Atlas 2.0")
    expect(row).to_contain_text("open")
    expect(row.locator("td").last).to_have_text("18")
    expect(page.get_by_role("note")).to_contain_text(NOTICE)

    page.goto("/models")
    expect(page.get_by_role("heading", name="Atlas")).to_be_visible()
    version = page.locator("table.versions tbody tr")
    expect(version).to_contain_text("2.0")
    expect(version).to_contain_text("2026-08-10")
    expect(version).to_contain_text("open, 18 days left")
    version.get_by_role("link", name="Review 1").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Atlas 2.0")
