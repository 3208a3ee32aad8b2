"""The disclosure pages as people use them: Debian's chromium with JavaScript off, per role.

The tests share one site but each acts on a case of its own (`Cases`), so they hold in
any order: the vendor answers on case A, the other vendor is kept out of it, the
coordinator runs case C to publication, and an anonymous visitor reads case D's advisory.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from .conftest_pages import (
    SECRET_A,
    SECRET_B,
    DisclosureSite,
    disclosure_browser,
    disclosure_page,
    disclosure_site,
)

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery staple"
SCREENSHOT = Path("/tmp/clearinghouse-case-page.png")
COORDINATOR_SCREENSHOT = Path("/tmp/clearinghouse-case-coordinator.png")
__all__ = ["disclosure_browser", "disclosure_page", "disclosure_site"]  # fixtures, used by name


def log_in(page: Page, site: DisclosureSite, role: str, next_url: str) -> None:
    page.goto(f"/login?next={next_url}")
    page.get_by_label("Email").fill(site.emails[role])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()


def main_text(page: Page) -> str:
    return " ".join(page.locator("main").inner_text().split())


def test_a_vendor_answers_on_its_case_page(
    disclosure_page: Page, disclosure_site: DisclosureSite
) -> None:
    page, site = disclosure_page, disclosure_site
    log_in(page, site, "vendor_a", "/cases")
    rows = page.locator("table.cases tbody tr")
    expect(rows).to_have_count(1)  # its own case, and only that one
    rows.get_by_role("link", name=f"Case {site.cases.a}").click()
    expect(page).to_have_url(re.compile(rf"/cases/{site.cases.a}$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Heap overflow in framecodec")
    expect(page.locator(".embargo-notice")).to_contain_text("Under embargo until")
    expect(page.locator(".case-view")).to_have_text("vendor")
    assert SECRET_A in main_text(page) and SECRET_B not in page.content()
    expect(page.get_by_role("heading", name="Coordination")).to_have_count(0)

    form = page.locator("form.statement-form")
    form.get_by_label("Your products are").select_option("fixed")
    form.get_by_label("Versions").fill("2.4.1")
    form.get_by_label("Statement").fill("Upgrade to 2.4.1; the length is now checked.")
    form.get_by_role("button", name="Post statement").click()
    expect(page).to_have_url(re.compile(rf"/cases/{site.cases.a}#statements$"))
    statement = page.locator("table.statements tbody tr")
    expect(statement).to_have_count(1)
    expect(statement).to_contain_text("Acme Software")
    expect(statement.locator(".statement-status")).to_have_text("fixed")
    expect(page.locator(".case-facts .case-status")).to_have_text("fix available")

    message = page.locator("form.message-form")
    message.get_by_label("New message to the case's parties").fill("When can we publish?")
    message.get_by_role("button", name="Send message").click()
    first = page.locator("li.message").first
    expect(first).to_contain_text("When can we publish?")
    first.locator("details.reply summary").click()
    first.get_by_label(re.compile("Reply to")).fill("After the embargo, as agreed.")
    first.get_by_role("button", name="Send reply").click()
    # The reply sits inside its parent's thread.
    nested = page.locator("li.message ul.thread li.message")
    expect(nested).to_have_count(1)
    expect(nested).to_contain_text("After the embargo, as agreed.")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_role("link", name="Draft advisory").click()
    expect(page.locator(".draft-notice")).to_contain_text("Draft")
    expect(page.locator("article.advisory h1")).to_have_text("Heap overflow in framecodec")
    expect(page.locator("table.vendor-statements")).to_contain_text("Fixed")


@pytest.mark.parametrize("role", ["vendor_b", "outsider"])
def test_someone_outside_the_case_gets_the_not_found_page(
    disclosure_page: Page, disclosure_site: DisclosureSite, role: str
) -> None:
    page, site = disclosure_page, disclosure_site
    log_in(page, site, role, "/cases")
    expect(page.locator(f'a[href="/cases/{site.cases.a}"]')).to_have_count(0)
    for path in (f"/cases/{site.cases.a}", f"/cases/{site.cases.a}/advisory-draft", "/cases/4242"):
        response = page.goto(path)
        assert response is not None and response.status == 404, path
        expect(page.get_by_role("heading", level=1)).to_have_text("404 · Not found")
        assert SECRET_A not in page.content() and "framecodec" not in page.content()


def test_the_coordinator_runs_the_case_from_the_list_to_publication(
    disclosure_page: Page, disclosure_site: DisclosureSite
) -> None:
    page, site = disclosure_page, disclosure_site
    c = site.cases.c
    log_in(page, site, "operator", "/cases")
    expect(page.locator("table.cases tbody tr")).to_have_count(4)
    expect(page.get_by_role("heading", name="Open a case")).to_be_visible()
    page.get_by_role("link", name=f"Case {c}", exact=True).click()
    expect(page.locator(".case-view")).to_have_text("coordinator")
    expect(page.locator(".case-facts .case-status")).to_have_text("open")

    invite = page.get_by_role("form", name="Invite a vendor")
    invite.get_by_label("Vendor organisation (slug)").fill("initech")
    invite.get_by_role("button", name="Invite").click()
    expect(page.locator(".case-facts .case-status")).to_have_text("vendor notified")
    expect(page.locator("ul.vendors li")).to_have_count(1)
    page.get_by_role("button", name="Remove initech").click()
    expect(page.locator("ul.vendors li.removed")).to_contain_text("Initech")

    transition = page.locator("form.case-transition")
    transition.get_by_label("Move the case to").select_option("published")
    transition.get_by_role("button", name="Move").click()
    expect(page.get_by_role("alert")).to_contain_text("under embargo until")
    page.screenshot(path=str(COORDINATOR_SCREENSHOT), full_page=True)

    embargo = page.locator("form.case-embargo")
    # The coordinator lifts the embargo now.
    embargo.get_by_label("Embargo ends (UTC)").fill(site.clock.now().strftime("%Y-%m-%dT%H:%M"))
    embargo.get_by_role("button", name="Set embargo").click()
    expect(page.locator(".embargo-notice")).to_contain_text("The embargo ended")
    transition = page.locator("form.case-transition")
    transition.get_by_label("Move the case to").select_option("published")
    transition.get_by_role("button", name="Move").click()
    expect(page.locator(".case-facts .case-status")).to_have_text("published")
    page.get_by_role("link", name=re.compile("Published advisory")).click()
    expect(page.locator("article.advisory h1")).to_have_text(
        "Integer overflow in framecodec headers"
    )


def test_an_anonymous_visitor_reads_the_published_advisory_only(
    disclosure_page: Page, disclosure_site: DisclosureSite
) -> None:
    page, site = disclosure_page, disclosure_site
    page.goto("/advisories")
    page.locator(f'a[href="/advisories/{site.cases.d}"]').click()
    expect(page.locator("article.advisory h1")).to_have_text("Use after free in framecodec streams")
    expect(page.locator("article.advisory")).to_contain_text("Streams are freed twice.")
    response = page.goto(f"/cases/{site.cases.d}")
    assert response is not None and response.status == 401  # the case itself stays private
    for case in (site.cases.a, site.cases.b):  # under embargo: no advisory to read
        response = page.goto(f"/advisories/{case}")
        assert response is not None and response.status == 404
    assert SECRET_B not in page.content() and SECRET_A not in page.content()
