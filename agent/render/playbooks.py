"""Markdown of the playbook review (`csm playbooks`), worded by prompts/playbooks.md."""

from __future__ import annotations

from collections.abc import Sequence

from agent.render.analysis import plural, text
from agent.render.common import num, pct
from agent.render.markdown import gaps_by_signal, table
from prompts import sections
from tools.plans.playbooks import (
    MIN_CLOSED,
    DelayedAccount,
    ModelReview,
    OnboardingReview,
    PlaybookReview,
    PlaybookRow,
)

PROMPT = "playbooks"
VERDICTS = ("keep", "change", "drop", "test_next")
MAX_NAMES = 10


def _t(key: str, /, **values: object) -> str:
    return text(PROMPT, key, **values)


def to_markdown(result: PlaybookReview) -> str:
    """Render the playbook review as Markdown."""
    parts = [
        f"# {_t('title')}",
        _t("intro", as_of=result.as_of),
        f"## {_t('rule')}",
        _rule(result),
        f"## {_t('table')}",
        _table(result.playbooks),
        f"## {_t('verdicts')}",
        *_verdicts(result.playbooks),
        f"## {_t('model', profile=result.model.profile)}",
        *_model(result.model, result),
        f"## {_t('onboarding')}",
        *_onboarding(result.onboarding),
        f"## {_t('not answered')}",
        "\n".join(f"- {_t(f'not answered {key}')}" for key in result.not_answered),
        gaps_by_signal(result.gaps, _t, result.names),
    ]
    return "\n\n".join(parts) + "\n"


# --- playbooks ----------------------------------------------------------------------------


def _rule(result: PlaybookReview) -> str:
    r = result.rules
    return _t(
        "rule body",
        keep=pct(r["keep_at"], 0),
        drop=pct(r["drop_below"], 0),
        min_closed=r["min_closed"],
        lead=r["judged_lead_days"],
        max_fp=pct(r["max_false_positive_rate"], 0),
    )


def playbook_name(row: PlaybookRow) -> str:
    """Name a playbook: 'Save (every play)' or 'Save: executive call'."""
    kind = _kind(row.kind)
    if row.intervention is None:
        return _t("all plays", kind=kind)
    return _t("with intervention", kind=kind, intervention=_intervention(row.intervention))


def _kind(kind: str) -> str:
    return _t(f"kind {kind}") if f"kind {kind}" in sections(PROMPT) else kind.replace("_", " ")


def _intervention(name: str) -> str:
    key = f"intervention {name}"
    return _t(key) if key in sections(PROMPT) else name.replace("_", " ")


def _rate(row: PlaybookRow) -> str:
    if row.success_rate is None:
        return "-"
    rate = pct(row.success_rate)
    return f"{rate} ({_t('too few')})" if row.too_few else rate


def _thresholds() -> dict[str, object]:
    from tools.plans.playbooks import DROP_BELOW, KEEP_AT

    return {"keep": pct(KEEP_AT, 0), "drop": pct(DROP_BELOW, 0), "min_closed": MIN_CLOSED}


def why(row: PlaybookRow) -> str:
    """Say which part of the rule gave the verdict."""
    return _t(
        f"why {row.reason}",
        rate=pct(row.success_rate),
        closed=row.closed,
        **_thresholds(),
    )


def _table(rows: Sequence[PlaybookRow]) -> str:
    body = [
        [
            playbook_name(r),
            r.plays,
            r.open,
            r.closed,
            r.succeeded,
            _rate(r),
            _t(f"verdict word {r.verdict}"),
            why(r),
        ]
        for r in rows
    ]
    headers = ["Playbook", "Plays", "Open", "Closed", "Succeeded", "Success rate", "Verdict", "Why"]
    return table(headers, body, padded=True)


def _verdicts(rows: Sequence[PlaybookRow]) -> list[str]:
    out = []
    for v in VERDICTS:
        chosen = [r for r in rows if r.verdict == v]
        items = [f"- {action(r, rows)}" for r in chosen] or [_t("none")]
        out += [f"### {_t(f'verdict {v}')}", "\n".join(items)]
    return out


def action(row: PlaybookRow, rows: Sequence[PlaybookRow]) -> str:
    """Word what to do with one playbook, from its verdict."""
    fields: dict[str, object] = {
        "playbook": playbook_name(row),
        "succeeded": row.succeeded,
        "closed": row.closed,
        "rate": pct(row.success_rate),
    }
    if row.reason == "never_tried":
        return _t("action never_tried", **fields)
    if row.verdict == "test_next":
        return _t("action too_few", more=MIN_CLOSED - row.closed, min_closed=MIN_CLOSED, **fields)
    if row.verdict == "drop":
        return _t("action drop", alternative=_alternative(row, rows), **fields)
    line = _t(f"action {row.verdict}", **fields)
    if row.verdict == "change" and row.failed_accounts:
        line += " " + _t("action change accounts", accounts=names(row.failed_accounts))
    return line


