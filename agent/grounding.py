"""The grounding check: every fact in the model's prose must come from the tool results.

`check(answer, runs)` finds each number, percentage, money amount, date and person name in
the answer and looks for it in the tool results, and finds each data gap the tools reported
that the answer does not mention. The LLM composer repairs or replaces an answer that fails.

What counts as "in the results" (the evidence):

- Structured data: every number, date and string of the results' JSON, the commands'
  arguments and the sizes of the result lists (a "3 accounts" is a count the tool returned).
  Strings are read with the same extractor as the answer, so "$1.2M" in a tool's label is
  1,200,000, and "2027-01-15" in JSON is also "Jan 15, 2027".
- The deterministic rendering (`ToolRun.text`), which formats the same data for people.
- The user's own question: a number the user typed may be repeated.

Untrusted text is not evidence. Notes, tickets, survey comments and event details (the text
fields of a note/ticket/survey/event record, see `is_record`, and the "quoted" passages tools
embed in their own strings) are data someone typed, possibly hostile. A fact that appears
only there, not in structured data, is grounded only inside a verbatim quotation of that
text in the answer ("..." or a > block quote): quoting a note is evidence, restating its
numbers as facts is not.

Normalisation. $1.2M = 1,200,000 = 1200000; 12% = 0.12 = 12.0%; a claim is read with the
precision it is written in: "97%" stands for anything from 96.5 to 97.5, so a tool's 0.9712
may appear as 97.1% or 97% (the renderers round half up). Signs are ignored ("down 12%" and
-0.12). Dates: 2027-01-15, Jan 15, 2027, January 15 2027, 15 January 2027, 1/15/2027 and,
without a year, Jan 15 (any result date on that day); a bare year (2027) is grounded by any
result date in it.

The structural allowlist: numbers that are part of the command's fixed rules or of the
text's layout, not facts about the account, and are never flagged:

- list numbering at the start of a line ("1.", "2)");
- rule windows: a number from RULE_NUMBERS followed by a time unit ("30 days", "48-hour",
  "90-day", "2 weeks", "12 months"), the renewal sequence ("Day -90") and plan phases
  ("week 1", "days 31-60");
- scales ("/100", "/10", "out of 5") and the tier bands (80-100, 60-79, 40-59, 0-39).

Any other number must be in the evidence: "renewal in 37 days" needs a 37 in the results.
Person names are runs of two to four capitalised words that are not common words (STOPWORDS)
and not organisations (a run with ORG_WORDS); a name is grounded when the same words, in
order, appear in a name in the evidence ("Dana Reyes" in "Dana M. Reyes" is fine). Single
first names and lower-case names are not checked.

Health tiers: a tier named in the prose (green, yellow, orange, red; not "red flags") must
be a tier the tools gave (a JSON value or key, or the rendering): a model cannot tier an
account the tools left `unknown`. A zero amount of money ("$0") is grounded only by a zero in
a money field (MONEY_KEY) or a "$0" in the tools' text, never by a count or an empty list, so
a model cannot turn an unknown amount into zero.

A gap is mentioned when its signal (e.g. `nps`, or `renewal_date` as "renewal date") is
named in a sentence that also says it is missing (GAP_CUES), or anywhere after a line that
starts with "Data gaps" (the gaps section).
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Literal

from agent.planning import ToolRun

Kind = Literal["number", "percent", "money", "date", "person", "tier"]

TIERS = frozenset({"green", "yellow", "orange", "red"})
"""The health tiers a model might name; `unknown` is never a claim that needs evidence."""
TIER_WORD = re.compile(r"\b(green|yellow|orange|red)\b(?![\s-]+flags?\b)", re.IGNORECASE)
"""A tier named in prose ("red flags" is a phrase, not a tier)."""
MONEY_KEY = re.compile(
    r"(?:^|_)(?:arr|mrr|amount|usd|revenue|price|cost|spend|savings?|budget|discount|estimate|"
    r"delta|(?:total|annual)_value)(?:$|_)",
    re.IGNORECASE,
)
"""JSON keys whose zero is an amount of money: only such a zero grounds a "$0" (not a bare
`value`, which is also a signal's reading, nor a count such as `total`)."""

FREE_TEXT_KEYS = frozenset({"text", "comment", "comments", "subject", "detail", "body"})
"""Fields that hold text people typed, inside an untrusted record (see `is_record`)."""
RECORD_ID_KEYS = frozenset({"note_id", "ticket_id", "survey_id", "event_id"})
RECORD_SOURCES = frozenset({"note", "ticket", "survey", "event"})
ALWAYS_FREE_KEYS = frozenset({"comment", "comments"})
"""Survey comments are people's words wherever they appear."""


def is_record(value: dict[str, Any]) -> bool:
    """Whether a JSON object is a note, ticket, survey or event record (or a quote of one).

    Tools also write fields called `text` or `detail` (a talk track, a goal line), so a
    field is untrusted by where it is, not by its name alone.
    """
    return bool(RECORD_ID_KEYS & value.keys()) or value.get("source") in RECORD_SOURCES


RULE_NUMBERS = frozenset(
    {0, 1, 2, 3, 4, 6, 7, 8, 12, 14, 30, 31, 45, 48, 60, 61, 75, 90, 91, 120, 180, 181, 365}
)
"""The windows and steps of the command rules (spec/commands.md): 7/30/60/90/180/365-day
windows, 48-hour actions, the Day -90..-7 renewal sequence, onboarding phases, cohort months."""

STOPWORDS = frozenset(
    """
    a about above according account accounts action actions add after again against ahead
    all along already also although always an and another any are arr as ask at-risk at
    available back based be because before being below best between book both bring but by
    call can case cheers champion churn check close cohort competitive confirm consider core
    critical cs csat csm currently customer customers dashboard data date day days dear
    decision deadline department despite detractor director discount do does down drop due
    during each early either email end engagement engineering even every escalate escalation
    evidence executive exec expansion feature features finally finance financial first focus
    follow for from fortunately further gap gaps get given good great green grr handoff has
    have he head health healthy hello her here hi high his how however if immediately in
    instead is it its just keep key last late lead legal less let likely loss low main
    manager maker many may meanwhile medium meet meeting more most much must my neither
    next no none nor not note notes notice now nps nrr of on onboarding once one only open
    ops or orange other otherwise our outcomes overall owner package passive pattern per
    perhaps plan playbook please portfolio possible premium prepare priority product
    promoter qbr quarter rather re reach recent recently red regards relationship renewal
    renewals review right risk roi run sales save scan schedule score seat seats second see
    send sequence set several share she should signal signals silence since so some soon
    sponsor stakeholder stakeholders start still success such summary support survey take
    talk team than thank thanks that the their them then there therefore these they third
    this those though through thriving thus ticket tickets tier to today together tomorrow
    top total track two unfortunately unknown unless until up update upcoming usage use
    value very via vp we week weekly weeks well were what when where whether which while
    who why will win with within without would yellow yes yesterday yet you your
    january february march april may june july august september october november december
    jan feb mar apr jun jul aug sep sept oct nov dec
    monday tuesday wednesday thursday friday saturday sunday
    """.split()
)
"""Capitalised words that are not parts of person names (sentence starts, domain terms)."""

ORG_WORDS = frozenset(
    """
    inc corp corporation co llc ltd plc gmbh ag sa group labs systems technologies tech
    partners holdings solutions software industries capital media networks analytics cloud
    energy motors ventures studio studios bank logistics traders foods university
    """.split()
)
"""Words that make a capitalised run an organisation, not a person."""

GAP_CUES = re.compile(
    r"\b(gap|gaps|missing|unknown|no data|not recorded|not on record|no record|absent|lack|"
    r"lacking|none on record|not available|unavailable|not tracked|stopped|empty|ask)\b",
    re.IGNORECASE,
)
"""Words that say a signal is missing (a gap must be named in such a sentence)."""

GAPS_HEADING = re.compile(r"^[ \t#*_]*data gaps?\b", re.IGNORECASE | re.MULTILINE)
"""A "Data gaps" heading at the start of a line: the gaps section of an answer."""

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<mon>" + "|".join(sorted(MONTHS, key=len, reverse=True)) + r")\.?"
_NUM = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
_NOT_IN_WORD = r"(?<![\w.,])(?<![A-Za-z]-)"
_SCALE = r"(?P<scale>thousand|million|billion|bn|mm|[kmb])"

