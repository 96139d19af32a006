"""The `marea` command: one entry point for organisers, participants and operators."""

from __future__ import annotations

import typer

from app.core.settings import get_settings

cli = typer.Typer(
    name="marea",
    help="Marea: challenges, sandboxed scoring and live leaderboards for city hackathons.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Interface to listen on."),
    port: int = typer.Option(8000, help="Port to listen on."),
    workers: int = typer.Option(1, help="Web processes."),
) -> None:
    """Serve the web site and the JSON API."""
    import uvicorn

    from app.core.runtime import open_runtime
    from app.web.server import PROTOCOL

    settings = get_settings()
    open_runtime(settings)  # migrate once, before any web process starts
    # PROTOCOL closes clients that trickle their headers or stall their uploads (app/web/server.py).
    uvicorn.run(
        "app.asgi:app",
        host=host,
        port=port,
        workers=workers,
        proxy_headers=True,
        http=PROTOCOL,
        access_log=settings.access_log,
    )


@cli.command()
def migrate() -> None:
    """Bring the database to the latest migration."""
    from app.core.runtime import open_runtime

    runtime = open_runtime(get_settings())
    typer.echo(f"database at the latest migration: {runtime.engine.url.render_as_string()}")


def _register_subcommands() -> None:
    from app.cli.challenge import challenge_app
    from app.cli.challenge_load import register_load
    from app.cli.event import event_app
    from app.cli.judge import judge
    from app.cli.sandbox import sandbox_app
    from app.cli.store import store_app
    from app.cli.submit import submit
    from app.cli.user import user_app
    from app.cli.worker import worker

    register_load(challenge_app)
    cli.add_typer(challenge_app, name="challenge", help="Validate and load challenge bundles.")
    cli.add_typer(event_app, name="event", help="Validate and load events (event.yaml).")
    cli.add_typer(sandbox_app, name="sandbox", help="Build and check the sandbox runner image.")
    cli.add_typer(user_app, name="user", help="Manage user accounts.")
    cli.add_typer(store_app, name="store", help="Move the site's files between stores.")
    cli.command("worker")(worker)
    cli.command("judge")(judge)
    cli.command("submit")(submit)


_register_subcommands()


def main() -> None:
    cli()
