"""A review with its cast, tiny suites of our own, and a scripted OpenAI-compatible server.

The battery's real suites are built elsewhere (evals/suites); these tests run the
runner, storage, statistics and policy with small Inspect tasks that answer fast and
whose correct answers the scripted server controls.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest
from cryptography.fernet import Fernet
from inspect_ai import Task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.scorer import match
from inspect_ai.solver import generate
from sqlalchemy import select
from starlette.testclient import TestClient

from clearinghouse.api.app import create_app
from clearinghouse.api.deps import SESSION_COOKIE
from clearinghouse.clock import ManualClock
from clearinghouse.evals.offline import prepare_tokenizer_cache
from clearinghouse.evals.runs import register_suite, unregister_suite
from clearinghouse.identity.models import OrgKind, Role, User
from clearinghouse.identity.principal import Principal, local_operator, principal_for
from clearinghouse.identity.service import create_organisation, create_user
from clearinghouse.identity.sessions import start_session
from clearinghouse.identity.tokens import create_token
from clearinghouse.review.models import AccessKind
from clearinghouse.review.service import add_version, assign, register_model, submit_for_review
from clearinghouse.settings import Settings
from clearinghouse.storage import Database

START = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
MODEL_CREDENTIAL = "sk-atlas-SECRET-9f2c4e1a-never-shown"
TINY_ITEMS = 100
TINY_GROUPS = 10
WRONG_EVERY = 25  # the scripted server answers items 0, 25, 50 and 75 wrongly


@dataclass(frozen=True)
class TinySuite:
    """`What is a + 1000?` items in groups of ten: fast, and scored by `match`."""

    name: str = "tiny"
    title: str = "Tiny arithmetic"
    domain: str = "knowledge"
    description: str = "a + 1000 for a = 0..99, in ten groups"
    items: int = TINY_ITEMS

    def build(self, options: Any) -> Task:
        samples = [
            Sample(
                id=f"q{a}",
                input=f"What is {a} + 1000? Answer with the number only.",
                target=str(a + 1000),
                metadata={
                    "domain": self.domain,
                    "group": f"g{a % TINY_GROUPS}",
                    "item_id": f"q{a}",
                },
            )
            for a in range(self.items)
        ]
        if options.limit is not None:
            samples = samples[: options.limit]
        return Task(dataset=MemoryDataset(samples), solver=generate(), scorer=match())


@dataclass(frozen=True)
class RestrictedSuite:
    """Items handed in by the run (decrypted restricted items), as the battery's suite will."""

    name: str = "restricted"
    title: str = "Restricted items"
    domain: str = "restricted"
    description: str = "items from an encrypted item set"

    def build(self, options: Any) -> Task:
        assert options.items is not None, "the runner hands the decrypted items in"
        samples = []
        for item in options.items:
            assert item["canary"], "every restricted item carries the canary"
            samples.append(
                Sample(
                    id=item["id"],
                    input=item["input"],
                    target=item["target"],
                    metadata={
                        "domain": item.get("domain", self.domain),
                        "group": item.get("group", item["id"]),
                        "item_id": item["id"],
                        "canary": item["canary"],
                    },
                )
            )
        return Task(dataset=MemoryDataset(samples), solver=generate(), scorer=match())


@pytest.fixture(autouse=True, scope="session")
def _offline_tokenizer(tmp_path_factory: pytest.TempPathFactory) -> None:
    prepare_tokenizer_cache(tmp_path_factory.mktemp("tiktoken"))


@pytest.fixture(autouse=True)
def tiny_suites() -> Iterator[None]:
    register_suite(TinySuite())
    register_suite(RestrictedSuite())
    yield
    unregister_suite("tiny")
    unregister_suite("restricted")


# --- the scripted model server -------------------------------------------------------------


@dataclass
class ScriptedModel:
    """An OpenAI-compatible /v1/chat/completions on 127.0.0.1 with canned answers.

    A scripted server, not a model: it adds 1000 to the number in the question and
    answers every WRONG_EVERY-th item wrongly, so the accuracy is known in advance
    (96 of 100); other prompts get `default_answer`.
    """

    base_url: str
    authorizations: list[str] = field(default_factory=list)
    prompts: list[str] = field(default_factory=list)
    default_answer: str = "I do not know."

    def answer(self, prompt: str) -> str:
        found = re.search(r"What is (\d+) \+ 1000\?", prompt)
        if found is None:
            return self.default_answer
        a = int(found.group(1))
        return str(a + 1000 + (1 if a % WRONG_EVERY == 0 else 0))


def _handler(model: ScriptedModel) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", "0"))
            body = json.loads(self.rfile.read(length))
            model.authorizations.append(self.headers.get("authorization", ""))
            if self.path.rstrip("/") != "/v1/chat/completions":
                self.send_error(404)
                return
            prompt = "\n".join(str(m.get("content", "")) for m in body.get("messages", []))
            model.prompts.append(prompt)
            reply = {
                "id": f"chatcmpl-{len(model.prompts)}",
                "object": "chat.completion",
                "created": 0,
                "model": body.get("model", "scripted"),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": model.answer(prompt)},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 10, "completion_tokens": 2, "total_tokens": 12},
            }
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # quiet: the test reads `model.prompts`

    return Handler


