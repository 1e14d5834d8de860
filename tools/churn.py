"""Churn scanner: the eight churn signals of commands.md, risk, escalation, a 48-hour action.

Every signal reads only structured fields and events dated on or before `as_of`; free text
(ticket subjects, event details) is quoted beside a signal as evidence and never fires one.

Usage windows are judged on the days that have a row with a known `logins` value. A missing
day is unknown, not zero, so a comparison is only made when the missing days cannot change
its outcome (see `falls_below`): a collapse needs a row for each of the last 30 days (the 30
before may be partial: their known logins are a lower bound), and silence needs a row for
each of the 45 days. Otherwise the signal becomes a `usage` (or `logins`) data gap saying
how many days the rows cover and when the feed stopped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal, NamedTuple

from pydantic import BaseModel, Field

from memory.read import AccountData, Contact, Invoice, PortfolioData, Ticket, UsageDay
from tools.common import DECISION_ROLES, Gaps, arr_on, mean, usage_between, window, within
from tools.types import Gap, Result

SignalKind = Literal[
    "usage_collapse",
    "champion_loss",
    "support_escalation",
    "negative_survey",
    "billing",
    "competitive",
    "stakeholder_churn",
    "silence",
]
Risk = Literal["high", "medium", "low"]

SIGNAL_ORDER: tuple[str, ...] = (
    "champion_loss",
    "silence",
    "usage_collapse",
    "competitive",
    "support_escalation",
    "billing",
    "stakeholder_churn",
    "negative_survey",
)
"""Strongest first: the first fired signal in this order decides the 48-hour action.

Losing the person who carries the account comes first (no other fix lands without one),
then the two signals that are high risk on their own, then competitive (executive
escalation), then the operational problems, then the lagging survey.
"""

RISK_RANK: dict[str | None, int] = {"high": 0, "medium": 1, "low": 2, None: 3}
EXECUTIVE_ARR = 100_000.0
"""ARR on as_of from which a high-risk account escalates to an executive (enterprise line)."""
COMPETITIVE_EVENTS = ("security_review", "rfp", "competitor_mention")
MEETING_EVENTS = ("qbr_held", "exec_meeting")
CHAMPION = frozenset({"champion"})
ECONOMIC = frozenset({"economic_buyer"})


class ChurnSignal(BaseModel):
    """One churn signal that fired, with the numbers and dates that fired it."""

    kind: SignalKind
    evidence: str = Field(description="human-readable, with the numbers and dates that fired it")
    observed_at: date | None = Field(None, description="when, where one date applies")


class AccountRisk(BaseModel):
    """The churn assessment of one account."""

    account_id: str
    name: str
    risk: Risk | None = Field(description="None = no signal fired")
    signals: list[ChurnSignal] = Field(description="strongest first (SIGNAL_ORDER)")
    action: str = Field(description="the 48-hour action: who contacts whom, about what")
    escalation: Literal["csm", "executive"] | None
    arr: float = Field(description="ARR on as_of")
    gaps: list[Gap] = Field(default_factory=list)


class ChurnResult(Result):
    """Churn scan (flagged accounts, ranked) or one account's churn assessment."""

    command: str = "churn"
    accounts: list[AccountRisk] = Field(default_factory=list)
    scanned: int = Field(0, description="active accounts assessed")


class LoginCount(NamedTuple):
    """Logins of one window: the sum over the days whose value is known, and coverage."""

    total: int
    known_days: int
    days: int
    start: date
    end: date

    @property
    def complete(self) -> bool:
        """Tell whether every day of the window has a known logins value."""
        return self.known_days == self.days


def logins_in(usage: list[UsageDay], start: date, end: date) -> LoginCount:
    """Sum the known logins of the usage rows dated in [start, end] and count their days."""
    # one row per account and day (the store's key), so counting rows counts days
    known = [u.logins for u in usage_between(usage, start, end) if u.logins is not None]
    return LoginCount(sum(known), len(known), (end - start).days + 1, start, end)


