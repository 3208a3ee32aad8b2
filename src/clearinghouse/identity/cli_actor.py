"""Who a CLI command acts as: the machine's owner (an operator), or with `--as EMAIL` that person.

Every area's commands take `--as`; they resolve it here, once, so that acting as someone
means the same everywhere and the policy decides exactly as it would for that person's
API token.
"""

from __future__ import annotations

import getpass
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from sqlalchemy import select
from sqlalchemy.orm import Session

from clearinghouse.identity.errors import IdentityError
from clearinghouse.identity.models import User
from clearinghouse.identity.principal import Principal, local_operator, principal_for

AsOption = Annotated[
    str | None, typer.Option("--as", help="Act as this user (e-mail) instead of the operator")
]


class UnknownActor(IdentityError):
    title = "Unknown user for --as"


def cli_principal(session: Session, as_email: str | None) -> Principal:
    """The local operator (named after the login user), or the active user `as_email`."""
    if as_email is None:
        try:
            name = getpass.getuser()
        except (KeyError, OSError):
            name = "cli"
        return local_operator(name)
    user = session.scalar(select(User).where(User.email == as_email.strip().lower()))
    if user is None or not user.active:
        raise UnknownActor(f"no active user {as_email!r}")
    return principal_for(user)


@contextmanager
def acting_as(as_email: str | None, *, write: bool = True) -> Iterator[tuple[Session, Principal]]:
    """A session on the configured database and the principal the command acts as."""
    from clearinghouse.storage import open_database

    db = open_database()
    try:
        with db.session() if write else db.read_session() as session:
            yield session, cli_principal(session, as_email)
    finally:
        db.dispose()
