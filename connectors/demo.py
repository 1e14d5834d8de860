"""The demo portfolio: writes a complete, realistic portfolio as the CSV files of the import format.

`generate(folder)` writes every file of spec/data-format.md for about 60 accounts whose
stories give every command something real to show (Acme Corp's renewal at risk, silent
accounts, each expansion signal, churned accounts for win-back and NRR, ...); see
`connectors.demo_stories`. Dates are relative to `as_of`, so the demo always looks current.
Output is deterministic: the same arguments give byte-identical files. Accounts are streamed
one at a time, so `accounts=10_000` (1.8M usage rows) runs in constant memory.
"""

from __future__ import annotations

import csv
import math
import random
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import IO

from connectors.demo_stories import (
    CORE_FEATURES,
    FIRST,
    LAST,
    PREMIUM_FEATURES,
    AccountSpec,
    plan,
)

FILES: dict[str, tuple[str, ...]] = {
    "accounts": (
        "account_id", "name", "segment", "industry", "employees", "csm", "plan",
        "licensed_seats", "departments_licensed", "kickoff_date", "go_live_date",
        "first_value_date", "status", "churned_at", "churn_reason", "currency",
    ),
    "contracts": (
        "contract_id", "account_id", "arr", "start_date", "end_date", "auto_renew",
        "notice_days", "price_increase_pct", "status",
    ),
    "contacts": (
        "contact_id", "account_id", "name", "title", "email", "department", "role",
        "influence", "status", "status_changed_at", "last_engaged_at",
    ),
    "usage": (
        "account_id", "date", "active_users", "logins", "sessions", "core_actions", "users_30d",
    ),
    "users": ("account_id", "user_id", "email", "department", "created_at", "last_active_at"),
    "feature_usage": ("account_id", "week_start", "feature", "active_users", "events"),
    "features": ("feature", "tier"),
    "tickets": (
        "ticket_id", "account_id", "opened_at", "closed_at", "status", "priority",
        "escalated", "subject", "description",
    ),
    "surveys": (
        "survey_id", "account_id", "contact_id", "kind", "score", "responded_at", "comment",
    ),
    "invoices": ("invoice_id", "account_id", "amount", "due_date", "paid_at", "status"),
    "events": ("event_id", "account_id", "occurred_at", "kind", "contact_id", "detail"),
    "goals": (
        "goal_id", "account_id", "objective", "metric", "baseline", "target", "current",
        "unit", "due_date", "status", "set_at",
    ),
    "roi": (
        "account_id", "category", "metric", "before", "after", "unit", "rate_usd", "period",
        "source", "recorded_at",
    ),
    "notes": ("note_id", "account_id", "created_at", "author", "kind", "text"),
    "opportunities": (
        "opportunity_id", "account_id", "kind", "amount", "stage", "created_at", "closed_at",
    ),
    "plays": (
        "play_id", "account_id", "kind", "opened_at", "closed_at", "outcome", "intervention",
    ),
}  # fmt: skip
"""File stem -> header, every file of the import format in dependency order."""

WEEKEND = 0.65
"""Weekend activity relative to a weekday (kept high so 30-day windows compare fairly)."""
EMAIL_STEMS = [f"{first}.{last}".lower() for first in FIRST for last in LAST]
"""Name parts of product users' e-mail addresses."""
PATTERN_FEATURE, PATTERN_WEEKS, PATTERN_DROP = "alerts", 4, 0.78
"""The portfolio pattern for the weekly scan: alerts usage fell ~22% in the last 4 weeks."""


def demo_folder(home: Path) -> Path:
    """Return the folder `csm demo` writes the demo CSV files into: `home / "demo"`."""
    return home / "demo"


def generate(
    folder: Path,
    *,
    accounts: int = 60,
    seed: int = 7,
    as_of: date | None = None,
    days: int = 180,
) -> dict[str, int]:
    """Write the demo portfolio as CSV files into `folder` and return the rows per file.

    Args:
        folder: where to write (created if needed; existing demo files are overwritten).
        accounts: how many accounts; the first 60 are the demo's stories (Acme Corp first),
            more are drawn from the story archetypes with randomised parameters.
        seed: the random seed; the same arguments give byte-identical files.
        as_of: the day the demo is "today" (default: today); every date is relative to it.
        days: how many days of daily usage, ending on `as_of`.
    """
    if accounts < 1:
        raise ValueError("accounts must be at least 1")
    if days < 1:
        raise ValueError("days must be at least 1")
    as_of = as_of or date.today()
    folder.mkdir(parents=True, exist_ok=True)
    out = _Out(folder)
    with out:
        for feature in CORE_FEATURES:
            out.row("features", (feature, "core"))
        for feature in PREMIUM_FEATURES:
            out.row("features", (feature, "premium"))
        cal = _Calendar(as_of)
        for spec in plan(accounts, seed):
            rng = random.Random(f"{seed}:rows:{spec.account_id}")
            _Account(spec, cal, rng, out, days).write()
    return dict(out.counts)


