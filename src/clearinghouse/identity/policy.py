"""The one place that decides who may do what: role x organisation x TLP x embargo.

Every endpoint, page, feed, export and CLI command asks `decide`/`require`, and every
list, count and search filters with `visible_filter`, its SQL twin. Nothing else in the
code base decides access (DESIGN.md). The rules, also in
docs/decisions/0003-authorisation-policy.md:

Reading a labelled resource (`Action.vuln_read`) under TLP 2.0:
- CLEAR: anyone, anonymous included.
- GREEN: any authenticated user of any organisation on this instance (the community),
  and operators.
- AMBER: users of the owner organisation, and operators.
- AMBER+STRICT and RED: users of the owner organisation only; not even operators.
  RED will narrow further, to named people, in a later issue.
- A resource with no owner and a label above CLEAR: operators only.
- A label that is not one of the five canonical `Tlp` values (as stored) is read as RED:
  unknown labels fail closed.

Embargo: while `embargo_ends_at` lies in the future, only the owner organisation's users
and operators may read, whatever the label (a CLEAR or GREEN label does not open an
embargoed resource). The embargo only ever narrows: it adds a condition to the TLP rules
and never widens them, so an operator still cannot read an embargoed RED resource of
another organisation. From the instant `embargo_ends_at` is reached, the TLP rules alone
apply.

Other actions:
- vuln_write, vuln_ingest, org_manage, user_manage, audit_read: operators only (role
  operator; `local_operator()` counts).
- token_manage_own: any authenticated principal; the caller scopes the tokens to the
  principal's own user id.
- Reading with no resource (asking to list or search) is allowed to anyone: the list
  itself is then filtered with `visible_filter`.

Anonymous asking for anything but reading CLEAR, unembargoed resources is refused with
`Unauthenticated` (log in and ask again); an authenticated principal refused gets
`Forbidden` with the reason.

The functions are pure: they look only at their arguments, never at the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Literal, Protocol

from sqlalchemy import ColumnElement, and_, false, or_, true

from clearinghouse.errors import Forbidden, Unauthenticated
from clearinghouse.identity.models import Role
from clearinghouse.identity.principal import Principal
from clearinghouse.identity.tlp import Tlp
from clearinghouse.storage.base import utcnow


class Action(StrEnum):
    vuln_read = "vuln_read"
    vuln_write = "vuln_write"
    vuln_ingest = "vuln_ingest"
    org_manage = "org_manage"
    user_manage = "user_manage"
    token_manage_own = "token_manage_own"  # noqa: S105 (an action name, not a secret)
    audit_read = "audit_read"


OPERATOR_ACTIONS = frozenset(
    {
        Action.vuln_write,
        Action.vuln_ingest,
        Action.org_manage,
        Action.user_manage,
        Action.audit_read,
    }
)


class Labelled(Protocol):
    """Anything that carries a TLP label, an owner and perhaps an embargo (a vulnerability)."""

    @property
    def tlp(self) -> str: ...

    @property
    def owner_org_id(self) -> int | None: ...

    @property
    def embargo_ends_at(self) -> datetime | None: ...


@dataclass(frozen=True)
class Decision:
    allowed: bool
    reason: str

    def __bool__(self) -> bool:
        return self.allowed


def _allow(reason: str) -> Decision:
    return Decision(True, reason)


def _deny(reason: str) -> Decision:
    return Decision(False, reason)


def _is_operator(principal: Principal) -> bool:
    return principal.is_authenticated and principal.role == Role.operator


def _is_member(principal: Principal) -> bool:
    """A member of the community: a user of some organisation here, or an operator."""
    return principal.is_authenticated and (
        principal.organisation_id is not None or _is_operator(principal)
    )


def _is_owner(principal: Principal, resource: Labelled) -> bool:
    return (
        principal.is_authenticated
        and principal.organisation_id is not None
        and resource.owner_org_id is not None
        and principal.organisation_id == resource.owner_org_id
    )


def _stored_label(value: str) -> Tlp:
    # Stored labels are canonical; anything else fails closed as RED rather than being
    # guessed at, so that the SQL twin can compare plain strings.
    try:
        return Tlp(value)
    except ValueError:
        return Tlp.RED


def _tlp_decision(principal: Principal, resource: Labelled) -> Decision:
    label = _stored_label(resource.tlp)
    if label is Tlp.CLEAR:
        return _allow("TLP:CLEAR may be read by anyone")
    if resource.owner_org_id is None:
        if _is_operator(principal):
            return _allow(f"TLP:{label} without an owner is read by operators")
        return _deny(f"TLP:{label} without an owner organisation is for operators only")
    if _is_owner(principal, resource):
        return _allow(f"TLP:{label} may be read by the owner organisation")
    if label is Tlp.GREEN:
        if _is_member(principal):
            return _allow("TLP:GREEN may be read by the community of this instance")
        return _deny("TLP:GREEN is for users of this instance; log in")
    if label is Tlp.AMBER:
        if _is_operator(principal):
            return _allow("TLP:AMBER may be read by operators")
        return _deny("TLP:AMBER is for the owner organisation and operators")
    return _deny(f"TLP:{label} is for the owner organisation only")


def _read_decision(principal: Principal, resource: Labelled, now: datetime) -> Decision:
    tlp = _tlp_decision(principal, resource)
    if not tlp:
        return tlp
    embargo_ends_at = resource.embargo_ends_at
    if embargo_ends_at is None or embargo_ends_at <= now:
        return tlp
    if _is_owner(principal, resource) or _is_operator(principal):
        return _allow(f"{tlp.reason}; under embargo, which the owner and operators may read")
    return _deny(
        f"under embargo until {embargo_ends_at.isoformat()}: "
        "only the owner organisation and operators may read it"
    )


def decide(
    principal: Principal,
    action: Action,
    resource: Labelled | None = None,
    *,
    now: datetime | None = None,
) -> Decision:
    """May `principal` do `action` (to `resource`) at `now`? With the reason, either way."""
    if action is Action.vuln_read:
        if resource is None:
            return _allow("anyone may ask to list; the list shows only what they may read")
        return _read_decision(principal, resource, now or utcnow())
    if not principal.is_authenticated:
        return _deny(f"{action} needs a login")
    if action is Action.token_manage_own:
        return _allow("authenticated principals manage their own tokens")
    if action in OPERATOR_ACTIONS:
        if _is_operator(principal):
            return _allow(f"{action} is an operator's task")
        return _deny(f"{action} is for operators only")
    return _deny(f"{action} is not a known action")


def require(
    principal: Principal,
    action: Action,
    resource: Labelled | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """`decide`, raising `Unauthenticated` (anonymous) or `Forbidden` when refused."""
    decision = decide(principal, action, resource, now=now)
    if decision:
        return
    if not principal.is_authenticated:
        raise Unauthenticated(decision.reason)
    raise Forbidden(decision.reason)


def _any(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(*conditions) if conditions else false()


def visible_filter(
    principal: Principal,
    *,
    tlp_column: Any,
    owner_column: Any,
    embargo_column: Any,
    now: datetime | None = None,
) -> ColumnElement[bool]:
    """The WHERE clause that keeps exactly the rows `decide(principal, vuln_read, row)` allows.

    Every term is NULL-safe (a NULL owner or embargo gives FALSE, not NULL), so the
    clause may also be negated or combined freely.
    """
    now = now or utcnow()
    not_embargoed = or_(embargo_column.is_(None), embargo_column <= now)
    clear = tlp_column == Tlp.CLEAR.value
    if not principal.is_authenticated:
        return and_(clear, not_embargoed)

    operator = _is_operator(principal)
    owned = owner_column.is_not(None)
    if principal.organisation_id is not None:
        is_owner: ColumnElement[bool] = and_(owned, owner_column == principal.organisation_id)
    else:
        is_owner = false()

    tlp_terms: list[ColumnElement[bool]] = [clear, is_owner]
    if operator:
        tlp_terms.append(owner_column.is_(None))
        tlp_terms.append(and_(owned, tlp_column == Tlp.AMBER.value))
    if _is_member(principal):
        tlp_terms.append(and_(owned, tlp_column == Tlp.GREEN.value))

    embargo_ok = true() if operator else or_(not_embargoed, is_owner)
    return and_(_any(tlp_terms), embargo_ok)


# --- Model review (issue 6) -------------------------------------------------------------
#
# Review is voluntary: these rules decide who may take part in a review and who may see
# it, never whether a model may be released. Rules (also docs/decisions/0006):
# - developers (role developer, of the model's organisation) register models and versions,
#   submit, move the release date, withdraw, resubmit, propose partners, consent to
#   partners that agencies propose, and issue and revoke grants for accepted partners;
# - operators assign agencies and reviewers, may revoke grants, and read everything;
# - reviewers (role reviewer, of an assigned agency) manage activities, write notes,
#   propose partners, record findings and read restricted items;
# - partners (role partner) accept or decline their own designations, see only their own
#   grants, and record findings only while one of their grants is active;
# - nobody else learns that a review exists (`review_view` is None: the caller answers 404).


class ReviewAction(StrEnum):
    model_register = "model_register"
    model_read = "model_read"
    review_submit = "review_submit"  # submit, move the release date, withdraw, resubmit
    review_read = "review_read"
    review_read_restricted = "review_read_restricted"
    review_assign = "review_assign"
    activity_manage = "activity_manage"
    note_write = "note_write"
    partner_propose = "partner_propose"
    partner_consent = "partner_consent"
    partner_accept = "partner_accept"  # accept or decline
    grant_issue = "grant_issue"
    grant_revoke = "grant_revoke"
    finding_record = "finding_record"


@dataclass(frozen=True)
class ReviewParties:
    """Who takes part in one review (or, for model actions, who owns the model).

    For `partner_accept`, the caller puts the designation's partner organisation in
    `partner_org_ids`: a partner decides on a designation before it is accepted.
    """

    developer_org_id: int
    agency_org_ids: frozenset[int] = frozenset()  # assigned reviewing agencies
    reviewer_user_ids: frozenset[int] = frozenset()  # named reviewers
    partner_org_ids: frozenset[int] = frozenset()  # designations the partner accepted
    granted_partner_org_ids: frozenset[int] = frozenset()  # partners with a grant active now


ReviewView = Literal["reviewer", "developer", "partner"]


def _in(principal: Principal, org_ids: frozenset[int]) -> bool:
    return principal.organisation_id is not None and principal.organisation_id in org_ids


def _is_developer(principal: Principal, parties: ReviewParties) -> bool:
    return principal.role == Role.developer and principal.organisation_id == (
        parties.developer_org_id
    )


def _is_reviewer(principal: Principal, parties: ReviewParties) -> bool:
    return principal.role == Role.reviewer and _in(principal, parties.agency_org_ids)


def review_view(principal: Principal, parties: ReviewParties) -> ReviewView | None:
    """Which redaction of a review `principal` gets; None means the review stays unseen."""
    if not principal.is_authenticated:
        return None
    if _is_operator(principal) or _in(principal, parties.agency_org_ids):
        return "reviewer"
    if principal.organisation_id is not None and principal.organisation_id == (
        parties.developer_org_id
    ):
        return "developer"
    if _in(principal, parties.partner_org_ids):
        return "partner"
    return None


def _review_rule(principal: Principal, action: ReviewAction, parties: ReviewParties) -> Decision:
    developer = _is_developer(principal, parties)
    reviewer = _is_reviewer(principal, parties)
    operator = _is_operator(principal)
    if action is ReviewAction.model_register:
        if developer or operator:
            return _allow("the model's developers register its versions")
        return _deny("models are registered by developers of the model's organisation")
    if action in (ReviewAction.model_read, ReviewAction.review_read):
        if review_view(principal, parties) is not None:
            return _allow("a party to the review may read it")
        return _deny("only the parties to a review may read it")
    if action is ReviewAction.review_read_restricted:
        if review_view(principal, parties) == "reviewer":
            return _allow("reviewers and operators read restricted items")
        return _deny("restricted items are for reviewers only")
    if action is ReviewAction.review_submit:
        if developer:
            return _allow("submitting a model for review is the developer's own choice")
        return _deny("only developers of the model's organisation submit it for review")
    if action is ReviewAction.review_assign:
        if operator:
            return _allow("operators assign reviewing agencies")
        return _deny("reviewing agencies are assigned by operators")
    if action in (ReviewAction.activity_manage, ReviewAction.note_write):
        if reviewer:
            return _allow("reviewers of an assigned agency keep the checklist and notes")
        return _deny("only reviewers of an assigned agency do that")
    if action is ReviewAction.partner_propose:
        if developer or reviewer:
            return _allow("developers and assigned reviewers propose partners")
        return _deny("partners are proposed by the developer or an assigned agency")
    if action in (ReviewAction.partner_consent, ReviewAction.grant_issue):
        if developer:
            return _allow("the developer decides who gets early access")
        return _deny("only the developer consents to partners and gives them access")
    if action is ReviewAction.partner_accept:
        if principal.role == Role.partner and _in(principal, parties.partner_org_ids):
            return _allow("a partner decides on its own designation")
        return _deny("only the designated partner decides on a designation")
    if action is ReviewAction.grant_revoke:
        if developer or operator:
            return _allow("the developer and operators may end access at once")
        return _deny("grants are revoked by the developer or an operator")
    if action is ReviewAction.finding_record:
        if reviewer:
            return _allow("assigned reviewers record findings")
        if principal.role == Role.partner and _in(principal, parties.granted_partner_org_ids):
            return _allow("a partner with active access records findings")
        return _deny("findings are recorded by reviewers and by partners while their access lasts")
    return _deny(f"{action} is not a known review action")


def decide_review(
    principal: Principal,
    action: ReviewAction,
    parties: ReviewParties | None,
    *,
    now: datetime | None = None,
) -> Decision:
    """May `principal` do `action` in the review (or on the model) of `parties`?

    With no parties (asking to list, or registering a first model) any authenticated
    principal may ask; the service then shows only what `review_view` allows. `now` is
    accepted for symmetry with `decide`: the parties already say whose access is active.
    """
    if not principal.is_authenticated:
        return _deny(f"{action} needs a login")
    if parties is None:
        if action in (ReviewAction.model_read, ReviewAction.review_read):
            return _allow("anyone logged in may ask; the list shows only their reviews")
        if action is ReviewAction.model_register and (
            principal.role == Role.developer or _is_operator(principal)
        ):
            return _allow("developers register their organisation's models")
        return _deny(f"{action} needs a review or model to act on")
    return _review_rule(principal, action, parties)


def require_review(
    principal: Principal,
    action: ReviewAction,
    parties: ReviewParties | None,
    *,
    now: datetime | None = None,
) -> None:
    """`decide_review`, raising `Unauthenticated` (anonymous) or `Forbidden` when refused."""
    decision = decide_review(principal, action, parties, now=now)
    if decision:
        return
    if not principal.is_authenticated:
        raise Unauthenticated(decision.reason)
    raise Forbidden(decision.reason)
