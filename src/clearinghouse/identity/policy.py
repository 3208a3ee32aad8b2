"""The one place that decides who may do what: role x organisation x TLP x embargo.

Every endpoint, page, feed, export and CLI command asks `decide`/`require`, and every
list, count and search filters with `visible_filter`, its SQL twin. Nothing else in the
code base decides access (DESIGN.md). The rules, also in
docs/decisions/0003-authorisation-policy.md:

Reading a labelled resource (`Action.vuln_read`) under TLP 2.0:
- CLEAR: anyone, anonymous included.
- GREEN: any authenticated user of any organisation on this instance (the community),
  and operators.
- AMBER: users of the owner organisation, operators, and the members of the resource's
  sharing group (users of a member organisation, and people named in the group).
- AMBER+STRICT: users of the owner organisation only ("restricted to the organisation");
  not even operators, and a sharing group does not widen it.
- RED: users of the owner organisation, and the people named individually in the
  resource's sharing group ("for the eyes and ears of individual recipients only"): an
  organisation's membership alone does not open RED.
- A resource with no owner and a label above CLEAR: operators only (and, for AMBER and
  RED, its sharing group as above).
- A label that is not one of the five canonical `Tlp` values (as stored) is read as RED:
  unknown labels fail closed.

Sharing groups (`sharing.models`) are how an owner designates recipients; the principal
carries the groups it belongs to (`Principal.amber_groups`, `.red_groups`), read once when
it is built, so these functions stay pure.

Embargo: while `embargo_ends_at` lies in the future, only the owner organisation's users,
operators and the members of the resource's sharing group (its designated partners) may
read, whatever the label (a CLEAR or GREEN label does not open an embargoed resource to
the community). The embargo only ever narrows: it adds a condition to the TLP rules and
never widens them, so an operator still cannot read an embargoed RED resource of another
organisation, and a partner reads an embargoed RED one only if named. From the instant
`embargo_ends_at` is reached, the TLP rules alone apply.

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

from collections.abc import Callable
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


def sharing_group_of(resource: Labelled) -> int | None:
    """The resource's sharing group; a resource type without the attribute has none."""
    group: int | None = getattr(resource, "sharing_group_id", None)
    return group


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


def _enforce(principal: Principal, decision: Decision) -> None:
    """Every `require_*`: a refusal is `Unauthenticated` for anonymous, `Forbidden` otherwise."""
    if decision:
        return
    if not principal.is_authenticated:
        raise Unauthenticated(decision.reason)
    raise Forbidden(decision.reason)


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
    group = sharing_group_of(resource)
    # Only a canonical label opens to a group: an unknown one read as RED stays closed.
    canonical = resource.tlp == label.value
    if label is Tlp.AMBER and group is not None and group in principal.amber_groups:
        return _allow("TLP:AMBER may be read by the members of its sharing group")
    if canonical and label is Tlp.RED and group is not None and group in principal.red_groups:
        return _allow("TLP:RED may be read by the people named in its sharing group")
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
        return _deny("TLP:AMBER is for the owner organisation, operators and its sharing group")
    if label is Tlp.RED:
        return _deny("TLP:RED is for the owner organisation and the people named to receive it")
    return _deny(f"TLP:{label} is for the owner organisation only")


def _in_sharing_group(principal: Principal, resource: Labelled) -> bool:
    group = sharing_group_of(resource)
    return group is not None and group in principal.amber_groups


