"""Save play for an at-risk account (`csm save`): openclaw 6.2 on top of the churn scan.

Every number comes from an analytics tool: signals, risk, escalation and the 48-hour action
from tools.churn.assess_account (the action verbatim), weak dimensions and the trend from
tools.health.score_account, value recovery from tools.roi; their gaps are copied in. The
wording is prompts/save.md. Resolutions of what the seeds leave open:

- Churn reason: the recorded `churn_reason`, else inferred from the churn signals in the
  order of commands.md (REASONS); the first names it, the others are listed beside it.
- Dates: the 48-hour action is due as-of + 2 days; the two-week fixes as-of + 14; the
  executive call as-of + 1 when the health tier is red (the seed's "save call within 24
  hours"), + 2 when the churn escalation is executive, else + 7. A date after the drop-dead
  date is pulled in to it and marked compressed.
- Drop-dead date: the notice deadline; with notice_days unknown, the renewal date - 30 (the
  renewal sequence's "contract sent" step) and a `notice_days` gap; when that date has
  passed, the renewal date itself. No contract in force: no date and a `contracts` gap.
- Weak dimensions: a health dimension scoring below 4 of 10, the lowest band of every
  dimension of the engine model (DAU/MAU under 20%, declining logins, no active champion, no
  goal met, a late or failed payment). Each gets a two-week fix unless a fired signal's fix
  already covers it.
- Checkpoints: weekly, at most four (the seed's 30-day recovery plan), up to the drop-dead date.
"""

from __future__ import annotations

from datetime import date, timedelta

from memory.read import AccountData, Contact, PortfolioData
from prompts import fill, sections
from tools.churn import AccountRisk, assess_account
from tools.common import DECISION_ROLES, Gaps, active_contracts, notice_deadline, renewal_date
from tools.health import HealthResult, score_account
from tools.plans.save_models import (
    Approval,
    ChurnReason,
    DecisionOption,
    DropDead,
    ExecutiveEngagement,
    Message,
    PastPlay,
    Person,
    ReasonLead,
    SaveResult,
    Step,
    ValueRecovery,
    WeakDimension,
)
from tools.roi import RoiResult, roi

REASONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("relationship", ("champion_loss", "stakeholder_churn")),
    ("competition", ("competitive",)),
    ("financial", ("billing",)),
    ("product", ("support_escalation",)),
    ("value", ("usage_collapse", "silence", "negative_survey")),
)
"""Churn reason <- the churn signals that point to it, in the inference order of commands.md."""
CHURN_REASONS = frozenset(
    {"product", "value", "relationship", "financial", "competition", "strategic"}
)
WEAK_BELOW = 4.0
COVERED_BY: dict[str, frozenset[str]] = {
    "usage": frozenset({"usage_collapse", "silence"}),
    "engagement": frozenset({"usage_collapse", "silence"}),
    "relationship": frozenset({"champion_loss", "stakeholder_churn"}),
    "financial": frozenset({"billing"}),
}
"""Health dimension -> the churn signals whose fix already addresses it."""
EXEC_ROLES = ("exec_sponsor", "economic_buyer", "decision_maker")
FIX_OWNER_SYSTEM = {"support_escalation": "support", "billing": "billing"}
RECOMMENDED = {"financial": "right_size", "strategic": "right_size"}
OPTION_KEYS = ("fix_and_stay", "right_size", "restructure", "exit")
FALLBACK_OUR_SIDE = {"executive": "a CS executive", "csm": "the CSM's manager"}
"""Our side of the call when the workspace escalation path is not set (a gap)."""


def build_save(portfolio: PortfolioData, account_id: str, as_of: date | None = None) -> SaveResult:
    """Build the save plan of an active account from its churn, health and ROI results.

    Args:
        portfolio: the loaded portfolio.
        account_id: the account (KeyError if it was not loaded).
        as_of: the point in time (default: the portfolio's); later rows are ignored.

    Returns:
        The save plan: reason, 48-hour action, fixes, executive call, value recovery,
        options, drop-dead date and leadership approvals, with every data gap.

    Raises:
        ValueError: when the account had churned by as-of (win-back applies instead).
    """
    day = as_of or portfolio.as_of
    data = portfolio.get(account_id)
    if data.account.is_churned_on(day):
        raise ValueError(
            f"{data.name} churned on {data.account.churned_at}: a save play is for active "
            f'accounts; run `csm winback "{data.name}"` for a win-back plan'
        )
    risk = assess_account(portfolio, account_id, day)
    health = score_account(portfolio, account_id, day)
    value = roi(portfolio, account_id, day)
    gaps = Gaps(portfolio.workspace)
    for tool_gaps in (risk.gaps, health.gaps, value.gaps):
        gaps.extend(tool_gaps)
    ctx = _Context.build(portfolio, data, risk, value, day, gaps)
    return _assemble(ctx, risk, health, value, gaps)


