"""The offline grammar: text -> Plan with no LLM, for every phrase of commands.md and more.

`OfflinePlanner(as_of).plan(text, history, focus_account)` implements agent.planning.Planner.
It recognises the phrases of commands.md's two tables, common paraphrases ("how healthy is
Acme", "acme health", "who renews in the next 90 days", "what should I focus on this week"),
follow-ups that lean on the thread ("and their renewal?", "what about churn risk?",
"compare with Globex": the last command again for Globex, both shown) and write requests
("log a note on ACCOUNT: TEXT", "create a task for ACCOUNT: TEXT due DATE", "push ACCOUNT's
health to the CRM").

It only extracts the account as typed; the graph resolves it ("acme" -> Acme Corp, or a
question listing the candidates). A note's or a task's text after the ":" is taken verbatim
and never parsed, so words inside it cannot ask for anything. Text it cannot serve gets the
short list of what csm can do: the grammar never guesses a command.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from agent.commands import COMMANDS, capabilities, get_command
from agent.parse_dates import parse_date
from agent.parse_phrases import (
    ACCOUNT_SENTENCES,
    ACCOUNT_TOPICS,
    DOCUMENTS,
    DUE_TAIL,
    EITHER,
    NOTES_PHRASES,
    PORTFOLIO_PHRASES,
    PROFILE,
    WRITE_HEALTH,
    WRITE_NOTE,
    WRITE_PLAN,
    WRITE_TASK,
    account_templates,
    bare_topic,
)
from agent.planning import Call, Plan, Turn

_I = re.IGNORECASE
_LEAD_INS = re.compile(
    r"^(?:please|hey csm,?|csm,|ok(?:ay)?,?|so,?|can you|could you|would you|can i (?:get|see)|"
    r"i(?:'d| would) like(?: to see)?|i want(?: to see)?|i need|show me|show|give me|get me|get|"
    r"tell me|let'?s(?: see)?|let me see|run(?: a| the)?|do(?: a| the)?|pull up|pull|"
    r"prep(?:are)?(?: for)?|build(?: me)?|make(?: me)?|draft|generate|what(?:'s| is| are))\s+",
    _I,
)
_TRAILERS = re.compile(r"\s+(?:please|for me|thanks|thank you|now)$", _I)
_FOLLOW_UPS = re.compile(
    r"^(?:and(?: also)?|also|what about|how about|and what about|and how about|now|then|"
    r"ok(?:ay)? and|same for|and the same for|do the same for|the same for|and for)\s+",
    _I,
)
_COMPARE = [
    re.compile(r"^compare(?: it| them| this| that)? (?:with|to|against|vs\.?) (?P<b>.+)$", _I),
    re.compile(r"^(?:vs\.?|versus) (?P<b>.+)$", _I),
    re.compile(r"^compare (?P<a>.+?) (?:with|to|and|against|vs\.?) (?P<b>.+)$", _I),
]
_PRONOUNS = {
    "their", "them", "they", "it", "its", "it's", "this account", "that account", "this one",
    "that one", "this customer", "that customer", "the account", "the customer", "the", "him",
    "her", "his", "same account", "the same account", "this", "that",
}  # fmt: skip
_ABOUT = re.compile(r"^(?:about|anything (?:on|about)|info (?:on|about)) (?P<account>.+)$", _I)
_HELP = {"help", "?", "what can you do", "what can i ask", "commands", "what do you do"}
_ACCOUNT_WORD = re.compile(r"^(?:a |an |the )?(?:account|customer|client)\s+", _I)


class OfflinePlanner:
    """The deterministic grammar (agent.planning.Planner): no model, no network."""

    def __init__(self, as_of: date | None = None) -> None:
        """Plan relative to `as_of` (due dates like "Friday"); default today."""
        self.as_of = as_of or date.today()

    def plan(self, text: str, history: list[Turn], focus_account: str | None) -> Plan:
        """Plan one turn; `focus_account` is the account the thread is about, if any."""
        raw = text.strip()
        if not raw:
            return _unsupported()
        write = self._write(raw, focus_account, history)
        if write is not None:
            return write
        t = _tidy(raw)
        if t.lower() in _HELP:
            return Plan(unsupported="Here is what I can do:\n" + capabilities())
        follow_up = False
        while True:
            t, lead = _strip(t)
            t, more = _strip_follow_up(t)
            follow_up |= more
            if not (lead or more):
                break
        return self._read(t, follow_up, _last_calls(history), focus_account) or _unsupported()

    # --- reads ---------------------------------------------------------------------------------

    def _read(self, t: str, follow_up: bool, last: list[Call], focus: str | None) -> Plan | None:
        for pattern in NOTES_PHRASES:
            if m := re.match(pattern, t, _I):
                return _account_call("notes", m["account"], focus, {"query": m["query"]})
        for pattern in _COMPARE:
            if m := pattern.match(t):
                return _compare(m.groupdict().get("a"), m["b"], last, focus)
        profile, t = _profile(t)
        if follow_up and focus:
            for name, topic in ACCOUNT_TOPICS:
                if re.match(rf"^(?:their |its |the |a |an )?(?:{topic})$", t, _I):
                    return _account_call(name, focus, focus, profile)
        for name, pattern, build in PORTFOLIO_PHRASES:
            if m := re.match(pattern, t, _I):
                args = build(m, self.as_of)
                if args is None:
                    return None
                return _call(name, {**args, **profile})
        for name, pattern in ACCOUNT_SENTENCES:
            if m := re.match(pattern, t, _I):
                return _account_call(name, m["account"], focus, profile)
        for name, topic in ACCOUNT_TOPICS:
            if bare_topic(topic).match(t):  # "renewal prep": the thread's account, or ask
                return None if name in EITHER else _account_call(name, None, focus, profile)
            for template in account_templates(topic):
                if m := template.match(t):
                    return _account_call(name, m["account"], focus, profile)
        if follow_up and last:
            return _again(last, t, focus)
        about = re.match(r"^(?P<account>.+)$", t) if follow_up else _ABOUT.match(t)
        return _what_about(about["account"]) if about else None

    # --- writes --------------------------------------------------------------------------------

    def _write(self, raw: str, focus: str | None, history: list[Turn]) -> Plan | None:
        """Plan a CRM write request, or None when `raw` is not one.

        The head (before the first ":") says what to write and where; the body after it is
        the text, verbatim: it is never matched against any phrase.
        """
        head, colon, body = raw.partition(":")
        head = _tidy(head)
        if m := WRITE_NOTE.match(head):
            if not colon or not body.strip():
                return Plan(clarify=_write_format("note"))
            return _account_call("log_note", m["account"], focus, {"text": body.strip()})
        if m := WRITE_TASK.match(head):
            return self._task(m, colon, body, focus)
        whole = _tidy(raw)
        for pattern in WRITE_HEALTH:
            if m := pattern.match(whole):
                return _account_call("push_health", m.groupdict().get("account"), focus, {})
        if m := WRITE_PLAN.match(whole):
            return _plan_note(m, focus, history)
        return None

    def _task(self, head: re.Match[str], colon: str, body: str, focus: str | None) -> Plan:
        if not colon or not body.strip():
            return Plan(clarify=_write_format("task"))
        text, due_text = body.strip(), head["due"]
        if due_text is None and (tail := DUE_TAIL.search(text)):
            due_text, text = tail["due"], text[: tail.start()].strip()
        due = parse_date(due_text, self.as_of) if due_text else None
        if due is None:
            said = f' ("{due_text}" is not a date I can read)' if due_text else ""
            return Plan(
                clarify=f"When is the task due{said}? Say it again with a date, e.g. "
                f'"create a task for Acme Corp: call Greg due {self.as_of.isoformat()}" '
                '(also "due Friday", "due Dec 1", "due in 2 weeks").'
            )
        return _account_call(
            "create_task", head["account"], focus, {"text": text, "due": due.isoformat()}
        )


# --- helpers -------------------------------------------------------------------------------------


def _tidy(text: str) -> str:
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.split()).strip().rstrip("?!. ").strip()


def _strip(t: str) -> tuple[str, bool]:
    for pattern in (_LEAD_INS, _TRAILERS):
        new = pattern.sub("", t).strip()
        if new != t and new:
            return new, True
    return t, False


def _strip_follow_up(t: str) -> tuple[str, bool]:
    new = _FOLLOW_UPS.sub("", t).strip()
    return (new, True) if new != t and new else (t, False)


def _profile(t: str) -> tuple[dict[str, Any], str]:
    if m := PROFILE.search(t.lower()):
        return {"profile": m["profile"] or m["paren"]}, t[: m.start()].strip()
    return {}, t


def _clean_account(text: str | None, focus: str | None) -> str | None:
    """Return the account as typed (quotes, possessive and "account" dropped) or the focus."""
    if text is None:
        return focus
    name = text.strip().strip("\"'` ").strip()
    name = re.sub(r"(?:'s|s')$", "", name, flags=_I) if name.endswith(("'s", "s'")) else name
    name = _ACCOUNT_WORD.sub("", name)
    name = re.sub(r"\s+(?:account|customer)$", "", name, flags=_I).strip().strip("\"'` ")
    if not name or name.lower() in _PRONOUNS:
        return focus
    return name


def _offered(name: str) -> bool:
    return any(c.name == name for c in COMMANDS)


def _call(name: str, args: dict[str, Any]) -> Plan | None:
    if not _offered(name):
        return None
    fields = get_command(name).args.model_fields
    return Plan(calls=[Call(name=name, args={k: v for k, v in args.items() if k in fields})])


def _account_call(
    name: str, text: str | None, focus: str | None, extra: dict[str, Any]
) -> Plan | None:
    if not _offered(name):
        return None
    account = _clean_account(text, focus)
    if account is None:
        example = get_command(name).example
        return Plan(clarify=f'Which account? Name it, e.g. "{example}".')
    return _call(name, {"account": account, **extra})


def _plan_note(m: re.Match[str], focus: str | None, history: list[Turn]) -> Plan | None:
    """Plan logging a document as a CRM note: the one named, or ("log it") the last one built."""
    named = [k for k, v in m.groupdict().items() if v and k not in ("pronoun", "account")]
    if named:
        return _account_call("log_plan", m["account"], focus, {"document": named[0]})
    for call in reversed([c for turn in history for c in turn.calls]):
        if call.name in DOCUMENTS and call.args.get("account"):
            account = m["account"] or call.args["account"]
            return _account_call("log_plan", account, focus, {"document": call.name})
    return Plan(
        clarify="Which document should I log? Say which, e.g. "
        f'"{get_command("log_plan").example}" (also renewal prep, success plan, QBR, handoff).'
    )


def _last_calls(history: list[Turn]) -> list[Call]:
    """Return the calls of the last turn that read one account (writes are never repeated)."""
    for turn in reversed(history):
        calls = [
            c
            for c in turn.calls
            if _offered(c.name)
            and not get_command(c.name).writes
            and "account" in get_command(c.name).args.model_fields
            and c.args.get("account")
        ]
        if calls:
            return calls
    return []


def _again(last: list[Call], account: str, focus: str | None) -> Plan | None:
    """Run the last command again for another account ("what about Globex?")."""
    name = _clean_account(account, None)
    if name is None:
        return None
    call = last[-1]
    return Plan(calls=[Call(name=call.name, args={**call.args, "account": name})])


def _compare(a: str | None, b: str, last: list[Call], focus: str | None) -> Plan:
    """Run the last command for both accounts: the thread's (or the named one) and `b`."""
    first = _clean_account(a, focus) if a else focus
    second = _clean_account(b, None)
    if not last:
        return Plan(
            clarify='Compare what? Ask about one account first, e.g. "Score Acme Corp", '
            'then say "compare with Globex".'
        )
    if first is None or second is None:
        return Plan(clarify='Compare which accounts? e.g. "compare Acme Corp with Globex".')
    call = last[-1]
    return Plan(
        calls=[
            Call(name=call.name, args={**call.args, "account": first}),
            Call(name=call.name, args={**call.args, "account": second}),
        ]
    )


def _what_about(account: str) -> Plan | None:
    """Ask what to do about an account named without a request ("tell me about Globex")."""
    name = _clean_account(account, None)
    if name is None:
        return None
    phrases = {"score": "Score {}", "churn": "Churn risk for {}", "renewal": "Renewal prep for {}"}
    examples = " · ".join(f'"{p.format(name)}"' for c, p in phrases.items() if _offered(c))
    return Plan(clarify=f"What would you like to know about {name}? For example: {examples}.")


def _write_format(kind: str) -> str:
    if kind == "note":
        return (
            "What should the note say? Put the text after a colon, e.g. "
            '"log a note on Acme Corp: called Greg about the renewal".'
        )
    return (
        "What is the task, and when is it due? e.g. "
        '"create a task for Acme Corp: send the renewal quote due 2026-12-01".'
    )


def _unsupported() -> Plan:
    return Plan(
        unsupported="I can't answer that from the tools, and I won't guess. "
        "Here is what I can do:\n" + capabilities()
    )


__all__ = ["OfflinePlanner"]