def _alternative(row: PlaybookRow, rows: Sequence[PlaybookRow]) -> str:
    """Name the same kind's intervention with the best judged record, if any."""
    judged = [
        r
        for r in rows
        if r.kind == row.kind
        and r.intervention is not None
        and r.intervention != row.intervention
        and not r.too_few
        and r.success_rate is not None
        and r.success_rate > (row.success_rate or 0)
    ]
    if not judged:
        return _t("alternative none", min_closed=MIN_CLOSED)
    best = max(judged, key=lambda r: (r.success_rate or 0, r.closed))
    return _t(
        "alternative best",
        best=_intervention(best.intervention or ""),
        best_rate=pct(best.success_rate),
        best_closed=best.closed,
    )


def names(items: Sequence[str]) -> str:
    """Join names, the first ten shown and the rest counted."""
    shown = ", ".join(items[:MAX_NAMES])
    return shown + (f" (+{len(items) - MAX_NAMES})" if len(items) > MAX_NAMES else "")


# --- the health model ---------------------------------------------------------------------


def _model(m: ModelReview, result: PlaybookReview) -> list[str]:
    lead = result.rules["judged_lead_days"]
    if not m.cases:
        return [_t("model none", as_of=result.as_of)]
    rows = [
        [
            lc.lead,
            f"{lc.churned_flagged} of {m.churned}",
            f"{lc.contracted_flagged} of {m.contracted}",
            f"{lc.flagged} of {lc.tiered}"
            + (f" ({pct(lc.share)})" if lc.share is not None else ""),
            lc.unknown_tier,
        ]
        for lc in m.leads
    ]
    headers = [
        "Days before",
        "Churned flagged",
        "Contracted flagged",
        "Flagged of tiered",
        "No tier",
    ]
    out = [
        _t(
            "model intro",
            cases=m.cases,
            churned=m.churned,
            contracted=m.contracted,
            as_of=result.as_of,
        ),
        table(headers, rows, padded=True),
    ]
    if m.missed:
        out.append(_t("missed", lead=lead, accounts=_refs(m.missed, tier=True)))
    if m.untiered:
        out.append(_t("untiered", lead=lead, accounts=_refs(m.untiered)))
    if m.flagged_90d:
        out.append(
            _t(
                "false positives",
                flagged=m.flagged_90d,
                false_positives=m.false_positives,
                rate=pct(m.false_positive_rate),
                as_of=result.as_of,
                accounts=_refs(m.false_positive_accounts, tier=True),
            )
        )
    else:
        out.append(_t("no false positives", as_of=result.as_of))
    key = f"model verdict {m.verdict}"
    if m.reason == "false_positives":
        key += " false_positives"
    judged = next((lc for lc in m.leads if lc.lead == lead), None)
    out.append(
        _t(
            key,
            rate=pct(m.catch_rate),
            fp_rate=pct(m.false_positive_rate) if m.false_positive_rate is not None else "0.0%",
            lead=lead,
            tiered=judged.tiered if judged else 0,
            min_closed=MIN_CLOSED,
        )
    )
    return out


def _refs(refs: Sequence, *, tier: bool = False) -> str:
    items = [f"{r.name} ({r.tier})" if tier and r.tier else r.name for r in refs]
    return names(items) if items else "-"


# --- onboarding ---------------------------------------------------------------------------


def _onboarding(o: OnboardingReview) -> list[str]:
    cur, prev = o.current, o.previous
    quarter = cur.quarter + (f" {_t('to date')}" if cur.to_date else "")
    trend = _t(o.trend or "no trend")
    out = [
        _t(
            "onboarding ttfv",
            current=_days(cur.ttfv_days, cur.accounts),
            quarter=quarter,
            previous=_days(prev.ttfv_days, prev.accounts),
            previous_quarter=prev.quarter,
            trend=trend,
        )
    ]
    rows = [
        [
            _t(f"stage {stage}"),
            _days(cur.stage_days.get(stage), cur.stage_accounts.get(stage, 0)),
            _days(prev.stage_days.get(stage), prev.stage_accounts.get(stage, 0)),
        ]
        for stage in cur.stage_days
    ]
    out.append(table(["Stage (mean)", quarter, prev.quarter], rows, right=2, padded=True))
    if o.late_kickoff:
        out.append(_t("late kickoff", accounts=_delays(o.late_kickoff)))
    if o.late_first_value:
        out.append(_t("late first value", accounts=_delays(o.late_first_value)))
    if not o.late_kickoff and not o.late_first_value:
        out.append(_t("no delays"))
    elif o.most_delays is None:
        out.append(_t("most delays tie"))
    else:
        out.append(_t(f"most delays {o.most_delays}"))
    return out


def _days(value: float | None, accounts: int) -> str:
    if value is None:
        return "-"
    return f"{plural(value, 'day')} ({plural(accounts, 'account')})"


def _delays(items: Sequence[DelayedAccount]) -> str:
    return names(
        [
            _t(
                "delay item",
                name=d.name,
                days=num(d.days),
                limit=num(d.limit_days),
                quarter=d.quarter,
            )
            for d in items
        ]
    )
