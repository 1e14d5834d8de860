"""Markdown of the portfolio analysis (`csm analysis`), worded by prompts/analysis.md.

Also home of `text` (a prompt section, filled) and `plural`, which the playbook review shares.
"""

from __future__ import annotations

from agent.render.common import TIER_LABEL, money, num, pct
from agent.render.markdown import gaps_by_signal, table
from prompts import fill, sections
from tools.plans.analysis import AnalysisResult, Driver, Metric

PROMPT = "analysis"
MAX_DRIVERS = 10
"""Accounts listed under one move; the rest are counted (all are in the JSON)."""


def text(prompt: str, key: str, /, **values: object) -> str:
    """Return section `key` of prompts/`prompt`.md, filled with `values`."""
    return fill(sections(prompt)[key], **values)


def _t(key: str, /, **values: object) -> str:
    return text(PROMPT, key, **values)


def to_markdown(result: AnalysisResult) -> str:
    """Render the portfolio analysis as Markdown."""
    q, p = result.quarter, result.previous
    title = _t("title to date" if q.to_date else "title", quarter=q.label)
    intro = _t(
        "intro",
        as_of=result.as_of,
        quarter=q.label,
        start=q.start,
        end=q.end,
        previous=p.label,
        previous_start=p.start,
        previous_end=p.end,
        profile=result.profile,
    )
    parts = [f"# {title}", intro]
    if q.to_date:
        parts.append(_t("to date", quarter=q.label, end=q.end, previous=p.label))
    parts += [
        f"## {_t('summary')}",
        _summary_table(result),
        f"## {_t('moves')}",
        *_moves(result),
        f"## {_t('improvements')}",
        _improvements(result),
        f"## {_t('retention')}",
        _retention(result),
        f"## {_t('health')}",
        _health(result),
        _t(
            "expansion won",
            amount=money(result.expansion_won_amount),
            quarter=q.label,
            previous_amount=money(result.previous_expansion_won_amount),
            previous=p.label,
        ),
        f"## {_t('method')}",
        _t("method body"),
        gaps_by_signal(result.gaps, _t, result.names),
    ]
    return "\n\n".join(parts) + "\n"


# --- pieces -------------------------------------------------------------------------------


def label(key: str) -> str:
    """Return the display name of a metric."""
    return _t(f"label {key}")


def value_text(m: Metric, value: float | None, n: float | None = None) -> str:
    """Format one quarter's value of a metric (days with how many accounts)."""
    if value is None:
        return _t("no data")
    if m.unit == "days":
        suffix = f" ({plural(n, 'account')})" if n is not None else ""
        return f"{plural(value, 'day')}{suffix}"
    return pct(value)


def plural(n: float, unit: str) -> str:
    """Return '1 day', '2 days', '1.5 days'."""
    return f"{num(n)} {unit}" + ("" if n == 1 else "s")


def change_text(m: Metric) -> str:
    """Format the change: points (or days) and the relative move."""
    if m.change is None:
        return _t("no data")
    if m.unit == "fraction":
        absolute = f"{m.change_points:+.1f} pts"
    else:
        absolute = f"{m.change:+.1f} days"
    if m.relative_change is None:
        return absolute
    return f"{absolute} ({m.relative_change * 100:+.1f}%)"


def _flag(m: Metric) -> str:
    if not m.flagged:
        return _t("no")
    if m.better is None:
        return _t("yes")
    return _t("yes better" if m.better else "yes worse")


def _summary_table(result: AnalysisResult) -> str:
    rows = [
        [
            label(m.key),
            value_text(m, m.value, m.current.denominator),
            value_text(m, m.previous_value, m.previous.denominator),
            change_text(m),
            _flag(m),
        ]
        for m in result.metrics
    ]
    headers = ["Metric", result.quarter.label, result.previous.label, "Change", "Moved > 10%"]
    return table(headers, rows, padded=True)


def _moves(result: AnalysisResult) -> list[str]:
    flagged = [m for m in result.metrics if m.flagged]
    if not flagged:
        return [_t("no moves", previous=result.previous.label)]
    return ["\n\n".join(_move(result, m)) for m in flagged]


