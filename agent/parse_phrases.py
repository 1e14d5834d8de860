"""The phrase tables of the offline grammar: what people say for each command.

Two kinds of phrase. Portfolio phrases are whole sentences ("weekly health scan", "who renews
in the next 90 days"), each with a function building the command's arguments from the match.
Account phrases are a topic keyword ("renewal prep", "health") placed in a few templates
around the account's name: "TOPIC for ACCOUNT", "ACCOUNT's TOPIC", "TOPIC ACCOUNT", plus
some sentences of their own ("how healthy is ACCOUNT"). Tables are tried in order, so the
longer topic comes first ("renewal package" before "renewal"). Text reaching these tables is
lower case, without trailing punctuation and without polite lead-ins (agent.parser).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from typing import Any, get_args

from agent.command_args import Document
from agent.parse_dates import parse_date

ArgsFn = Callable[[re.Match[str], date], dict[str, Any] | None]
"""Builds a command's arguments from a phrase match; None when the phrase cannot be served."""

ACCOUNT = r"(?P<account>.+?)"
_FOR = "(?:for|of|on|at|with)"
_DOC = r"(?:play|plan|campaign|for|of)\b"

ACCOUNT_TOPICS: list[tuple[str, str]] = [
    ("renewal_package", r"renewal (?:package|proposal)"),
    ("business_case", r"(?:expansion )?business case"),
    ("success_plan", r"success plan"),
    ("onboarding", r"onboarding(?: plan| status)?"),
    ("qbr", r"(?:qbr|quarterly business review)(?: prep(?:aration)?| deck| agenda)?"),
    ("handoff", r"hand-?off(?: record| notes| document)?"),
    ("winback", r"win-?back(?: plan| campaign| play)?"),
    ("save", r"save (?:play|plan)|rescue plan"),
    ("renewal", r"renewal(?: prep(?:aration)?| plan| strategy| risk| date)?"),
    ("churn", r"churn(?: risk)?(?: assessment| signals| scan)?|risk of churn"),
    (
        "expansion",
        r"expansion(?: opportunities| opportunity| signals| potential)?|upsell(?: opportunities)?",
    ),
    ("roi", r"roi|return on investment"),
    ("score", r"health(?: score| check)?|(?:health )?score"),
]
"""(command, topic keywords) of the commands about one account, in matching order."""

EITHER = frozenset({"churn", "expansion"})
"""Commands that take one account or none: a bare topic without a follow-up is the scan."""

ACCOUNT_SENTENCES: list[tuple[str, str]] = [
    ("score", rf"^how healthy is {ACCOUNT}$"),
    ("score", rf"^how(?:'s| is) {ACCOUNT} doing$"),
    ("score", rf"^how(?:'s| is) {ACCOUNT}(?:'s)? health$"),
    ("score", rf"^is {ACCOUNT} healthy$"),
    ("score", rf"^(?:re)?score (?!for |of ){ACCOUNT}$"),
    ("churn", rf"^is {ACCOUNT} (?:at risk|a churn risk|going to churn|likely to churn)"
              r"(?: of churn(?:ing)?)?$"),
    ("churn", rf"^(?:will|could|might) {ACCOUNT} churn$"),
    ("churn", rf"^how likely is {ACCOUNT} to churn$"),
    ("expansion", rf"^can (?:we|i) (?:expand|upsell|grow) {ACCOUNT}$"),
    ("winback", rf"^(?:how (?:do|can|could) (?:we|i) )?win back (?!{_DOC}){ACCOUNT}$"),
    ("save", rf"^(?:how (?:do|can|could) (?:we|i) )?save (?!{_DOC}){ACCOUNT}$"),
    ("renewal", rf"^when (?:does|will) {ACCOUNT} renew$"),
    ("renewal", rf"^when is {ACCOUNT}(?:'s)? renewal$"),
    ("qbr", rf"^(?:prep(?:are)? )?(?:for )?(?:the |a )?qbr with {ACCOUNT}$"),
]  # fmt: skip
"""(command, sentence) of account phrases that do not fit the topic templates."""


