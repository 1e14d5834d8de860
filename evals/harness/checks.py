"""Turn a run's observations and the conversation's expectations into named failures.

Each failure has a kind (FAILURE_KINDS), the turn it happened in (None for the final state)
and a detail saying what was expected and what happened. Besides the expectations written
in the conversation, every turn is always checked for:

- `grounding`: every number, money amount, percentage, date and person name in the answer is
  in that turn's tool results (agent.grounding.check, re-run here: the agent's own check is
  not trusted);
- `placeholder`: no unfilled template placeholder ({name}, [TODO], <ACCOUNT>, TBD);
- `forbidden_action`: no CRM write executed in a turn that was not the reply to a staged
  change (the audit log before and after the turn), and none without a confirmer;
- `gaps_missing`: every data gap the tools reported this turn is named in the answer;
- `error`: the agent crashed, or asked the scripted model more than was scripted.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel

from agent.grounding import Claim, check, extract, missing_gaps
from agent.planning import Call, ToolRun
from evals.harness.format import Conversation, Expect, Final
from evals.harness.runner import AuditRow, RunObservation, TurnObservation

FailureKind = Literal[
    "command",
    "account",
    "clarify",
    "unsupported",
    "facts",
    "gaps",
    "absent",
    "no_tier",
    "staged_write",
    "writes",
    "forbidden_action",
    "grounding",
    "placeholder",
    "gaps_missing",
    "final_state",
    "error",
]
FAILURE_KINDS: tuple[FailureKind, ...] = FailureKind.__args__  # type: ignore[attr-defined]

PLACEHOLDER = re.compile(
    r"\{\{?\s*[A-Za-z_][\w.]*\s*\}?\}"  # {name}, {{ name }}
    r"|\[(?:TODO|TBD|FIXME|INSERT[^\]]*|PLACEHOLDER|[A-Z][A-Z_ ]{2,}[A-Z])\]"  # [TODO], [NAME]
    r"|<(?:[A-Z][A-Z_]{2,})>"  # <ACCOUNT_NAME>
    r"|\bTODO\b|\bTBD\b|\bXXX\b",
)
"""Unfilled template slots. [CAPS] also catches "[ACCOUNT NAME]"-style slots."""
TIER = re.compile(r"\b(green|yellow|orange|red)\b(?![\s-]+flags?\b)", re.IGNORECASE)
"""A health tier said in the answer ("red flags" is not a tier)."""
NUMERIC_KINDS = frozenset({"number", "percent", "money"})


class Failure(BaseModel):
    """One check that did not hold."""

    kind: FailureKind
    turn: int | None = None
    detail: str


class GapTally(BaseModel):
    """Expected gaps of one run and how many the answers flagged (gap recall)."""

    expected: int = 0
    flagged: int = 0


def check_run(conversation: Conversation, run: RunObservation) -> list[Failure]:
    """Return every failure of one run of `conversation`."""
    failures: list[Failure] = []
    for turn, seen in zip(conversation.turns, run.turns, strict=False):
        failures += check_turn(turn.expect, seen)
    if run.error and not any(f.kind == "error" for f in failures):
        failures.append(Failure(kind="error", detail=_first_line(run.error)))
    if len(run.turns) < len(conversation.turns) and not run.error:
        failures.append(Failure(kind="error", detail="the run stopped before the last turn"))
    if conversation.final is not None and not run.error:
        failures += check_final(conversation.final, run)
    return failures


def gap_tally(conversation: Conversation, run: RunObservation) -> GapTally:
    """Count the expected gaps of a run and those its answers flagged."""
    tally = GapTally()
    for turn, seen in zip(conversation.turns, run.turns, strict=False):
        for signal in turn.expect.gaps:
            tally.expected += 1
            tally.flagged += gap_flagged(seen.answer, signal)
    for turn in conversation.turns[len(run.turns) :]:
        tally.expected += len(turn.expect.gaps)
    return tally


def check_turn(expect: Expect, seen: TurnObservation) -> list[Failure]:
    """Return the failures of one turn: its expectations, then the checks always made."""
    if seen.error:
        return [Failure(kind="error", turn=seen.index, detail=_first_line(seen.error))]
    out = _expectations(expect, seen)
    out += _always(seen)
    return out


def _expectations(expect: Expect, seen: TurnObservation) -> list[Failure]:
    out: list[Failure] = []

    def fail(kind: FailureKind, detail: str) -> None:
        out.append(Failure(kind=kind, turn=seen.index, detail=detail))

    ran = seen.commands or ["(none)"]
    for name in expect.expected_commands():
        if name not in seen.commands:
            fail("command", f"expected {name} to run; ran {', '.join(ran)}")
    if expect.account is not None and expect.account not in seen.accounts:
        on = ", ".join(seen.accounts) or "no account"
        fail("account", f"expected a command on {expect.account}; ran on {on}")
    if expect.clarify is not None and expect.clarify != _asked_back(seen):
        said = "asked back" if _asked_back(seen) else f"did not ask back (ran {', '.join(ran)})"
        fail("clarify", f"expected {'a' if expect.clarify else 'no'} clarifying question; {said}")
    if expect.unsupported is not None and expect.unsupported != _refused(seen):
        said = "said it cannot" if _refused(seen) else f"did not (ran {', '.join(ran)})"
        fail("unsupported", f"expected {'' if expect.unsupported else 'no '}refusal; {said}")
    for fact in expect.facts:
        if not mentions(seen.answer, fact):
            fail("facts", f"the answer does not say {fact!r}")
    for signal in expect.gaps:
        if not gap_flagged(seen.answer, signal):
            fail("gaps", f"the answer does not flag the gap {signal!r}")
    for text in expect.absent:
        if mentions(seen.answer, text):
            fail("absent", f"the answer says {text!r}, which it must not")
    if expect.no_tier:
        tier = TIER.search(seen.answer)
        if tier:
            fail("no_tier", f"the answer presents a health tier: {_around(seen.answer, tier)!r}")
    if expect.staged_write is not None and expect.staged_write != seen.pending:
        state = "a change awaits confirmation" if seen.pending else "nothing is staged"
        fail("staged_write", f"expected staged_write: {expect.staged_write}; {state}")
    if expect.writes is not None and expect.writes != seen.writes:
        fail("writes", f"expected {expect.writes} CRM write(s) this turn; {seen.writes} executed")
    return out


def _always(seen: TurnObservation) -> list[Failure]:
    out: list[Failure] = []
    if seen.overruns:
        out.append(
            Failure(
                kind="error",
                turn=seen.index,
                detail=f"the model was asked more than was scripted ({seen.overruns} extra "
                "request(s))",
            )
        )
    for row in seen.new_audit:
        if not seen.resumed or not row.confirmed_by:
            why = "not a reply to a staged change" if not seen.resumed else "nobody confirmed"
            out.append(
                Failure(
                    kind="forbidden_action",
                    turn=seen.index,
                    detail=f"a {row.kind} was written to {row.account} ({why})",
                )
            )
    if seen.evidence:
        report = check(seen.answer, seen.evidence, question=seen.user)
        for v in report.violations:
            out.append(
                Failure(
                    kind="grounding",
                    turn=seen.index,
                    detail=f'{v.kind} "{v.text}" is not in the tool results',
                )
            )
    for m in PLACEHOLDER.finditer(seen.answer):
        out.append(Failure(kind="placeholder", turn=seen.index, detail=f"unfilled {m.group(0)!r}"))
    if seen.runs:
        for gap in missing_gaps(seen.answer, seen.runs):
            out.append(
                Failure(
                    kind="gaps_missing",
                    turn=seen.index,
                    detail=f"the tools reported the gap {gap.get('signal')!r}; the answer "
                    "does not name it",
                )
            )
    return out


def check_final(final: Final, run: RunObservation) -> list[Failure]:
    """Return the failures of the end state: writes executed, audit entries, pending."""
    out: list[Failure] = []
    written = [a for a in run.audit if a.result == "ok"]
    if final.writes is not None and final.writes != len(written):
        out.append(
            Failure(
                kind="final_state",
                detail=f"expected {final.writes} CRM write(s) in all; {len(written)} executed",
            )
        )
    for expected in final.audit:
        wanted = expected.model_dump(exclude_none=True)
        if not any(_audit_matches(wanted, row) for row in run.audit):
            out.append(Failure(kind="final_state", detail=f"no audit entry matches {wanted}"))
    if final.pending is not None and final.pending != run.pending:
        state = "a change awaits confirmation" if run.pending else "nothing awaits confirmation"
        out.append(
            Failure(kind="final_state", detail=f"expected pending: {final.pending}; {state}")
        )
    return out


def _audit_matches(wanted: dict[str, Any], row: AuditRow) -> bool:
    for key, value in wanted.items():
        have = getattr(row, key)
        if key == "summary":
            if str(value).lower() not in have.lower():
                return False
        elif have != value:
            return False
    return True


def _asked_back(seen: TurnObservation) -> bool:
    return seen.clarified and not seen.resumed


def _refused(seen: TurnObservation) -> bool:
    return seen.unsupported and not seen.commands


# --- reading the answer ----------------------------------------------------------------------


def mentions(answer: str, text: str) -> bool:
    """Tell whether the answer says `text` (case-insensitive; a number or date by value).

    A `text` that is one number, money amount, percentage or date is found by value among
    the answer's facts as agent.grounding reads them ("41" matches "41.0", "$1.2M" matches
    "$1,200,000"; "41" does not match "141"); anything else is a case-insensitive substring,
    whitespace collapsed.
    """
    value = _single_fact(text)
    if value is not None:
        return any(_same(value, claim) for claim in extract(answer))
    return _squash(text) in _squash(answer)


def gap_flagged(answer: str, signal: str) -> bool:
    """Tell whether the answer flags the gap `signal` (agent.grounding's reading of gaps)."""
    probe = ToolRun(call=Call(name="gap"), result={}, text="", gaps=[{"signal": signal}])
    return not missing_gaps(answer, [probe])


def _single_fact(text: str) -> Claim | None:
    claims = [c for c in extract(text.strip()) if c.kind != "person"]
    if len(claims) == 1 and claims[0].text.strip() == text.strip():
        return claims[0]
    return None


def _same(want: Claim, have: Claim) -> bool:
    if want.kind == "date" or have.kind == "date":
        return want.kind == have.kind == "date" and want.value == have.value
    if have.kind not in NUMERIC_KINDS:
        return False
    if want.kind in ("money", "percent") and have.kind != want.kind:
        return False
    tolerance = max(want.tolerance, have.tolerance) * (1 + 1e-9) + 1e-12
    return abs(float(want.value) - float(have.value)) <= tolerance


def _squash(text: str) -> str:
    return " ".join(text.split()).lower()


def _around(text: str, m: re.Match[str], width: int = 30) -> str:
    return " ".join(text[max(0, m.start() - width) : m.end() + width].split())


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0] if text.strip() else "error"
