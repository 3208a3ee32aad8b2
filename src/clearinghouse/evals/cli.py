"""`clearinghouse bench ...`: run the battery, load restricted items, determine coverage.

Commands act as the local operator, or with `--as EMAIL` as that person (a reviewer on
the instance). `bench run` runs in the foreground with a progress bar, or with
`--queue` hands the run to the workers. Nothing printed here carries a credential, a
restricted item's text or the canary.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from clearinghouse.clock import SystemClock
from clearinghouse.identity.cli_actor import AsOption, cli_principal
from clearinghouse.storage import Database

bench_app = typer.Typer(
    help="Benchmark battery: runs on Inspect, restricted items, coverage.", no_args_is_help=True
)
out = Console(highlight=False)

JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON for machines")]


@contextmanager
def _database() -> Iterator[Database]:
    from clearinghouse.storage import open_database

    db = open_database()
    try:
        yield db
    finally:
        db.dispose()


def _print_json(value: Any) -> None:
    typer.echo(json.dumps(value, indent=2, sort_keys=True, default=str))


@bench_app.command("suites")
def suites_command(as_json: JsonOption = False) -> None:
    """The suites this instance can run."""
    from clearinghouse.evals.runs import available_suites

    found = {
        name: {"domain": spec.domain, "title": str(getattr(spec, "title", name))}
        for name, spec in sorted(available_suites().items())
    }
    if as_json:
        _print_json(found)
        return
    for name, facts in found.items():
        out.print(f"{name}  [dim]({facts['domain']})[/dim]  {facts['title']}")
    if not found:
        out.print("[dim]no suites installed[/dim]")


@bench_app.command("run")
def run_command(
    model: Annotated[int, typer.Option("--model", help="The model version's id")],
    suite: Annotated[str, typer.Option(help="Suite name (see `bench suites`)")],
    review: Annotated[int | None, typer.Option(help="Record the run in this review")] = None,
    limit: Annotated[int | None, typer.Option(help="At most this many items")] = None,
    epochs: Annotated[int, typer.Option(help="Attempts per item (pass@k)")] = 1,
    seed: Annotated[int | None, typer.Option(help="Seed (default: fresh)")] = None,
    target: Annotated[
        str | None, typer.Option(help="Inspect model name instead of the version's API")
    ] = None,
    served_model: Annotated[
        str | None, typer.Option(help="Model name the endpoint is asked for")
    ] = None,
    item_set: Annotated[str | None, typer.Option(help="Restricted item set (name)")] = None,
    queue: Annotated[bool, typer.Option("--queue", help="Hand it to the workers")] = False,
    as_email: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Run a suite against a model version, in the foreground with a progress bar."""
    from clearinghouse.evals.runs import enqueue_run, execute_run, queue_run
    from clearinghouse.evals.views import run_card
    from clearinghouse.settings import get_settings

    settings = get_settings()
    with _database() as db:
        with db.session() as session:
            principal = cli_principal(session, as_email)
            run_id = queue_run(
                session,
                principal,
                model_version_id=model,
                review_id=review,
                suite=suite,
                limit=limit,
                epochs=epochs,
                seed=seed,
                target=target,
                served_model=served_model,
                item_set_name=item_set,
                now=SystemClock().now(),
            ).id
        if queue:
            enqueue_run(settings, run_id)
            out.print(f"run {run_id} queued; `clearinghouse worker` runs it")
            return
        columns = (
            TextColumn(f"run {run_id} · {suite}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, console=Console(stderr=True), disable=as_json) as bar:
            task = bar.add_task("samples", total=None)

            def advance(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            outcome = execute_run(
                db, run_id, encryption_key=settings.encryption_key, progress=advance
            )
        with db.read_session() as session:
            from clearinghouse.evals.models import EvalRun

            row = session.get(EvalRun, run_id)
            assert row is not None
            card = run_card(session, row, "reviewer")
    if as_json:
        _print_json(card.as_dict())
    else:
        _print_card(card)
    if outcome.error:
        raise typer.Exit(1)


def _print_card(card: Any) -> None:
    out.print(
        f"run {card.id}: {card.suite} {card.status} ({card.samples_done}/{card.samples_total})"
    )
    if card.error:
        out.print(f"[red]{card.error}[/red]")
    if card.summary is None or card.summary.overall is None:
        return
    table = Table("scope", "n", "groups", "mean", "SE", "95% CI")
    rows = [("overall", card.summary.overall)]
    rows += [(f"domain {name}", e) for name, e in sorted(card.summary.domains.items())]
    rows += [(f"pass@{k}", e) for k, e in sorted(card.summary.pass_at.items())]
    for name, e in rows:
        se = f"{e.standard_error:.4f}" if e.standard_error is not None else "n/a"
        table.add_row(
            name,
            str(e.n),
            str(e.clusters),
            f"{e.mean:.4f}",
            se,
            f"[{e.lower:.4f}, {e.upper:.4f}]",
        )
    out.print(table)


@bench_app.command("list")
def list_command(
    review: Annotated[int | None, typer.Option(help="Only this review's runs")] = None,
    as_email: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Runs, newest first."""
    from clearinghouse.evals.runs import all_runs, review_runs
    from clearinghouse.evals.views import run_card

    with _database() as db, db.read_session() as session:
        principal = cli_principal(session, as_email)
        if review is not None:
            found, view = review_runs(session, principal, review, now=SystemClock().now())
        else:
            found, view = all_runs(session, principal), "reviewer"
        cards = [run_card(session, run, view) for run in found]
    if as_json:
        _print_json([c.as_dict() for c in cards])
        return
    for card in cards:
        accuracy = ""
        if card.summary and card.summary.overall:
            accuracy = f"  accuracy {card.summary.overall.mean:.3f}"
        out.print(
            f"{card.id}  {card.suite}  {card.status}  "
            f"{card.samples_done}/{card.samples_total}{accuracy}"
        )


@bench_app.command("show")
def show_command(
    run_id: Annotated[int, typer.Argument(help="The run's id")],
    as_email: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """One run: progress and aggregate scores."""
    from clearinghouse.evals.runs import visible_run
    from clearinghouse.evals.views import run_card
    from clearinghouse.identity.policy import EvalAction

    with _database() as db, db.read_session() as session:
        principal = cli_principal(session, as_email)
        run, view = visible_run(
            session, principal, run_id, now=SystemClock().now(), action=EvalAction.run_read
        )
        card = run_card(session, run, view)
    if as_json:
        _print_json(card.as_dict())
    else:
        _print_card(card)


@bench_app.command("load-items")
def load_items_command(
    file: Annotated[Path, typer.Argument(help="JSON array or JSON Lines of items", exists=True)],
    name: Annotated[str, typer.Option("--name", help="The set's name")],
    as_email: AsOption = None,
) -> None:
    """Load a restricted item set: validated, stamped with the canary, stored encrypted."""
    from clearinghouse.evals.restricted import load_item_file
    from clearinghouse.settings import get_settings

    with _database() as db, db.session() as session:
        principal = cli_principal(session, as_email)
        row = load_item_file(
            session,
            principal,
            path=file,
            name=name,
            now=SystemClock().now(),
            encryption_key=get_settings().encryption_key,
        )
        out.print(f"item set {row.id} loaded: {row.name!r}, {row.item_count} items (encrypted)")


@bench_app.command("item-sets")
def item_sets_command(as_email: AsOption = None, as_json: JsonOption = False) -> None:
    """Restricted item sets by name and size (never their items)."""
    from clearinghouse.evals.restricted import list_item_sets

    with _database() as db, db.read_session() as session:
        found = list_item_sets(session, cli_principal(session, as_email))
    if as_json:
        _print_json([{"id": i.id, "name": i.name, "item_count": i.item_count} for i in found])
        return
    for info in found:
        out.print(f"{info.id}  {info.name}  {info.item_count} items  loaded by {info.loaded_by}")


@bench_app.command("determine")
def determine_command(
    run_ids: Annotated[list[int], typer.Argument(help="Finished runs of one model version")],
    policy: Annotated[int | None, typer.Option(help="Policy version (default: newest)")] = None,
    as_email: AsOption = None,
    as_json: JsonOption = False,
) -> None:
    """Determine coverage from stored results under a policy version (no rerun)."""
    from clearinghouse.evals.determinations import redetermine
    from clearinghouse.evals.views import determination_card

    with _database() as db, db.session() as session:
        principal = cli_principal(session, as_email)
        row = redetermine(
            session, principal, run_ids=run_ids, policy_version=policy, now=SystemClock().now()
        )
        card = determination_card(row)
    if as_json:
        _print_json(card.as_dict())
        return
    verdict = "covered" if card.covered else "not covered"
    out.print(f"determination {card.id} (policy v{card.policy_version}): {verdict}")
    out.print(card.explanation)


@bench_app.command("policies")
def policies_command(as_json: JsonOption = False) -> None:
    """The published coverage policy versions."""
    from clearinghouse.evals.determinations import list_policies

    with _database() as db, db.session() as session:
        found = list_policies(session)
    if as_json:
        _print_json(
            [
                {
                    "version": p.version,
                    "title": p.title,
                    "domains": {d.id: d.threshold for d in p.domains},
                    "compute_limit_flop": p.compute_limit_flop,
                    "sha256": p.sha256,
                }
                for p in found
            ]
        )
        return
    for p in found:
        thresholds = ", ".join(f"{d.id} {d.threshold:.2f}" for d in p.domains)
        out.print(f"v{p.version} ({p.effective}) {p.title}: {thresholds}")


@bench_app.command("policy-publish")
def policy_publish_command(
    file: Annotated[Path, typer.Argument(help="The policy's YAML", exists=True)],
    as_email: AsOption = None,
) -> None:
    """Publish a new coverage policy version (operators)."""
    from clearinghouse.evals.determinations import publish_policy

    with _database() as db, db.session() as session:
        policy = publish_policy(
            session,
            cli_principal(session, as_email),
            file.read_text(encoding="utf-8"),
            source=file.name,
        )
    out.print(f"coverage policy version {policy.version} published ({policy.sha256[:12]})")


@bench_app.command("compare")
def compare_command(
    a: Annotated[int, typer.Argument(help="Run A")],
    b: Annotated[int, typer.Argument(help="Run B")],
    as_email: AsOption = None,
) -> None:
    """Paired comparison of two runs on their shared items (A minus B)."""
    from clearinghouse.evals.determinations import run_samples
    from clearinghouse.evals.runs import visible_run
    from clearinghouse.evals.statistics import item_scores, paired_difference
    from clearinghouse.identity.policy import EvalAction

    with _database() as db, db.read_session() as session:
        principal = cli_principal(session, as_email)
        scored = []
        for run_id in (a, b):
            run, _ = visible_run(
                session, principal, run_id, now=SystemClock().now(), action=EvalAction.run_read
            )
            scored.append(item_scores(run_samples(session, [run.id])))
    result = paired_difference(scored[0], scored[1])
    out.print(f"{result.items} shared items ({result.only_a} only in A, {result.only_b} only in B)")
    if result.difference is not None:
        d = result.difference
        se = f"{d.standard_error:.4f}" if d.standard_error is not None else "n/a"
        out.print(f"A - B = {d.mean:+.4f} (SE {se}, 95% CI [{d.lower:+.4f}, {d.upper:+.4f}])")


def register(app: typer.Typer) -> None:
    app.add_typer(bench_app, name="bench")