def account_templates(topic: str) -> list[re.Pattern[str]]:
    """Return the templates placing an account around `topic`, most specific first."""
    kw = f"(?:{topic})"
    return [
        re.compile(rf"^(?:the |a |an )?{kw}(?: plan| prep| report)? {_FOR} {ACCOUNT}$", re.I),
        re.compile(rf"^{ACCOUNT}(?:'s|s')? {kw}$", re.I),
        re.compile(rf"^{kw} {ACCOUNT}$", re.I),
    ]


def bare_topic(topic: str) -> re.Pattern[str]:
    """Return the pattern of a topic said alone ("renewal prep", "the renewal")."""
    return re.compile(rf"^(?:the |a |an )?(?:{topic})$", re.I)


# --- portfolio phrases ------------------------------------------------------------------------


def _none(match: re.Match[str], as_of: date) -> dict[str, Any]:
    return {}


def _days(match: re.Match[str], as_of: date) -> dict[str, Any]:
    n, unit = match.groupdict().get("n"), match.groupdict().get("unit")
    if n is None or unit is None:
        return {}
    return {"days": int(n) * {"day": 1, "week": 7, "month": 30, "quarter": 91}[unit]}


def _show_all(match: re.Match[str], as_of: date) -> dict[str, Any]:
    g = match.groupdict()
    return {"show_all": True} if g.get("all") or g.get("all2") else {}


def _period(match: re.Match[str], as_of: date) -> dict[str, Any] | None:
    g = match.groupdict()
    if g.get("year"):
        year = int(g["year"])
        return {"start": f"{year}-01-01", "end": min(date(year, 12, 31), as_of).isoformat()}
    if g.get("start") is None:
        return {}
    start, end = parse_date(g["start"], as_of), parse_date(g["end"], as_of)
    if start is None or end is None:
        return None
    return {"start": start.isoformat(), "end": end.isoformat()}


def _quarter(match: re.Match[str], as_of: date) -> dict[str, Any]:
    g = match.groupdict()
    q = g.get("q1") or g.get("q2")
    if q:
        year = g.get("y1") or g.get("y2") or str(as_of.year)
        return {"quarter": f"{year}Q{q}"}
    if g.get("last"):
        n = (as_of.month - 1) // 3
        year, n = (as_of.year, n) if n else (as_of.year - 1, 4)
        return {"quarter": f"{year}Q{n}"}
    return {}


_WITHIN = (
    r"(?: (?:(?:in|within|over|during|for|due in|due within)(?: the)?(?: next)?|next)"
    r" (?P<n>\d{1,4}) (?P<unit>day|week|month|quarter)s?)?"
)
_ACCOUNTS = r"(?:accounts|customers|clients)"

