"""`kafkatask dashboard`: serve the monitoring dashboard (see docs/dashboard.md)."""

from __future__ import annotations

import click

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
    help="package.module[:app] of the App; else an App from KAFKATASK_* settings.",
)
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", type=click.IntRange(min=0, max=65535), default=5555, show_default=True)
@click.option(
    "--window",
    type=click.IntRange(min=100),
    default=None,
    help="Recent tasks kept in memory [settings.dashboard_window, 10000].",
)
@click.option(
    "--lag-interval",
    type=click.FloatRange(min=0.5),
    default=5.0,
    show_default=True,
    help="Seconds between consumer lag samples.",
)
@click.option(
    "--refresh",
    type=click.FloatRange(min=0),
    default=2.0,
    show_default=True,
    help="Seconds between live updates of an open page (0: off).",
)
@click.option(
    "-l",
    "--loglevel",
    type=click.Choice(LEVELS, case_sensitive=False),
    default="info",
    show_default=True,
)
def dashboard(
    *,
    app_spec: str | None,
    host: str,
    port: int,
    window: int | None,
    lag_interval: float,
    refresh: float,
    loglevel: str,
) -> None:
    """Monitor workers, tasks, consumer lag and dead letters in the browser.

    Credentials come from KAFKATASK_DASHBOARD_TOKEN (bearer token) or
    KAFKATASK_DASHBOARD_USERNAME and KAFKATASK_DASHBOARD_PASSWORD (HTTP basic). Without them
    the dashboard only listens on loopback.
    """
    import uvicorn

    from kafkatask.dashboard import Credentials, Dashboard, create_app, is_loopback

    configure_logging(loglevel)
    app = load_app(app_spec) if app_spec else App()
    try:
        credentials = Credentials.from_settings(app.settings)
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from None
    if not credentials.configured and not is_loopback(host):
        raise click.ClickException(
            f"refusing to listen on {host} without credentials: set KAFKATASK_DASHBOARD_TOKEN "
            "(or KAFKATASK_DASHBOARD_USERNAME and KAFKATASK_DASHBOARD_PASSWORD), or use "
            "--host 127.0.0.1"
        )
    board = Dashboard(
        app, window=window, lag_interval=lag_interval, refresh=refresh, credentials=credentials
    )
    click.echo(f"kafkatask dashboard for namespace {app.settings.namespace}: http://{host}:{port}/")
    uvicorn.run(
        create_app(board),
        host=host,
        port=port,
        log_level=loglevel.lower(),
        access_log=loglevel.lower() == "debug",
        timeout_graceful_shutdown=SERVER_SHUTDOWN_GRACE,
    )