def _read_decision(principal: Principal, resource: Labelled, now: datetime) -> Decision:
    tlp = _tlp_decision(principal, resource)
    if not tlp:
        return tlp
    embargo_ends_at = resource.embargo_ends_at
    if embargo_ends_at is None or embargo_ends_at <= now:
        return tlp
    if _is_owner(principal, resource) or _is_operator(principal):
        return _allow(f"{tlp.reason}; under embargo, which the owner and operators may read")
    if _in_sharing_group(principal, resource):
        return _allow(f"{tlp.reason}; under embargo, which its designated partners may read")
    return _deny(
        f"under embargo until {embargo_ends_at.isoformat()}: "
        "only the owner organisation, operators and its sharing group may read it"
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
    _enforce(principal, decide(principal, action, resource, now=now))


def _any(conditions: list[ColumnElement[bool]]) -> ColumnElement[bool]:
    return or_(*conditions) if conditions else false()


def visible_filter(
    principal: Principal,
    *,
    tlp_column: Any,
    owner_column: Any,
    embargo_column: Any,
    sharing_group_column: Any = None,
    now: datetime | None = None,
) -> ColumnElement[bool]:
    """The WHERE clause that keeps exactly the rows `decide(principal, vuln_read, row)` allows.

    Every term is NULL-safe (a NULL owner or embargo gives FALSE, not NULL), so the
    clause may also be negated or combined freely. Without `sharing_group_column` the
    table has no sharing groups, and only the owner/operator/community rules apply.
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

    # NULL-safe like the rest: a row without a group is in none.
    in_group: ColumnElement[bool] = false()
    if sharing_group_column is not None and principal.amber_groups:
        in_group = and_(
            sharing_group_column.is_not(None),
            sharing_group_column.in_(sorted(principal.amber_groups)),
        )
        tlp_terms.append(and_(tlp_column == Tlp.AMBER.value, in_group))
    if sharing_group_column is not None and principal.red_groups:
        named = and_(
            sharing_group_column.is_not(None),
            sharing_group_column.in_(sorted(principal.red_groups)),
        )
        tlp_terms.append(and_(tlp_column == Tlp.RED.value, named))

    embargo_ok = true() if operator else or_(not_embargoed, is_owner, in_group)
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
    _enforce(principal, decide_review(principal, action, parties, now=now))


# --- Inventories (issue 3) ---------------------------------------------------------------
#
# An inventory (an organisation's uploaded SBOMs, their components and findings) is the
# organisation's own business. Rules (also docs/decisions/0008):
# - members of the organisation (any role) and operators read it;
# - members upload to it; operators may upload on an organisation's behalf (the CLI);
# - only members decide on a finding (accepted, not_affected, back to new): accepting a
#   risk is the organisation's call, not the operator's;
# - nobody else learns that an inventory exists (`inventory_visible` False: answer 404).
# An inventory is matched against what its organisation may read (`inventory_reader`),
# never against what the uploader could read: an operator uploading for an organisation
# must not put operator-only records into that organisation's findings.


class InventoryAction(StrEnum):
    inventory_read = "inventory_read"
    inventory_upload = "inventory_upload"
    finding_decide = "finding_decide"


def _in_organisation(principal: Principal, organisation_id: int) -> bool:
    return principal.is_authenticated and principal.organisation_id == organisation_id


def inventory_visible(principal: Principal, organisation_id: int) -> bool:
    """Whether `principal` may know that the organisation's inventory exists at all."""
    return _in_organisation(principal, organisation_id) or _is_operator(principal)


def decide_inventory(
    principal: Principal, action: InventoryAction, organisation_id: int | None
) -> Decision:
    """May `principal` do `action` on an inventory of `organisation_id`?

    With no organisation (asking to list) any authenticated principal may ask; the list
    is then filtered with `inventory_filter`.
    """
    if not principal.is_authenticated:
        return _deny(f"{action} needs a login")
    if organisation_id is None:
        if action is InventoryAction.inventory_read:
            return _allow("anyone logged in may ask; the list shows only their inventories")
        return _deny(f"{action} needs an organisation's inventory to act on")
    member = _in_organisation(principal, organisation_id)
    if action is InventoryAction.inventory_read:
        if member or _is_operator(principal):
            return _allow("members of the organisation and operators read its inventories")
        return _deny("inventories are for their organisation's members and operators")
    if action is InventoryAction.inventory_upload:
        if member or _is_operator(principal):
            return _allow("members (and operators on their behalf) upload SBOMs")
        return _deny("only members of the organisation upload to its inventories")
    if action is InventoryAction.finding_decide:
        if member:
            return _allow("the organisation decides on its own findings")
        return _deny("only members of the organisation decide on its findings")
    return _deny(f"{action} is not a known inventory action")


def require_inventory(
    principal: Principal, action: InventoryAction, organisation_id: int | None
) -> None:
    """`decide_inventory`, raising `Unauthenticated` (anonymous) or `Forbidden` when refused."""
    _enforce(principal, decide_inventory(principal, action, organisation_id))


def inventory_filter(principal: Principal, *, organisation_column: Any) -> ColumnElement[bool]:
    """The WHERE clause keeping the inventories `inventory_visible` allows (lists, counts)."""
    if not principal.is_authenticated:
        return false()
    if _is_operator(principal):
        return true()
    if principal.organisation_id is None:
        return false()
    member: ColumnElement[bool] = organisation_column == principal.organisation_id
    return member


def inventory_reader(organisation_id: int, amber_groups: frozenset[int] = frozenset()) -> Principal:
    """Whose view of the vulnerability store an organisation's inventory is matched with.

    A member of the organisation with no role of note: records under TLP:CLEAR, the
    community's GREEN ones, everything the organisation owns, and the AMBER records of the
    sharing groups the organisation itself is a member of (`amber_groups`: memberships of
    the organisation, not of people named, so never RED); never what only operators read.
    """
    return Principal(
        user_id=None,
        email="",
        role=None,
        organisation_id=organisation_id,
        organisation_slug=None,
        organisation_kind=None,
        cli_name=f"inventory-matcher:{organisation_id}",
        amber_groups=amber_groups,
    )


# Findings shared through a sharing group (issue 5, docs/decisions/0013): the inventory's
# organisation may label a finding and name a group; the group then reads that finding,
# and nothing else of the inventory, read-only: TLP:AMBER opens it to the users of the
# member organisations, TLP:RED to the people named. CLEAR, GREEN and AMBER+STRICT open a
# finding to nobody beyond the organisation and operators: an organisation's exposure is
# shared only with recipients it designates.


def finding_shared(principal: Principal, *, tlp: str, sharing_group_id: int | None) -> bool:
    """Whether a finding's label and group let `principal` (not of the organisation) read it."""
    return _shared_with(principal, tlp, sharing_group_id)


def finding_shared_filter(
    principal: Principal, *, tlp_column: Any, sharing_group_column: Any
) -> ColumnElement[bool]:
    """The WHERE clause keeping the findings `finding_shared` opens to `principal`."""
    return _shared_filter(
        principal, tlp_column=tlp_column, sharing_group_column=sharing_group_column
    )


# --- Benchmark runs and restricted item sets (issue 7) ----------------------------------
#
# Rules (also docs/decisions/0009-benchmark-battery.md):
# - reviewers of an assigned agency and operators start runs in a review, make
#   determinations, and read everything about its runs: per-item results and Inspect logs;
# - the developer of the model reads aggregates only (scores, intervals, determinations),
#   never per-item results, logs, or anything of a restricted item set;
# - partners see no benchmark results; nobody else learns that a run exists;
# - runs outside any review, restricted item sets and new policy versions are operators'
#   business, except that reviewers (role reviewer) and operators may read restricted items;
# - anyone may read the published coverage policies.


class EvalAction(StrEnum):
    run_start = "run_start"
    run_read = "run_read"  # aggregates
    run_read_items = "run_read_items"  # per-item results, Inspect logs
    determine = "determine"
    items_load = "items_load"
    items_read = "items_read"  # restricted item text and canary
    policy_publish = "policy_publish"
    policy_read = "policy_read"


EvalView = Literal["reviewer", "developer"]


def eval_view(principal: Principal, parties: ReviewParties | None) -> EvalView | None:
    """How much of a review's benchmark results `principal` sees; None: none at all.

    Without parties (a run outside any review) only operators see it, in full.
    """
    if parties is None:
        return "reviewer" if _is_operator(principal) else None
    view = review_view(principal, parties)
    if view == "reviewer":
        return "reviewer"
    if view == "developer":
        return "developer"
    return None


def decide_eval(
    principal: Principal, action: EvalAction, parties: ReviewParties | None = None
) -> Decision:
    """May `principal` do `action` to the benchmark runs of the review of `parties`?"""
    if action is EvalAction.policy_read:
        return _allow("coverage policies are published for anyone to read")
    if not principal.is_authenticated:
        return _deny(f"{action} needs a login")
    operator = _is_operator(principal)
    if action in (EvalAction.items_load, EvalAction.policy_publish):
        if operator:
            return _allow(f"{action} is an operator's task")
        return _deny(f"{action} is for operators only")
    if action is EvalAction.items_read:
        if operator or principal.role == Role.reviewer:
            return _allow("reviewers and operators may read restricted items")
        return _deny("restricted items are for reviewers only")
    view = eval_view(principal, parties)
    if action is EvalAction.run_read:
        if view is not None:
            return _allow("the review's parties read its benchmark aggregates")
        return _deny("only the review's reviewers and developer read its benchmark results")
    if action is EvalAction.run_read_items:
        if view == "reviewer":
            return _allow("reviewers read per-item results and logs")
        return _deny("per-item results and logs are for reviewers only")
    if action in (EvalAction.run_start, EvalAction.determine):
        if operator:
            return _allow("operators run benchmarks and make determinations")
        if parties is not None and _is_reviewer(principal, parties):
            return _allow("reviewers of an assigned agency run benchmarks and determine coverage")
        return _deny("benchmarks are run by reviewers of an assigned agency and operators")
    return _deny(f"{action} is not a known benchmark action")


def require_eval(
    principal: Principal, action: EvalAction, parties: ReviewParties | None = None
) -> None:
    """`decide_eval`, raising `Unauthenticated` (anonymous) or `Forbidden` when refused."""
    _enforce(principal, decide_eval(principal, action, parties))


# --- Coordinated disclosure cases (issue 4) ----------------------------------------------
#
# A case coordinates one vulnerability between the clearinghouse and the vendors it
# invites. Rules:
# - coordinators (operators, `local_operator()` included, and the analysts who triage the
#   reports cases are opened from: role reviewer) open cases, edit them, invite and remove
#   vendors, move their states, publish and close them, and read everything;
# - an invited vendor organisation, until it is removed, reads its case whole (description,
#   affected versions, every party's statements, the messages, the draft advisory); its
#   users of role vendor post its statements, and every party posts messages;
# - nobody else learns that a case exists (`case_view` is None: the caller answers 404 as
#   for a missing case), whatever the embargo or the TLP label;
# - the advisory a case produces (when it is published or closed) is read by the case's
#   parties at any time, and by everyone else under the TLP rules of `decide` once the
#   embargo has passed: `CaseLabels` is a `Labelled`, so it is the very rule the
#   vulnerability store applies to the OSV record the case stores.


class DisclosureAction(StrEnum):
    case_open = "case_open"
    case_read = "case_read"  # the case and all its details
    case_manage = "case_manage"  # edit, invite and remove vendors, move states, publish, close
    statement_post = "statement_post"
    message_post = "message_post"
    advisory_read = "advisory_read"  # the advisory a published or closed case produced


@dataclass(frozen=True)
class CaseParties:
    """The vendor organisations invited to one case and not removed from it."""

    vendor_org_ids: frozenset[int] = frozenset()


@dataclass(frozen=True)
class CaseLabels:
    """How a case's advisory is labelled: its TLP, its owner, its embargo, its sharing group.

    The case's sharing group opens its produced advisory (and OSV record) to the group
    under the TLP rules of `decide`, never the case itself (issue 5, ADR 0013).
    """

    tlp: str
    owner_org_id: int | None
    embargo_ends_at: datetime | None
    sharing_group_id: int | None = None


CaseView = Literal["coordinator", "vendor"]


def _is_coordinator(principal: Principal) -> bool:
    # The analysts of the reports section: who validated the reports coordinates the case.
    return principal.is_authenticated and principal.role in (Role.operator, Role.reviewer)


def case_view(principal: Principal, parties: CaseParties) -> CaseView | None:
    """How `principal` takes part in a case; None means the case stays unseen (a 404)."""
    if _is_coordinator(principal):
        return "coordinator"
    if principal.is_authenticated and _in(principal, parties.vendor_org_ids):
        return "vendor"
    return None


def _case_rule(principal: Principal, action: DisclosureAction, parties: CaseParties) -> Decision:
    view = case_view(principal, parties)
    if action is DisclosureAction.case_read:
        if view is not None:
            return _allow("the case's coordinators and invited vendors read it")
        return _deny("only the case's coordinators and invited vendors read it")
    if action is DisclosureAction.case_manage:
        if view == "coordinator":
            return _allow("coordinators run the case")
        return _deny("only coordinators edit a case, invite vendors and move its state")
    if action is DisclosureAction.statement_post:
        if view == "coordinator":
            return _allow("coordinators may record a statement a vendor sent them")
        if view == "vendor" and principal.role == Role.vendor:
            return _allow("an invited vendor states how its products are affected")
        return _deny("statements are posted by the invited vendor's users of role vendor")
    if action is DisclosureAction.message_post:
        if view is not None:
            return _allow("every party to the case may write to the others")
        return _deny("only the case's parties write messages")
    return _deny(f"{action} is not a known disclosure action")


def decide_disclosure(
    principal: Principal,
    action: DisclosureAction,
    parties: CaseParties | None,
    *,
    labels: CaseLabels | None = None,
    now: datetime | None = None,
) -> Decision:
    """May `principal` do `action` in the case of `parties`?

    With no parties (asking to list, or opening a case) any authenticated principal may
    ask to list (the list is filtered with `case_filter`) and coordinators may open.
    `advisory_read` needs `labels`, the produced advisory's labels: None means that the
    case has produced no advisory, which only its parties may then know about.
    """
    if action is DisclosureAction.advisory_read:
        if parties is not None and case_view(principal, parties) is not None:
            return _allow("the case's parties read its advisory at any time")
        if labels is None:
            return _deny("the case has produced no advisory")
        return _read_decision(principal, labels, now or utcnow())
    if not principal.is_authenticated:
        return _deny(f"{action} needs a login")
    if parties is None:
        if action is DisclosureAction.case_read:
            return _allow("anyone logged in may ask; the list shows only their cases")
        if action is DisclosureAction.case_open and _is_coordinator(principal):
            return _allow("coordinators open cases from validated reports")
        if action is DisclosureAction.case_open:
            return _deny("cases are opened by coordinators")
        return _deny(f"{action} needs a case to act on")
    return _case_rule(principal, action, parties)


def require_disclosure(
    principal: Principal,
    action: DisclosureAction,
    parties: CaseParties | None,
    *,
    labels: CaseLabels | None = None,
    now: datetime | None = None,
) -> None:
    """`decide_disclosure`, raising `Unauthenticated` (anonymous) or `Forbidden` when refused."""
    _enforce(principal, decide_disclosure(principal, action, parties, labels=labels, now=now))


def case_filter(
    principal: Principal, *, invited: Callable[[int], ColumnElement[bool]]
) -> ColumnElement[bool]:
    """The WHERE clause keeping the cases `case_view` allows (lists, counts).

    `invited(organisation_id)` is the caller's condition "the row's case has this
    organisation among its invited, not removed, vendors": the tables are the caller's,
    the decision is this module's.
    """
    if not principal.is_authenticated:
        return false()
    if _is_coordinator(principal):
        return true()
    if principal.organisation_id is None:
        return false()
    return invited(principal.organisation_id)


def advisory_filter(
    principal: Principal,
    *,
    invited: Callable[[int], ColumnElement[bool]],
    tlp_column: Any,
    owner_column: Any,
    embargo_column: Any,
    sharing_group_column: Any = None,
    now: datetime | None = None,
) -> ColumnElement[bool]:
    """The WHERE clause keeping the produced advisories `advisory_read` allows."""
    by_tlp = visible_filter(
        principal,
        tlp_column=tlp_column,
        owner_column=owner_column,
        embargo_column=embargo_column,
        sharing_group_column=sharing_group_column,
        now=now,
    )
    return or_(case_filter(principal, invited=invited), by_tlp)


# --- Vulnerability reports (issue 4) ----------------------------------------------------
#
# Rules (also docs/decisions/0010-report-deduplication.md):
# - anyone logged in may submit a report (people, AI labs' pipelines, tools with a token);
# - analysts (operators, and reviewers of agencies) read every report and triage them:
#   states, evidence, merge and split, SSVC inputs, bulk actions;
# - a reporter reads the reports it submitted, and its organisation's reports, in the
#   reporter's view: without links to other reporters' reports and without evidence;
# - a report's TLP label and sharing group open it, read-only and in the reporter's view,
#   to the group (issue 5, docs/decisions/0013): TLP:AMBER to the users of its member
#   organisations, TLP:RED to the people named in it; CLEAR, GREEN and AMBER+STRICT open
#   a report to nobody more (a report is an unvalidated claim: it reaches the community
#   only through a case's advisory);
# - nobody else learns that a report exists (`report_view` None: the caller answers 404).


class ReportAction(StrEnum):
    report_submit = "report_submit"
    report_read = "report_read"
    report_triage = "report_triage"
    report_label = "report_label"  # its TLP label and sharing group


ReportView = Literal["analyst", "reporter"]


@dataclass(frozen=True)
class ReportFacts:
    """Whose report it is (submitting user, reporter's organisation) and how it is labelled."""

    submitted_by_user_id: int | None
    reporter_org_id: int | None
    tlp: str = Tlp.AMBER_STRICT.value
    sharing_group_id: int | None = None


def _shared_with(principal: Principal, tlp: str, sharing_group_id: int | None) -> bool:
    """Whether a report's (or finding's) label and group open it to `principal`."""
    if not principal.is_authenticated or sharing_group_id is None:
        return False
    if tlp == Tlp.AMBER.value:
        return sharing_group_id in principal.amber_groups
    if tlp == Tlp.RED.value:
        return sharing_group_id in principal.red_groups
    return False


def _shared_filter(
    principal: Principal, *, tlp_column: Any, sharing_group_column: Any
) -> ColumnElement[bool]:
    """The SQL twin of `_shared_with`; NULL-safe (a row without a group is in none)."""
    terms: list[ColumnElement[bool]] = []
    if principal.is_authenticated and principal.amber_groups:
        terms.append(
            and_(
                tlp_column == Tlp.AMBER.value,
                sharing_group_column.is_not(None),
                sharing_group_column.in_(sorted(principal.amber_groups)),
            )
        )
    if principal.is_authenticated and principal.red_groups:
        terms.append(
            and_(
                tlp_column == Tlp.RED.value,
                sharing_group_column.is_not(None),
                sharing_group_column.in_(sorted(principal.red_groups)),
            )
        )
    return _any(terms)


def _is_analyst(principal: Principal) -> bool:
    return principal.is_authenticated and principal.role in (Role.operator, Role.reviewer)


def _is_reporter_of(principal: Principal, report: ReportFacts) -> bool:
    if not principal.is_authenticated:
        return False
    if principal.user_id is not None and principal.user_id == report.submitted_by_user_id:
        return True
    return principal.organisation_id is not None and (
        principal.organisation_id == report.reporter_org_id
    )


def report_view(principal: Principal, report: ReportFacts) -> ReportView | None:
    """How much of a report `principal` sees; None: not even that it exists."""
    if _is_analyst(principal):
        return "analyst"
    if _is_reporter_of(principal, report):
        return "reporter"
    if _shared_with(principal, report.tlp, report.sharing_group_id):
        return "reporter"
    return None


def decide_report(
    principal: Principal, action: ReportAction, report: ReportFacts | None = None
) -> Decision:
    """May `principal` do `action` (to `report`)? Without a report: may they ask at all?"""
    if not principal.is_authenticated:
        return _deny(f"{action} needs a login")
    if action is ReportAction.report_submit:
        return _allow("anyone logged in may report a vulnerability")
    if action is ReportAction.report_triage:
        if _is_analyst(principal):
            return _allow("analysts (operators and agency reviewers) triage reports")
        return _deny("reports are triaged by analysts only")
    if action is ReportAction.report_read:
        if report is None or report_view(principal, report) is not None:
            return _allow("reporters, analysts and the report's sharing group read it")
        return _deny("a report is for its reporter, the analysts and its sharing group")
    if action is ReportAction.report_label:
        if _is_analyst(principal):
            return _allow("analysts label reports")
        if report is not None and _is_reporter_of(principal, report):
            return _allow("a reporter labels its own reports")
        return _deny("a report is labelled by its reporter and the analysts")
    return _deny(f"{action} is not a known report action")


def require_report(
    principal: Principal, action: ReportAction, report: ReportFacts | None = None
) -> None:
    """`decide_report`, raising `Unauthenticated` (anonymous) or `Forbidden` when refused."""
    _enforce(principal, decide_report(principal, action, report))


def report_filter(
    principal: Principal,
    *,
    submitted_by_column: Any,
    reporter_org_column: Any,
    tlp_column: Any = None,
    sharing_group_column: Any = None,
) -> ColumnElement[bool]:
    """The WHERE clause keeping the reports `report_view` shows at all (lists, counts).

    Without the label columns only the reporter and analyst rules apply.
    """
    if not principal.is_authenticated:
        return false()
    if _is_analyst(principal):
        return true()
    terms: list[ColumnElement[bool]] = []
    if principal.user_id is not None:
        terms.append(submitted_by_column == principal.user_id)
    if principal.organisation_id is not None:
        terms.append(reporter_org_column == principal.organisation_id)
    if tlp_column is not None and sharing_group_column is not None:
        terms.append(
            _shared_filter(
                principal, tlp_column=tlp_column, sharing_group_column=sharing_group_column
            )
        )
    return _any(terms)


# --- Notifications: webhooks, e-mail recipients, the delivery log (issue 5) ------------
#
# An organisation's webhook subscriptions, e-mail recipients and delivery log (which
# notifications went where, each attempt, the dead letters) are its own business. Rules
# (also docs/notifications.md):
# - users of the organisation (any role) and operators manage its subscriptions and
#   recipients (add, remove, rotate a secret), read its delivery log and redeliver its
#   dead letters;
# - the operators' own channel (organisation None: notifications addressed to the
#   instance's operators) is managed and read by operators only;
# - nobody else learns that a subscription or delivery exists (`notifications_filter`
#   hides it; the caller answers 404).


class NotificationAction(StrEnum):
    notifications_manage = "notifications_manage"
    deliveries_read = "deliveries_read"


def decide_notifications(
    principal: Principal, action: NotificationAction, organisation_id: int | None
) -> Decision:
    """May `principal` do `action` on the channels of `organisation_id` (None: operators')?"""
    if not principal.is_authenticated:
        return _deny(f"{action} needs a login")
    if action not in set(NotificationAction):
        return _deny(f"{action} is not a known notification action")
    if _is_operator(principal):
        return _allow("operators manage every organisation's notifications")
    if organisation_id is None:
        return _deny("the operators' notifications are for operators only")
    if _in_organisation(principal, organisation_id):
        return _allow("an organisation's users manage its own notifications")
    return _deny("notifications are for their organisation's users and operators")


def require_notifications(
    principal: Principal, action: NotificationAction, organisation_id: int | None
) -> None:
    """`decide_notifications`, raising `Unauthenticated` or `Forbidden` when refused."""
    _enforce(principal, decide_notifications(principal, action, organisation_id))


def notifications_filter(principal: Principal, *, organisation_column: Any) -> ColumnElement[bool]:
    """The WHERE clause keeping the subscriptions and deliveries `decide_notifications` allows.

    The rule of inventories: an organisation's own rows, and every row for operators.
    """
    return inventory_filter(principal, organisation_column=organisation_column)


# --- Sharing groups (issue 5) ------------------------------------------------------------
#
# Rules (also docs/decisions/0013-tlp-and-sharing-groups.md):
# - operators create groups and add and remove members (organisations, named people);
# - a group and its members are read by operators and by the group's members (a user of a
#   member organisation, or a person named in it);
# - nobody else learns that a group exists (`sharing_group_visible` False: answer 404);
# - naming a group on a labelled resource is the business of whoever may label it (the
#   area's own rule); the group must exist, and the label alone decides what it opens.


class SharingAction(StrEnum):
    group_manage = "group_manage"
    group_read = "group_read"


def sharing_group_visible(principal: Principal, group_id: int) -> bool:
    """Whether `principal` may know that the group exists, and who is in it."""
    return _is_operator(principal) or (
        principal.is_authenticated and group_id in principal.amber_groups
    )


def decide_sharing(
    principal: Principal, action: SharingAction, group_id: int | None = None
) -> Decision:
    """May `principal` do `action` (to the group `group_id`; None: asking to list or create)?"""
    if not principal.is_authenticated:
        return _deny(f"{action} needs a login")
    if action is SharingAction.group_manage:
        if _is_operator(principal):
            return _allow("operators manage sharing groups")
        return _deny("sharing groups are managed by operators")
    if action is SharingAction.group_read:
        if group_id is None or sharing_group_visible(principal, group_id):
            return _allow("a group's members and operators read it")
        return _deny("a sharing group is read by its members and operators")
    return _deny(f"{action} is not a known sharing action")


def require_sharing(
    principal: Principal, action: SharingAction, group_id: int | None = None
) -> None:
    """`decide_sharing`, raising `Unauthenticated` (anonymous) or `Forbidden` when refused."""
    _enforce(principal, decide_sharing(principal, action, group_id))


def sharing_group_filter(principal: Principal, *, group_column: Any) -> ColumnElement[bool]:
    """The WHERE clause keeping the groups `sharing_group_visible` allows (lists)."""
    if not principal.is_authenticated:
        return false()
    if _is_operator(principal):
        return true()
    if not principal.amber_groups:
        return false()
    mine: ColumnElement[bool] = group_column.in_(sorted(principal.amber_groups))
    return mine


# --- Advisories: CSAF 2.0 documents (issue 5) --------------------------------------------
#
# Rules (also docs/advisories.md):
# - analysts (operators, `local_operator()` included, and reviewers: `_is_coordinator`, as
#   for disclosure cases) draft advisories, edit drafts, publish versions, and read every
#   advisory, its draft fields and every version: they write them;
# - nobody else learns that an unpublished advisory exists;
# - a published version is read under the labels it was published with (TLP, owner,
#   sharing group, embargo) by exactly the rule of `decide(principal, Action.vuln_read)`:
#   CLEAR by anyone, AMBER by the owner, operators and the sharing group's members, the
#   embargo opening it to the designated partners only; `advisory_version_filter` is the
#   SQL twin for lists.


class AdvisoryAction(StrEnum):
    advisory_write = "advisory_write"  # draft, edit the draft, publish
    advisory_read_draft = "advisory_read_draft"  # the unpublished parts
    advisory_read = "advisory_read"  # a published version


def decide_advisory(
    principal: Principal,
    action: AdvisoryAction,
    version_labels: Labelled | None = None,
    *,
    now: datetime | None = None,
) -> Decision:
    """May `principal` do `action`? `advisory_read` needs the published version's labels."""
    if _is_coordinator(principal):
        return _allow("analysts (operators and reviewers) write and read advisories")
    if action is AdvisoryAction.advisory_read:
        if version_labels is None:
            return _deny("the advisory has no published version")
        return decide(principal, Action.vuln_read, version_labels, now=now)
    if not principal.is_authenticated:
        return _deny(f"{action} needs a login")
    if action in (AdvisoryAction.advisory_write, AdvisoryAction.advisory_read_draft):
        return _deny("advisories are drafted and published by analysts (operators, reviewers)")
    return _deny(f"{action} is not a known advisory action")


def require_advisory(
    principal: Principal,
    action: AdvisoryAction,
    version_labels: Labelled | None = None,
    *,
    now: datetime | None = None,
) -> None:
    """`decide_advisory`, raising `Unauthenticated` (anonymous) or `Forbidden` when refused."""
    _enforce(principal, decide_advisory(principal, action, version_labels, now=now))


def advisory_version_filter(
    principal: Principal,
    *,
    tlp_column: Any,
    owner_column: Any,
    embargo_column: Any,
    sharing_group_column: Any,
    now: datetime | None = None,
) -> ColumnElement[bool]:
    """The WHERE clause keeping the published versions `advisory_read` allows."""
    if _is_coordinator(principal):
        return true()
    return visible_filter(
        principal,
        tlp_column=tlp_column,
        owner_column=owner_column,
        embargo_column=embargo_column,
        sharing_group_column=sharing_group_column,
        now=now,
    )


# --- TAXII collections (issue 5) ---------------------------------------------------------
#
# The TAXII server (sharing/taxii*.py) offers one collection per TLP level and sharing
# group. Which collections a reader is offered at all (also docs/taxii.md):
# - the CLEAR collection: anyone, anonymous included;
# - the GREEN collection: any authenticated principal (the community);
# - a group's AMBER collection: the members of the group (`Principal.amber_groups`);
# - a group's RED collection: the people named in the group (`Principal.red_groups`);
# - nothing else (AMBER and RED without a group, AMBER+STRICT: the owner's own; operators
#   are not offered groups they are not in). A collection not offered is a 404.
# What a reader gets out of an offered collection is still cut by `visible_filter`.


def taxii_collection_offered(
    principal: Principal, tlp: Tlp, sharing_group_id: int | None
) -> Decision:
    """Is `principal` offered the TAXII collection of label `tlp` (and sharing group)?"""
    if sharing_group_id is None:
        if tlp is Tlp.CLEAR:
            return _allow("the TLP:CLEAR collection is for everyone")
        if tlp is Tlp.GREEN and principal.is_authenticated:
            return _allow("the TLP:GREEN collection is for the community")
        if tlp is Tlp.GREEN:
            return _deny("the TLP:GREEN collection needs a token")
        return _deny(f"no collection serves TLP:{tlp} without a sharing group")
    if tlp is Tlp.AMBER and sharing_group_id in principal.amber_groups:
        return _allow("a group's TLP:AMBER collection is for its members")
    if tlp is Tlp.RED and sharing_group_id in principal.red_groups:
        return _allow("a group's TLP:RED collection is for the people named in it")
    return _deny("a group's collections are for its members only")
