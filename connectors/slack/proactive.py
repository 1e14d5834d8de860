"""What csm posts unasked, run by a scheduler: the weekly scan and the health alerts.

`post_scan` posts the weekly scan's top 3 accounts (each with its one action) and the
portfolio pattern to a channel. `post_alerts` scores every active account with its trend
and sends each owning CSM, by DM, the alerts of commands.md that fired: a drop of more than
15 points in 7 days, entering orange or red, 30 days of decline, leaving green. Both are
plain commands (`csm slack post-scan`, `csm slack post-alerts`) for cron or a Kubernetes
CronJob; each returns a pydantic report of what it sent.

An owner is found in Slack by e-mail only (`users.lookupByEmail`), as connectors.slack.identity
maps users to books: the owner itself when it is an e-mail, else the e-mail the workspace
profile maps it to (`owner_emails`); never by a name, which anyone can set on their profile.
Owners are grouped ignoring case, as books are. A Slack error for one owner (a deactivated
user) is recorded in the report and the others still get their alerts.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field

from connectors.slack import blocks as kit
from connectors.slack.identity import normalise_owner_emails, owner_email, owner_key, trusted

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from memory.store import Store
    from tools.health import HealthResult
    from tools.weekly import WeeklyScanResult

log = logging.getLogger(__name__)


class ScanPost(BaseModel):
    """What `post_scan` posted."""

    channel: str
    ts: str | None
    accounts: list[str] = Field(description="the priority accounts' names, in order")
    pattern: str | None = None


class AlertDelivery(BaseModel):
    """The alerts sent to one CSM."""

    owner: str = Field(description="the accounts' owner (accounts.csm)")
    email: str | None = Field(None, description="the owner's e-mail looked up in Slack")
    slack_user: str | None = Field(None, description="their Slack user id; None = not found")
    channel: str | None = None
    alerts: list[str] = Field(default_factory=list, description="'Account: message' lines")
    error: str | None = Field(None, description="why the alerts could not be sent")


class AlertsReport(BaseModel):
    """What `post_alerts` sent, and to whom it could not."""

    as_of: date
    accounts_scored: int
    delivered: list[AlertDelivery] = Field(default_factory=list)
    unmatched: list[AlertDelivery] = Field(
        default_factory=list,
        description="owners with alerts but no Slack user found (no e-mail, none mapped, a "
        "guest or a deactivated user)",
    )
    failed: list[AlertDelivery] = Field(
        default_factory=list, description="owners whose alerts Slack refused (see `error`)"
    )


# --- the weekly scan ----------------------------------------------------------------------


def post_scan(client: WebClient, store: Store, channel: str, as_of: date) -> ScanPost:
    """Run the weekly scan over every account and post its top 3 and the pattern."""
    from agent.command_args import ScanArgs
    from agent.command_runs import RunContext, scan

    result: WeeklyScanResult = scan(ScanArgs(), RunContext(as_of, store, "csm-bot"))  # type: ignore[assignment]
    message = scan_message(result)
    response = client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks)
    return ScanPost(
        channel=channel,
        ts=response.get("ts"),
        accounts=[a.name for a in result.priority],
        pattern=result.pattern.summary if result.pattern else None,
    )


def scan_message(result: WeeklyScanResult) -> kit.Message:
    """Render the weekly scan for a channel: the top 3 with their action, then the pattern."""
    blocks: list[dict[str, Any]] = [kit.header(f"Weekly health scan: {result.as_of}")]
    lines = []
    for i, item in enumerate(result.priority, 1):
        risk = f"churn risk {item.churn_risk}" if item.churn_risk else "no churn signal"
        why = "; ".join(item.reasons[:3])
        text = (
            f"*{i}. {kit.safe(item.name)}*: ARR ${item.arr:,.0f}, {risk}\n"
            f"*Action:* {kit.safe(item.action)}" + (f"\n_Why:_ {kit.safe(why)}" if why else "")
        )
        blocks += kit.text_sections_raw(text)
        lines.append(f"{i}. {item.name}: {item.action}")
    if not result.priority:
        blocks += kit.text_sections_raw("No account needs attention this week.")
    if result.pattern is not None:
        blocks.append({"type": "divider"})
        blocks += kit.text_sections_raw(f"*Pattern:* {kit.safe(result.pattern.summary)}")
        lines.append(f"Pattern: {result.pattern.summary}")
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"As of {result.as_of} · {result.qualifying} accounts qualified · "
                    "`csm scan --all` lists them all",
                }
            ],
        }
    )
    text = kit.fallback_text("Weekly health scan\n" + "\n".join(lines))
    return kit.Message(text=text, blocks=kit.fit(blocks[:-1], blocks[-1:], "csm scan --json"))


# --- alerts -------------------------------------------------------------------------------


def post_alerts(
    client: WebClient,
    store: Store,
    as_of: date,
    owner_emails: dict[str, str] | None = None,
) -> AlertsReport:
    """Score every active account and DM each owning CSM the alerts of their accounts.

    Args:
        client: the Web API client.
        store: the account store.
        as_of: the date scored.
        owner_emails: the workspace profile's owner -> e-mail mapping (owners stored by name).
    """
    from slack_sdk.errors import SlackApiError

    by_owner, scored = owner_alerts(store, as_of)
    report = AlertsReport(as_of=as_of, accounts_scored=scored)
    people = SlackPeople(client, owner_emails or {})
    for owner, results in sorted(by_owner.items(), key=lambda item: owner_key(item[0])):
        lines = [f"{r.name}: {a.message}" for r in results for a in r.alerts]
        delivery = AlertDelivery(owner=owner, email=people.email(owner), alerts=lines)
        try:
            user = people.find(owner)
            if user is None:
                log.warning("no Slack user found for the account owner %r", owner)
                report.unmatched.append(delivery)
                continue
            delivery.slack_user = user
            channel = client.conversations_open(users=user)["channel"]["id"]
            message = alerts_message(results, as_of)
            client.chat_postMessage(channel=channel, text=message.text, blocks=message.blocks)
        except SlackApiError as err:
            error = str(err.response.get("error") or "slack_error")
            log.warning("alerts for %r not sent: %s", owner, error)
            report.failed.append(delivery.model_copy(update={"error": error}))
            continue
        report.delivered.append(delivery.model_copy(update={"channel": channel}))
    return report


def owner_alerts(store: Store, as_of: date) -> tuple[dict[str, list[HealthResult]], int]:
    """Return owner -> the scored accounts with alerts, and how many accounts were scored.

    Owners are grouped ignoring case and surrounding spaces ("Maya Chen" and "maya chen" are
    one CSM, as in books); the key is the first spelling met.
    """
    from agent.cli.analytics import NOT_READ, USAGE_DAYS
    from memory.read import load_portfolio
    from tools.health import score_account

    data = load_portfolio(
        store.engine, as_of, usage_days=USAGE_DAYS["score"], skip=NOT_READ["score"]
    )
    by_owner: dict[str, list[HealthResult]] = {}
    spelling: dict[str, str] = {}
    active = data.active_accounts(as_of)
    for account in active:
        result = score_account(data, account.account_id, as_of)
        owner = (account.account.csm or "").strip()
        if result.alerts and owner:
            owner = spelling.setdefault(owner_key(owner), owner)
            by_owner.setdefault(owner, []).append(result)
    return by_owner, len(active)


def alerts_message(results: list[HealthResult], as_of: date) -> kit.Message:
    """Render one CSM's alerts: per account, the score and tier, then each alert."""
    blocks: list[dict[str, Any]] = [kit.header(f"Health alerts: {as_of}")]
    lines = []
    for r in results:
        alerts = "\n".join(
            f"• {kit.safe(a.message)} (notify: {', '.join(a.notify)})" for a in r.alerts
        )
        score = "unknown" if r.score is None else f"{r.score}/100"
        blocks += kit.text_sections_raw(f"*{kit.safe(r.name)}*: {score}, {r.tier}\n{alerts}")
        lines += [f"{r.name}: {a.message}" for a in r.alerts]
    tail = {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": f"As of {as_of} · `csm score ACCOUNT` explains"}],
    }
    return kit.Message(
        text=kit.fallback_text("\n".join(lines)), blocks=kit.fit(blocks, [tail], "csm score")
    )


class SlackPeople:
    """Finds the Slack user of an account owner by e-mail: the owner's own, or its mapped one."""

    def __init__(self, client: WebClient, owner_emails: dict[str, str] | None = None) -> None:
        """Look people up with `client` (users.lookupByEmail); `owner_emails` from the profile."""
        self.client = client
        self.owner_emails = normalise_owner_emails(owner_emails or {})

    def email(self, owner: str) -> str | None:
        """Return the e-mail `owner` is looked up by, or None (a name nobody mapped)."""
        return owner_email(owner, self.owner_emails)

    def find(self, owner: str) -> str | None:
        """Return the Slack user id of `owner`, or None: no e-mail, or no full member has it.

        Raises:
            SlackApiError: Slack refused the lookup for another reason than not finding them.
        """
        from slack_sdk.errors import SlackApiError

        email = self.email(owner)
        if email is None:
            return None
        try:
            user = self.client.users_lookupByEmail(email=email)["user"]
        except SlackApiError as err:
            if err.response.get("error") == "users_not_found":
                return None
            raise
        return user["id"] if trusted(user) else None