PORTFOLIO_PHRASES: list[tuple[str, str, ArgsFn]] = [
    ("renewals", rf"^(?:the )?renewal pipeline{_WITHIN}$", _days),
    ("renewals", rf"^(?:upcoming |my |the )?renewals(?: due| coming up)?{_WITHIN}$", _days),
    ("renewals", rf"^(?:who|which {_ACCOUNTS}|what) (?:renews?|is up for renewal|are up for "
                 r"renewal|(?:is |are )?renewing|(?:is |are )?due (?:for|to) renew)"
                 rf"{_WITHIN}$", _days),
    ("scan", r"^(?:the |my |a )?(?P<all>full |complete )?(?:weekly )?(?:health )?scan"
             r"(?: (?P<all2>of all|with all|--all|all))?$", _show_all),
    ("scan", r"^what should i (?:focus on|work on|do|prioriti[sz]e)(?: first)?(?: this week| today"
             r"| now)?$", _none),
    ("scan", r"^(?:what|who) needs my attention(?: this week| today)?$", _none),
    ("scan", r"^(?:what are )?(?:my |this week's )?priorities(?: this week| for this week)?$",
     _none),
    ("scan", r"^who should i (?:call|focus on|worry about)(?: this week| first)?$", _none),
    ("churn", r"^(?:the )?churn(?: risk)?(?: assessment| scan| report)?$", _none),
    ("churn", rf"^(?:who(?:'s| is)|which {_ACCOUNTS} are|what {_ACCOUNTS} are) (?:at risk|"
              r"likely to churn|at risk of churn(?:ing)?|a churn risk)$", _none),
    ("churn", rf"^(?:the )?(?:at-risk|at risk) {_ACCOUNTS}$", _none),
    ("churn", rf"^{_ACCOUNTS} at risk(?: of churn(?:ing)?)?$", _none),
    ("expansion", r"^(?:the )?(?:expansion|upsell|growth)(?: scan| opportunities| pipeline)?$",
     _none),
    ("expansion", r"^(?:where|who) can (?:we|i) (?:expand|upsell|grow)$", _none),
    ("expansion", rf"^which {_ACCOUNTS} (?:can|could|should) (?:we|i) (?:expand|upsell|grow)$",
     _none),
    ("nrr", r"^(?:the |my |our )?(?:nrr|grr|net revenue retention|gross revenue retention|"
            r"net retention|revenue retention|net dollar retention|ndr)(?: and grr)?"
            r"(?: report)?(?: for (?P<year>\d{4})| (?:from|between) (?P<start>.+?) "
            r"(?:to|and|until|through) (?P<end>.+?))?$", _period),
    ("nrr", r"^what(?:'s| is) (?:our|my|the) (?:nrr|net revenue retention)$", _none),
    ("portfolio", r"^(?:the |my )?(?:portfolio|book of business|book)(?: review| dashboard|"
                  r" overview| summary)?$", _none),
    ("portfolio", r"^(?:the |my )?(?:cs |weekly )?dashboard$", _none),
    ("portfolio", r"^how(?:'s| is) my (?:portfolio|book(?: of business)?)(?: doing)?$", _none),
    ("cohorts", r"^(?:the )?(?:cohort analysis|cohorts|cohort retention|retention by cohort)$",
     _none),
    ("analysis", r"^(?:the )?(?:portfolio|quarterly(?: portfolio)?) analysis(?: (?:for|of) "
                 r"(?:(?P<y1>\d{4}) ?q(?P<q1>[1-4])|q(?P<q2>[1-4])(?: (?P<y2>\d{4}))?|"
                 r"(?P<last>last quarter)|this quarter))?$", _quarter),
    ("analysis", r"^analy[sz]e (?:the |my )?(?:portfolio|quarter)(?: (?P<last>last quarter))?$",
     _quarter),
    ("playbooks", r"^(?:the |a )?playbooks?(?: review)?$", _none),
    ("playbooks", r"^review (?:the |my |our )?(?:playbooks|plays)$", _none),
    ("playbooks", r"^(?:which|what) plays (?:work|are working)$", _none),
    ("backtest", r"^backtest(?: the)?(?: health)?(?: model)?$", _none),
    ("backtest", r"^did the (?:health )?model flag the accounts that churned$", _none),
]  # fmt: skip
"""(command, sentence, arguments) of the portfolio phrases, in matching order."""

NOTES_PHRASES: list[str] = [
    r"^what do (?:we|i) know about (?P<query>.+) (?:at|with|for|from) (?P<account>.+)$",
    r"^(?:search |find |any )?notes (?:on|for|of|at|from) (?P<account>.+?) "
    r"(?:about|on|mentioning|re) (?P<query>.+)$",
    r"^(?:search|find|any) (?:the )?notes (?:about|on|mentioning) (?P<query>.+) "
    r"(?:at|for|from) (?P<account>.+)$",
    r"^what (?:did|has|have) (?P<account>.+?) (?:say|said) about (?P<query>.+)$",
]
"""Sentences of the notes search: an account and what to look for."""