class _Out:
    """The open CSV files: a csv writer for text files, raw lines for the big numeric ones."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.counts = {name: 0 for name in FILES}
        self._stack = ExitStack()
        self.files: dict[str, IO[str]] = {}
        self.writers: dict[str, object] = {}

    def __enter__(self) -> _Out:
        for name, header in FILES.items():
            f = self._stack.enter_context(
                open(self.folder / f"{name}.csv", "w", encoding="utf-8", newline="")
            )
            self.files[name] = f
            self.writers[name] = csv.writer(f, lineterminator="\n")
            f.write(",".join(header) + "\n")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def row(self, name: str, values: tuple) -> None:
        """Write one row of `name` with RFC 4180 quoting (None = empty cell)."""
        self.writers[name].writerow([_cell(v) for v in values])  # type: ignore[attr-defined]
        self.counts[name] += 1

    def lines(self, name: str, text: list[str]) -> None:
        """Write pre-formatted lines (numbers and ids only: nothing needs quoting)."""
        self.files[name].write("".join(text))
        self.counts[name] += len(text)


def _cell(v: object) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return str(int(v)) if v.is_integer() else f"{v:.2f}".rstrip("0").rstrip(".")
    return str(v)


class _Calendar:
    """Dates relative to as_of: `day(n)` is the ISO date n days before (negative: after)."""

    SPAN = 1_500
    """Days back precomputed for the hot loops (usage, feature usage, users)."""

    def __init__(self, as_of: date) -> None:
        self.as_of = as_of
        self.iso = [(as_of - timedelta(days=d)).isoformat() for d in range(self.SPAN)]
        """iso[d] is the ISO date d days before as_of."""
        wd = as_of.weekday()
        self.activity = [WEEKEND if (wd - d) % 7 >= 5 else 1.0 for d in range(self.SPAN)]
        """activity[d] is the relative activity of that weekday (weekends are quieter)."""

    def day(self, ago: int | None) -> str | None:
        """Return the ISO date `ago` days before as_of (None stays None)."""
        if ago is None:
            return None
        if 0 <= ago < self.SPAN:
            return self.iso[ago]
        return (self.as_of - timedelta(days=ago)).isoformat()

    def stamp(self, ago: int, hour: int, minute: int) -> str:
        """Return the ISO 8601 UTC timestamp at hour:minute, `ago` days before as_of."""
        return f"{self.day(ago)}T{hour:02d}:{minute:02d}:00Z"

    def weekday(self, ago: int) -> int:
        """Return the weekday (Monday = 0) of the day `ago` days before as_of."""
        return (self.as_of.weekday() - ago) % 7


def _curve(knots: tuple[tuple[int, float], ...], n: int) -> list[float]:
    """Return the multiplier for each of n days ago, interpolating linearly between knots."""
    ks = sorted(knots)
    out = [ks[-1][1]] * n
    for d in range(min(max(ks[0][0], 0), n)):
        out[d] = ks[0][1]
    for (a0, v0), (a1, v1) in zip(ks, ks[1:], strict=False):
        for d in range(max(a0, 0), min(a1, n)):
            out[d] = v0 + (v1 - v0) * (d - a0) / (a1 - a0)
    return out


class _Account:
    """Turns one AccountSpec into rows of every file."""

    def __init__(self, spec: AccountSpec, cal: _Calendar, rng: random.Random, out: _Out, days: int):
        self.s, self.cal, self.rng, self.out, self.days = spec, cal, rng, out, days
        self.aid = spec.account_id
        self.contract_rows: list[tuple[str, float, int, int, str]] = []
        self.users_30d_now = 0
        self.last_active_ago = spec.usage.last_ago

    def write(self) -> None:
        self._contracts()
        self._account()
        self._contacts()
        self._usage()
        self._users()
        self._tickets()
        self._surveys()
        self._invoices()
        self._events()
        self._goals()
        self._roi()
        self._notes()
        self._opportunities()
        self._plays()

    # -- accounts, contracts, contacts ------------------------------------------------

    def _account(self) -> None:
        s, day = self.s, self.cal.day
        churned = s.churned_ago is not None
        row = {
            "account_id": self.aid,
            "name": s.name,
            "segment": s.segment,
            "industry": s.industry,
            "employees": s.employees,
            "csm": s.csm,
            "plan": s.plan,
            "licensed_seats": s.seats,
            "departments_licensed": ";".join(s.departments) if s.departments else None,
            "kickoff_date": day(s.kickoff_ago),
            "go_live_date": day(s.go_live_ago),
            "first_value_date": day(s.first_value_ago),
            "status": "churned" if churned else "active",
            "churned_at": day(s.churned_ago),
            "churn_reason": s.churn_reason,
            "currency": "USD",
        }
        for col in s.blank:
            row[col] = None
        self.out.row("accounts", tuple(row[c] for c in FILES["accounts"]))

    def _contracts(self) -> None:
        c = self.s.contract
        if c is None:
            return
        churned = self.s.churned_ago is not None
        end = -c.renewal_in
        start = end + c.term_days
        base_arr = c.arr - sum(d for _, d in c.amendments)
        rows: list[list] = []
        for k in range(c.prior_terms, 0, -1):
            arr = round(base_arr / (1 + c.uplift) ** k, -2 if base_arr > 10_000 else 0)
            rows.append([arr, start + 365 * k, start + 365 * (k - 1) + 1, "renewed"])
        final = "churned" if churned else "active"
        current = [base_arr, start, end, final]
        rows.append(current)
        for ago, delta in sorted(c.amendments, key=lambda a: -a[0]):
            if delta > 0:
                rows.append([delta, ago, end, final])
            else:
                current[2], current[3] = ago + 1, "expired"
                current = [current[0] + delta, ago, end, final]
                rows.append(current)
        for n, row in enumerate(rows, 1):
            arr, a_start, a_end, status = row
            cid = f"{self.aid}-c{n}"
            self.contract_rows.append((cid, float(arr), a_start, a_end, status))
            pip = c.price_increase_pct if row is current and status == "active" else None
            self.out.row(
                "contracts",
                (cid, self.aid, float(arr), self.cal.day(a_start), self.cal.day(a_end),
                 c.auto_renew, c.notice_days, pip, status),
            )  # fmt: skip

    def arr_on(self, ago: int) -> float:
        """Return the ARR in force `ago` days before as_of."""
        return sum(arr for _, arr, st, en, _ in self.contract_rows if en <= ago <= st)

    def _contacts(self) -> None:
        day = self.cal.day
        for i, p in enumerate(self.s.contacts, 1):
            email = f"{p.name.lower().replace(' ', '.')}@{self.s.domain}"
            engaged = p.engaged_ago
            if p.changed_ago is not None and p.status == "departed" and engaged is not None:
                engaged = max(engaged, p.changed_ago)
            self.out.row(
                "contacts",
                (f"{self.aid}-p{i}", self.aid, p.name, p.title, email, p.department, p.role,
                 p.influence, p.status, day(p.changed_ago), day(engaged)),
            )  # fmt: skip

    def contact(self, index: int | None) -> str | None:
        """Return the contact id of the index-th contact, or None when there is none."""
        if index is None or index >= len(self.s.contacts):
            return None
        return f"{self.aid}-p{index + 1}"

    # -- usage, feature usage, users -------------------------------------------------

    def _usage(self) -> None:
        u, s, cal, rnd = self.s.usage, self.s, self.cal, self.rng.random
        if u.missing:
            self.users_30d_now = round(u.mau * 0.8)
            return
        first = self.days - 1 if u.first_ago is None else min(u.first_ago, self.days - 1)
        if u.last_ago > first:
            return
        span = first + 31
        m = _curve(u.knots, span)
        begin = u.first_ago if u.first_ago is not None else 10**6
        for d in range(span):
            if d > begin or d < u.last_ago:
                m[d] = 0.0
        mean30 = [0.0] * (first + 1)
        window = sum(m[0:30])
        for d in range(first + 1):
            mean30[d] = window / 30
            window += m[d + 30] - m[d]
        seats = s.seats or 10**9
        base, mau = u.mau * u.dau_ratio, u.mau
        lpu, apu, spl = u.logins_per_user, u.actions_per_user, 1.2 + 0.3 * rnd()
        aid, iso, activity, sqrt = self.aid, cal.iso, cal.activity, math.sqrt
        lines = []
        last_active = None
        no_login_until = (u.first_ago or 0) - u.no_login_days
        onboarding = u.first_ago is not None
        for d in range(first, u.last_ago - 1, -1):
            exp = base * m[d] * activity[d]
            if exp > 0:
                # small counts are rounded stochastically to keep their expected value
                half = 0.5 if exp > 8 else rnd()
                au = int(exp * (0.88 + 0.24 * rnd()) + half)
                lg = int(exp * lpu * (0.88 + 0.24 * rnd()) + half)
                if onboarding and d > no_login_until:
                    au = lg = 0
                if lg < au:
                    lg = au
                se = int(lg * spl + 0.5)
                ca = int(exp * apu * (0.85 + 0.3 * rnd()) + 0.5) if au else 0
            else:
                au = lg = se = ca = 0
            if lg:
                last_active = d
            u30 = int(mau * sqrt(mean30[d]) + 0.5)
            if u30 > seats:
                u30 = seats
            if onboarding and last_active is None:
                u30 = 0
            cell = "" if u.blank_users_30d else u30
            lines.append(f"{aid},{iso[d]},{au},{lg},{se},{ca},{cell}\n")
        self.out.lines("usage", lines)
        self.users_30d_now = min(seats, int(u.mau * math.sqrt(mean30[u.last_ago]) + 0.5))
        self.last_active_ago = last_active if last_active is not None else first
        self._features(m, first)

    def _features(self, m: list[float], first: int) -> None:
        s, cal, rnd = self.s, self.cal, self.rng.random
        if not s.features:
            return
        last = s.usage.last_ago
        monday = first - (7 - cal.weekday(first)) % 7  # first Monday on/after the first day
        lines = []
        weekly = s.usage.mau * 0.85
        names = [(f, s.features[f]) for f in (*CORE_FEATURES, *PREMIUM_FEATURES) if f in s.features]
        aid = self.aid
        for start in range(monday, last - 1, -7):
            week = cal.iso[start]
            span = [m[d] for d in range(start, max(start - 7, last - 1), -1)]
            level = sum(span) / len(span)
            users = weekly * math.sqrt(level) if level > 0 else 0.0
            for f, share in names:
                au = int(users * share * (0.9 + 0.2 * rnd()) + 0.5) if users else 0
                if f == PATTERN_FEATURE and start < 7 * PATTERN_WEEKS:
                    au = int(au * PATTERN_DROP + 0.5)
                ev = int(au * (3 + 9 * rnd()) + 0.5)
                lines.append(f"{aid},{week},{f},{au},{ev}\n")
        self.out.lines("feature_usage", lines)

    def _users(self) -> None:
        s, day, rnd = self.s, self.cal.day, self.rng.random
        start = s.contract.start_ago() if s.contract else 365
        floor = max(self.last_active_ago, 0)
        depts = s.departments or ("",)
        recent = min(self.users_30d_now, s.user_count)
        extra = [d for d, count in s.extra_departments for _ in range(count)]
        lines = []
        for i in range(s.user_count + len(extra)):
            if i < s.user_count:
                dept = depts[i % len(depts)]
                created = floor + int(rnd() * (max(start, floor) - floor + 1))
                active = floor + (int(rnd() * 30) if i < recent else 30 + int(rnd() * 151))
            else:
                dept = extra[i - s.user_count]
                created = floor + 30 + int(rnd() * 91)
                active = floor + int(rnd() * 46)
            active = min(active, created)
            stem = EMAIL_STEMS[(i * 7_919) % len(EMAIL_STEMS)]
            lines.append(
                f"{self.aid},u{i + 1:05d},{stem}{i + 1}@{s.domain},{dept},{day(created)},"
                f"{day(active)}\n"
            )
        self.out.lines("users", lines)

    # -- support, surveys, billing, events -------------------------------------------

    def _tickets(self) -> None:
        cal, rng = self.cal, self.rng
        for n, t in enumerate(sorted(self.s.tickets, key=lambda t: -t.opened_ago), 1):
            if t.opened_ago < 0:
                continue
            hour, minute = rng.randint(8, 17), rng.randint(0, 59)
            closed_ago = None if t.closed_after is None else t.opened_ago - t.closed_after
            if closed_ago is not None and closed_ago < 0:
                closed_ago = None
            if closed_ago is None:
                status, closed = t.status or "open", None
            else:
                status = "closed" if closed_ago > 30 else "solved"
                closed = cal.stamp(closed_ago, min(hour + 2, 23), minute)
            self.out.row(
                "tickets",
                (f"{self.aid}-t{n}", self.aid, cal.stamp(t.opened_ago, hour, minute), closed,
                 status, t.priority, t.escalated, t.subject, t.description or None),
            )  # fmt: skip

    def _surveys(self) -> None:
        for n, (kind, score, ago, who, comment) in enumerate(
            sorted(self.s.surveys, key=lambda x: -x[2]), 1
        ):
            if ago < 0:
                continue
            self.out.row(
                "surveys",
                (f"{self.aid}-s{n}", self.aid, self.contact(who), kind, float(score),
                 self.cal.day(ago), comment or None),
            )  # fmt: skip

    def _invoices(self) -> None:
        b, rng = self.s.billing, self.rng
        if b is None or not self.contract_rows:
            return
        period = 365 / b.per_year
        first = max(st for _, _, st, _, _ in self.contract_rows)
        if b.latest_due_ago is not None:
            anchor = b.latest_due_ago
        else:
            anchor = first - int(first // period) * period
        dues = []
        j = 0
        while True:
            due = round(anchor + j * period)
            if due > 364 or due > first:
                break
            arr = self.arr_on(due)
            if arr > 0:
                dues.append((due, arr))
            j += 1
        for n, (due, arr) in enumerate(reversed(dues), 1):
            idx = len(dues) - n  # 0 = the latest invoice
            paid: int | None = due + rng.randint(0, 4)
            status = "paid"
            if idx in b.late:
                paid = due - b.late_days
                if paid < 0:
                    paid, status = None, "past_due"
            if idx == 0 and b.problem and due >= 1:
                paid, status = None, b.problem
            self.out.row(
                "invoices",
                (f"INV-{self.aid}-{n:03d}", self.aid, round(arr / b.per_year, 2),
                 self.cal.day(due), self.cal.day(paid), status),
            )  # fmt: skip

    def _events(self) -> None:
        for n, (kind, ago, who, detail) in enumerate(sorted(self.s.events, key=lambda e: -e[1]), 1):
            if ago < 0:
                continue
            self.out.row(
                "events",
                (f"{self.aid}-e{n}", self.aid, self.cal.day(ago), kind, self.contact(who),
                 detail or None),
            )  # fmt: skip

    # -- goals, ROI, notes, opportunities, plays -------------------------------------

    def _goals(self) -> None:
        for n, g in enumerate(self.s.goals, 1):
            due = None if g.due_in is None else -g.due_in
            self.out.row(
                "goals",
                (f"{self.aid}-g{n}", self.aid, g.objective, g.metric, _num(g.baseline),
                 _num(g.target), _num(g.current), g.unit, self.cal.day(due), g.status,
                 self.cal.day(g.set_ago)),
            )  # fmt: skip

    def _roi(self) -> None:
        seen = set()
        for cat, metric, before, after, unit, rate, period, source, ago in self.s.roi:
            if (cat, metric) in seen or ago < 0:
                continue
            seen.add((cat, metric))
            self.out.row(
                "roi",
                (self.aid, cat, metric, _num(before), _num(after), unit, _num(rate), period,
                 source, self.cal.day(ago)),
            )  # fmt: skip

    def _notes(self) -> None:
        rng = self.rng
        for n, (ago, kind, author, text) in enumerate(sorted(self.s.notes, key=lambda x: -x[0]), 1):
            if ago < 0:
                continue
            stamp = self.cal.stamp(ago, rng.randint(8, 18), rng.randint(0, 59))
            self.out.row("notes", (f"{self.aid}-n{n}", self.aid, stamp, author, kind, text))

    def _opportunities(self) -> None:
        for n, (kind, amount, stage, created, closed) in enumerate(self.s.opportunities, 1):
            if created < 0:
                continue
            self.out.row(
                "opportunities",
                (f"{self.aid}-o{n}", self.aid, kind, _num(amount), stage, self.cal.day(created),
                 self.cal.day(closed)),
            )  # fmt: skip

    def _plays(self) -> None:
        for n, (kind, opened, closed, outcome, intervention) in enumerate(
            sorted(self.s.plays, key=lambda p: -p[1]), 1
        ):
            if opened < 0:
                continue
            self.out.row(
                "plays",
                (f"{self.aid}-y{n}", self.aid, kind, self.cal.day(opened), self.cal.day(closed),
                 outcome, intervention),
            )  # fmt: skip


def _num(v: float | None) -> float | None:
    return None if v is None else float(v)
