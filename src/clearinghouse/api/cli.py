"""`clearinghouse serve`: the API and the pages, under uvicorn."""

from __future__ import annotations

from typing import Annotated

import typer


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8000,
    workers: Annotated[
        int, typer.Option(min=1, help="Worker processes (set CLEARINGHOUSE_SECRET_KEY if > 1)")
    ] = 1,
) -> None:
    """Serve the REST API (/api/v1) and the web pages (/) from CLEARINGHOUSE_DATABASE_URL."""
    import uvicorn

    uvicorn.run(
        "clearinghouse.api.app:create_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        server_header=False,
    )


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