DATE_PATTERNS = (
    re.compile(r"(?<![\w-])(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:T[\d:.+Z-]+)?(?![\w-])"),
    re.compile(
        r"\b" + _MONTH + r"\s+(?P<d>\d{1,2})(?:st|nd|rd|th)?(?:,?\s+(?P<y>\d{4}))?(?![\w-])",
        re.IGNORECASE,
    ),
    re.compile(
        r"\b(?P<d>\d{1,2})(?:st|nd|rd|th)?\s+" + _MONTH + r",?(?:\s+(?P<y>\d{4}))?(?![\w-])",
        re.IGNORECASE,
    ),
    re.compile(r"(?<![\w/])(?P<a>\d{1,2})/(?P<b>\d{1,2})/(?P<y>\d{4})(?![\w/])"),
)
MONEY = re.compile(
    r"(?<![\w$])(?:US)?\$\s?(?P<n>" + _NUM + r")(?:\s?" + _SCALE + r")?(?![\w])"
    r"|"
    + _NOT_IN_WORD
    + r"(?P<n2>"
    + _NUM
    + r")(?:\s?"
    + _SCALE.replace("scale", "scale2")
    + r")?\s?(?:USD|dollars)\b",
    re.IGNORECASE,
)
PERCENT = re.compile(
    _NOT_IN_WORD + r"(?P<n>" + _NUM + r")\s?(?:%|percent\b|per cent\b|pct\b)", re.IGNORECASE
)
NUMBER = re.compile(
    _NOT_IN_WORD + r"(?P<n>" + _NUM + r")(?:\s?(?P<scale>thousand|million|billion|bn|[kMB])"
    r"(?![\w]))?(?P<x>x(?![\w]))?(?![\w])"
)
STRUCTURAL = (
    re.compile(r"(?m)^[ \t]*(?:[-*][ \t]+)?\d{1,2}[.)](?=\s)"),
    re.compile(
        r"\b(?P<n>\d{1,3})(?:\s|-)(?:days?|hours?|weeks?|months?|years?|quarters?)\b"
        r"|\b(?:day|week|month|phase|step)s?\s+(?P<n2>\d{1,3})(?:\s?[-–]\s?(?P<n3>\d{1,3}))?\b"
        r"|\bDay\s?[-−–](?P<n4>\d{1,3})\b",
        re.IGNORECASE,
    ),
    re.compile(r"(?:/\s?|\bout of\s+)(?:5|10|100)\b", re.IGNORECASE),
    re.compile(r"(?<![\d.])(?:80\s?[-–]\s?100|60\s?[-–]\s?79|40\s?[-–]\s?59|0\s?[-–]\s?39)\b"),
)
QUOTES = (
    re.compile(r'"(?P<q>[^"\n]{3,})"'),
    re.compile(r"“(?P<q>[^”]{3,})”"),
    re.compile(r"(?m)^[ \t]*>[ \t]?(?P<q>.{3,})$"),
)
_WORD = re.compile(r"[^\W\d_](?:[^\W\d_]|['’-](?=[^\W\d_]))*")
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
_SCALES = {"k": 1e3, "thousand": 1e3, "m": 1e6, "mm": 1e6, "million": 1e6, "b": 1e9}
_SCALES |= {"bn": 1e9, "billion": 1e9}


