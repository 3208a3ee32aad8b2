"""Organisations, users, API tokens, web sessions, and the one module that decides access."""

from clearinghouse.identity.policy import Action, Decision, decide, require, visible_filter
from clearinghouse.identity.principal import ANONYMOUS, Principal, local_operator, principal_for
from clearinghouse.identity.tlp import Tlp

__all__ = [
    "ANONYMOUS",
    "Action",
    "Decision",
    "Principal",
    "Tlp",
    "decide",
    "local_operator",
    "principal_for",
    "require",
    "visible_filter",
]
