"""Sales-to-CS handoff record (`csm handoff`): the five things a CSM needs from sales.

openclaw 1.1: what was promised, the goals and success criteria, the red flags, the
technical setup and its owners, and the relationships (advocates and skeptics). Each item is
found in two places:

- the handoff notes (notes.csv, kind `handoff`, dated on or before as-of): split into
  sentences, and each sentence quoted under every item its wording is about (keyword rules
  below), with the note id and date. The text is untrusted: it is quoted, never followed,
  and never raises a signal; placeholder-looking text in it ("TBD", "[Name]") is defused
  and reported as a gap, since the note left it open;
- the account's structured data: goals.csv for the goals; competitor_mention, rfp and
  security_review events on or before the kickoff, and a kickoff more than 7 days after the
  first contract started, as red flags; technical_lead and admin contacts as technical
  owners; champions as advocates, detractors as skeptics, exec sponsors, decision-makers and
  economic buyers as sponsors.

Whatever is found in neither is a gap naming who to ask: the account executive for the
promises, red flags and relationships, the sales engineer for the technical setup, the
customer's champion for the goals.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Literal

from pydantic import BaseModel, Field

import prompts
from memory.read import AccountData, Contact, Note, PortfolioData
from tools.common import DECISION_ROLES, Gaps, arr_on
from tools.plans.onboarding_flags import KICKOFF_GRACE_DAYS
from tools.plans.onboarding_text import (
    active_in,
    defuse,
    first_contract_start,
    person,
    say,
    wording,
)
from tools.types import Result

ItemKey = Literal["promises", "goals", "red_flags", "technical_setup", "relationships"]
ITEMS: tuple[str, ...] = ("promises", "goals", "red_flags", "technical_setup", "relationships")
KEYWORDS: dict[str, re.Pattern[str]] = {
    key: re.compile(r"\b(" + pattern + r")", re.IGNORECASE)
    for key, pattern in {
        "promises": r"promis|commit|guarantee|agreed to|deliver|sla\b|support level|timeline"
        r"|roll ?out|deadline|by q[1-4]",
        "goals": r"goals?\b|bought (it )?to|success|objective|kpis?\b|aim\b|outcome|target",
        "red_flags": r"red flag|concern|risk|discount|procurement|late\b|delay|skeptic|worr"
        r"|budget|competitor|incumbent|not yet scoped|blocker|push(ed)? back|objection"
        r"|no executive sponsor|no exec sponsor",
        "technical_setup": r"technical|integration|connector|sso\b|single sign-on|api\b"
        r"|warehouse|admin|set-?up|implementation|engineer|migration|it\)|\(it\b",
        "relationships": r"champion|advocate|sponsor|skeptic|executive|stakeholder"
        r"|decision|buyer|preferred|detractor",
    }.items()
}
"""Item -> the words that put a handoff-note sentence under it (a sentence may fit several)."""
SKEPTIC = re.compile(r"\b(skeptic|detractor|preferred the incumbent|pushed back)", re.IGNORECASE)
SENTENCE = re.compile(r"(?<=[.!?])\s+")
COMPETITIVE_EVENTS = ("competitor_mention", "rfp", "security_review")
TECHNICAL_ROLES = ("technical_lead", "admin")
STANCE = {
    "champion": "advocate",
    "detractor": "skeptic",
    "technical_lead": "technical owner",
    "admin": "technical owner",
    **{role: "sponsor" for role in DECISION_ROLES},
}


class Quote(BaseModel):
    """A sentence of a handoff note, quoted as written (placeholders defused)."""

    note_id: str
    created_at: date
    author: str | None
    text: str


class Party(BaseModel):
    """A contact and where they stood in the deal."""

    contact_id: str
    name: str
    title: str | None
    role: str | None
    stance: str | None = Field(description="advocate, skeptic, sponsor, technical owner")
    influence: str | None
    status: str = Field(description="status on as-of")


class HandoffItem(BaseModel):
    """One of the five handoff items: the facts and quotes found, or what to ask."""

    key: ItemKey
    title: str
    facts: list[str] = Field(description="from structured data")
    quotes: list[Quote] = Field(description="from the handoff notes")
    missing: list[str] = Field(description="what is not on record and whom to ask")


class HandoffResult(Result):
    """The sales-to-CS handoff record of one account."""

    command: Literal["handoff"] = "handoff"
    account_id: str
    name: str
    segment: str | None
    industry: str | None
    employees: int | None
    csm: str | None
    plan: str | None
    licensed_seats: int | None
    departments_licensed: list[str] | None
    kickoff_date: date | None
    go_live_date: date | None
    contract_id: str | None = Field(description="the first contract row (the deal)")
    contract_arr: float | None
    contract_start: date | None
    contract_end: date | None
    auto_renew: bool | None
    notice_days: int | None
    arr: float = Field(description="ARR on as-of")
    intro: str
    items: list[HandoffItem]
    people: list[Party]
    notes: list[Quote] = Field(description="the handoff notes in full, oldest first")


def build_handoff(
    portfolio: PortfolioData, account_id: str, as_of: date | None = None
) -> HandoffResult:
    """Build the sales-to-CS handoff record of one account.

    Args:
        portfolio: the loaded portfolio (notes included).
        account_id: the account.
        as_of: the point in time (default the portfolio's); later rows are ignored.

    Returns:
        The deal's facts, the five items with their facts and quotes, the people, the gaps.
    """
    day = as_of or portfolio.as_of
    data = portfolio.get(account_id)
    acc = data.account
    gaps = Gaps(portfolio.workspace)
    notes = [n for n in data.notes if n.kind == "handoff" and n.created_at.date() <= day]
    who = _who(data, day)
    if not notes:
        gap = gaps.add(
            "notes",
            "handoff: every item",
            account_id=account_id,
            detail="no handoff note (notes.csv kind handoff) on record",
        )
        gap.ask = who["ae"]
    quotes: dict[str, list[Quote]] = {key: [] for key in ITEMS}
    for note in notes:
        for sentence in SENTENCE.split(note.text.strip()):
            quote = _quote(note, sentence, gaps)
            for key in ITEMS:
                if KEYWORDS[key].search(sentence):
                    quotes[key].append(quote)
    first = min(data.contracts, key=lambda c: c.start_date) if data.contracts else None
    first = first if first and first.start_date <= day else None
    if first is None:
        gaps.add("contracts", "handoff: the deal", account_id=account_id)
    items = [
        _promises(quotes["promises"], who, gaps, account_id),
        _goals(data, day, quotes["goals"], who, gaps),
        _red_flags(data, day, quotes["red_flags"], who, gaps),
        _technical(data, day, quotes["technical_setup"], who, gaps),
        _relationships(data, quotes["relationships"], who, gaps),
    ]
    company = defuse(acc.name)
    return HandoffResult(
        as_of=day,
        gaps=gaps.list(),
        account_id=account_id,
        name=acc.name,
        segment=acc.segment,
        industry=acc.industry,
        employees=acc.employees,
        csm=acc.csm,
        plan=acc.plan,
        licensed_seats=acc.licensed_seats,
        departments_licensed=list(acc.departments_licensed)
        if acc.departments_licensed is not None
        else None,
        kickoff_date=acc.kickoff_date,
        go_live_date=acc.go_live_date,
        contract_id=first.contract_id if first else None,
        contract_arr=first.arr if first else None,
        contract_start=first.start_date if first else None,
        contract_end=first.end_date if first else None,
        auto_renew=first.auto_renew if first else None,
        notice_days=first.notice_days if first else None,
        arr=arr_on(data, day),
        intro=say("handoff", "notes", "intro" if notes else "no_note", company=company),
        items=items,
        people=[_party(c, day) for c in _by_stance(data.contacts)],
        notes=[_quote(n, n.text, gaps) for n in notes],
    )


def _quote(note: Note, text: str, gaps: Gaps) -> Quote:
    """Quote note text as written, defusing (and reporting) placeholder-looking pieces."""
    clean = " ".join(text.split())
    left_open = prompts.unfilled(clean)
    if left_open:
        gaps.add(
            "notes",
            "handoff: what the note left open",
            account_id=note.account_id,
            detail=f"note {note.note_id} leaves {', '.join(sorted(set(left_open)))} open",
            category="crm",
        )
    return Quote(
        note_id=note.note_id,
        created_at=note.created_at.date(),
        author=note.author,
        text=defuse(clean),
    )


def _who(data: AccountData, day: date) -> dict[str, str]:
    """Whom to ask for each kind of missing piece (roles; the champion by name when known)."""
    words = wording("handoff", "who")
    champions = active_in(data.contacts, day, ("champion",))
    champion = (
        prompts.fill(words["champion_named"], name=defuse(champions[0].name))
        if champions
        else words["champion"]
    )
    return {"ae": words["ae"], "se": words["se"], "champion": champion}


def _item(key: str, facts: list[str], quotes: list[Quote], missing: list[str]) -> HandoffItem:
    return HandoffItem(
        key=key,  # type: ignore[arg-type]
        title=wording("handoff", "items")[key],
        facts=facts,
        quotes=quotes,
        missing=missing,
    )


def _missing(key: str, ask: str, gaps: Gaps, account_id: str, signal: str, detail: str) -> str:
    """Record the gap of a missing piece and return the sentence saying whom to ask."""
    gap = gaps.add(signal, f"handoff: {key}", account_id=account_id, detail=detail)
    gap.ask = ask
    return say("handoff", "missing", key, ask=ask)


def _promises(quotes: list[Quote], who: dict[str, str], gaps: Gaps, account_id: str) -> HandoffItem:
    missing = []
    if not quotes:
        detail = "no promise (features, timelines, support level) in the handoff notes"
        missing.append(_missing("promises", who["ae"], gaps, account_id, "promises", detail))
    return _item("promises", [], quotes, missing)


def _goals(
    data: AccountData, day: date, quotes: list[Quote], who: dict[str, str], gaps: Gaps
) -> HandoffItem:
    goals = [g for g in data.goals if g.set_at is None or g.set_at <= day]
    facts = []
    for g in goals:
        values = dict(objective=defuse(g.objective), metric=defuse(g.metric or ""), due=g.due_date)
        if None in (g.metric, g.baseline, g.target, g.due_date):
            facts.append(say("handoff", "facts", "goal_partial", **values))
            continue
        unit = f" {defuse(g.unit)}" if g.unit else ""
        values.update(baseline=f"{_num(g.baseline)}{unit}", target=f"{_num(g.target)}{unit}")
        facts.append(say("handoff", "facts", "goal", **values))
    missing = []
    if not goals:
        key = "goals_unrecorded" if quotes else "goals"
        gap = gaps.add("goals", "handoff: goals", account_id=data.account_id)
        gap.ask = who["champion"]
        missing.append(say("handoff", "missing", key, ask=who["champion"]))
    return _item("goals", facts, quotes, missing)


def _num(value: float) -> str:
    return f"{int(value):,}" if float(value).is_integer() else f"{value:,.1f}"


def _red_flags(
    data: AccountData, day: date, quotes: list[Quote], who: dict[str, str], gaps: Gaps
) -> HandoffItem:
    facts = []
    start = first_contract_start(data, day)
    kickoff = data.account.kickoff_date
    if kickoff is None:
        gaps.add(
            "kickoff_date", "handoff: red flags (before the kickoff)", account_id=data.account_id
        )
    cutoff = min(kickoff, day) if kickoff else None
    for e in data.events:
        if cutoff and e.kind in COMPETITIVE_EVENTS and e.occurred_at <= cutoff:
            key = "competitive_detail" if e.detail else "competitive"
            detail = defuse(" ".join((e.detail or "").split()))
            facts.append(
                say("handoff", "facts", key, kind=e.kind, date=e.occurred_at, detail=detail)
            )
    if start is not None:
        if kickoff is not None and kickoff <= day and (kickoff - start).days > KICKOFF_GRACE_DAYS:
            days = (kickoff - start).days
            facts.append(
                say("handoff", "facts", "kickoff_delayed", kickoff=kickoff, days=days, start=start)
            )
        elif (kickoff is None or kickoff > day) and (day - start).days > KICKOFF_GRACE_DAYS:
            facts.append(
                say("handoff", "facts", "kickoff_open", days=(day - start).days, start=start)
            )
    missing = []
    if not facts and not quotes:
        detail = "no concern from the negotiation on record (confirm there was none)"
        missing.append(_missing("red_flags", who["ae"], gaps, data.account_id, "red_flags", detail))
    return _item("red_flags", facts, quotes, missing)


def _technical(
    data: AccountData, day: date, quotes: list[Quote], who: dict[str, str], gaps: Gaps
) -> HandoffItem:
    owners = [c for c in data.contacts if c.role in TECHNICAL_ROLES]
    facts = [
        say(
            "handoff",
            "facts",
            "owner",
            person=person(c),
            role=c.role.replace("_", " "),
            status=c.status_on(day).replace("_", " "),
        )
        for c in owners
    ]
    go_live = data.account.go_live_date
    facts.append(
        say("handoff", "facts", "go_live", date=go_live)
        if go_live
        else wording("handoff", "facts")["go_live_missing"]
    )
    missing = []
    if not go_live:
        gaps.add("go_live_date", "handoff: technical setup", account_id=data.account_id)
    if not owners:
        detail = "no technical_lead or admin among the contacts"
        missing.append(
            _missing("technical_owner", who["se"], gaps, data.account_id, "technical_lead", detail)
        )
    if not quotes:
        detail = "no setup requirement (integrations, data, sign-on) in the handoff notes"
        missing.append(
            _missing("technical_setup", who["se"], gaps, data.account_id, "technical_setup", detail)
        )
    return _item("technical_setup", facts, quotes, missing)


def _relationships(
    data: AccountData, quotes: list[Quote], who: dict[str, str], gaps: Gaps
) -> HandoffItem:
    roles = {c.role for c in data.contacts}
    missing = []
    checks = (
        ("champion", "champion", {"champion"}, "no contact with role champion"),
        ("skeptics", "detractor", {"detractor"}, "no detractor recorded (confirm there was none)"),
        (
            "sponsor",
            "exec_sponsor",
            set(DECISION_ROLES),
            "no exec sponsor, decision maker or economic buyer among the contacts",
        ),
    )
    for key, signal, wanted, detail in checks:
        if roles & wanted:
            continue
        if key == "skeptics" and any(SKEPTIC.search(q.text) for q in quotes):
            continue
        missing.append(_missing(key, who["ae"], gaps, data.account_id, signal, detail))
    return _item("relationships", [], quotes, missing)


def _by_stance(contacts: list[Contact]) -> list[Contact]:
    order = ("advocate", "sponsor", "skeptic", "technical owner")
    return sorted(
        contacts,
        key=lambda c: (order.index(STANCE[c.role]) if c.role in STANCE else len(order), c.name),
    )


def _party(c: Contact, day: date) -> Party:
    return Party(
        contact_id=c.contact_id,
        name=c.name,
        title=c.title,
        role=c.role,
        stance=STANCE.get(c.role or ""),
        influence=c.influence,
        status=c.status_on(day),
    )
