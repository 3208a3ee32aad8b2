"""The edges: who gets what from the API, `clearinghouse bench run` in the foreground, the plot."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from clearinghouse.cli import app as cli_app
from clearinghouse.evals.plot import ProfileRow, capability_profile_svg
from clearinghouse.evals.runs import execute_run
from clearinghouse.identity.policy import EvalAction, decide_eval, eval_view
from clearinghouse.settings import get_settings

from .conftest import Bench


@pytest.fixture
def cli(bench: Bench, monkeypatch: pytest.MonkeyPatch) -> Iterator[CliRunner]:
    monkeypatch.setenv("CLEARINGHOUSE_DATABASE_URL", bench.db_url)
    monkeypatch.setenv("CLEARINGHOUSE_ENCRYPTION_KEY", bench.settings.encryption_key)
    get_settings.cache_clear()
    yield CliRunner()
    get_settings.cache_clear()


@pytest.mark.slow
def test_bench_run_in_the_foreground_prints_the_scores(bench: Bench, cli: CliRunner) -> None:
    args = ["bench", "run", "--model", str(bench.version_id), "--suite", "tiny", "--limit", "20"]
    result = cli.invoke(cli_app, [*args, "--review", str(bench.review_id), "--json"])
    assert result.exit_code == 0, (result.output, result.exception)
    assert '"status": "done"' in result.output
    assert '"samples_done": 20' in result.output
    shown = cli.invoke(cli_app, ["bench", "list"])
    assert (
        shown.exit_code == 0 and "tiny  done  20/20  accuracy 0.950" in shown.output
    )  # q0 is wrong
    policies = cli.invoke(cli_app, ["bench", "policies"])
    assert "v1" in policies.output and "v2" in policies.output


@pytest.mark.slow
def test_the_api_answers_each_role_with_what_it_may_see(bench: Bench) -> None:
    rid = bench.review_id
    started = bench.ok(
        "reviewer",
        "POST",
        f"/reviews/{rid}/runs",
        {"suite": "tiny", "limit": 20, "target": "mockllm/model"},
        202,
    )
    execute_run(bench.db, started["id"], encryption_key=bench.settings.encryption_key)
    run_id = started["id"]
    assert (
        bench.call("developer", "POST", f"/reviews/{rid}/runs", {"suite": "tiny"}).status_code
        == 403
    )
    assert (
        bench.call("partner", "POST", f"/reviews/{rid}/runs", {"suite": "tiny"}).status_code == 404
    )
    assert bench.call(None, "GET", f"/runs/{run_id}").status_code == 401
    assert bench.call("unassigned_reviewer", "GET", f"/runs/{run_id}").status_code == 404
    assert bench.call("partner", "GET", f"/runs/{run_id}").status_code == 404
    developer = bench.ok("developer", "GET", f"/runs/{run_id}")
    assert developer["summary"]["overall"]["mean"] == 0.0 and developer["log_available"] is False
    assert len(bench.ok("reviewer", "GET", f"/runs/{run_id}/results")) == 20
    assert bench.call("developer", "GET", f"/runs/{run_id}/results").status_code == 403
    assert bench.call("developer", "GET", "/runs").status_code == 403
    assert [r["id"] for r in bench.ok("operator", "GET", "/runs")] == [run_id]
    compare = bench.ok("reviewer", "GET", f"/runs/compare?a={run_id}&b={run_id}")
    assert compare["items"] == 20 and compare["difference"]["mean"] == 0.0
    path = f"/reviews/{rid}/determinations"
    assert bench.call("developer", "POST", path, {"run_ids": [run_id]}).status_code == 403
    made = bench.ok("reviewer", "POST", path, {"run_ids": [run_id]}, 201)
    assert made["policy_version"] == 2 and made["covered"] is False  # 20 items, all wrong
    assert bench.ok("developer", "GET", f"/determinations/{made['id']}")["id"] == made["id"]
    assert bench.call("partner", "GET", f"/determinations/{made['id']}").status_code == 404
    assert [p["version"] for p in bench.ok("partner", "GET", "/policies")] == [1, 2]
    # The review report draws the capability profile into its PDF as well.
    from clearinghouse.review.report import build_report, render_report_pdf

    with bench.db.read_session() as session:
        report = build_report(
            session, bench.principal("developer"), review_id=rid, now=bench.clock.now()
        )
    assert report.benchmarks is not None and report.benchmarks.profile_svg
    assert report.benchmarks.view == "developer" and report.benchmarks.runs[0].error is None
    assert render_report_pdf(report).startswith(b"%PDF")
    assert bench.call(None, "GET", "/policies/1").status_code == 200
    assert bench.call("reviewer", "POST", f"/reviews/{rid}/runs", {"suite": "x"}).status_code == 404
    bad = bench.call("reviewer", "POST", f"/reviews/{rid}/runs", {"suite": "tiny", "epochs": 0})
    assert bad.status_code == 422


def test_the_policy_section_decides_benchmark_access(bench: Bench) -> None:
    from clearinghouse.review.models import Review
    from clearinghouse.review.parties import review_parties

    with bench.db.read_session() as session:
        review = session.get(Review, bench.review_id)
        assert review is not None
        parties = review_parties(session, review, now=bench.clock.now())
    expected = {
        "reviewer": "reviewer",
        "operator": "reviewer",
        "developer": "developer",
        "partner": None,
        "unassigned_reviewer": None,
    }
    for role, view in expected.items():
        principal = bench.principal(role)
        assert eval_view(principal, parties) == view, role
        may_start = bool(decide_eval(principal, EvalAction.run_start, parties))
        assert may_start == (role in ("reviewer", "operator")), role
        may_read_items = bool(decide_eval(principal, EvalAction.run_read_items, parties))
        assert may_read_items == (view == "reviewer"), role
    assert decide_eval(bench.principal("developer"), EvalAction.policy_read)
    assert not decide_eval(bench.principal("reviewer"), EvalAction.items_load)
    assert not decide_eval(bench.principal("reviewer"), EvalAction.run_start, None)


def test_the_profile_is_plain_svg_with_escaped_labels() -> None:
    svg = capability_profile_svg(
        [ProfileRow("<script>x</script>", 0.7, 0.6, 0.8, 0.5, passes=True)], title="T & U"
    )
    assert svg.startswith("<svg") and svg.endswith("</svg>")
    assert "<script>" not in svg and "&lt;script&gt;" in svg and "T &amp; U" in svg
    assert 'stroke="#b3261e"' in svg  # the threshold tick
    import xml.etree.ElementTree as ElementTree

    ElementTree.fromstring(svg)  # well-formed
    empty = capability_profile_svg([], title="none")
    assert "No domain measured yet." in empty
