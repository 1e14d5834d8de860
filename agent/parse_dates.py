"""Dates as people type them, relative to the as-of date, for the offline grammar.

"2026-12-01", "Dec 1", "December 1st, 2026", "1 Dec", "today", "tomorrow", "Friday",
"next Friday", "in 3 days", "in 2 weeks", "next week", "end of week", "end of month".
A month and day without a year is the next such day on or after as-of. A weekday is the next
one after as-of ("Friday" said on a Friday is a week later). Anything else is None: the
caller asks rather than guesses.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta

MONTHS = {
    name.lower(): n
    for n in range(1, 13)
    for name in (calendar.month_name[n], calendar.month_abbr[n], calendar.month_abbr[n] + ".")
}
MONTHS["sept"] = 9
WEEKDAYS = {calendar.day_name[n].lower(): n for n in range(7)} | {
    calendar.day_abbr[n].lower(): n for n in range(7)
}
_MONTH = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))
_ORD = r"(\d{1,2})(?:st|nd|rd|th)?"
_MONTH_DAY = re.compile(rf"^({_MONTH})\s+{_ORD}(?:,?\s+(\d{{4}}))?$")
_DAY_MONTH = re.compile(rf"^(?:the\s+)?{_ORD}\s+(?:of\s+)?({_MONTH})(?:,?\s+(\d{{4}}))?$")
_IN = re.compile(r"^in\s+(\d{1,3}|a|an|one|two|three)\s+(day|week|month)s?$")
_WORDS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3}


def parse_date(text: str, as_of: date) -> date | None:
    """Return the date `text` names, relative to `as_of`, or None if it names none."""
    t = " ".join(text.strip().lower().rstrip(".!?").split())
    t = re.sub(r"^(?:on|by)\s+", "", t)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", t):
        try:
            return date.fromisoformat(t)
        except ValueError:
            return None
    fixed = {
        "today": as_of,
        "tomorrow": as_of + timedelta(days=1),
        "next week": as_of + timedelta(days=7),
        "end of week": _next_weekday(as_of, 4, allow_today=True),
        "end of the week": _next_weekday(as_of, 4, allow_today=True),
        "end of month": _month_end(as_of),
        "end of the month": _month_end(as_of),
    }
    if t in fixed:
        return fixed[t]
    words = t.split()
    if len(words) in (1, 2) and words[-1] in WEEKDAYS and words[0] in (words[-1], "next", "this"):
        return _next_weekday(as_of, WEEKDAYS[words[-1]], allow_today=False)
    if m := _IN.match(t):
        n = _WORDS.get(m.group(1)) or int(m.group(1))
        days = {"day": 1, "week": 7, "month": 30}[m.group(2)]
        return as_of + timedelta(days=n * days)
    if m := _MONTH_DAY.match(t):
        return _month_day(MONTHS[m.group(1)], int(m.group(2)), m.group(3), as_of)
    if m := _DAY_MONTH.match(t):
        return _month_day(MONTHS[m.group(2)], int(m.group(1)), m.group(3), as_of)
    return None


def _next_weekday(as_of: date, weekday: int, *, allow_today: bool) -> date:
    ahead = (weekday - as_of.weekday()) % 7
    if ahead == 0 and not allow_today:
        ahead = 7
    return as_of + timedelta(days=ahead)


def _month_end(day: date) -> date:
    return day.replace(day=calendar.monthrange(day.year, day.month)[1])


def _month_day(month: int, day: int, year: str | None, as_of: date) -> date | None:
    try:
        if year is not None:
            return date(int(year), month, day)
        found = date(as_of.year, month, day)
        return found if found >= as_of else date(as_of.year + 1, month, day)
    except ValueError:
        return None
