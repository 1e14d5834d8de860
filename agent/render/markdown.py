"""Markdown building blocks shared by the document renderers.

Tables with escaped cells, bullets, quote blocks, the data-gaps section, a title block and
the join of sections. Text that came from the data goes through `cell` (inside a table, or
any one-line value) or `safe` (free text): neither lets it read as an unfilled placeholder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from agent.render.common import money
from tools.plans.onboarding_text import defuse
from tools.types import Gap

NO_GAPS = "None: every input this document needs is on record."
MAX_GAP_ACCOUNTS = 8
"""Accounts named per signal in the portfolio documents' gaps table (the rest are counted)."""

_BRACKETS = str.maketrans({"[": "(", "]": ")", "{": "(", "}": ")"})


def safe(text: str | None) -> str:
    """Return text from the data with brackets and braces made round (never a placeholder)."""
    return (text or "").translate(_BRACKETS)


def cell(value: object) -> str:
    """Make a value safe for one Markdown table cell (or any one-line spot).

    One line (whitespace runs collapse), pipes escaped, placeholder-looking text defused
    (TBD -> to be decided, [Name] -> (Name)) and any other bracket or brace made round.
    A missing value reads "not recorded".
    """
    if value is None:
        return "not recorded"
    return safe(defuse(" ".join(str(value).split()).replace("|", "\\|")))


def table(
    headers: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    right: int = 0,
    padded: bool = False,
) -> str:
    """Return a Markdown table, every header and value escaped with `cell`.

    Args:
        headers: the column titles.
        rows: the rows, one value per column.
        right: how many of the last columns are right-aligned.
        padded: spaces around the separator row's dashes (`| --- |` rather than `|---|`).
    """
    align = ["---"] * (len(headers) - right) + ["---:"] * right
    rule = "| " + " | ".join(align) + " |" if padded else "|" + "|".join(align) + "|"
    lines = ["| " + " | ".join(cell(h) for h in headers) + " |", rule]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def bullets(items: Iterable[str]) -> str:
    """Return a Markdown bullet list."""
    return "\n".join(f"- {item}" for item in items)


def blockquote(text: str) -> str:
    """Return text as a Markdown quote block, blank lines kept as a bare `>`."""
    return "\n".join(f"> {line}" if line else ">" for line in text.splitlines())


def gaps_markdown(gaps: Sequence[Gap], *, count: bool = True) -> str:
    """Return the "Data gaps" section: one bullet per gap, naming the system and who to ask.

    Each reads "**signal**: detail — needed for ...; lives in <source>; ask <ask>".

    Args:
        gaps: the result's gaps.
        count: say how many in the heading ("## Data gaps (3)").
    """
    if not gaps:
        return f"## Data gaps\n\n{NO_GAPS}"
    items = [
        f"**{g.signal}**"
        + (f": {cell(g.detail)}" if g.detail else "")
        + f" — needed for {g.needed_for}; lives in {g.source}; ask {g.ask}"
        for g in gaps
    ]
    head = f"## Data gaps ({len(gaps)})" if count else "## Data gaps"
    return f"{head}\n\n" + bullets(items)


def gaps_by_signal(
    gaps: Sequence[Gap],
    words: Callable[[str], str],
    names: dict[str, str] | None = None,
) -> str:
    """Return the portfolio documents' data-gaps section: one row per signal with its accounts.

    Args:
        gaps: the result's gaps.
        words: returns the wording of 'gaps', 'no gaps' and 'gaps intro' from a prompt.
        names: account id -> display name.
    """
    if not gaps:
        return words("no gaps")
    groups: dict[str, list[Gap]] = {}
    for g in gaps:
        groups.setdefault(g.signal, []).append(g)
    rows = []
    for signal, items in sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        accounts = sorted(
            {(names or {}).get(g.account_id, g.account_id) for g in items if g.account_id},
            key=str.lower,
        )
        shown = ", ".join(accounts[:MAX_GAP_ACCOUNTS])
        if len(accounts) > MAX_GAP_ACCOUNTS:
            shown += f" (+{len(accounts) - MAX_GAP_ACCOUNTS})"
        details = sorted({g.detail for g in items if not g.account_id and g.detail})
        missing = "; ".join([signal, *details]) if details else signal
        needs = sorted({n for g in items for n in g.needed_for.split("; ")})
        rows.append(
            [missing, shown or "portfolio", "; ".join(needs), items[0].source, items[0].ask]
        )
    headers = ["Missing", "Accounts", "Needed for", "Lives in", "Ask"]
    return "\n\n".join(
        [
            f"## {words('gaps')} ({len(gaps)})",
            words("gaps intro"),
            table(headers, rows, padded=True),
        ]
    )


def title_block(title: str, facts: Iterable[str | None]) -> str:
    """Return a `# title` line and one line of facts joined by middle dots."""
    shown = [defuse(f) for f in facts if f]
    return f"# {defuse(title)}\n\n" + " · ".join(shown)


def join(*sections: str | None) -> str:
    """Join the non-empty sections with blank lines, ending with one newline."""
    return "\n\n".join(s.strip() for s in sections if s and s.strip()) + "\n"


def dollars(value: float | None) -> str:
    """Format dollars as `common.money` does, a missing amount reading 'unknown' (not '?')."""
    return "unknown" if value is None else money(value)
