"""`csm slack ...`: run the Slack bot, post the weekly scan and the alerts, print the manifest.

`serve` answers Slack (HTTP on /slack/events, or `--socket` for Socket Mode) until SIGTERM
or Ctrl-C, letting the answers in flight finish; at start-up it completes the CRM writes an
interrupted worker left pending. `post-scan` and `post-alerts` are one-shot commands for a
scheduler (cron, a Kubernetes CronJob).
Settings come from the environment: SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET, SLACK_APP_TOKEN,
CSM_SLACK_API_URL, CSM_SLACK_ADMINS, CSM_DATABASE_URL (see docs/slack.md).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Annotated

import typer

from agent.cli.app import AsOf, CliError, Json, app, friendly_errors, today

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from memory.store import Store

slack_app = typer.Typer(
    name="slack",
    help="The Slack bot: serve it, post the weekly scan and alerts, print its app manifest.",
    no_args_is_help=True,
)
app.add_typer(slack_app, name="slack")


@slack_app.command()
@friendly_errors
def serve(
    port: Annotated[int, typer.Option("--port", help="HTTP port to listen on.")] = 3000,
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "0.0.0.0",
    socket: Annotated[
        bool, typer.Option("--socket", help="Use Socket Mode (SLACK_APP_TOKEN), no public URL.")
    ] = False,
    threads: Annotated[
        int, typer.Option("--threads", min=1, help="Answers computed at once by this worker.")
    ] = 4,
) -> None:
    """Run the Slack bot: @csm mentions, DMs, /csm and the approval buttons.

    HTTP mode serves events, commands and interactivity on /slack/events (put TLS in front);
    --socket connects out to Slack instead. Needs SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET.

    Example: SLACK_BOT_TOKEN=xoxb-... SLACK_SIGNING_SECRET=... csm slack serve --port 3000
    """
    from agent.settings import get_settings
    from connectors.slack.runtime import SlackBot
    from connectors.slack.server import http_server, serve_http, serve_socket

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s %(message)s")
    settings = get_settings()
    if socket and settings.slack_app_token is None:
        raise CliError("--socket needs SLACK_APP_TOKEN (an app-level token, xapp-...)", 2)
    try:
        bot = SlackBot.open(settings, threads=threads)
    except ValueError as err:
        raise CliError(str(err), 2) from None
    try:
        resumed = bot.resume_writes(settings.crm_backend)
        if resumed:
            done = sum(o.result != "failed" for o in resumed)
            typer.echo(f"Resumed {len(resumed)} interrupted CRM write(s): {done} written")
        worker = bot.conversations.worker
        if socket:
            assert settings.slack_app_token is not None
            serve_socket(bot.app, settings.slack_app_token.get_secret_value(), worker)
            return
        server = http_server(bot.app, port, host)
        typer.echo(
            f"csm Slack bot listening on http://{host}:{server.server_address[1]}/slack/events"
        )
        serve_http(server, worker)
    finally:
        bot.close()


@slack_app.command("post-scan")
@friendly_errors
def post_scan(
    channel: Annotated[str, typer.Option("--channel", help="Channel id to post to, e.g. C0123.")],
    as_of: AsOf = None,
    json: Json = False,
) -> None:
    """Post the weekly health scan (top 3 accounts and the pattern) to a channel.

    Every account is scanned: post it to a channel of people who may see them all. Run it
    from a scheduler, e.g. cron `0 8 * * MON`.

    Example: csm slack post-scan --channel C0123ABCD
    """
    from connectors.slack.proactive import post_scan as post

    client, store = _client_and_store()
    try:
        report = post(client, store, channel, as_of or today())
    finally:
        store.dispose()
    if json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        typer.echo(f"Posted the weekly scan to {channel}: {', '.join(report.accounts) or 'none'}")


@slack_app.command("post-alerts")
@friendly_errors
def post_alerts(as_of: AsOf = None, json: Json = False) -> None:
    """DM each CSM the health alerts of their accounts: tier drops, score drops, decline.

    The owner (accounts.csm) is found in Slack by e-mail: the owner itself, or the e-mail
    the workspace profile maps it to (owner_emails), never by name. Owners not found, and
    those Slack refused, are listed. Run it daily from a scheduler.

    Example: csm slack post-alerts --json
    """
    from agent.settings import get_settings
    from connectors.slack.proactive import post_alerts as post
    from memory.workspace import load_profile

    client, store = _client_and_store()
    try:
        owner_emails = load_profile(get_settings().home).owner_emails
        report = post(client, store, as_of or today(), owner_emails)
    finally:
        store.dispose()
    if json:
        typer.echo(report.model_dump_json(indent=2))
        return
    for d in report.delivered:
        typer.echo(f"{d.owner} ({d.slack_user}): {len(d.alerts)} alert(s)")
    for d in report.unmatched:
        typer.echo(f"{d.owner}: not found in Slack, {len(d.alerts)} alert(s) not sent", err=True)
    for d in report.failed:
        typer.echo(f"{d.owner}: Slack said {d.error}, {len(d.alerts)} alert(s) not sent", err=True)


@slack_app.command()
def manifest(
    url: Annotated[
        str | None,
        typer.Option("--url", help="Public base URL of `csm slack serve`; omit for Socket Mode."),
    ] = None,
    name: Annotated[str, typer.Option("--name", help="The app's name in Slack.")] = "csm",
) -> None:
    """Print the Slack app manifest (YAML): scopes, events, /csm, interactivity.

    Example: csm slack manifest --url https://csm.example.com > manifest.yaml
    """
    from connectors.slack.manifest import manifest_yaml

    typer.echo(manifest_yaml(url, name), nl=False)


def _client_and_store() -> tuple[WebClient, Store]:
    from agent.cli.context import current_store
    from agent.settings import get_settings
    from connectors.slack.app import web_client

    settings = get_settings()
    if settings.slack_bot_token is None:
        raise CliError("SLACK_BOT_TOKEN is not set: copy the bot token (xoxb-...) of the app", 2)
    return web_client(settings), current_store()
