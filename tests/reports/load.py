"""Drive a real server with concurrent reporters and check that nothing was lost.

Shared by tests/reports/test_report_load.py (1,000 reports) and benchmarks/report_load.py
(10,000). The server is `uvicorn` in its own process on a loopback socket we bind first
(handed over with `--fd`, so no other process can take the port in between); the clients
are threads, each with its own `httpx.Client` and the token of one of several reporters.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import select

from clearinghouse.api.deps import SESSION_COOKIE
from clearinghouse.identity.models import User
from clearinghouse.identity.sessions import start_session
from clearinghouse.reports.intake import content_sha256
from clearinghouse.storage import Database

from .conftest import make_people
from .corpus import Submission

REPORTERS = ("lab", "other_lab", "researcher", "lab2")


@dataclass
class Server:
    base_url: str
    tokens: dict[str, str]
    session_cookie: str


@contextmanager
def running_server(db_url: str, workdir: Path) -> Iterator[Server]:
    """A migrated database with the cast, served by uvicorn in a child process."""
    db = Database(db_url)
    _, tokens, emails = make_people(db)
    with db.session() as session:
        analyst = session.scalar(select(User).where(User.email == emails["analyst"]))
        assert analyst is not None
        cookie, _ = start_session(session, user=analyst, hours=12)
    db.dispose()
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    sock.listen(512)
    port = sock.getsockname()[1]
    env = {
        **os.environ,
        "CLEARINGHOUSE_DATABASE_URL": db_url,
        "CLEARINGHOUSE_SECRET_KEY": "load-test",
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "clearinghouse.api.app:create_app",
            "--factory",
            "--fd",
            str(sock.fileno()),
            "--log-level",
            "warning",
            "--no-access-log",
        ],
        pass_fds=[sock.fileno()],
        env=env,
        cwd=workdir,
    )
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{base_url}/api/v1/health", timeout=2).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the uvicorn server did not start")
            time.sleep(0.2)
        yield Server(base_url, tokens, cookie)
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        sock.close()


@dataclass
class LoadResult:
    submitted: int
    seconds: float
    ids: list[int]  # per submission, in order
    failures: list[str]
    latencies: list[float]

    @property
    def per_second(self) -> float:
        return self.submitted / self.seconds if self.seconds else 0.0


def submit_all(server: Server, stream: Sequence[Submission], *, clients: int = 8) -> LoadResult:
    """Every submission through POST /api/v1/reports, from `clients` threads at once."""
    ids: list[int] = [0] * len(stream)
    failures: list[str] = []
    latencies: list[float] = [0.0] * len(stream)

    def worker(worker_index: int) -> None:
        role = REPORTERS[worker_index % len(REPORTERS)]
        headers = {"Authorization": f"Bearer {server.tokens[role]}"}
        with httpx.Client(base_url=server.base_url, headers=headers, timeout=120) as client:
            for index in range(worker_index, len(stream), clients):
                started = time.perf_counter()
                response = client.post("/api/v1/reports", json=stream[index].body)
                latencies[index] = time.perf_counter() - started
                if response.status_code != 201:
                    failures.append(f"{index}: {response.status_code} {response.text[:200]}")
                    continue
                ids[index] = response.json()["reports"][0]["id"]

    started = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        list(pool.map(worker, range(clients)))
    return LoadResult(len(stream), time.perf_counter() - started, ids, failures, latencies)


def all_reports(server: Server) -> dict[int, dict[str, Any]]:
    """Every stored report, as an analyst lists them (500 a page)."""
    headers = {"Authorization": f"Bearer {server.tokens['analyst']}"}
    reports: dict[int, dict[str, Any]] = {}
    with httpx.Client(base_url=server.base_url, headers=headers, timeout=120) as client:
        page = 1
        while True:
            body = client.get(
                "/api/v1/reports", params={"status": "all", "per_page": 500, "page": page}
            ).json()
            reports.update({r["id"]: r for r in body["reports"]})
            if page * 500 >= body["total"]:
                return reports
            page += 1


@dataclass
class Check:
    stored: int
    missing: list[int]
    hash_mismatches: list[int]
    duplicates: int
    duplicates_linked: int
    originals_linked: int  # distinct records linked to an earlier report
    wrongly_linked: int  # links between reports of different alias groups
    wrong_near_identical: int  # ...of which the texts scored 0.9 or more (ambiguous by text)


def check(
    stream: Sequence[Submission], result: LoadResult, stored: dict[int, dict[str, Any]]
) -> Check:
    """Nothing lost (count and content), and duplicates linked to their own vulnerability.

    Concurrent clients may deliver a duplicate before its original, which then links to
    the duplicate instead: a duplicate counts as linked when a chain of links joins it to
    another report of its own alias group, in either direction.
    """
    missing = [i for i, report_id in enumerate(result.ids) if report_id not in stored]
    mismatches = [
        i
        for i, report_id in enumerate(result.ids)
        if report_id in stored
        and stored[report_id]["content_sha256"] != content_sha256(stream[i].body)
    ]
    group_of = {report_id: stream[i].group for i, report_id in enumerate(result.ids) if report_id}
    parent = {report_id: report_id for report_id in stored}

    def root(report_id: int) -> int:
        while parent[report_id] != report_id:
            parent[report_id] = parent[parent[report_id]]
            report_id = parent[report_id]
        return report_id

    wrong = near_identical = 0
    for report_id, report in stored.items():
        target = report["duplicate_of_id"]
        if target is None or target not in parent:
            continue
        parent[root(report_id)] = root(target)
        if group_of.get(target) != group_of.get(report_id):
            wrong += 1
            near_identical += (report["duplicate_score"] or 0.0) >= 0.9
    members: dict[tuple[int, str], int] = defaultdict(int)
    for report_id in stored:
        members[(root(report_id), group_of.get(report_id, ""))] += 1
    duplicates = linked = originals_linked = 0
    for i, submission in enumerate(stream):
        report_id = result.ids[i]
        report = stored.get(report_id)
        if report is None:
            continue
        if submission.kind != "original":
            duplicates += 1
            linked += members[(root(report_id), submission.group)] > 1
        elif report["duplicate_of_id"] is not None:
            originals_linked += 1
    return Check(
        len(stored),
        missing,
        mismatches,
        duplicates,
        linked,
        originals_linked,
        wrong,
        near_identical,
    )


def time_queue(server: Server, *, rounds: int = 15) -> dict[str, float]:
    """Median and worst time of the triage queue page (HTML) and its JSON twin, in ms."""
    timings: dict[str, list[float]] = {"page": [], "api": []}
    cookies = {SESSION_COOKIE: server.session_cookie}
    headers = {"Authorization": f"Bearer {server.tokens['analyst']}"}
    with httpx.Client(base_url=server.base_url, timeout=60, cookies=cookies) as client:
        for _ in range(rounds):
            started = time.perf_counter()
            page = client.get("/reports", headers={"accept": "text/html"})
            timings["page"].append((time.perf_counter() - started) * 1000)
            assert page.status_code == 200 and "Triage queue" in page.text, page.status_code
            started = time.perf_counter()
            api = client.get("/api/v1/reports", headers=headers)
            timings["api"].append((time.perf_counter() - started) * 1000)
            assert api.status_code == 200
    return {
        "page_median_ms": statistics.median(timings["page"]),
        "page_max_ms": max(timings["page"]),
        "api_median_ms": statistics.median(timings["api"]),
        "api_max_ms": max(timings["api"]),
    }
