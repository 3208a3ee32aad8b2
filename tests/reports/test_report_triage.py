"""Triage: states and their rules, evidence, SLA clocks, merge and split, bulk actions over a
model run, every change in the history and the audit log. On SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from clearinghouse.audit.chain import verify
from clearinghouse.audit.models import AuditEvent

from .conftest import Site


def report(site: Site, n: int, *, run: str = "run-1", role: str = "lab") -> dict[str, object]:
    return site.submit(
        role,
        {
            "title": f"Finding {n}: heap overflow in parser {n}",
            "description": f"Parser module{n}.c overflows buffer{n} when chunk{n} length exceeds "
            f"limit{n}; found by fuzzing harness{n}.",
            "location": f"src/module{n}.c:{10 + n}",
            "discovered_by": "model",
            "model_run": run,
        },
    )


def move(site: Site, report_id: int, to: str, reason: str = "checked", **extra: object) -> object:
    return site.call(
        "analyst",
        "POST",
        f"/reports/{report_id}/transitions",
        {"to": to, "reason": reason, **extra},
    )


def test_the_workflow_with_evidence_history_sla_and_audit(site: Site) -> None:
    made = report(site, 1)
    rid = made["id"]
    site.clock.advance(timedelta(hours=30))
    assert move(site, rid, "validated").status_code == 409  # not from received
    assert move(site, rid, "triaged", "in scope: a C library we cover").status_code == 200
    site.clock.advance(timedelta(hours=2))
    assert move(site, rid, "validating").status_code == 200
    refused = move(site, rid, "validated")
    assert refused.status_code == 422 and "evidence" in refused.json()["detail"]
    evidence = {
        "steps": "make fuzz && ./fuzz crash-1",
        "environment": "Debian 12, gcc 12, ASan",
        "result": "reproduced",
    }
    assert site.call("analyst", "POST", f"/reports/{rid}/evidence", evidence).status_code == 201
    site.clock.advance(timedelta(days=3))
    done = move(site, rid, "validated", "ASan confirms the overflow")
    assert done.status_code == 200, done.text
    detail = done.json()
    assert detail["status"] == "validated" and detail["sla_due_at"] is None
    steps = [(e["kind"], e["status_before"], e["status_after"]) for e in detail["history"]]
    assert steps == [
        ("received", None, "received"),
        ("status", "received", "triaged"),
        ("status", "triaged", "validating"),
        ("evidence", None, None),
        ("status", "validating", "validated"),
    ]
    spent = [e["seconds_in_state"] for e in detail["history"] if e["kind"] == "status"]
    assert spent == [30 * 3600, 2 * 3600, 3 * 86400]
    assert detail["history"][1]["actor"] == "user:analyst@cisa.example"
    assert detail["history"][1]["reason"] == "in scope: a C library we cover"
    assert detail["evidence"][0]["environment"] == "Debian 12, gcc 12, ASan"
    with site.db.read_session() as session:
        assert verify(session).ok
        actions = list(
            session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.subject_type == "report")
                .where(AuditEvent.subject_id == str(rid))
                .order_by(AuditEvent.seq)
            )
        )
    assert actions == [
        "report.create",
        "report.status",
        "report.status",
        "report.evidence",
        "report.status",
    ]


def test_rejections_need_their_reason_and_their_evidence(site: Site) -> None:
    rid = report(site, 2)["id"]
    assert move(site, rid, "rejected").status_code == 422  # which reason?
    assert move(site, rid, "triaged", rejection_reason="out_of_scope").status_code == 422
    blank = move(site, rid, "rejected", "  ", rejection_reason="out_of_scope")
    assert blank.status_code == 422 and "reason" in blank.json()["detail"]
    assert (
        move(site, rid, "rejected", "no proof", rejection_reason="not_reproducible").status_code
        == 422
    )
    gone = move(site, rid, "rejected", "a feature", rejection_reason="not_a_vulnerability")
    assert gone.json()["rejection_reason"] == "not_a_vulnerability"
    assert gone.json()["sla_due_at"] is None
    reopened = move(site, rid, "received", "the vendor disagrees")
    assert reopened.json()["status"] == "received" and reopened.json()["rejection_reason"] is None


def test_reporters_and_others_cannot_triage(site: Site) -> None:
    rid = report(site, 3)["id"]
    for role in ("lab", "lab2", "vendor"):
        response = site.call(
            role, "POST", f"/reports/{rid}/transitions", {"to": "triaged", "reason": "x"}
        )
        assert response.status_code in (403, 404), role
    assert (
        site.call(
            "other_lab", "POST", f"/reports/{rid}/transitions", {"to": "triaged", "reason": "x"}
        ).status_code
        == 404
    )
    assert (
        site.call(
            None, "POST", f"/reports/{rid}/transitions", {"to": "triaged", "reason": "x"}
        ).status_code
        == 401
    )
    assert site.ok("analyst", "GET", f"/reports/{rid}")["status"] == "received"


@pytest.mark.slow  # 151 reports through the API: up to 15 s on PostgreSQL
def test_bulk_action_over_a_whole_model_run(site: Site) -> None:
    ids = [report(site, n, run="run-big")["id"] for n in range(150)]
    other = report(site, 999, run="run-other")["id"]
    assert move(site, ids[0], "rejected", "dup", rejection_reason="out_of_scope").status_code == 200
    outcome = site.ok(
        "analyst",
        "POST",
        "/reports/bulk",
        {"model_run": "run-big", "to": "triaged", "reason": "run-big reviewed in bulk"},
    )
    assert sorted(outcome["changed"]) == ids[1:]  # the rejected one is no longer open
    assert outcome["skipped"] == {}
    queue = site.ok("analyst", "GET", "/reports?model_run=run-big&status=triaged&per_page=500")
    assert queue["total"] == 149
    assert site.ok("analyst", "GET", f"/reports/{other}")["status"] == "received"
    mixed = site.ok(
        "analyst",
        "POST",
        "/reports/bulk",
        {"report_ids": [ids[1], ids[2], other], "to": "validating", "reason": "next"},
    )
    assert sorted(mixed["changed"]) == [ids[1], ids[2]]
    assert "received" in mixed["skipped"][str(other)]
    with site.db.read_session() as session:
        assert verify(session).ok


def test_merge_and_split(site: Site) -> None:
    first = report(site, 10)["id"]
    second = report(site, 11)["id"]
    third = report(site, 12)["id"]
    merged = site.ok(
        "analyst", "POST", f"/reports/{second}/merge", {"into": first, "reason": "same bug"}
    )
    assert merged["duplicate_of_id"] == first
    assert (merged["status"], merged["rejection_reason"]) == ("rejected", "duplicate")
    assert any(link["kind"] == "merged" and link["report_id"] == first for link in merged["links"])
    # Merging a canonical report moves its followers along.
    site.ok("analyst", "POST", f"/reports/{first}/merge", {"into": third, "reason": "older find"})
    assert site.ok("analyst", "GET", f"/reports/{second}")["duplicate_of_id"] == third
    split = site.ok("analyst", "POST", f"/reports/{second}/split", {"reason": "different buffer"})
    assert split["duplicate_of_id"] is None
    assert split["status"] == "received"
    assert split["history"][-1]["kind"] == "split"
    self_merge = site.call(
        "analyst", "POST", f"/reports/{third}/merge", {"into": third, "reason": "x"}
    )
    assert self_merge.status_code == 422


def test_ssvc_inputs_rescore_and_reorder_the_queue(site: Site) -> None:
    low = report(site, 20)["id"]
    high = report(site, 21)["id"]
    queue = site.ok("analyst", "GET", "/reports")
    assert [r["id"] for r in queue["reports"]] == [low, high]  # equal priority: oldest first
    scored = site.ok(
        "analyst",
        "PUT",
        f"/reports/{high}/ssvc",
        {"exploitation": "active", "automatable": "yes", "technical_impact": "total"},
    )
    assert scored["ssvc_coordinator"] == "act"
    assert scored["scores"]["ssvc"]["chosen"]["exploitation"] == "active"
    assert "exploitation" not in scored["scores"]["ssvc"]["assumed"]
    assert scored["history"][-1]["kind"] == "scored"
    queue = site.ok("analyst", "GET", "/reports")
    assert [r["id"] for r in queue["reports"]] == [high, low]
    overdue = site.ok("analyst", "GET", "/reports?overdue=true")
    assert overdue["total"] == 0
    site.clock.advance(timedelta(days=3))
    assert site.ok("analyst", "GET", "/reports?overdue=true")["total"] == 2