@dataclass(frozen=True, slots=True)
class Claim:
    """One fact found in a text: its kind, the span, and its value with the precision shown."""

    kind: Kind
    text: str
    start: int
    end: int
    value: Any = None
    tolerance: float = 0.0


@dataclass(frozen=True, slots=True)
class Violation:
    """A fact in the answer that the tool results do not contain."""

    kind: Kind
    text: str
    start: int
    end: int

    def __str__(self) -> str:
        where = f"characters {self.start}-{self.end}"
        return f'{self.kind} "{self.text}" ({where}) is not in the tool results'


@dataclass
class GroundingReport:
    """What the check found: unsupported facts, and gaps the answer does not mention."""

    violations: list[Violation] = field(default_factory=list)
    missing_gaps: list[dict[str, Any]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Return whether the answer is grounded and mentions every gap."""
        return not self.violations and not self.missing_gaps

    def describe(self) -> str:
        """Return the violations and missing gaps as a bullet list (for the repair request)."""
        lines = [f"- {v}" for v in self.violations]
        lines += [
            f"- the data gap `{g.get('signal')}` (needed for {g.get('needed_for')}; ask "
            f"{g.get('ask')}) is not mentioned"
            for g in self.missing_gaps
        ]
        return "\n".join(lines)


def check(answer: str, runs: list[ToolRun], *, question: str = "") -> GroundingReport:
    """Check that every fact in `answer` is in `runs` (or `question`) and every gap is said.

    Args:
        answer: the model's prose.
        runs: the tool runs the answer is about.
        question: the user's message (its numbers, dates and names may be repeated).
    """
    structured, free, rendered = Evidence(), Evidence(), Evidence()
    for run in runs:
        structured.add_json(run.call.args, free)
        structured.add_json(run.result, free)
        structured.add_json(run.gaps, free)
        rendered.add_text(run.text)
    structured.add_text(question)
    for ev in (structured, free, rendered):
        ev.freeze()
    quoted = _verified_quotes(answer, free.corpus)
    skip = _structural_spans(answer)
    violations: list[Violation] = []
    for claim in [*extract(answer), *_tier_claims(answer)]:
        if _inside(claim, quoted) or _inside(claim, skip):
            continue
        if structured.has(claim) or (rendered.has(claim) and not free.has(claim)):
            continue
        violations.append(Violation(claim.kind, claim.text, claim.start, claim.end))
    return GroundingReport(violations=violations, missing_gaps=missing_gaps(answer, runs))


def missing_gaps(answer: str, runs: list[ToolRun]) -> list[dict[str, Any]]:
    """Return one gap per signal the tools reported that `answer` does not mention."""
    by_signal: dict[str, dict[str, Any]] = {}
    for run in runs:
        gaps = run.gaps or run.result.get("gaps") or []
        for gap in gaps:
            if isinstance(gap, dict) and gap.get("signal"):
                by_signal.setdefault(str(gap["signal"]), gap)
    if not by_signal:
        return []
    heading = GAPS_HEADING.search(answer)
    after = answer[heading.start() :] if heading else ""
    cued = [s for s in _SENTENCE_END.split(answer) if GAP_CUES.search(s)]
    missing = []
    for signal, gap in by_signal.items():
        pattern = _signal_pattern(signal)
        if pattern.search(after) or any(pattern.search(s) for s in cued):
            continue
        missing.append(gap)
    return missing


def extract(text: str) -> list[Claim]:
    """Return every number, percentage, money amount, date and person name in `text`."""
    claims: list[Claim] = []
    taken = bytearray(len(text))  # characters already claimed by an earlier pattern
    for claim in _dates(text, taken):
        claims.append(claim)
    for pattern, kind in ((MONEY, "money"), (PERCENT, "percent"), (NUMBER, "number")):
        for m in pattern.finditer(text):
            if any(taken[m.start() : m.end()]):
                continue
            claims.append(_numeric(m, kind))
            taken[m.start() : m.end()] = b"\1" * (m.end() - m.start())
    claims.extend(_persons(text))
    return sorted(claims, key=lambda c: c.start)


class Evidence:
    """Facts one can cite: numbers (absolute values), dates, and person-name word tuples."""

    def __init__(self) -> None:
        self.numbers: list[float] = []
        self.dates: set[date] = set()
        self.month_days: set[tuple[int, int]] = set()
        self.names: set[tuple[str, ...]] = set()
        self.tiers: set[str] = set()
        self.money_zero = False
        self.texts: list[str] = []
        self.corpus = ""

    def add_json(
        self, value: object, free: Evidence, key: str | None = None, *, record: bool = False
    ) -> None:
        """Add a JSON value; text people typed goes to `free` instead.

        Args:
            value: the JSON value.
            free: where untrusted text goes.
            key: the field the value is in.
            record: the value is a field of a note, ticket, survey or event record.
        """
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, int | float):
            self.numbers.append(abs(float(value)))
            if value == 0 and key is not None and MONEY_KEY.search(key):
                self.money_zero = True
        elif isinstance(value, str):
            if value.strip().lower() in TIERS and key not in ALWAYS_FREE_KEYS and not record:
                self.tiers.add(value.strip().lower())
            if key in ALWAYS_FREE_KEYS or (key in FREE_TEXT_KEYS and record):
                free.add_text(value)
                return
            rest = value
            for pattern in QUOTES[:2]:
                for m in pattern.finditer(value):
                    free.add_text(m.group("q").removesuffix("...").removesuffix("…"))
                rest = pattern.sub(" ", rest)
            self.add_text(rest)
        elif isinstance(value, dict):
            inner = is_record(value)
            self.tiers.update(str(k).lower() for k in value if str(k).lower() in TIERS)
            for k, v in value.items():
                self.add_json(v, free, str(k).lower(), record=inner)
        elif isinstance(value, list | tuple):
            self.numbers.append(float(len(value)))
            for item in value:
                self.add_json(item, free, key, record=record)

    def add_text(self, text: str) -> None:
        """Add every fact of a text."""
        if not text:
            return
        self.texts.append(text)
        self.tiers.update(m.group(1).lower() for m in TIER_WORD.finditer(text))
        for claim in extract(text):
            if claim.kind == "money" and float(claim.value) == 0:
                self.money_zero = True
            if claim.kind == "date":
                self._add_date(claim.value)
            elif claim.kind == "person":
                self.names.add(claim.value)
            else:
                value = float(claim.value)
                self.numbers.append(value)
                if claim.kind == "percent":
                    self.numbers.append(value / 100)

    def _add_date(self, value: object) -> None:
        if isinstance(value, date):
            self.dates.add(value)
            self.month_days.add((value.month, value.day))
            self.numbers.append(float(value.year))
        elif isinstance(value, tuple) and value[0] == "md":
            self.month_days.add(value[1])
        elif isinstance(value, tuple) and value[0] == "either":
            for d in value[1]:
                self._add_date(d)

    def freeze(self) -> None:
        """Sort the numbers for range look-ups and build the normalised text corpus."""
        self.numbers = sorted(set(self.numbers))
        self.corpus = _normalise("\n".join(self.texts))

    def has(self, claim: Claim) -> bool:
        """Return whether the claim's fact is in this evidence (with its shown precision)."""
        if claim.kind == "date":
            return self._has_date(claim.value)
        if claim.kind == "person":
            return any(_contains(name, claim.value) for name in self.names)
        if claim.kind == "tier":
            return claim.value in self.tiers
        if claim.kind == "money" and float(claim.value) == 0:
            return self.money_zero  # a "$0" needs a zero amount, not any zero (a count)
        x, tol = float(claim.value), claim.tolerance
        if claim.kind == "percent":
            return self._near(x / 100, tol / 100) or self._near(x, tol)
        return self._near(x, tol)

    def _near(self, x: float, tol: float) -> bool:
        tol = tol * (1 + 1e-9) + 1e-12
        i = bisect_left(self.numbers, x - tol)
        return i < len(self.numbers) and self.numbers[i] <= x + tol

    def _has_date(self, value: object) -> bool:
        if isinstance(value, date):
            return value in self.dates
        kind, detail = value  # type: ignore[misc]
        if kind == "md":
            return detail in self.month_days
        return any(d in self.dates for d in detail)


def _tier_claims(text: str) -> Iterator[Claim]:
    """Yield each health tier the text names (checked against the tiers the tools gave)."""
    for m in TIER_WORD.finditer(text):
        yield Claim("tier", m.group(0), m.start(), m.end(), m.group(1).lower())


def _numeric(m: re.Match[str], kind: Kind) -> Claim:
    raw = m.group("n") or m.groupdict().get("n2") or "0"
    scale_word = (m.groupdict().get("scale") or m.groupdict().get("scale2") or "").lower()
    decimals = len(raw.split(".")[1]) if "." in raw else 0
    scale = _SCALES.get(scale_word, 1.0)
    value = float(raw.replace(",", "")) * scale
    tolerance = 0.5 * 10**-decimals * scale
    return Claim(kind, m.group(0).strip(), m.start(), m.end(), value, tolerance)


def _dates(text: str, taken: bytearray) -> Iterator[Claim]:
    for i, pattern in enumerate(DATE_PATTERNS):
        for m in pattern.finditer(text):
            if any(taken[m.start() : m.end()]):
                continue
            value = _date_value(m, i)
            if value is None:
                continue
            taken[m.start() : m.end()] = b"\1" * (m.end() - m.start())
            yield Claim("date", m.group(0), m.start(), m.end(), value)


def _date_value(m: re.Match[str], pattern: int) -> object:
    groups = m.groupdict()
    try:
        if pattern == 0:
            return date(int(groups["y"]), int(groups["m"]), int(groups["d"]))
        if pattern == 3:
            a, b, y = int(groups["a"]), int(groups["b"]), int(groups["y"])
            options = []
            for month, day in ((a, b), (b, a)):
                try:
                    options.append(date(y, month, day))
                except ValueError:
                    pass
            return ("either", tuple(options)) if options else None
        month, day = MONTHS[groups["mon"].lower()], int(groups["d"])
        if groups.get("y"):
            return date(int(groups["y"]), month, day)
        date(2000, month, day)  # validates the day (2000 is a leap year)
        return ("md", (month, day))
    except ValueError:
        return None


def _persons(text: str) -> Iterator[Claim]:
    run: list[re.Match[str]] = []
    for m in _WORD.finditer(text):
        word = m.group(0)
        initial = len(word) == 1 and word.isupper() and text[m.end() : m.end() + 1] == "."
        capital = initial or (len(word) > 1 and word[0].isupper() and not word.isupper())
        gap = text[run[-1].end() : m.start()] if run else ""
        if capital and run and (gap == " " or (gap == ". " and _is_initial(run[-1]))):
            run.append(m)
            continue
        yield from _name_claims(text, run)
        run = [m] if capital else []
    yield from _name_claims(text, run)


def _is_initial(m: re.Match[str]) -> bool:
    return len(m.group(0)) == 1


def _name_claims(text: str, run: list[re.Match[str]]) -> Iterator[Claim]:
    if len(run) < 2 or any(m.group(0).lower() in ORG_WORDS for m in run):
        return
    segment: list[re.Match[str]] = []
    for m in [*run, None]:
        if m is not None and m.group(0).lower() not in STOPWORDS:
            segment.append(m)
            continue
        if 2 <= len(segment) <= 4:
            start, end = segment[0].start(), segment[-1].end()
            words = tuple(_name_word(s.group(0)) for s in segment if not _is_initial(s))
            if len(words) >= 2:
                yield Claim("person", text[start:end], start, end, words)
        segment = []


def _name_word(word: str) -> str:
    return word.lower().replace("’", "'")


def _contains(known: tuple[str, ...], claimed: tuple[str, ...]) -> bool:
    """Return whether `claimed` appears in order within the known name (middle names skipped)."""
    it = iter(known)
    return all(word in it for word in claimed)


def _verified_quotes(answer: str, free_corpus: str) -> list[tuple[int, int]]:
    """Return the spans of the answer that quote untrusted text verbatim."""
    spans = []
    for pattern in QUOTES:
        for m in pattern.finditer(answer):
            pieces = [_normalise(p) for p in re.split(r"\.\.\.|…", m.group("q"))]
            pieces = [p for p in pieces if len(p) >= 3]
            if pieces and all(p in free_corpus for p in pieces):
                spans.append((m.start(), m.end()))
    return spans


def _structural_spans(answer: str) -> list[tuple[int, int]]:
    """Return the spans of the answer's structural numbers (see the module docstring)."""
    spans = []
    for i, pattern in enumerate(STRUCTURAL):
        for m in pattern.finditer(answer):
            if i == 1:
                numbers = [g for g in m.groups() if g is not None]
                if not all(int(n) in RULE_NUMBERS for n in numbers):
                    continue
            spans.append((m.start(), m.end()))
    return spans


def _inside(claim: Claim, spans: Iterable[tuple[int, int]]) -> bool:
    return any(s <= claim.start and claim.end <= e for s, e in spans)


def _signal_pattern(signal: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in re.split(r"[_\s]+", signal.strip()) if w]
    return re.compile(r"\b" + r"[_\s-]?".join(words) + r"\b", re.IGNORECASE)


def _normalise(text: str) -> str:
    text = text.replace("“", '"').replace("”", '"').replace("’", "'")
    return " ".join(text.split()).lower()
