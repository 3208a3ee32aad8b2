"""Advisories: draft from a vulnerability or a closed case, edit, publish signed CSAF versions.

Every function asks `identity.policy` (advisories section) first; an advisory the asker
may not read is a 404, exactly as one that does not exist. A publication builds the CSAF
document from the source (re-read now) and the analyst's draft, validates it with
`formats.csaf.ensure_valid_csaf` before anything is stored, hashes and signs the exact
bytes, and in the same transaction stores the version, audits it and queues the
`advisory.published` notifications. The signer and the clock ("now") are parameters.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from clearinghouse import __version__, audit
from clearinghouse.advisories import csaf_document as csaf
from clearinghouse.advisories import provider_layout as layout
from clearinghouse.advisories import sources
from clearinghouse.advisories.errors import (
    InvalidAdvisoryField,
    InvalidCsafDocument,
    PublicationConflict,
    StatusConflict,
    UnknownAdvisory,
)
from clearinghouse.advisories.models import (
    Advisory,
    AdvisoryProfile,
    AdvisoryStatus,
    AdvisoryVersion,
)
from clearinghouse.advisories.signing import Signer
from clearinghouse.formats.csaf import CsafInvalid, ensure_valid_csaf
from clearinghouse.identity.errors import UnknownTlpLabel
from clearinghouse.identity.models import Organisation
from clearinghouse.identity.policy import (
    AdvisoryAction,
    advisory_version_filter,
    decide_advisory,
    require_advisory,
)
from clearinghouse.identity.principal import Principal
from clearinghouse.identity.tlp import Tlp
from clearinghouse.notifications.outbox import queue_advisory_published
from clearinghouse.settings import Settings
from clearinghouse.sharing.models import SharingGroup, SharingGroupMember

SignerFor = Callable[[Session], Signer]
DEFAULT_DISCLAIMER = (
    "This advisory is provided as is, without warranty of any kind. The information may "
    "change as more becomes known; always check for the latest version."
)
MAX_TEXT = 20_000
MAX_REFERENCES = 50
TRACKING_PREFIX = "CH"


# --- the draft's editable fields --------------------------------------------------------------


@dataclass(frozen=True)
class DraftChanges:
    """What an analyst may change on a draft; None leaves a field as it is."""

    title: str | None = None
    summary: str | None = None
    description: str | None = None
    legal_disclaimer: str | None = None
    lang: str | None = None
    references: Sequence[tuple[str, str]] | None = None  # (url, summary), added to the source's
    tlp: str | None = None
    sharing_group: str | None = None  # slug; "" removes the group
    embargo_ends_at: datetime | None = None
    clear_embargo: bool = False


def _text(field_name: str, value: str, *, limit: int = MAX_TEXT, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise InvalidAdvisoryField(field_name, "must not be empty")
    if len(value) > limit:
        raise InvalidAdvisoryField(field_name, f"at most {limit} characters")
    return value


def _references(items: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    if len(items) > MAX_REFERENCES:
        raise InvalidAdvisoryField("references", f"at most {MAX_REFERENCES}")
    out = []
    for index, (url, summary) in enumerate(items):
        url = _text(f"references[{index}].url", url, limit=2000)
        if not url.startswith(("https://", "http://")):
            raise InvalidAdvisoryField(f"references[{index}].url", "an http(s) URL")
        out.append(
            {"url": url, "summary": _text(f"references[{index}].summary", summary, limit=500)}
        )
    return out


def _tlp(value: str) -> str:
    try:
        return Tlp.parse(value).value
    except UnknownTlpLabel as exc:
        raise InvalidAdvisoryField("tlp", str(exc)) from None


def _sharing_group_id(session: Session, slug: str) -> int | None:
    if not slug.strip():
        return None
    group_id = session.scalar(select(SharingGroup.id).where(SharingGroup.slug == slug.strip()))
    if group_id is None:
        raise InvalidAdvisoryField("sharing_group", f"no sharing group {slug.strip()!r}")
    return group_id


def _draft(advisory: Advisory) -> dict[str, Any]:
    loaded: dict[str, Any] = orjson.loads(advisory.draft or "{}")
    return loaded


def _apply(session: Session, advisory: Advisory, changes: DraftChanges, now: datetime) -> None:
    draft = _draft(advisory)
    if changes.title is not None:
        advisory.title = _text("title", changes.title, limit=300)
    for name in ("summary", "description", "legal_disclaimer"):
        value = getattr(changes, name)
        if value is not None:
            draft[name] = _text(name, value)
    if changes.lang is not None:
        # Checked for form here; whether it is a registered language is CSAF 6.1.12's call.
        draft["lang"] = _text("lang", changes.lang, limit=35)
    if changes.references is not None:
        draft["references"] = _references(changes.references)
    if changes.tlp is not None:
        advisory.tlp = _tlp(changes.tlp)
    if changes.sharing_group is not None:
        advisory.sharing_group_id = _sharing_group_id(session, changes.sharing_group)
    if changes.clear_embargo:
        advisory.embargo_ends_at = None
    elif changes.embargo_ends_at is not None:
        if changes.embargo_ends_at.tzinfo is None:
            raise InvalidAdvisoryField("embargo_ends_at", "needs a time zone")
        advisory.embargo_ends_at = changes.embargo_ends_at
    advisory.draft = orjson.dumps(draft, option=orjson.OPT_SORT_KEYS).decode()
    advisory.updated_at = now


def _state(advisory: Advisory) -> dict[str, object]:
    return {
        "tracking_id": advisory.tracking_id,
        "title": advisory.title,
        "profile": advisory.profile.value,
        "status": advisory.status.value,
        "draft": advisory.draft,
        "tlp": advisory.tlp,
        "owner_org_id": advisory.owner_org_id,
        "sharing_group_id": advisory.sharing_group_id,
        "embargo_ends_at": advisory.embargo_ends_at.isoformat()
        if advisory.embargo_ends_at
        else None,
    }


def _audit(session: Session, actor: str, action: str, advisory: Advisory, **kwargs: Any) -> None:
    before = kwargs.pop("before", None)
    audit.append(
        session,
        actor=actor,
        action=action,
        subject_type="advisory",
        subject_id=str(advisory.id),
        before=before,
        after=_state(advisory),
        details={"tracking_id": advisory.tracking_id, **kwargs},
    )


# --- drafting -------------------------------------------------------------------------------


def create_draft(
    session: Session,
    principal: Principal,
    *,
    vulnerability: str | None = None,
    case_id: int | None = None,
    profile: AdvisoryProfile | None = None,
    changes: DraftChanges | None = None,
    now: datetime,
) -> Advisory:
    """A draft from a vulnerability (any alias) or a published/closed case (VEX by default)."""
    require_advisory(principal, AdvisoryAction.advisory_write, now=now)
    if (vulnerability is None) == (case_id is None):
        raise InvalidAdvisoryField("source", "name either a vulnerability or a case")
    draft: dict[str, Any] = {"lang": "en", "legal_disclaimer": DEFAULT_DISCLAIMER}
    group_id: int | None = None
    embargo_ends_at: datetime | None = None
    sharing_group_id: int | None = None
    owner = principal.organisation_id
    if vulnerability is not None:
        identifier = _text("vulnerability", vulnerability, limit=255)
        group_id, gathered = sources.from_group(session, principal, identifier, now=now)
        draft["source_id"] = identifier
        default_profile = AdvisoryProfile.security_advisory
    else:
        assert case_id is not None
        case, gathered = sources.from_case(session, case_id)
        default_profile = AdvisoryProfile.vex
        owner = case.coordinator_org_id if case.coordinator_org_id is not None else owner
        if case.embargo_ends_at > now:
            embargo_ends_at = case.embargo_ends_at
        # The case's designated recipients stay the advisory's, until the analyst says else.
        sharing_group_id = case.sharing_group_id
    draft["summary"] = gathered.summary[:MAX_TEXT]
    draft["description"] = gathered.description[:MAX_TEXT]
    advisory = Advisory(
        tracking_id=f"pending-{uuid.uuid4().hex}",
        title=gathered.title or "Untitled advisory",
        profile=profile or default_profile,
        status=AdvisoryStatus.draft,
        group_id=group_id,
        case_id=case_id,
        draft=orjson.dumps(draft, option=orjson.OPT_SORT_KEYS).decode(),
        tlp=gathered.tlp,
        owner_org_id=owner,
        sharing_group_id=sharing_group_id,
        embargo_ends_at=embargo_ends_at,
        created_by=principal.actor,
        created_at=now,
        updated_at=now,
    )
    session.add(advisory)
    session.flush()
    advisory.tracking_id = f"{TRACKING_PREFIX}-{now.year}-{advisory.id:05d}"
    if changes is not None:
        _apply(session, advisory, changes, now)
    session.flush()
    _audit(session, principal.actor, "advisory.draft", advisory)
    return advisory


def _load(session: Session, advisory_id: int, *, lock: bool = False) -> Advisory:
    query = select(Advisory).where(Advisory.id == advisory_id)
    if lock:
        query = query.with_for_update()
    advisory = session.scalar(query)
    if advisory is None:
        raise UnknownAdvisory(f"no advisory {advisory_id}")
    return advisory


def update_draft(
    session: Session,
    principal: Principal,
    *,
    advisory_id: int,
    changes: DraftChanges,
    now: datetime,
) -> Advisory:
    """Edit what the next publication will say; published versions stay as they are."""
    if not decide_advisory(principal, AdvisoryAction.advisory_write, now=now):
        _visible_or_404(session, principal, advisory_id, now)
    require_advisory(principal, AdvisoryAction.advisory_write, now=now)
    advisory = _load(session, advisory_id, lock=True)
    before = _state(advisory)
    _apply(session, advisory, changes, now)
    session.flush()
    _audit(session, principal.actor, "advisory.edit", advisory, before=before)
    return advisory


# --- reading --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AdvisoryView:
    """An advisory as `principal` may see it: analysts the whole, others its versions."""

    advisory: Advisory
    versions: list[AdvisoryVersion]
    analyst: bool
    draft: dict[str, Any] = field(default_factory=dict)

    @property
    def latest(self) -> AdvisoryVersion | None:
        return self.versions[-1] if self.versions else None

    @property
    def title(self) -> str:
        if self.analyst or self.latest is None:
            return self.advisory.title
        document: dict[str, Any] = orjson.loads(self.latest.document)
        return str(document["document"]["title"])


def _versions(session: Session, advisory_id: int) -> list[AdvisoryVersion]:
    rows = session.scalars(
        select(AdvisoryVersion).where(AdvisoryVersion.advisory_id == advisory_id)
    ).all()
    return sorted(rows, key=lambda v: int(v.version))


def _visible_versions(
    principal: Principal, versions: list[AdvisoryVersion], now: datetime
) -> list[AdvisoryVersion]:
    return [
        v for v in versions if decide_advisory(principal, AdvisoryAction.advisory_read, v, now=now)
    ]


def _visible_or_404(
    session: Session, principal: Principal, advisory_id: int, now: datetime
) -> AdvisoryView:
    advisory = session.get(Advisory, advisory_id)
    if advisory is None:
        raise UnknownAdvisory(f"no advisory {advisory_id}")
    versions = _versions(session, advisory_id)
    if decide_advisory(principal, AdvisoryAction.advisory_read_draft, now=now):
        return AdvisoryView(advisory, versions, True, _draft(advisory))
    visible = _visible_versions(principal, versions, now)
    if not visible:
        raise UnknownAdvisory(f"no advisory {advisory_id}")
    return AdvisoryView(advisory, visible, False)


def get_advisory(
    session: Session, principal: Principal, *, advisory_id: int, now: datetime
) -> AdvisoryView:
    return _visible_or_404(session, principal, advisory_id, now)


def list_advisories(
    session: Session,
    principal: Principal,
    *,
    status: AdvisoryStatus | None = None,
    now: datetime,
    limit: int = 200,
) -> list[AdvisoryView]:
    """The advisories `principal` may see, newest first: analysts all, others the published
    ones with a version they may read."""
    analyst = bool(decide_advisory(principal, AdvisoryAction.advisory_read_draft, now=now))
    query = select(Advisory)
    if not analyst:
        readable = advisory_version_filter(
            principal,
            tlp_column=AdvisoryVersion.tlp,
            owner_column=AdvisoryVersion.owner_org_id,
            embargo_column=AdvisoryVersion.embargo_ends_at,
            sharing_group_column=AdvisoryVersion.sharing_group_id,
            now=now,
        )
        query = query.where(exists().where(AdvisoryVersion.advisory_id == Advisory.id, readable))
    if status is not None:
        query = query.where(Advisory.status == status)
    advisories = session.scalars(query.order_by(Advisory.id.desc()).limit(limit)).all()
    views = []
    for advisory in advisories:
        versions = _versions(session, advisory.id)
        if not analyst:
            versions = _visible_versions(principal, versions, now)
        views.append(AdvisoryView(advisory, versions, analyst))
    return views


def get_version(
    session: Session, principal: Principal, *, advisory_id: int, version: str | None, now: datetime
) -> AdvisoryVersion:
    """One published version (the latest by default) that `principal` may read."""
    view = _visible_or_404(session, principal, advisory_id, now)
    if not view.versions:
        raise UnknownAdvisory(f"advisory {advisory_id} has no published version")
    if version is None:
        return view.versions[-1]
    for row in view.versions:
        if row.version == version:
            return row
    raise UnknownAdvisory(f"advisory {advisory_id} has no version {version!r}")


# --- building and publishing ---------------------------------------------------------------


def _gather(
    session: Session, principal: Principal, advisory: Advisory, now: datetime
) -> sources.Gathered:
    if advisory.case_id is not None:
        return sources.from_case(session, advisory.case_id)[1]
    source_id = str(_draft(advisory).get("source_id") or "")
    return sources.from_group(session, principal, source_id, now=now)[1]


def _self_reference(
    settings: Settings, advisory: Advisory, initial_release: datetime
) -> csaf.Reference:
    # The provider layout decides where a document lives; the self link must name that place.
    base = (settings.public_base_url or settings.csaf_publisher_namespace).rstrip("/")
    folder = layout.folder_url(base, layout.folder_for(advisory.tlp))
    name = layout.csaf_filename(advisory.tracking_id)
    url = f"{folder}{initial_release.year:04d}/{name}"
    return csaf.Reference(url=url, summary="This advisory (CSAF 2.0)", category="self")


def csaf_facts(
    advisory: Advisory,
    gathered: sources.Gathered,
    *,
    settings: Settings,
    status: AdvisoryStatus,
    revisions: tuple[csaf.Revision, ...],
    now: datetime,
) -> csaf.CsafFacts:
    """Pure: the builder's input from the advisory, its source's facts and its history."""
    draft = _draft(advisory)
    label = Tlp.parse(advisory.tlp)
    notes = [
        csaf.Note("summary", "Summary", str(draft.get("summary") or gathered.summary)),
        csaf.Note("description", "Details", str(draft.get("description") or gathered.description)),
        csaf.Note(
            "legal_disclaimer",
            "Terms of use",
            str(draft.get("legal_disclaimer") or DEFAULT_DISCLAIMER),
        ),
        csaf.Note(
            "general",
            "Traffic Light Protocol",
            f"Shared under TLP:{label.value} (TLP 2.0). CSAF 2.0 carries TLP 1.0 labels: "
            f"/document/distribution/tlp/label is {csaf.TLP_1_LABELS[label]}.",
        ),
    ]
    references = [_self_reference(settings, advisory, revisions[0].date)]
    if gathered.advisory_url:
        references.append(csaf.Reference(url=gathered.advisory_url, summary="Source advisory"))
    for extra in draft.get("references") or ():
        references.append(csaf.Reference(url=extra["url"], summary=extra["summary"]))
    return csaf.CsafFacts(
        tracking_id=advisory.tracking_id,
        title=advisory.title,
        profile=advisory.profile.value,
        status=status.value,
        tlp=advisory.tlp,
        publisher=csaf.Publisher(
            name=settings.csaf_publisher_name,
            namespace=settings.csaf_publisher_namespace,
            category=settings.csaf_publisher_category,
        ),
        revisions=revisions,
        generator=__version__,
        generated_at=now,
        lang=str(draft.get("lang") or "en"),
        notes=tuple(notes),
        references=tuple(references),
        vulnerabilities=(gathered.vulnerability,),
        aggregate_severity=gathered.severity,
    )


def _revisions(
    previous: list[AdvisoryVersion], summary: str, now: datetime
) -> tuple[csaf.Revision, ...]:
    history = [csaf.Revision(v.version, v.published_at, v.change_summary) for v in previous]
    history.append(csaf.Revision(str(len(previous) + 1), now, summary))
    return tuple(history)


def preview(
    session: Session, principal: Principal, *, advisory_id: int, settings: Settings, now: datetime
) -> dict[str, Any]:
    """The document the next publication (as interim) would produce, not validated, not stored."""
    require_advisory(principal, AdvisoryAction.advisory_read_draft, now=now)
    advisory = _load(session, advisory_id)
    previous = _versions(session, advisory_id)
    status = AdvisoryStatus.interim if advisory.status is AdvisoryStatus.draft else advisory.status
    facts = csaf_facts(
        advisory,
        _gather(session, principal, advisory, now),
        settings=settings,
        status=status,
        revisions=_revisions(previous, "Preview", now),
        now=now,
    )
    return csaf.build_csaf(facts)


def serialise(document: dict[str, Any]) -> bytes:
    """The exact bytes stored, hashed, signed and served: sorted keys, two-space indent."""
    return orjson.dumps(document, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2) + b"\n"


def _without_tracking(document: dict[str, Any]) -> dict[str, Any]:
    doc = dict(document)
    doc["document"] = {k: v for k, v in document["document"].items() if k != "tracking"}
    return doc


def recipients(
    session: Session, advisory: Advisory, now: datetime
) -> tuple[list[int | None], bool]:
    """(organisations to notify, embargoed): who may read the version just published.

    Under embargo: the sharing group's member organisations only (the designated partners).
    Otherwise by TLP: CLEAR and GREEN every organisation (and the operators); AMBER the
    owner, the sharing group's organisations and the operators; AMBER+STRICT the owner;
    RED the owner and the organisations of the people named in the sharing group.
    """
    embargoed = advisory.embargo_ends_at is not None and advisory.embargo_ends_at > now
    group = advisory.sharing_group_id
    members: list[int] = []
    named: list[int] = []
    if group is not None:
        for org_id, user_id in session.execute(
            select(SharingGroupMember.organisation_id, SharingGroupMember.user_id).where(
                SharingGroupMember.group_id == group
            )
        ):
            members.append(org_id)
            if user_id is not None:
                named.append(org_id)
    if embargoed:
        return list(dict.fromkeys(members)), True
    owner = [advisory.owner_org_id] if advisory.owner_org_id is not None else []
    label = Tlp.parse(advisory.tlp)
    found: list[int | None]
    if label in (Tlp.CLEAR, Tlp.GREEN):
        found = [None, *session.scalars(select(Organisation.id).order_by(Organisation.id))]
    elif label is Tlp.AMBER:
        found = [None, *owner, *members]
    elif label is Tlp.AMBER_STRICT:
        found = list(owner)
    else:
        found = [*owner, *named]
    return list(dict.fromkeys(found)), False


@dataclass(frozen=True)
class Publication:
    version: AdvisoryVersion
    created: bool  # False: the same publication had already been made (idempotent retry)
    notified: int = 0


def _build(
    session: Session,
    principal: Principal,
    advisory: Advisory,
    settings: Settings,
    status: AdvisoryStatus,
    previous: list[AdvisoryVersion],
    now: datetime,
    summary: str,
) -> tuple[csaf.CsafFacts, dict[str, Any]]:
    facts = csaf_facts(
        advisory,
        _gather(session, principal, advisory, now),
        settings=settings,
        status=status,
        revisions=_revisions(previous, summary or "-", now),
        now=now,
    )
    return facts, csaf.build_csaf(facts)


def _check_status(advisory: Advisory, status: AdvisoryStatus) -> None:
    if status is AdvisoryStatus.draft:
        raise StatusConflict("a publication is interim or final; nothing goes back to draft")
    if advisory.status is AdvisoryStatus.final and status is AdvisoryStatus.interim:
        raise StatusConflict(
            f"advisory {advisory.tracking_id} is final: a new version is final too"
        )


def publish(
    session: Session,
    principal: Principal,
    *,
    advisory_id: int,
    status: AdvisoryStatus,
    summary: str,
    settings: Settings,
    signer_for: SignerFor,
    now: datetime,
) -> Publication:
    """Validate, hash, sign and store the next version; audit it and queue its notifications.

    An invalid document raises `InvalidCsafDocument` with every failure, and nothing is
    stored. Publishing again with the same status and summary when nothing has changed
    returns the latest version (`created` False) rather than a copy.
    """
    if not decide_advisory(principal, AdvisoryAction.advisory_write, now=now):
        _visible_or_404(session, principal, advisory_id, now)
    require_advisory(principal, AdvisoryAction.advisory_write, now=now)
    advisory = _load(session, advisory_id, lock=True)
    _check_status(advisory, status)
    previous = _versions(session, advisory_id)
    summary = summary.strip()
    if previous and summary in ("", previous[-1].change_summary):
        # A retry (or a racing twin) of the latest publication gets that publication back.
        latest = previous[-1]
        again = _build(session, principal, advisory, settings, status, previous, now, summary)
        if latest.status is status and _without_tracking(
            orjson.loads(latest.document)
        ) == _without_tracking(again[1]):
            return Publication(latest, created=False)
    if not summary:
        if previous:
            raise InvalidAdvisoryField("summary", "say what this version changes")
        summary = "Initial version"
    summary = _text("summary", summary, limit=2000)
    facts, document = _build(session, principal, advisory, settings, status, previous, now, summary)
    try:
        ensure_valid_csaf(document)
    except CsafInvalid as exc:
        failures = [f.as_dict() for f in exc.report.failures]
        raise InvalidCsafDocument(
            f"advisory {advisory.tracking_id} would not be a valid CSAF 2.0 document; nothing "
            f"was published: {exc}",
            failures,
        ) from None
    data = serialise(document)
    signature = signer_for(session).sign_detached(data)
    version = AdvisoryVersion(
        advisory_id=advisory.id,
        version=facts.revisions[-1].number,
        status=status,
        document=data.decode(),
        sha256=hashlib.sha256(data).hexdigest(),
        sha512=hashlib.sha512(data).hexdigest(),
        signature=signature,
        tlp=advisory.tlp,
        owner_org_id=advisory.owner_org_id,
        sharing_group_id=advisory.sharing_group_id,
        embargo_ends_at=advisory.embargo_ends_at,
        published_at=now,
        published_by=principal.actor,
        change_summary=summary,
    )
    try:
        with session.begin_nested():
            session.add(version)
            session.flush()
    except IntegrityError:
        raise PublicationConflict(
            f"version {version.version} of {advisory.tracking_id} was published at the same "
            "time by someone else; reload and publish again"
        ) from None
    before = _state(advisory)
    advisory.status = status
    advisory.updated_at = now
    session.flush()
    org_ids, embargoed = recipients(session, advisory, now)
    notified = 0
    if org_ids:
        notified = queue_advisory_published(
            session,
            advisory_id=advisory.id,
            tracking_id=advisory.tracking_id,
            version=version.version,
            title=advisory.title,
            tlp=advisory.tlp,
            recipient_org_ids=org_ids,
            embargoed=embargoed,
            now=now,
        )
    _audit(
        session,
        principal.actor,
        "advisory.publish",
        advisory,
        before=before,
        version=version.version,
        status=status.value,
        sha256=version.sha256,
        notified=notified,
    )
    return Publication(version, created=True, notified=notified)


def version_count(session: Session, advisory_id: int) -> int:
    return int(
        session.scalar(
            select(func.count())
            .select_from(AdvisoryVersion)
            .where(AdvisoryVersion.advisory_id == advisory_id)
        )
        or 0
    )


__all__ = [
    "AdvisoryView",
    "DraftChanges",
    "Publication",
    "create_draft",
    "csaf_facts",
    "get_advisory",
    "get_version",
    "list_advisories",
    "preview",
    "publish",
    "recipients",
    "serialise",
    "update_draft",
]