class _Context:
    """What every section of the plan needs: names, dates and the template fields."""

    def __init__(self, portfolio: PortfolioData, data: AccountData, day: date, gaps: Gaps) -> None:
        self.portfolio, self.data, self.day, self.gaps = portfolio, data, day, gaps
        self.fields: dict[str, str] = {}
        self.reason = ChurnReason(reason=None, basis="unknown", statement="")
        self.drop = DropDead(date=None, basis="unknown", statement="")
        self.contact: Contact | None = None
        self.exec: Contact | None = None

    @classmethod
    def build(
        cls,
        portfolio: PortfolioData,
        data: AccountData,
        risk: AccountRisk,
        value: RoiResult,
        day: date,
        gaps: Gaps,
    ) -> _Context:
        """Work out the reason, the people, the drop-dead date and the template fields."""
        ctx = cls(portfolio, data, day, gaps)
        acc, ws = data.account, portfolio.workspace
        ctx.contact = _named_in(risk.action, data.contacts) if risk.signals else None
        ctx.exec = _customer_exec(data, day, gaps)
        csm = acc.csm if acc.csm and "@" not in acc.csm else None
        if not acc.csm:
            gaps.add("csm", "save: owners", account_id=data.account_id)
        ctx.fields = {
            "company": data.name,
            "arr": _money(risk.arr),
            "csm": f"CSM {csm}" if csm else "the CSM",
            "signature": csm or "Your customer success team",
            "greeting": f"Hi {ctx.contact.name.split()[0]}," if ctx.contact else "Hello,",
            "customer_contact": _person(ctx.contact)
            if ctx.contact
            else f"the main contact at {data.name}",
            "customer_exec": _person(ctx.exec)
            if ctx.exec
            else f"the executive who owns the renewal decision at {data.name}",
            "support_owner": ws.ask("support"),
            "billing_owner": ws.ask("billing"),
            "as_of": str(day),
        }
        ctx.fields["roi_math"] = _value_text("roi", value, ctx.fields)
        ctx.reason = _reason(data, risk, gaps)
        ctx.drop = _drop_dead(data, day, ctx.fields, gaps)
        ctx.fields["decide_by"] = str(ctx.drop.date) if ctx.drop.date else "the renewal decision"
        ctx.fields["meet_by"] = _spoken(ctx.due(2)[0])
        return ctx

    def due(self, days: int) -> tuple[date, bool]:
        """Return as-of + days, pulled in to the drop-dead date when that comes first."""
        when = self.day + timedelta(days=days)
        if self.drop.date is not None and when > self.drop.date:
            return self.drop.date, True
        return when, False


def _assemble(
    ctx: _Context, risk: AccountRisk, health: HealthResult, value: RoiResult, gaps: Gaps
) -> SaveResult:
    """Put the sections of the plan together."""
    words = sections("save")
    key = ctx.reason.reason or "unknown"
    title, *steps = fill(words[f"play {key}"], **ctx.fields).splitlines()
    weak = _weak_dimensions(health)
    csm_owner = ctx.fields["csm"].removeprefix("CSM ")
    due, compressed = ctx.due(2)
    immediate = Step(action=risk.action, owner=csm_owner, due=due, compressed=compressed)
    ladder = list(ctx.portfolio.workspace.discount_authority)
    executive = _executive(ctx, risk, health, words)
    return SaveResult(
        as_of=ctx.day,
        account_id=ctx.data.account_id,
        name=ctx.data.name,
        csm=ctx.data.account.csm,
        arr=risk.arr,
        risk=risk.risk,
        escalation=risk.escalation,
        signals=risk.signals,
        health_score=health.score,
        health_tier=health.tier,
        health_trend=health.trend,
        reason=ctx.reason,
        play_title=title,
        play=[s.removeprefix("- ") for s in steps if s.strip()],
        intro=None if risk.signals else fill(words["no signal"], **ctx.fields),
        immediate=immediate,
        message=_message(ctx, words) if risk.signals else None,
        fixes=_fixes(ctx, risk, weak, csm_owner, words),
        weak_dimensions=weak,
        executive=executive,
        value=_value(value, ctx.fields),
        options=_options(ctx, words),
        drop_dead=ctx.drop,
        checkpoints=_checkpoints(ctx),
        approvals=_approvals(ctx, risk, health, executive, words),
        discount_ladder=ladder,
        past_plays=_past_plays(ctx.data, ctx.day),
        gaps=gaps.list(),
    )