def falls_below(current: LoginCount, previous: LoginCount, ratio: float) -> bool | None:
    """Tell whether current logins < ratio x previous logins, or None if missing days decide.

    Known logins are a lower bound of the true sum of a window, so the comparison holds for
    certain when `current` is complete, and fails for certain when `previous` is complete.
    """
    if current.complete and previous.known_days and current.total < ratio * previous.total:
        return True
    if previous.complete and current.total >= ratio * previous.total:
        return False
    return None


def coverage_detail(count: LoginCount, usage: list[UsageDay], usage_since: date) -> str:
    """Describe which days of a window lack logins (for a `usage`/`logins` gap)."""
    span = f"{count.start}..{count.end}"
    if usage_between(usage, count.start, count.end):
        detail = f"logins known for {count.known_days} of {count.days} days in {span}"
    else:
        last = next((u.date for u in reversed(usage) if u.date < count.start), None)
        stopped = f"usage feed stopped on {last}" if last else "no usage rows on record"
        detail = f"no usage rows in {span}; {stopped}"
    if count.start < usage_since:
        detail += f" (usage before {usage_since} was not loaded)"
    return detail


def gap_signal(count: LoginCount, usage: list[UsageDay]) -> str:
    """Name the gap: `usage` when rows are missing, `logins` when rows have empty cells."""
    rows = usage_between(usage, count.start, count.end)
    return "usage" if len({u.date for u in rows}) < count.days else "logins"


@dataclass(frozen=True, slots=True)
class ScanContext:
    """What one scan computes once: the as-of date and which feeds the portfolio has."""

    as_of: date
    usage_since: date
    csat_threshold: float
    tickets_known: bool
    events_known: bool


class _Hit(NamedTuple):
    """A fired signal, what its action is about, and the person to call when it names one."""

    signal: ChurnSignal
    focus: str
    contact: Contact | None = None


def scan_context(portfolio: PortfolioData, as_of: date) -> ScanContext:
    """Compute once per scan which feeds (tickets, events) exist anywhere in the portfolio."""
    present = portfolio.files_present
    accounts = portfolio.accounts.values()
    return ScanContext(
        as_of=as_of,
        usage_since=portfolio.usage_since,
        csat_threshold=portfolio.workspace.csat_threshold,
        tickets_known="tickets" in present or any(a.tickets for a in accounts),
        events_known="events" in present or any(a.events for a in accounts),
    )


def resolve_as_of(portfolio: PortfolioData, as_of: date | None) -> date:
    """Return the as-of date to use (default the portfolio's); later than its data is refused."""
    day = as_of or portfolio.as_of
    if day > portfolio.as_of:
        raise ValueError(f"as_of {day} is after the loaded portfolio's {portfolio.as_of}")
    return day


def _span(start: date, end: date) -> str:
    return f"{start}..{end}"


def _person(contact: Contact) -> str:
    """Name a contact with their title when known."""
    return f"{contact.name} ({contact.title})" if contact.title else contact.name


def _quote(text: str | None, limit: int = 80) -> str:
    """Quote free text as evidence, shortened (never interpreted)."""
    if not text:
        return ""
    text = " ".join(text.split())
    return f' "{text[: limit - 3]}..."' if len(text) > limit else f' "{text}"'


# --- the eight signals -------------------------------------------------------------------


def _usage_collapse(data: AccountData, ctx: ScanContext, gaps: Gaps) -> _Hit | None:
    """Logins in the last 30 days < 50% of the 30 days before."""
    last = logins_in(data.usage, *window(ctx.as_of, 30))
    prev = logins_in(data.usage, *window(ctx.as_of, 30, 30))
    fell = falls_below(last, prev, 0.5)
    if fell is None:
        for count in (last, prev):
            if not count.complete:
                gaps.add(
                    gap_signal(count, data.usage),
                    "churn: usage_collapse",
                    account_id=data.account_id,
                    detail=coverage_detail(count, data.usage, ctx.usage_since),
                )
        return None
    if not fell:
        return None
    change = (last.total - prev.total) / prev.total if prev.total else -1.0
    partial = "" if prev.complete else f" (at least; logins known for {prev.known_days} days)"
    evidence = (
        f"logins {last.total} in {_span(last.start, last.end)} vs {prev.total}{partial} in "
        f"{_span(prev.start, prev.end)} ({change:+.0%}; below 50% of the 30 days before)"
    )
    return _Hit(ChurnSignal(kind="usage_collapse", evidence=evidence), f"{-change:.0%}")