@pytest.fixture
def scripted_model() -> Iterator[ScriptedModel]:
    model = ScriptedModel(base_url="")
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(model))
    model.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield model
    server.shutdown()
    server.server_close()


# --- the cast and a review ---------------------------------------------------------------


ORGS = {
    "ops": ("Operations", OrgKind.operator),
    "lab": ("Atlas Lab", OrgKind.ai_developer),
    "cisa": ("CISA", OrgKind.agency),
    "nsa": ("NSA", OrgKind.agency),
    "gridco": ("Grid Co", OrgKind.critical_infrastructure),
}
PEOPLE = {
    "operator": ("ops@ops.example", "ops", Role.operator),
    "developer": ("dev@lab.example", "lab", Role.developer),
    "reviewer": ("alice@cisa.example", "cisa", Role.reviewer),
    "unassigned_reviewer": ("eve@nsa.example", "nsa", Role.reviewer),
    "partner": ("analyst@gridco.example", "gridco", Role.partner),
}


@dataclass
class Bench:
    db: Database
    db_url: str
    settings: Settings
    clock: ManualClock
    client: TestClient
    tokens: dict[str, str]
    emails: dict[str, str]
    review_id: int
    version_id: int
    responses: list[httpx.Response] = field(default_factory=list)

    def principal(self, role: str) -> Principal:
        if role == "cli":
            return local_operator("tests")
        with self.db.read_session() as session:
            user = session.scalar(select(User).where(User.email == self.emails[role]))
            assert user is not None
            return principal_for(user)

    def call(self, role: str | None, method: str, path: str, json: Any = None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.tokens[role]}"} if role else {}
        response = self.client.request(method, "/api/v1" + path, json=json, headers=headers)
        self.responses.append(response)
        return response

    def ok(self, role: str, method: str, path: str, json: Any = None, status: int = 200) -> Any:
        response = self.call(role, method, path, json)
        assert response.status_code == status, (role, method, path, response.text)
        return response.json()

    def page(self, role: str, path: str) -> httpx.Response:
        with self.db.session() as session:
            user = session.scalar(select(User).where(User.email == self.emails[role]))
            assert user is not None
            cookie, _ = start_session(session, user=user, hours=1)
        self.client.cookies.clear()
        self.client.cookies.set(SESSION_COOKIE, cookie)
        response = self.client.get(path)
        self.client.cookies.clear()
        self.responses.append(response)
        return response


def make_bench(
    db_url: str, *, base_url: str, queue_url: str, compute_flop: float | None = 3.0e25
) -> Iterator[Bench]:
    db = Database(db_url)
    tokens: dict[str, str] = {}
    emails: dict[str, str] = {}
    key = Fernet.generate_key().decode()
    with db.session() as session:
        for slug, (name, kind) in ORGS.items():
            create_organisation(session, slug=slug, name=name, kind=kind, actor="test")
        for role, (email, org, user_role) in PEOPLE.items():
            user = create_user(session, email=email, org_slug=org, role=user_role, actor="test")
            _, tokens[role] = create_token(session, user=user, name="tests", actor="test")
            emails[role] = email
        developer = principal_for(
            session.scalar(select(User).where(User.email == emails["developer"]))  # type: ignore[arg-type]
        )
        model = register_model(session, developer, name="Atlas", now=START)
        version = add_version(
            session,
            developer,
            model_id=model.id,
            version="2.0",
            planned_release_at=START + timedelta(days=45),
            access_kind=AccessKind.api,
            api_base_url=base_url,
            api_credential=MODEL_CREDENTIAL,
            declared_training_compute_flop=compute_flop,
            encryption_key=key,
            now=START,
        )
        review = submit_for_review(session, developer, model_version_id=version.id, now=START)
        assign(
            session,
            local_operator("tests"),
            review_id=review.id,
            organisation_slug="cisa",
            now=START,
        )
        review_id, version_id = review.id, version.id
    clock = ManualClock(START + timedelta(days=1))
    settings = Settings(
        database_url=db_url, secret_key="t", encryption_key=key, queue_url=queue_url
    )
    app = create_app(settings, db, clock)
    with TestClient(app, raise_server_exceptions=True) as client:
        yield Bench(db, db_url, settings, clock, client, tokens, emails, review_id, version_id)
    db.dispose()


@pytest.fixture
def bench(db_url: str, scripted_model: ScriptedModel, tmp_path: Any) -> Iterator[Bench]:
    yield from make_bench(
        db_url, base_url=scripted_model.base_url, queue_url=f"sqlite:///{tmp_path / 'queue.db'}"
    )
