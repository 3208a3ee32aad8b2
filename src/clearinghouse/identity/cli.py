"""`clearinghouse org|user|token ...`: manage who may use this instance, as the local operator."""

from __future__ import annotations

import getpass
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from clearinghouse.identity.models import OrgKind, Role, User
from clearinghouse.identity.policy import Action, require
from clearinghouse.identity.principal import Principal, local_operator

org_app = typer.Typer(help="Organisations taking part in this instance.", no_args_is_help=True)
user_app = typer.Typer(help="The people of each organisation.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens (bearer secrets).", no_args_is_help=True)


def _operator() -> Principal:
    # The audit log names the account that ran the command; containers may have none.
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "cli"
    return local_operator(name)


@contextmanager
def _transaction(action: Action) -> Iterator[tuple[Session, Principal]]:
    from clearinghouse.storage import open_database

    principal = _operator()
    require(principal, action)
    db = open_database()
    try:
        with db.session() as session:
            yield session, principal
    finally:
        db.dispose()


@org_app.command("add")
def org_add(
    slug: Annotated[str, typer.Argument(help="Short name: lower-case letters, digits, dashes")],
    name: Annotated[str, typer.Option("--name", help="Full name")],
    kind: Annotated[OrgKind, typer.Option("--kind", help="What the organisation is")],
) -> None:
    """Add an organisation."""
    from clearinghouse.identity.service import create_organisation

    with _transaction(Action.org_manage) as (session, principal):
        org = create_organisation(session, slug=slug, name=name, kind=kind, actor=principal.actor)
        typer.echo(f"organisation {org.slug} added ({org.kind.value})")


@org_app.command("list")
def org_list() -> None:
    """List the organisations, with how many users each has."""
    from clearinghouse.identity.service import list_organisations

    with _transaction(Action.org_manage) as (session, _):
        counts: dict[int, int] = {
            org_id: n
            for org_id, n in session.execute(
                select(User.organisation_id, func.count()).group_by(User.organisation_id)
            )
        }
        table = Table("slug", "name", "kind", "users", "created")
        for org in list_organisations(session):
            table.add_row(
                org.slug,
                org.name,
                org.kind.value,
                str(counts.get(org.id, 0)),
                org.created_at.strftime("%Y-%m-%d"),
            )
    Console(width=200).print(table)


def _read_password(from_stdin: bool) -> str | None:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    if sys.stdin.isatty():
        password: str = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
        return password
    # Nobody to ask: the user signs in with API tokens only until a password is set.
    return None


@user_app.command("add")
def user_add(
    email: Annotated[str, typer.Argument(help="E-mail address (the login)")],
    org: Annotated[str, typer.Option("--org", help="Slug of the user's organisation")],
    role: Annotated[Role, typer.Option("--role", help="What the user does here")],
    name: Annotated[str, typer.Option("--name", help="Full name")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Add a user; asks for a password on a terminal, else creates an API-token-only user."""
    from clearinghouse.identity.service import create_user

    password = _read_password(password_stdin)
    with _transaction(Action.user_manage) as (session, principal):
        user = create_user(
            session,
            email=email,
            org_slug=org,
            role=role,
            actor=principal.actor,
            name=name,
            password=password,
        )
        how = "with a password" if password is not None else "without a password (API tokens only)"
        typer.echo(f"user {user.email} added to {org} as {user.role.value}, {how}")


@user_app.command("list")
def user_list(
    org: Annotated[str | None, typer.Option("--org", help="Only this organisation")] = None,
) -> None:
    """List users."""
    from clearinghouse.identity.service import list_users

    with _transaction(Action.user_manage) as (session, _):
        table = Table("email", "name", "organisation", "role", "active", "password")
        for user in list_users(session, org_slug=org):
            table.add_row(
                user.email,
                user.name,
                user.organisation.slug,
                user.role.value,
                "yes" if user.active else "no",
                "yes" if user.password_hash else "no",
            )
    Console(width=200).print(table)


@token_app.command("create")
def token_create(
    email: Annotated[str, typer.Argument(help="The user the token acts as")],
    name: Annotated[str, typer.Option("--name", help="What the token is for")],
    expires_days: Annotated[
        int, typer.Option("--expires-days", help="Lifetime in days; 0 for no expiry", min=0)
    ] = 90,
) -> None:
    """Create an API token and print its secret, once."""
    from clearinghouse.identity.service import get_user
    from clearinghouse.identity.tokens import create_token

    with _transaction(Action.user_manage) as (session, principal):
        user = get_user(session, email)
        token, secret = create_token(
            session,
            user=user,
            name=name,
            actor=principal.actor,
            expires_in_days=expires_days or None,
        )
        expiry = token.expires_at.strftime("%Y-%m-%d") if token.expires_at else "never"
    typer.echo(f"token {token.id} ({token.prefix}…) for {user.email}, expires {expiry}")
    typer.echo(secret)
    typer.echo("Copy it now: this secret will not be shown again.")


@token_app.command("revoke")
def token_revoke(token_id: Annotated[int, typer.Argument(help="The token's id")]) -> None:
    """Revoke an API token."""
    from clearinghouse.identity.tokens import revoke_token

    with _transaction(Action.user_manage) as (session, principal):
        revoke_token(session, token_id=token_id, actor=principal.actor)
    typer.echo(f"token {token_id} revoked")


def register(app: typer.Typer) -> None:
    app.add_typer(org_app, name="org")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