def _champion_loss(data: AccountData, ctx: ScanContext, gaps: Gaps) -> _Hit | None:
    """A champion departed or changed role within 90 days, or none remains of those known."""
    if not data.contacts:
        gaps.add("contacts", "churn: champion_loss", account_id=data.account_id)
        return None
    champions = [c for c in data.contacts if c.role == "champion"]
    if not champions:
        return None
    start, end = window(ctx.as_of, 90)
    gone = [c for c in champions if c.status_on(ctx.as_of) != "active"]
    recent = [c for c in gone if within(c.status_changed_at, start, end)]
    for c in gone:
        if c.status_changed_at is None:
            gaps.add(
                "status_changed_at",
                "churn: champion_loss",
                account_id=data.account_id,
                detail=f"champion {c.name} is {c.status} since an unknown date",
            )
    if recent:
        lost = recent
        evidence = "; ".join(f"champion {c.name} {c.status} on {c.status_changed_at}" for c in lost)
        evidence += f" (within {_span(start, end)})"
    elif len(gone) == len(champions):
        lost = gone
        evidence = "no active champion remains: " + "; ".join(
            f"{c.name} {c.status}" + (f" on {c.status_changed_at}" if c.status_changed_at else "")
            for c in lost
        )
    else:
        return None
    when = max((c.status_changed_at for c in lost if c.status_changed_at), default=None)
    names = ", ".join(c.name for c in lost)
    return _Hit(ChurnSignal(kind="champion_loss", evidence=evidence, observed_at=when), names)


def _support_escalation(data: AccountData, ctx: ScanContext, gaps: Gaps) -> _Hit | None:
    """5+ tickets opened in the last 30 days, or an urgent/escalated ticket open 7+ days."""
    if not ctx.tickets_known:
        gaps.add("tickets", "churn: support_escalation", account_id=data.account_id)
        return None
    start, end = window(ctx.as_of, 30)
    opened = [t for t in data.tickets if within(t.opened_at.date(), start, end)]
    stuck = [t for t in data.tickets if _stuck(t, ctx.as_of)]
    parts: list[str] = []
    if len(opened) >= 5:
        ids = ", ".join(t.ticket_id for t in opened)
        parts.append(f"{len(opened)} tickets opened in {_span(start, end)} ({ids})")
    for t in stuck:
        age = (ctx.as_of - t.opened_at.date()).days
        labels = [
            x for x, on in (("urgent", t.priority == "urgent"), ("escalated", t.escalated)) if on
        ]
        parts.append(
            f"{' and '.join(labels)} ticket {t.ticket_id} unresolved since "
            f"{t.opened_at.date()} ({age} days)" + _quote(t.subject)
        )
    if not parts:
        return None
    observed = stuck[0].opened_at.date() if stuck else None
    focus = f"ticket {stuck[0].ticket_id}" if stuck else f"the {len(opened)} recent tickets"
    signal = ChurnSignal(kind="support_escalation", evidence="; ".join(parts), observed_at=observed)
    return _Hit(signal, focus)


def _stuck(ticket: Ticket, as_of: date) -> bool:
    """Tell whether an urgent or escalated ticket has been unresolved for 7+ days."""
    serious = ticket.priority == "urgent" or bool(ticket.escalated)
    return serious and ticket.open_on(as_of) and (as_of - ticket.opened_at.date()).days >= 7