def _move(result: AnalysisResult, m: Metric) -> list[str]:
    q, p = result.quarter.label, result.previous.label
    direction = _t(m.direction or "up")
    if m.relative_change is None:
        head = _t("move heading from zero", label=label(m.key), direction=direction, quality=_q(m))
    else:
        relative = f"{abs(m.relative_change) * 100:.1f}%"
        head = _t(
            "move heading",
            label=label(m.key),
            direction=direction,
            relative=relative,
            quality=_q(m),
        )
    lines = [
        f"### {head}",
        _t(
            "move line",
            label=label(m.key),
            previous_value=value_text(m, m.previous_value),
            previous=p,
            value=value_text(m, m.value),
            quarter=q,
            change=change_text(m),
        ),
    ]
    if not m.drivers:
        return [*lines, _t("no drivers")]
    bullets = [f"- {driver_text(result, m, d)}" for d in m.drivers[:MAX_DRIVERS]]
    if len(m.drivers) > MAX_DRIVERS:
        bullets.append(f"- {_t('more accounts', count=len(m.drivers) - MAX_DRIVERS)}")
    return [*lines, _t("drivers intro"), "\n".join(bullets)]


def _q(m: Metric) -> str:
    """Say whether the move is better, worse, or neither."""
    if m.better is None:
        return _t("neither")
    return _t("better" if m.better else "worse")


def _tier_name(tier: str) -> str:
    name = TIER_LABEL.get(tier, tier)
    return tier if name.lower() == tier else f"{tier} ({name})"


def driver_text(result: AnalysisResult, m: Metric, d: Driver) -> str:
    """Word one account behind a move."""
    fields: dict[str, object] = {
        "name": d.name,
        "quarter": d.quarter,
        "previous": result.previous.label,
    }
    key = f"effect {d.effect}"
    if d.effect in ("churned", "contracted", "expanded"):
        fields["value"] = money(d.value)
        if d.quarter != result.quarter.label:
            key += " previous"
            fields["current"] = result.quarter.label
    elif d.effect in ("slower", "faster"):
        fields["value"] = plural(d.value or 0, "day")
    elif d.effect in ("entered", "left"):
        fields["tier"] = _tier_name(m.key.removeprefix("health_"))
        fields["value"] = num(d.value, 0) if d.value is not None else _t("no data")
        if d.note is None:
            key += " new" if d.effect == "entered" else " gone"
        else:
            fields["other"] = _tier_name(d.note)
    elif d.effect in ("saved", "not_saved"):
        fields["intervention"] = (d.note or _t("no intervention")).replace("_", " ")
    elif d.effect in ("won", "lost"):
        fields["value"] = money(d.value) if d.value is not None else _t("no amount")
    return _t(key, **fields)


def _improvements(result: AnalysisResult) -> str:
    if not result.improvements:
        return _t("no improvements", previous=result.previous.label)
    by_key = {m.key: m for m in result.metrics}
    items = []
    for i, key in enumerate(result.improvements, 1):
        m = by_key[key]
        line = _t(
            "improvement line",
            label=label(key),
            previous_value=value_text(m, m.previous_value),
            value=value_text(m, m.value),
            action=_t(f"improve {key}"),
        )
        names = [d.name for d in m.drivers]
        if names:
            shown = ", ".join(dict.fromkeys(names[:5]))
            if len(names) > 5:
                shown += f" (+{len(names) - 5})"
            line += " " + _t("improvement accounts", accounts=shown)
        items.append(f"{i}. {line}")
    return "\n".join(items)


def _retention(result: AnalysisResult) -> str:
    cur, prev = result.retention, result.previous_retention
    rows = [
        ["Accounts paying when the quarter opened", num(cur.cohort_size), num(prev.cohort_size)],
        ["ARR when the quarter opened", money(cur.start_arr), money(prev.start_arr)],
        ["Expansion", money(cur.expansion), money(prev.expansion)],
        ["Contraction", money(-cur.contraction), money(-prev.contraction)],
        ["Churn", money(-cur.churn), money(-prev.churn)],
        ["ARR of those accounts at the end", money(cur.end_arr), money(prev.end_arr)],
        ["Accounts still paying", num(cur.retained_logos), num(prev.retained_logos)],
    ]
    return table(["", result.quarter.label, result.previous.label], rows, right=2, padded=True)


def _health(result: AnalysisResult) -> str:
    cur, prev = result.health, result.previous_health
    before = {t.tier: t for t in prev.tiers}
    rows = []
    for t in cur.tiers:
        b = before[t.tier]
        rows.append([_tier_name(t.tier), _count(t.count, t.share), _count(b.count, b.share)])
    rows.append(["All scored customers", num(cur.accounts), num(prev.accounts)])
    headers = [
        "Tier",
        f"{result.quarter.label} ({cur.day})",
        f"{result.previous.label} ({prev.day})",
    ]
    return table(headers, rows, right=2, padded=True)


def _count(count: int, share: float | None) -> str:
    return f"{count} ({pct(share)})" if share is not None else _t("no data")