PROFILE = re.compile(
    r"(?:\s+--profile\s+|\s+(?:with|using|on|under|by)\s+(?:the\s+)?)"
    r"(?P<profile>engine|leading80|ops|sales)(?:\s+(?:profile|model|health model))?$"
    r"|\s+\((?P<paren>engine|leading80|ops|sales)(?: profile)?\)$"
)
"""A health-model profile named at the end of a score or portfolio request."""

WRITE_NOTE = re.compile(
    r"^(?:please\s+)?(?:log|add|write|record|put|save|create|leave|make|post)\s+"
    r"(?:a\s+|the\s+|this\s+|an?\s+)?(?:crm\s+|quick\s+)?note"
    r"(?:\s+(?:on|to|for|in|about|against|under)\s+(?P<account>.+?))?"
    r"(?:\s+(?:in|to|into)\s+(?:the\s+)?crm)?$",
    re.IGNORECASE,
)
WRITE_TASK = re.compile(
    r"^(?:please\s+)?(?:create|add|make|open|log|set\s+up|schedule)\s+"
    r"(?:a\s+|the\s+|an?\s+)?(?:crm\s+)?(?:task|to-?do|follow-?up(?:\s+task)?|reminder)"
    r"(?:\s+(?:on|to|for|in|against|under)\s+(?P<account>.+?))?"
    r"(?:\s+(?:in|to|into)\s+(?:the\s+)?crm)?"
    r"(?:,?\s+due\s+(?P<due>.+?))?$",
    re.IGNORECASE,
)
WRITE_HEALTH = [
    re.compile(
        r"^(?:please\s+)?(?:push|sync|send|write|update|save|copy|log)\s+"
        r"(?:the\s+)?(?P<account>.+?)(?:'s|’s|s')?\s+health(?:\s+(?:score|fields|tier|"
        r"score and tier))?\s+(?:to|into|in|on)\s+(?:the\s+)?crm$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:please\s+)?(?:push|sync|send|write|update|save|copy|log)\s+(?:the\s+)?health"
        r"(?:\s+(?:score|fields|tier|score and tier))?\s+(?:of|for)\s+(?P<account>.+?)\s+"
        r"(?:to|into|in|on)\s+(?:the\s+)?crm$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:please\s+)?(?:push|sync|send|write|update|save|copy|log)\s+(?:the\s+)?health"
        r"(?:\s+(?:score|fields|tier|score and tier))?\s+(?:to|into|in|on)\s+(?:the\s+)?crm$",
        re.IGNORECASE,
    ),
    re.compile(
        r"^(?:please\s+)?update\s+(?:the\s+)?crm\s+with\s+(?P<account>.+?)(?:'s|’s|s')?\s+"
        r"health(?:\s+(?:score|fields|tier|score and tier))?$",
        re.IGNORECASE,
    ),
]
"""Requests to push an account's computed health to the CRM (no account: the thread's)."""

DOCUMENTS: tuple[str, ...] = get_args(Document)
"""The documents that can be logged to the CRM as a note (agent.command_args.Document)."""

_DOC_TOPICS = "|".join(
    f"(?P<{name}>{topic})" for name, topic in ACCOUNT_TOPICS if name in DOCUMENTS
)
WRITE_PLAN = re.compile(
    r"^(?:please\s+)?(?:log|add|write|record|put|save|post|push|attach|copy|send|file)\s+"
    r"(?:(?:a|an|the|this|that|our|my)\s+)?"
    rf"(?:(?P<pronoun>it|that|this|them|that plan|this plan|the plan)|{_DOC_TOPICS})"
    r"(?:\s+(?:for|on|of|about|with)\s+(?P<account>.+?))?"
    r"\s+(?:to|in|into|on)\s+(?:the\s+)?crm(?:\s+as\s+(?:a\s+)?note)?$",
    re.IGNORECASE,
)
"""Requests to log a document csm builds ("log the save plan for Acme to the CRM", "log it
to the CRM" after one) as a CRM note."""

DUE_TAIL = re.compile(r"[\s,;.(]+due\s+(?P<due>[^()]+?)\)?[\s.!]*$", re.IGNORECASE)
"""A due date at the end of a task's text ("... due Friday")."""