def _negative_survey(data: AccountData, ctx: ScanContext, gaps: Gaps) -> _Hit | None:
    """Latest NPS within 180 days is 0-6, or mean CSAT of the last 90 days < threshold."""
    parts: list[str] = []
    focus, respondent, observed = "", None, None
    n_start, n_end = window(ctx.as_of, 180)
    nps = [s for s in data.surveys if s.kind == "nps" and within(s.responded_at, n_start, n_end)]
    if not nps:
        gaps.add(
            "nps",
            "churn: negative_survey",
            account_id=data.account_id,
            detail=f"no NPS response in {_span(n_start, n_end)}",
        )
    else:
        latest = max(nps, key=lambda s: s.responded_at)
        if latest.score <= 6:
            parts.append(f"latest NPS {latest.score:g} on {latest.responded_at} (0-6 = detractor)")
            focus = f"their NPS of {latest.score:g} on {latest.responded_at}"
            respondent = next((c for c in data.contacts if c.contact_id == latest.contact_id), None)
            observed = latest.responded_at
    c_start, c_end = window(ctx.as_of, 90)
    csat = [
        s.score for s in data.surveys if s.kind == "csat" and within(s.responded_at, c_start, c_end)
    ]
    avg = mean(csat)
    if avg is None:
        gaps.add(
            "csat",
            "churn: negative_survey",
            account_id=data.account_id,
            detail=f"no CSAT response in {_span(c_start, c_end)}",
        )
    elif avg < ctx.csat_threshold:
        parts.append(
            f"mean CSAT {avg:.2f} over {len(csat)} responses in {_span(c_start, c_end)} "
            f"(below the threshold {ctx.csat_threshold:g})"
        )
        focus = focus or f"the low CSAT (mean {avg:.1f} since {c_start})"
    if not parts:
        return None
    signal = ChurnSignal(kind="negative_survey", evidence="; ".join(parts), observed_at=observed)
    return _Hit(signal, focus, respondent)


def _billing(data: AccountData, ctx: ScanContext, gaps: Gaps) -> _Hit | None:
    """A failed or past-due invoice in the last 90 days, or a downgrade_request event."""
    start, end = window(ctx.as_of, 90)
    parts: list[str] = []
    focus = ""
    if not any(inv.due_date <= end for inv in data.invoices):
        gaps.add("invoices", "churn: billing", account_id=data.account_id)
    for inv in data.invoices:
        if _billing_problem(inv, start, end):
            state = "unpaid" if inv.unpaid_problem_on(end) else f"paid {inv.paid_at}"
            parts.append(
                f"invoice {inv.invoice_id} (${inv.amount:,.0f} due {inv.due_date}) "
                f"{inv.status}, {state}"
            )
            focus = focus or f"invoice {inv.invoice_id} (${inv.amount:,.0f} due {inv.due_date})"
    downgrades = [e for e in data.events if e.kind == "downgrade_request"]
    downgrades = [e for e in downgrades if within(e.occurred_at, start, end)]
    for e in downgrades:
        parts.append(f"downgrade_request on {e.occurred_at}" + _quote(e.detail))
        focus = focus or f"the downgrade request of {e.occurred_at}"
    if not parts:
        return None
    observed = downgrades[-1].occurred_at if downgrades else None
    return _Hit(ChurnSignal(kind="billing", evidence="; ".join(parts), observed_at=observed), focus)


def _billing_problem(inv: Invoice, start: date, end: date) -> bool:
    """Tell whether the invoice was failed or past due, unpaid, on a day of [start, end].

    Unpaid on `end` follows `Invoice.unpaid_problem_on`; an invoice since paid counts when
    its recorded status is failed or past_due and its unpaid days overlap the window (a
    `paid` invoice that was merely late is a health signal, not a billing churn signal).
    """
    if inv.unpaid_problem_on(end):
        return True
    if inv.status not in ("failed", "past_due") or inv.paid_at is None:
        return False
    first = inv.due_date if inv.status == "failed" else inv.due_date + timedelta(days=1)
    last = inv.paid_at - timedelta(days=1)
    return first <= last and last >= start and first <= end