# --- churn reason ----------------------------------------------------------------------------


def infer_reason(kinds: list[str]) -> tuple[str | None, list[str], list[ReasonLead]]:
    """Infer the churn reason from fired signal kinds, in the order of commands.md.

    Returns:
        The reason (None when no signal points to one), the signals that named it, and the
        other reasons the remaining signals point to, in the same order.
    """
    leads = _leads(kinds)
    if not leads:
        return None, [], []
    return leads[0].reason, leads[0].signals, leads[1:]


def _reason(data: AccountData, risk: AccountRisk, gaps: Gaps) -> ChurnReason:
    """Return the recorded reason, else the inferred one, else a gap."""
    words = sections("save")
    kinds = [s.kind for s in risk.signals]
    inferred, named_by, others = infer_reason(kinds)
    recorded = data.account.churn_reason
    if recorded in CHURN_REASONS:
        leads = [lead for lead in _leads(kinds) if lead.reason != recorded]
        statement = fill(words["reason recorded"], reason=recorded)
        return ChurnReason(reason=recorded, basis="recorded", also=leads, statement=statement)
    if inferred is not None:
        statement = fill(words["reason inferred"], reason=inferred, signals=", ".join(named_by))
        return ChurnReason(
            reason=inferred, basis="inferred", signals=named_by, also=others, statement=statement
        )
    gaps.add(
        "churn_reason",
        "save: choosing the play",
        account_id=data.account_id,
        detail="not recorded, and no churn signal points to a reason",
    )
    return ChurnReason(reason=None, basis="unknown", statement=words["reason unknown"])


def _leads(kinds: list[str]) -> list[ReasonLead]:
    """Return each reason the kinds point to, with its signals, in the order of REASONS."""
    return [
        ReasonLead(reason=reason, signals=[k for k in kinds if k in signals])
        for reason, signals in REASONS
        if any(k in signals for k in kinds)
    ]


# --- people ----------------------------------------------------------------------------------


def _named_in(action: str, contacts: list[Contact]) -> Contact | None:
    """Return the contact the churn scan's action names first (the person it calls)."""
    found = [
        (action.find(c.name), -len(c.name), c) for c in contacts if c.name and c.name in action
    ]
    return min(found, key=lambda f: (f[0], f[1]))[2] if found else None


def _customer_exec(data: AccountData, day: date, gaps: Gaps) -> Contact | None:
    """Return the active exec sponsor, else economic buyer, else decision-maker (else a gap)."""
    active = [c for c in data.contacts if c.role in DECISION_ROLES and c.status_on(day) == "active"]
    if not active:
        gaps.add(
            "exec_sponsor",
            "save: executive engagement",
            account_id=data.account_id,
            detail="no active exec sponsor, decision maker or economic buyer on record",
        )
        return None
    engaged = {c.contact_id: -(c.last_engaged_at or date.min).toordinal() for c in active}
    return min(active, key=lambda c: (EXEC_ROLES.index(c.role), engaged[c.contact_id], c.name))


def _person(contact: Contact) -> str:
    return f"{contact.name} ({contact.title})" if contact.title else contact.name


def _ref(contact: Contact | None) -> Person | None:
    if contact is None:
        return None
    return Person(
        contact_id=contact.contact_id,
        name=contact.name,
        title=contact.title,
        role=contact.role,
        email=contact.email,
    )


def _our_side(ctx: _Context, level: str) -> list[str]:
    """Return our people for the executive call: the manager, and for executive the top rung."""
    path = [p for p in ctx.portfolio.workspace.escalation_path if p.strip().lower() != "csm"]
    if not path:
        ctx.gaps.add(
            "escalation_path",
            "save: executive engagement",
            account_id=ctx.data.account_id,
            detail="who joins a save call from our side (the CSM's manager, the VP)",
        )
        return []
    if level == "executive" and len(path) > 1:
        return [path[0], path[-1]]
    return [path[0]]


# --- sections --------------------------------------------------------------------------------


