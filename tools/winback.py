"""Win-back plan for a churned account: days since churn, the timing approach, three e-mails.

Timing (commands.md, days since `churned_at`): 0-30 "we miss you + address churn reason";
31-90 "product update + improvement proof"; 91-180 "major release + special offer";
181-365 "annual check-in + case study"; over 365 "remove from active campaigns". The
e-mails (day 7, 30 and 90 after churn) are the wording of prompts/winback.md for the
recorded `churn_reason`; with none recorded the reason is a gap and the neutral wording is
used. They are addressed to a contact still active at the account (a champion first, then
a decision-maker, then anyone), else to a neutral "Hello,".
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, Field

from memory.read import AccountData, Contact, PortfolioData
from tools.common import DECISION_ROLES, Gaps
from tools.types import Result

TIMING: tuple[tuple[int, str, str], ...] = (
    (30, "we miss you + address churn reason", "15-25%"),
    (90, "product update + improvement proof", "10-15%"),
    (180, "major release + special offer", "5-10%"),
    (365, "annual check-in + case study", "2-5%"),
)
"""(last day of the band, approach, the seed's success rate) for each timing band."""
BEYOND = ("remove from active campaigns", "<2%")
EMAIL_DAYS: tuple[int, ...] = (7, 30, 90)
CHURN_REASONS = frozenset(
    {"product", "value", "relationship", "financial", "competition", "strategic"}
)
NEUTRAL_GREETING = "Hello,"
NEUTRAL_SIGNATURE = "Your customer success team"


class Recipient(BaseModel):
    """The contact the e-mails are addressed to."""

    contact_id: str
    name: str
    title: str | None = None
    email: str | None = None
    role: str | None = None


class Email(BaseModel):
    """One e-mail of the sequence, ready to edit and send."""

    number: int
    day: int = Field(description="days after churn it is meant to go out")
    send_on: date | None = Field(None, description="churned_at + day (None: churn date unknown)")
    past: bool = Field(False, description="its send date is before as-of")
    subject: str
    body: str


class WinbackResult(Result):
    """The win-back plan of one churned account."""

    command: Literal["winback"] = "winback"
    account_id: str
    name: str
    churned_at: date | None
    days_since_churn: int | None
    approach: str | None = Field(description="the timing table's phrase, verbatim")
    success_rate: str | None = Field(None, description="the source's typical success rate")
    in_active_campaign: bool | None = Field(None, description="False after 365 days")
    churn_reason: str | None
    template: str = Field(description="the wording block used: the churn reason or 'unknown'")
    recipient: Recipient | None = None
    emails: list[Email]


def winback(portfolio: PortfolioData, account_id: str, as_of: date | None = None) -> WinbackResult:
    """Plan the win-back of a churned account.

    Args:
        portfolio: the loaded portfolio.
        account_id: the churned account.
        as_of: the point in time (default: the portfolio's).

    Returns:
        Days since churn, the approach, the churn reason and the three tailored e-mails.

    Raises:
        ValueError: when the account had not churned by as-of.
    """
    day = as_of or portfolio.as_of
    data = portfolio.get(account_id)
    acc = data.account
    _require_churned(data, day)
    gaps = Gaps(portfolio.workspace)
    days = (day - acc.churned_at).days if acc.churned_at is not None else None
    if days is None:
        gaps.add("churned_at", "winback: timing", account_id=account_id)
    reason = acc.churn_reason if acc.churn_reason in CHURN_REASONS else None
    if reason is None:
        gaps.add("churn_reason", "winback: tailoring the e-mails", account_id=account_id)
    recipient = _recipient(data, day)
    if recipient is None:
        gaps.add(
            "contacts",
            "winback: addressing the e-mails",
            account_id=account_id,
            detail="no contact still active at the account",
        )
    signature = acc.csm if acc.csm and "@" not in acc.csm else NEUTRAL_SIGNATURE
    if not acc.csm:
        gaps.add("csm", "winback: signing the e-mails", account_id=account_id)
    fields = {
        "greeting": f"Hi {recipient.name.split()[0]}," if recipient else NEUTRAL_GREETING,
        "company": acc.name,
        "signature": signature,
    }
    approach, rate = _approach(days) if days is not None else (None, None)
    return WinbackResult(
        as_of=day,
        gaps=gaps.list(),
        account_id=account_id,
        name=acc.name,
        churned_at=acc.churned_at,
        days_since_churn=days,
        approach=approach,
        success_rate=rate,
        in_active_campaign=None if days is None else days <= TIMING[-1][0],
        churn_reason=reason,
        template=reason or "unknown",
        recipient=recipient,
        emails=_emails(reason or "unknown", fields, acc.churned_at, day),
    )


def approach_for(days_since_churn: int) -> str:
    """Return the timing table's approach for a number of days since churn."""
    return _approach(days_since_churn)[0]


def _approach(days: int) -> tuple[str, str]:
    for last_day, approach, rate in TIMING:
        if days <= last_day:
            return approach, rate
    return BEYOND


def _require_churned(data: AccountData, day: date) -> None:
    """Raise ValueError unless the account had churned by `day` (date unknown counts)."""
    acc = data.account
    if acc.status != "churned":
        raise ValueError(f"{acc.name} is active; win-back applies to churned accounts")
    if acc.churned_at is not None and acc.churned_at > day:
        raise ValueError(
            f"{acc.name} was still active on {day} (churned {acc.churned_at}); "
            "win-back applies to churned accounts"
        )


def _recipient(data: AccountData, day: date) -> Recipient | None:
    """Pick the contact still active on `day` to write to: champion, decision-maker, anyone."""
    active = [c for c in data.contacts if c.status_on(day) == "active" and c.name.strip()]
    if not active:
        return None

    def rank(c: Contact) -> tuple[int, int, str]:
        role = 0 if c.role == "champion" else 1 if c.role in DECISION_ROLES else 2
        role = 3 if c.role == "detractor" else role
        engaged = -(c.last_engaged_at or date.min).toordinal()
        return role, engaged, c.contact_id

    best = min(active, key=rank)
    return Recipient(
        contact_id=best.contact_id,
        name=best.name.strip(),
        title=best.title,
        email=best.email,
        role=best.role,
    )


def _emails(
    template: str, fields: dict[str, str], churned_at: date | None, day: date
) -> list[Email]:
    """Fill the three e-mails of a template block."""
    emails = []
    for number, (subject, body) in enumerate(templates()[template], start=1):
        offset = EMAIL_DAYS[number - 1]
        send_on = churned_at + timedelta(days=offset) if churned_at else None
        emails.append(
            Email(
                number=number,
                day=offset,
                send_on=send_on,
                past=send_on is not None and send_on < day,
                subject=subject.format_map(fields),
                body=body.format_map(fields),
            )
        )
    return emails


@lru_cache(maxsize=1)
def templates() -> dict[str, list[tuple[str, str]]]:
    """Load the e-mail wording of prompts/winback.md: reason -> [(subject, body)] x 3."""
    text = resources.files("prompts").joinpath("winback.md").read_text(encoding="utf-8")
    blocks: dict[str, list[list[str]]] = {}
    current: list[list[str]] | None = None
    for line in text.splitlines():
        if line.startswith("## "):
            current = blocks.setdefault(line[3:].strip(), [])
        elif line.startswith("### ") and current is not None:
            current.append([])
        elif current:
            current[-1].append(line)
    return {reason: [_subject_body(e) for e in emails] for reason, emails in blocks.items()}


def _subject_body(lines: list[str]) -> tuple[str, str]:
    """Split an e-mail's lines into its subject and body."""
    text = "\n".join(lines).strip()
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"prompts/winback.md: an e-mail must start with 'Subject:': {first!r}")
    return first.removeprefix("Subject:").strip(), body.strip()