def _competitive(data: AccountData, ctx: ScanContext, gaps: Gaps) -> _Hit | None:
    """A security_review, rfp or competitor_mention event within 90 days."""
    if not ctx.events_known:
        gaps.add("events", "churn: competitive", account_id=data.account_id)
        return None
    start, end = window(ctx.as_of, 90)
    hits = [
        e for e in data.events if e.kind in COMPETITIVE_EVENTS and within(e.occurred_at, start, end)
    ]
    if not hits:
        return None
    evidence = "; ".join(f"{e.kind} on {e.occurred_at}" + _quote(e.detail) for e in hits)
    latest = max(hits, key=lambda e: e.occurred_at)
    focus = f"the {latest.kind.replace('_', ' ')} of {latest.occurred_at}"
    return _Hit(
        ChurnSignal(kind="competitive", evidence=evidence, observed_at=latest.occurred_at), focus
    )


def _stakeholder_churn(data: AccountData, ctx: ScanContext, gaps: Gaps) -> _Hit | None:
    """2+ contacts departed within 90 days."""
    if not data.contacts:
        gaps.add("contacts", "churn: stakeholder_churn", account_id=data.account_id)
        return None
    start, end = window(ctx.as_of, 90)
    departed = [c for c in data.contacts if c.status_on(ctx.as_of) == "departed"]
    for c in departed:
        if c.status_changed_at is None:
            gaps.add(
                "status_changed_at",
                "churn: stakeholder_churn",
                account_id=data.account_id,
                detail=f"{c.name} departed on an unknown date",
            )
    recent = [c for c in departed if within(c.status_changed_at, start, end)]
    if len(recent) < 2:
        return None
    listed = ", ".join(f"{c.name} ({c.status_changed_at})" for c in recent)
    evidence = f"{len(recent)} contacts departed in {_span(start, end)}: {listed}"
    when = max(c.status_changed_at for c in recent)  # type: ignore[type-var]
    names = ", ".join(c.name for c in recent)
    return _Hit(ChurnSignal(kind="stakeholder_churn", evidence=evidence, observed_at=when), names)


def _silence(data: AccountData, ctx: ScanContext, gaps: Gaps) -> _Hit | None:
    """For 45+ days: no day with logins > 0, no ticket opened, no qbr_held/exec_meeting."""
    start, end = window(ctx.as_of, 45)
    count = logins_in(data.usage, start, end)
    logged_in = any(u.logins for u in usage_between(data.usage, start, end))
    ticket = any(within(t.opened_at.date(), start, end) for t in data.tickets)
    meetings = [e for e in data.events if e.kind in MEETING_EVENTS]
    met = any(within(e.occurred_at, start, end) for e in meetings)
    if logged_in or ticket or met:
        return None
    unknown = False
    if not count.complete:
        unknown = True
        gaps.add(
            gap_signal(count, data.usage),
            "churn: silence",
            account_id=data.account_id,
            detail=coverage_detail(count, data.usage, ctx.usage_since),
        )
    for feed, known in (("tickets", ctx.tickets_known), ("events", ctx.events_known)):
        if not known:
            unknown = True
            gaps.add(feed, "churn: silence", account_id=data.account_id)
    if unknown:
        return None
    last_login = next((u.date for u in reversed(data.usage) if u.date <= end and u.logins), None)
    last_ticket = max(
        (t.opened_at.date() for t in data.tickets if t.opened_at.date() <= end), default=None
    )
    last_meeting = max((e.occurred_at for e in meetings if e.occurred_at <= end), default=None)
    lasts = [d for d in (last_login, last_ticket, last_meeting) if d is not None]

    def seen(d: date | None) -> str:
        return str(d) if d else "none on record"

    evidence = (
        f"no day with logins > 0 (45 of 45 days of rows), no ticket opened and no "
        f"qbr_held/exec_meeting in {_span(start, end)}; last login {seen(last_login)}, "
        f"last ticket {seen(last_ticket)}, last QBR/exec meeting {seen(last_meeting)}"
    )
    observed = max(lasts) if lasts else None
    return _Hit(ChurnSignal(kind="silence", evidence=evidence, observed_at=observed), "")


