"""Render a sales-to-CS handoff record (`csm handoff`) as Markdown."""

from __future__ import annotations

from agent.render.common import money, num
from agent.render.markdown import cell, gaps_markdown, join, table, title_block
from tools.plans.handoff import HandoffItem, HandoffResult, Quote


def to_markdown(result: HandoffResult) -> str:
    """Render the record: the deal, the five items, the people, the notes, the data gaps."""
    head = title_block(
        f"Sales-to-CS handoff: {result.name}",
        [
            f"as of {result.as_of}",
            result.segment,
            result.industry,
            f"{num(result.employees)} employees" if result.employees else None,
            f"CSM {result.csm}" if result.csm else None,
        ],
    )
    return join(
        head,
        result.intro,
        _deal(result),
        *(_item(n, item) for n, item in enumerate(result.items, start=1)),
        _people(result),
        _notes(result),
        gaps_markdown(result.gaps),
    )


def _deal(result: HandoffResult) -> str:
    seats = f"{num(result.licensed_seats)} licensed seats" if result.licensed_seats else None
    plan = ", ".join(x for x in (result.plan, seats) if x) or None
    departments = ", ".join(result.departments_licensed or []) or None
    contract = None
    if result.contract_id:
        renew = {True: "yes", False: "no", None: "not recorded"}[result.auto_renew]
        notice = f"{result.notice_days} days" if result.notice_days is not None else "not recorded"
        contract = (
            f"{result.contract_id}: {money(result.contract_arr)} ARR, {result.contract_start} to "
            f"{result.contract_end}, auto-renew {renew}, notice {notice}"
        )
    rows = [
        ("Plan", plan),
        ("Departments licensed", departments),
        ("First contract", contract),
        ("ARR today", money(result.arr)),
        ("Kickoff", result.kickoff_date),
        ("Go-live", result.go_live_date),
    ]
    return "## The deal\n\n" + table(("Deal", "As recorded"), rows)


def _item(number: int, item: HandoffItem) -> str:
    lines = [f"## {number}. {item.title}", ""]
    lines += [f"- {cell(fact)}" for fact in item.facts]
    lines += [f"- {_quote(q)}" for q in item.quotes]
    if item.missing:
        if item.facts or item.quotes:
            lines.append("")
        lines += [f"**Missing:** {cell(m)}" for m in item.missing]
    return "\n".join(lines)


def _quote(q: Quote) -> str:
    by = f", by {cell(q.author)}" if q.author else ""
    return f'"{cell(q.text)}" (note {cell(q.note_id)}, {q.created_at}{by})'


def _people(result: HandoffResult) -> str:
    if not result.people:
        return "## People\n\nNo contacts on record (see data gaps)."
    rows = [
        (
            p.name,
            p.title,
            (p.role or "").replace("_", " ") or None,
            p.stance or "-",
            p.influence,
            p.status.replace("_", " "),
        )
        for p in result.people
    ]
    headers = ("Name", "Title", "Role", "Where they stood", "Influence", "Status")
    return "## People\n\n" + table(headers, rows)


def _notes(result: HandoffResult) -> str | None:
    if not result.notes:
        return None
    parts = ["## The handoff notes as written"]
    parts += [
        f"> {cell(q.text)}\n>\n> — note {cell(q.note_id)}, {q.created_at}" for q in result.notes
    ]
    return "\n\n".join(parts)
