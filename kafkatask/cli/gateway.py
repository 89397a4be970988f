"""`kafkatask gateway`: serve an app's tasks over HTTP (see docs/gateway.md)."""

from __future__ import annotations

from pathlib import Path

import click
from pydantic import ValidationError

from kafkatask.app import App
from kafkatask.cli.common import LEVELS, SERVER_SHUTDOWN_GRACE, configure_logging
from kafkatask.cli.loading import load_app
from kafkatask.exceptions import ConfigurationError


@click.command()
@click.option(
    "-A",
    "--app",
    "app_spec",
    default=None,
    help="package.module[:app] of the App whose tasks to serve; else an App from KAFKATASK_* "
    "settings.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=8000, show_default=True)
@click.option(
    "--task",
    "tasks",
    multiple=True,
    help="Serve this task (repeat for several) [every task the app registers].",
)
@click.option(
    "--keys",
    "keys_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A TOML or JSON file of API keys [settings: KAFKATASK_GATEWAY_KEYS_FILE].",
)
@click.option(
    "-l",
    "--loglevel",
    type=click.Choice(LEVELS, case_sensitive=False),
    default="info",
    show_default=True,
)
def gateway(
    *,
    app_spec: str | None,
    host: str,
    port: int,
    tasks: tuple[str, ...],
    keys_file: Path | None,
    loglevel: str,
) -> None:
    """Serve tasks over HTTP: LangServe's invoke, batch and stream, resumable SSE, WebSocket.

    API keys come from KAFKATASK_GATEWAY_KEYS (JSON) and from a keys file (--keys, or
    KAFKATASK_GATEWAY_KEYS_FILE). Without any, the gateway only listens on loopback.
    """
    import uvicorn

    from kafkatask.gateway import GatewaySettings, create_app
    from kafkatask.gateway.keys import describe
    from kafkatask.web.hosts import is_loopback

    configure_logging(loglevel)
    app = load_app(app_spec) if app_spec else App()
    try:
        settings = GatewaySettings()
        if keys_file is not None:
            settings = settings.model_copy(update={"keys_file": keys_file})
        asgi = create_app(app, expose=tasks or None, settings=settings)
    except ValidationError as error:  # its text would show the values, and keys are secrets
        raise click.ClickException(f"invalid gateway settings: {describe(error)}") from None
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None
    served = asgi.state.gateway
    if not served.keys.configured and not is_loopback(host):
        raise click.ClickException(
            f"refusing to listen on {host} without API keys: set KAFKATASK_GATEWAY_KEYS or "
            "KAFKATASK_GATEWAY_KEYS_FILE (or pass --keys), or use --host 127.0.0.1"
        )
    paths = ", ".join(f"/{task.path}" for task in served.tasks) or "none"
    click.echo(f"kafkatask gateway for namespace {app.settings.namespace}: http://{host}:{port}/")
    click.echo(f"  {len(served.tasks)} tasks: {paths}; API page: /docs")
    uvicorn.run(
        asgi,
        host=host,
        port=port,
        log_level=loglevel.lower(),
        access_log=loglevel.lower() == "debug",
        timeout_graceful_shutdown=SERVER_SHUTDOWN_GRACE,
    )