DETECTORS = {
    "champion_loss": _champion_loss,
    "silence": _silence,
    "usage_collapse": _usage_collapse,
    "competitive": _competitive,
    "support_escalation": _support_escalation,
    "billing": _billing,
    "stakeholder_churn": _stakeholder_churn,
    "negative_survey": _negative_survey,
}


# --- risk, escalation, action ------------------------------------------------------------


def risk_level(kinds: set[str]) -> Risk | None:
    """Return the risk of commands.md for a set of fired signal kinds (None for none)."""
    if not kinds:
        return None
    if kinds & {"silence", "usage_collapse"} or len(kinds) >= 3:
        return "high"
    if "champion_loss" in kinds and len(kinds) >= 2:
        return "high"
    return "low" if kinds == {"negative_survey"} else "medium"


def escalation_level(
    kinds: set[str], risk: Risk | None, arr: float
) -> Literal["csm", "executive"] | None:
    """Return executive when competitive, or high risk with ARR >= 100,000; else csm."""
    if risk is None:
        return None
    if "competitive" in kinds or (risk == "high" and arr >= EXECUTIVE_ARR):
        return "executive"
    return "csm"


def _active_contacts(data: AccountData, as_of: date) -> list[Contact]:
    """Return the contacts active on as_of, most influential and most recently engaged first."""
    rank = {"high": 0, "medium": 1, "low": 2}
    active = [c for c in data.contacts if c.status_on(as_of) == "active"]
    return sorted(
        active,
        key=lambda c: (
            rank.get(c.influence or "", 3),
            -(c.last_engaged_at or date.min).toordinal(),
            c.name,
        ),
    )


def whom_to_call(data: AccountData, as_of: date, *groups: frozenset[str]) -> str:
    """Name whom to contact: the first active contact of the first role group that has one.

    Falls back to the most influential active contact who is not a recorded detractor (a
    detractor only when nobody else is active), and never invents a name: with no active
    contact it says so and points to the account executive.
    """
    active = _active_contacts(data, as_of)
    for roles in groups:
        for c in active:
            if c.role in roles:
                return _person(c)
    # a recorded detractor is the last person to ask to carry a save or find a champion
    allies = [c for c in active if c.role != "detractor"]
    if allies:
        return _person(allies[0])
    if active:
        return _person(active[0])
    return f"a current contact at {data.name} (none active on record: ask the account executive)"


ACTIONS: dict[str, tuple[tuple[frozenset[str], ...], str]] = {
    "champion_loss": (
        (DECISION_ROLES,),
        "calls {who} to find the new champion (replacing {focus})",
    ),
    "silence": (
        (CHAMPION, DECISION_ROLES),
        "calls {who} to re-engage after 45+ silent days and book a working session",
    ),
    "usage_collapse": (
        (CHAMPION, DECISION_ROLES),
        "calls {who} to find out why logins fell {focus} and book a re-enablement session",
    ),
    "competitive": (
        (DECISION_ROLES, CHAMPION),
        "and a CS executive call {who} about {focus} to learn what they are evaluating",
    ),
    "support_escalation": (
        (CHAMPION, DECISION_ROLES),
        "gets a fix date for {focus} from the support lead and calls {who} with it",
    ),
    "billing": ((ECONOMIC, DECISION_ROLES, CHAMPION), "calls {who} with Finance about {focus}"),
    "stakeholder_churn": (
        (CHAMPION, DECISION_ROLES),
        "calls {who} to map who now owns the work of {focus}",
    ),
    "negative_survey": ((CHAMPION, DECISION_ROLES), "calls {who} to follow up on {focus}"),
}
"""Signal -> (whom to call, by role group in order of preference; what the CSM does)."""