def _message(ctx: _Context, words: dict[str, str]) -> Message:
    """Fill the 48-hour e-mail for the reason, addressed to the person the action names."""
    text = fill(words[f"message {ctx.reason.reason or 'unknown'}"], **ctx.fields)
    first, _, body = text.partition("\n")
    if not first.startswith("Subject:"):
        raise ValueError(f"prompts/save.md: a message must start with 'Subject:': {first!r}")
    if ctx.contact is None:
        ctx.gaps.add(
            "contacts",
            "save: 48-hour message",
            account_id=ctx.data.account_id,
            detail="the 48-hour action names no contact on record to write to",
        )
    return Message(
        to=_ref(ctx.contact), subject=first.removeprefix("Subject:").strip(), body=body.strip()
    )


def _fixes(
    ctx: _Context, risk: AccountRisk, weak: list[WeakDimension], csm: str, words: dict[str, str]
) -> list[Step]:
    """One two-week fix per fired signal, then per weak dimension no signal's fix covers."""
    ws = ctx.portfolio.workspace
    due, compressed = ctx.due(14)
    fixes = []
    for s in risk.signals:
        system = FIX_OWNER_SYSTEM.get(s.kind)
        owner = f"{csm} with {ws.ask(system)}" if system else csm
        action = fill(words[f"fix {s.kind}"], **ctx.fields)
        fixes.append(
            Step(action=action, owner=owner, due=due, because=s.evidence, compressed=compressed)
        )
    kinds = {s.kind for s in risk.signals}
    for d in weak:
        section = words.get(f"fix dimension {d.name}")
        if section is None or COVERED_BY.get(d.name, frozenset()) & kinds:
            continue
        because = f"health {d.name} {d.score:.1f} of 10" + (f": {d.detail}" if d.detail else "")
        action = fill(section, **ctx.fields)
        fixes.append(
            Step(action=action, owner=csm, due=due, because=because, compressed=compressed)
        )
    return fixes


def _weak_dimensions(health: HealthResult) -> list[WeakDimension]:
    """Return the dimensions scoring below 4 of 10, weakest first."""
    weak = [
        WeakDimension(
            name=d.name,
            score=d.score,
            weight=d.weight,
            detail=next((s.detail for s in d.signals if s.points is not None and s.detail), None),
        )
        for d in health.dimensions
        if d.score is not None and d.score < WEAK_BELOW
    ]
    return sorted(weak, key=lambda w: (w.score, w.name))


def _executive(
    ctx: _Context, risk: AccountRisk, health: HealthResult, words: dict[str, str]
) -> ExecutiveEngagement:
    """Plan the executive call: red tier within a day, executive escalation within two."""
    level = "executive" if risk.escalation == "executive" or health.tier == "red" else "csm"
    days = 1 if health.tier == "red" else 2 if risk.escalation == "executive" else 7
    by, compressed = ctx.due(days)
    our = _our_side(ctx, level)
    fields = {
        **ctx.fields,
        "by": str(by),
        "our_side": " and ".join(our) if our else FALLBACK_OUR_SIDE[level],
    }
    return ExecutiveEngagement(
        level=level,
        customer_exec=_ref(ctx.exec),
        our_side=our,
        by=by,
        agenda=fill(words[f"executive {level}"], **fields),
        compressed=compressed,
    )


def _value(value: RoiResult, fields: dict[str, str]) -> ValueRecovery:
    """Summarise the ROI result and the goals as value recovery."""
    achieved = [g for g in value.benchmark if g.status == "achieved"]
    missed = [g for g in value.benchmark if g.status in ("missed", "at_risk")]
    rest = [g for g in value.benchmark if g not in achieved and g not in missed]
    return ValueRecovery(
        total_annual_value_usd=value.total_annual_value_usd,
        roi_multiple=value.roi_multiple,
        estimate=value.estimate,
        valued={
            c.category: c.annual_value_usd
            for c in value.categories
            if c.annual_value_usd is not None
        },
        achieved=achieved,
        missed=missed,
        open=rest,
        statement=_value_text("value", value, fields),
    )


def _value_text(prefix: str, value: RoiResult, fields: dict[str, str]) -> str:
    """Fill the documented / none wording of a value sentence."""
    words = sections("save")
    total = value.total_annual_value_usd
    if total is None:
        return fill(words[f"{prefix} none"], **fields)
    multiple = f" ({value.roi_multiple:.1f}x ARR)" if value.roi_multiple is not None else ""
    estimate = ", partly estimated" if value.estimate else ""
    return fill(
        words[f"{prefix} documented"],
        **{**fields, "value": _money(total) + estimate, "multiple": multiple},
    )


