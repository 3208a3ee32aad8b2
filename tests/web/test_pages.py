"""The pages as a person uses them: Debian's chromium with JavaScript off, against uvicorn."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
import yaml
from playwright.sync_api import Page, expect

from clearinghouse.identity.principal import local_operator
from clearinghouse.intake import submit_record

from .conftest import Site

pytestmark = pytest.mark.browser
SCREENSHOT = Path("/tmp/clearinghouse-vuln-page.png")


def log_in(page: Page, site: Site, password: str | None = None) -> None:
    page.goto("/")
    page.get_by_role("banner").get_by_role("link", name="Log in").click()
    page.get_by_label("Email").fill(site.email)
    page.get_by_label("Password").fill(password or site.password)
    page.get_by_role("button", name="Log in").click()


def test_a_person_logs_in_searches_reads_and_logs_out(page: Page, site: Site) -> None:
    log_in(page, site)
    expect(page).to_have_url(re.compile(r"/vulns$"))
    expect(page.locator("header.site")).to_contain_text(site.email)
    expect(page.locator("#result-count")).to_contain_text("vulnerabilities")

    page.get_by_label("Package").fill("pyspark")
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"package=pyspark"))
    expect(page.locator("#result-count")).to_have_text("8 vulnerabilities.")
    row = page.locator("table.results tr", has_text="PYSEC-2022-236")
    expect(row).to_contain_text("Known exploited")
    expect(row).to_contain_text("pyspark")

    page.get_by_role("link", name="PYSEC-2022-236", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("PYSEC-2022-236")
    kev = page.locator("section.kev-status")
    expect(kev).to_contain_text("Known exploited: CVE-2022-33891")
    expect(kev).to_contain_text("2023-03-07")  # added to the catalog
    expect(kev).to_contain_text("2023-03-28")  # remediation due
    expect(kev).to_contain_text("Apply updates per vendor instructions")
    page.screenshot(path=str(SCREENSHOT), full_page=True)

    page.get_by_role("link", name="GHSA-4x9r-j582-cgr8", exact=True).click()
    expect(page).to_have_url(re.compile(r"/vulns/GHSA-4x9r-j582-cgr8$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("GHSA-4x9r-j582-cgr8")
    expect(page.get_by_role("heading", name="PYSEC-2022-236")).to_be_visible()

    page.get_by_role("button", name="Log out").click()
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("banner").get_by_role("link", name="Log in")).to_be_visible()
    expect(page.get_by_role("banner")).not_to_contain_text(site.email)


def test_a_wrong_password_shows_one_generic_error(page: Page, site: Site) -> None:
    log_in(page, site, password="not the password at all")
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")
    expect(page.get_by_label("Email")).to_have_value(site.email)
    expect(page.get_by_role("banner").get_by_role("link", name="Log in")).to_be_visible()
    # An address nobody has gets exactly the same answer.
    page.get_by_label("Email").fill("nobody@nowhere.example")
    page.get_by_label("Password").fill(site.password)
    with page.expect_response(re.compile(r"/login$")) as answer:
        page.get_by_role("button", name="Log in").click()
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_have_text("Wrong email or password.")


def test_the_vulnerability_page_shows_ranges_versions_and_references(page: Page) -> None:
    response = page.goto("/vulns/PYSEC-2023-175")
    assert response is not None and response.status == 200
    headers = response.headers
    assert "script-src 'none'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"
    assert headers["x-content-type-options"] == "nosniff"

    ranges = page.locator("table.ranges").first
    expect(ranges).to_contain_text("ECOSYSTEM range")
    expect(ranges.locator("tbody tr").first).to_contain_text("0")
    expect(ranges.locator("tbody tr").first).to_contain_text("10.0.1")
    versions = page.locator("details.versions").first
    expect(versions.locator("summary")).to_contain_text("affected versions listed")
    expect(versions.get_by_text("9.5.0", exact=True)).to_be_hidden()
    versions.locator("summary").click()  # <details> opens without any script
    expect(versions.get_by_text("9.5.0", exact=True)).to_be_visible()

    reference = page.get_by_role("link", name="https://nvd.nist.gov/vuln/detail/CVE-2023-4863")
    expect(reference).to_have_attribute("rel", "noopener noreferrer")
    expect(page.locator("pre.details")).to_contain_text("libwebp")
    provenance = page.locator("dl.provenance")
    expect(provenance).to_contain_text("PYSEC-2023-175.yaml")
    expect(provenance).to_contain_text("Earlier revisions kept")


def test_known_exploited_filter_and_pagination(page: Page) -> None:
    page.goto("/vulns")
    page.get_by_label("Known exploited only").check()
    page.get_by_role("button", name="Search").click()
    expect(page).to_have_url(re.compile(r"kev=1"))
    rows = page.locator("table.results tbody tr")
    expect(rows.first).to_be_visible()
    for index in range(rows.count()):
        expect(rows.nth(index)).to_contain_text("Known exploited")

    page.goto("/vulns?ecosystem=PyPI")
    expect(page.locator("#result-count")).to_contain_text("page 1 of")
    first_page = page.locator("table.results td.id a").all_inner_texts()
    page.get_by_role("link", name="Next →").click()
    expect(page.locator("#result-count")).to_contain_text("page 2 of")
    second_page = page.locator("table.results td.id a").all_inner_texts()
    assert first_page and second_page and not set(first_page) & set(second_page)
    expect(page.get_by_role("link", name="← Previous")).to_be_visible()


def test_record_text_is_never_markup(page: Page, site: Site, shared_data: Path) -> None:
    document = yaml.safe_load(
        (shared_data / "osv" / "pypi" / "requests" / "PYSEC-2023-74.yaml").read_text()
    )
    document.update(
        id="x_clearinghouse-xss-1",
        summary="<img src=x onerror=alert(1)> summary",
        details="# Heading\n\n<script>alert('x')</script> **bold**",
    )
    document.pop("aliases", None)
    document["affected"][0]["package"]["name"] = "markup-test"
    document["references"] = [{"type": "WEB", "url": "javascript:alert(1)"}]
    submit_record(site.db, document, local_operator("test"))

    page.goto("/vulns/x_clearinghouse-xss-1")
    expect(page.locator(".vuln-head .summary")).to_have_text("<img src=x onerror=alert(1)> summary")
    expect(page.locator("pre.details")).to_contain_text("<script>alert('x')</script> **bold**")
    assert page.locator("main script, main img").count() == 0
    expect(page.locator("ul.references a")).to_have_count(0)
    expect(page.locator("ul.references")).to_contain_text("javascript:alert(1)")


def test_unknown_vulnerability_is_a_404_page(page: Page) -> None:
    response = page.goto("/vulns/PYSEC-1999-99999")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_contain_text("404")
    expect(page.get_by_role("link", name="Search the vulnerabilities")).to_be_visible()


def _login_token(client: httpx.Client) -> str:
    html = client.get("/login").text
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match
    return match.group(1)


def test_posts_without_the_csrf_token_are_refused(site: Site) -> None:
    credentials = {"email": site.email, "password": site.password}
    with httpx.Client(base_url=site.base_url) as client:
        # Before login: no token, a token from another browser, a forged token.
        refused = client.post("/login", data=credentials)
        assert refused.status_code == 403
        assert refused.headers["content-type"].startswith("application/problem+json")
        assert "ch_session" not in client.cookies
        with httpx.Client(base_url=site.base_url) as other_browser:
            foreign = _login_token(other_browser)
        client.get("/login")
        assert client.post("/login", data={**credentials, "csrf_token": foreign}).status_code == 403
        forged = client.post("/login", data={**credentials, "csrf_token": "forged.token"})
        assert forged.status_code == 403
        assert "ch_session" not in client.cookies

        token = _login_token(client)
        logged_in = client.post("/login", data={**credentials, "csrf_token": token})
        assert logged_in.status_code == 303
        assert "ch_session" in client.cookies
        set_cookie = logged_in.headers["set-cookie"].lower()
        assert "httponly" in set_cookie and "samesite=lax" in set_cookie

        # After login: logging out needs the session's own token.
        assert client.post("/logout").status_code == 403
        assert client.post("/logout", data={"csrf_token": token}).status_code == 403
        assert site.email in client.get("/vulns").text
        session_token = re.search(
            r'action="/logout".*?name="csrf_token" value="([^"]+)"',
            client.get("/vulns").text,
            re.DOTALL,
        )
        assert session_token
        logged_out = client.post("/logout", data={"csrf_token": session_token.group(1)})
        assert logged_out.status_code == 303
        assert site.email not in client.get("/vulns").text


def test_severity_vectors_and_withdrawn_banner(page: Page) -> None:
    page.goto("/vulns/PYSEC-2023-221")
    scores = page.locator("table.scores")
    expect(scores).to_contain_text("CVSS_V3")
    expect(scores).to_contain_text("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H")
    expect(scores).to_contain_text("7.5")
    expect(scores.locator(".severity")).to_have_text("HIGH")
    expect(page.locator(".banner.withdrawn")).to_have_count(0)

    page.goto("/vulns/PYSEC-2022-15")
    expect(page.locator(".banner.withdrawn")).to_contain_text("Withdrawn.")
    expect(page.locator(".banner.withdrawn")).to_contain_text("2022-02-22")