def _action(hit: _Hit, data: AccountData, as_of: date) -> str:
    """Write the 48-hour action for the strongest signal: who contacts whom, about what."""
    csm = f"CSM {data.account.csm}" if data.account.csm else "The CSM"
    groups, template = ACTIONS[hit.signal.kind]
    who = _person(hit.contact) if hit.contact else whom_to_call(data, as_of, *groups)
    return f"{csm} " + template.format(who=who, focus=hit.focus) + "."


def _assess(portfolio: PortfolioData, data: AccountData, ctx: ScanContext) -> AccountRisk:
    """Assess one account: run the detectors, then risk, escalation and action."""
    gaps = Gaps(portfolio.workspace)
    hits = [h for kind in SIGNAL_ORDER if (h := DETECTORS[kind](data, ctx, gaps))]
    kinds = {h.signal.kind for h in hits}
    arr = arr_on(data, ctx.as_of)
    if not any(c.active_on(ctx.as_of) for c in data.contracts):
        gaps.add(
            "contracts",
            "churn: escalation (ARR)",
            account_id=data.account_id,
            detail=f"no contract row in force on {ctx.as_of}",
        )
    risk = risk_level(kinds)
    action = _action(hits[0], data, ctx.as_of) if hits else NO_ACTION
    return AccountRisk(
        account_id=data.account_id,
        name=data.name,
        risk=risk,
        signals=[h.signal for h in hits],
        action=action,
        escalation=escalation_level(kinds, risk, arr),
        arr=arr,
        gaps=gaps.list(),
    )


NO_ACTION = "No churn signal: keep the regular cadence."


# --- public API ---------------------------------------------------------------------------


def assess_account(
    portfolio: PortfolioData, account_id: str, as_of: date | None = None
) -> AccountRisk:
    """Assess the churn risk of one account (KeyError if it is not in the portfolio).

    Args:
        portfolio: the loaded portfolio.
        account_id: the account to assess.
        as_of: the point in time (default the portfolio's as_of); later rows are ignored.
    """
    day = resolve_as_of(portfolio, as_of)
    data = portfolio.get(account_id)
    return _assess(portfolio, data, scan_context(portfolio, day))


def churn_risks(
    portfolio: PortfolioData,
    as_of: date | None = None,
    *,
    account_ids: Iterable[str] | None = None,
) -> dict[str, AccountRisk]:
    """Assess every account active on as_of; flagged or not, keyed by account id.

    Args:
        portfolio: the loaded portfolio.
        as_of: the point in time (default the portfolio's as_of).
        account_ids: assess only these accounts (active or not), sharing one scan context.
    """
    day = resolve_as_of(portfolio, as_of)
    ctx = scan_context(portfolio, day)
    if account_ids is None:
        chosen = portfolio.active_accounts(day)
    else:
        chosen = [portfolio.get(i) for i in account_ids]
    return {data.account_id: _assess(portfolio, data, ctx) for data in chosen}


def rank_key(risk: AccountRisk) -> tuple[int, float, str, str]:
    """Sort key: risk high > medium > low > none, then ARR largest first, then name."""
    return (RISK_RANK[risk.risk], -risk.arr, risk.name.lower(), risk.account_id)


def churn_scan(portfolio: PortfolioData, as_of: date | None = None) -> ChurnResult:
    """Scan all active accounts; return the flagged ones ranked, with every account's gaps."""
    day = resolve_as_of(portfolio, as_of)
    risks = churn_risks(portfolio, day)
    gaps = Gaps(portfolio.workspace)
    for r in risks.values():
        gaps.extend(r.gaps)
    flagged = sorted((r for r in risks.values() if r.risk is not None), key=rank_key)
    return ChurnResult(as_of=day, accounts=flagged, gaps=gaps.list(), scanned=len(risks))


def churn_account(
    portfolio: PortfolioData, account_id: str, as_of: date | None = None
) -> ChurnResult:
    """Return one account's churn assessment (listed even when no signal fired)."""
    day = resolve_as_of(portfolio, as_of)
    risk = assess_account(portfolio, account_id, day)
    return ChurnResult(as_of=day, accounts=[risk], gaps=list(risk.gaps), scanned=1)