def _options(ctx: _Context, words: dict[str, str]) -> list[DecisionOption]:
    """List the decision options, from full remediation to a graceful exit."""
    recommended = RECOMMENDED.get(ctx.reason.reason or "", "fix_and_stay")
    commits = ctx.reason.reason in ("product", "competition")
    options = []
    for key in OPTION_KEYS:
        title, _, description = fill(words[f"option {key}"], **ctx.fields).partition("\n")
        needs = key in ("right_size", "restructure") or (key == "fix_and_stay" and commits)
        options.append(
            DecisionOption(
                key=key,
                title=title.strip(),
                description=description.strip(),
                recommended=key == recommended,
                needs_approval=needs,
            )
        )
    return options


def _approvals(
    ctx: _Context,
    risk: AccountRisk,
    health: HealthResult,
    executive: ExecutiveEngagement,
    words: dict[str, str],
) -> list[Approval]:
    """List what needs leadership approval and who approves it (unset = a gap)."""
    ws, account_id = ctx.portfolio.workspace, ctx.data.account_id
    ladder = "; ".join(f"{s.role} up to {s.max_discount_pct:g}%" for s in ws.discount_authority)
    if not ladder:
        ctx.gaps.add(
            "discount_authority",
            "save: leadership approvals",
            account_id=account_id,
            detail="who may approve which discount (the discount authority ladder)",
        )
    items = [("discount", ladder or None)]
    if executive.level == "executive":
        items.append(("executive", executive.our_side[-1] if executive.our_side else None))
    kinds = {s.kind for s in risk.signals}
    if ctx.reason.reason in ("product", "competition") or "support_escalation" in kinds:
        items.append(("product", "product leadership"))
    if ctx.reason.reason in ("value", None) or health.tier == "red":
        items.append(("resources", executive.our_side[0] if executive.our_side else None))
    return [
        Approval(key=key, item=fill(words[f"approval {key}"], **ctx.fields), approver=approver)
        for key, approver in items
    ]


def _drop_dead(data: AccountData, day: date, fields: dict[str, str], gaps: Gaps) -> DropDead:
    """Pick the drop-dead date: notice deadline, else renewal - 30, else the renewal date."""
    words = sections("save")
    renews = renewal_date(data, day)
    if renews is None:
        gaps.add(
            "contracts",
            "save: drop-dead date",
            account_id=data.account_id,
            detail=f"no contract row in force on {day}",
        )
        return DropDead(date=None, basis="unknown", statement=fill(words["drop-dead unknown"]))
    last = max(active_contracts(data, day), key=lambda c: c.end_date)
    notice = notice_deadline(data, day)
    base = {**fields, "renewal": str(renews)}
    if notice is None:
        gaps.add(
            "notice_days",
            "save: drop-dead date",
            account_id=data.account_id,
            detail=f"the notice period of contract {last.contract_id}",
        )
        when, basis = renews - timedelta(days=30), "renewal_minus_30"
        passed = f"the date 30 days before renewal ({when})"
    else:
        when, basis = notice, "notice"
        passed = f"the notice deadline ({notice})"
    if when < day:
        when, basis = renews, "renewal"
    text = fill(
        words[f"drop-dead {basis}"],
        **base,
        date=str(when),
        notice_days=str(last.notice_days),
        passed=passed,
    )
    return DropDead(
        date=when,
        basis=basis,
        statement=text,
        days_left=(when - day).days,
        renewal_date=renews,
        notice_deadline=notice,
        auto_renew=last.auto_renew,
    )


def _checkpoints(ctx: _Context) -> list[date]:
    """Return weekly checkpoints (at most four) up to the drop-dead date."""
    dates = [ctx.day + timedelta(days=7 * w) for w in range(1, 5)]
    if ctx.drop.date is None:
        return dates
    return [d for d in dates if d <= ctx.drop.date]


def _past_plays(data: AccountData, day: date) -> list[PastPlay]:
    """Return the save plays opened by as-of; one closed after as-of is still open then."""
    return [
        PastPlay(
            play_id=p.play_id,
            opened_at=p.opened_at,
            closed_at=p.closed_at if p.closed_at and p.closed_at <= day else None,
            outcome=p.outcome if p.closed_at and p.closed_at <= day else "open",
            intervention=p.intervention,
        )
        for p in data.plays
        if p.kind == "save" and p.opened_at <= day
    ]


def _spoken(day: date) -> str:
    """Write a date the way an e-mail would: 'Wednesday 25 November 2026'."""
    return f"{day:%A} {day.day} {day:%B %Y}"


def _money(value: float) -> str:
    return f"-${-value:,.0f}" if value < 0 else f"${value:,.0f}"
