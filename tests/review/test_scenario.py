"""Issue 6, acceptance 1: a whole review over HTTP, with what each role sees at each step."""

from __future__ import annotations

from .conftest import World
from .scenario import RESTRICTED_FINDING, RESTRICTED_NOTE, walk_review


def test_a_whole_review_from_registration_to_report(world: World) -> None:
    walked = walk_review(world)
    rid = walked.review_id

    # The report at the close, from the pages engineer's route, in both redactions.
    for role in ("reviewer", "developer"):
        pdf = world.page(role, f"/reviews/{rid}/report.pdf")
        assert pdf.status_code == 200, pdf.text
        assert pdf.headers["content-type"] == "application/pdf"
        assert pdf.content.startswith(b"%PDF")
    developer_html = world.page("developer", f"/reviews/{rid}/report.html")
    reviewer_html = world.page("reviewer", f"/reviews/{rid}/report.html")
    assert developer_html.status_code == reviewer_html.status_code == 200
    assert RESTRICTED_NOTE in reviewer_html.text
    assert RESTRICTED_NOTE not in developer_html.text
    assert RESTRICTED_FINDING not in developer_html.text
    for role in ("outsider_partner", "outsider_developer"):
        assert world.page(role, f"/reviews/{rid}/report.pdf").status_code == 404
