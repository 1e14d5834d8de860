"""Properties of the health scorer on random accounts (hypothesis), for every profile.

- Scores stay in 0-100, dimension scores in 0-10, coverage in 0-1.
- More logins never lower a score that reads logins: adding logins to a day of the last
  30 days never lowers the engine's engagement dimension (login change: more logins now
  raise c); adding logins to any day never lowers leading80's login_frequency dimension
  (days with logins > 0 can only grow). The engine's usage dimension (DAU/MAU) does not
  read logins at all, so it does not move.
- Deleting every row of an input (all surveys, all invoices, all contacts, ...) never
  raises coverage.
- An unknown input yields a gap, never a number.
- Free text never changes a score.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from memory.read import (
    Account,
    AccountData,
    Contact,
    Contract,
    Event,
    FeatureWeek,
    Goal,
    Invoice,
    Note,
    Opportunity,
    RoiRow,
    Survey,
    Ticket,
    UsageDay,
)
from tests.factories import portfolio
from tools.health import PROFILES, HealthResult, score_account

AS_OF = date(2026, 11, 23)
FEATURES = {f"f{i}": "core" for i in range(5)}
ROLES = [
    "champion",
    "exec_sponsor",
    "decision_maker",
    "economic_buyer",
    "user",
    "admin",
    "detractor",
    None,
]
EVENT_KINDS = ["training_completed", "qbr_held", "qbr_missed", "exec_meeting", "kickoff_held"]
PROPS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


def maybe(strategy):
    return st.one_of(st.none(), strategy) if strategy is not None else st.none()


small = st.integers(0, 40)
days_ago = st.integers(-20, 400)


@st.composite
def usage_rows(draw, max_days: int = 90):
    n = draw(st.integers(0, max_days))
    cells = draw(
        st.lists(
            st.tuples(maybe(small), maybe(small), maybe(st.integers(0, 200)), maybe(small)),
            min_size=n,
            max_size=n,
        )
    )
    return [UsageDay(ago(n - 1 - i), a, lg, 1, c, m) for i, (a, lg, c, m) in enumerate(cells)]


@st.composite
def account_data(draw) -> AccountData:
    acc = "a1"
    contacts = [
        Contact(
            f"c{i}",
            acc,
            f"C{i}",
            role=role,
            status=status,
            status_changed_at=None if changed is None else ago(changed),
            last_engaged_at=None if engaged is None else ago(engaged),
        )
        for i, (role, status, changed, engaged) in enumerate(
            draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(ROLES),
                        st.sampled_from(["active", "departed", "role_changed"]),
                        maybe(days_ago),
                        maybe(days_ago),
                    ),
                    max_size=5,
                )
            )
        )
    ]
    ids = [c.contact_id for c in contacts] + [None]
    invoices = [
        Invoice(f"i{i}", acc, 100.0, ago(due), status, None if paid is None else ago(due - paid))
        for i, (due, status, paid) in enumerate(
            draw(
                st.lists(
                    st.tuples(
                        st.integers(0, 400),
                        st.sampled_from(["paid", "open", "past_due", "failed", "void"]),
                        maybe(st.integers(-10, 30)),
                    ),
                    max_size=4,
                )
            )
        )
    ]
    statuses = ["not_started", "on_track", "at_risk", "achieved", "missed"]
    goals = [
        Goal(f"g{i}", acc, "goal", status=s)
        for i, s in enumerate(draw(st.lists(st.sampled_from(statuses), max_size=4)))
    ]
    surveys = [
        Survey(acc, kind, float(score), ago(day))
        for kind, score, day in draw(
            st.lists(
                st.one_of(
                    st.tuples(st.just("nps"), st.integers(0, 10), st.integers(0, 250)),
                    st.tuples(st.just("csat"), st.integers(1, 5), st.integers(0, 150)),
                ),
                max_size=5,
            )
        )
    ]
    events = [
        Event(acc, ago(day), kind, contact_id=who)
        for kind, day, who in draw(
            st.lists(
                st.tuples(st.sampled_from(EVENT_KINDS), days_ago, st.sampled_from(ids)),
                max_size=5,
            )
        )
    ]
    contracts = [
        Contract(f"k{i}", acc, float(arr), ago(start), ago(start - length))
        for i, (arr, start, length) in enumerate(
            draw(
                st.lists(
                    st.tuples(st.integers(0, 5000), days_ago, st.integers(30, 730)),
                    max_size=3,
                )
            )
        )
    ]
    opportunities = [
        Opportunity(f"o{i}", acc, kind, ago(day), stage=stage)
        for i, (kind, stage, day) in enumerate(
            draw(
                st.lists(
                    st.tuples(
                        st.sampled_from(["upsell", "seats", "renewal"]),
                        st.sampled_from(["identified", "qualified", "proposal", "won"]),
                        days_ago,
                    ),
                    max_size=2,
                )
            )
        )
    ]
    roi = [
        RoiRow(acc, "time_saved", "hours", "hours", 10, 5, recorded_at=ago(day))
        for day in draw(st.lists(days_ago, max_size=2))
    ]
    tickets = [
        Ticket(f"t{i}", acc, datetime.combine(ago(day), datetime.min.time()))
        for i, day in enumerate(draw(st.lists(st.integers(0, 120), max_size=12)))
    ]
    features = [
        FeatureWeek(ago(week), f"f{f}", users, 1)
        for week, f, users in draw(
            st.lists(
                st.tuples(st.integers(0, 60), st.integers(0, 6), maybe(st.integers(0, 5))),
                max_size=10,
            )
        )
    ]
    return AccountData(
        account=Account(acc, "Acme"),
        contracts=sorted(contracts, key=lambda c: c.start_date),
        contacts=contacts,
        usage=draw(usage_rows()),
        feature_usage=sorted(features, key=lambda w: (w.week_start, w.feature)),
        tickets=sorted(tickets, key=lambda t: t.opened_at),
        surveys=sorted(surveys, key=lambda s: s.responded_at),
        invoices=sorted(invoices, key=lambda i: i.due_date),
        events=sorted(events, key=lambda e: e.occurred_at),
        goals=goals,
        roi=sorted(roi, key=lambda r: r.recorded_at),
        opportunities=sorted(opportunities, key=lambda o: o.created_at),
    )


def run(data: AccountData, profile: str) -> HealthResult:
    p = portfolio(AS_OF, data, features=FEATURES)
    return score_account(p, data.account_id, profile=profile, with_trend=False)


def dim_score(r: HealthResult, name: str) -> float | None:
    return next(d.score for d in r.dimensions if d.name == name)


def copy(data: AccountData, **changes) -> AccountData:
    fields = {f: getattr(data, f) for f in AccountData.__slots__}
    fields.update(changes)
    return AccountData(**fields)


@PROPS
@given(account_data(), st.sampled_from(PROFILES))
def test_scores_stay_in_range(data, profile):
    r = run(data, profile)
    assert r.score is None or 0 <= r.score <= 100
    assert r.raw_score is None or -1e-9 <= r.raw_score <= 100 + 1e-9
    assert 0 <= r.coverage <= 1 + 1e-9
    for d in r.dimensions:
        assert d.score is None or 0 <= d.score <= 10
    if r.tier != "unknown":
        assert r.coverage >= 0.7 - 1e-9


@PROPS
@given(usage_rows(), st.integers(0, 29), st.integers(1, 50))
def test_more_logins_now_never_lower_engine_engagement(rows, day, extra):
    data = AccountData(account=Account("a1", "Acme"), usage=rows)
    target = ago(day)
    more = [r._replace(logins=(r.logins or 0) + extra) if r.date == target else r for r in rows]
    before, after = run(data, "engine"), run(copy(data, usage=more), "engine")
    b, a = dim_score(before, "engagement"), dim_score(after, "engagement")
    if b is not None and a is not None:
        assert a >= b
    # DAU/MAU does not read logins
    assert dim_score(after, "usage") == dim_score(before, "usage")


@PROPS
@given(usage_rows(), st.integers(0, 89), st.integers(1, 50))
def test_more_logins_never_lower_leading80_login_frequency(rows, day, extra):
    data = AccountData(account=Account("a1", "Acme"), usage=rows)
    target = ago(day)
    more = [r._replace(logins=(r.logins or 0) + extra) if r.date == target else r for r in rows]
    b = dim_score(run(data, "leading80"), "login_frequency")
    a = dim_score(run(copy(data, usage=more), "leading80"), "login_frequency")
    if b is not None:
        assert a is not None and a >= b


DELETABLE = [
    "surveys",
    "invoices",
    "contacts",
    "goals",
    "usage",
    "feature_usage",
    "events",
    "contracts",
    "tickets",
    "roi",
    "opportunities",
]


@PROPS
@given(account_data(), st.sampled_from(PROFILES), st.sampled_from(DELETABLE))
def test_deleting_an_input_never_raises_coverage(data, profile, entity):
    before = run(data, profile)
    after = run(copy(data, **{entity: []}), profile)
    assert after.coverage <= before.coverage + 1e-9


@PROPS
@given(account_data(), st.sampled_from(PROFILES))
def test_unknown_values_are_gaps_never_numbers(data, profile):
    r = run(data, profile)
    for d in r.dimensions:
        for s in d.signals:
            if s.value is None and not s.threshold.startswith("n/a"):
                assert s.points is None
                assert r.gaps, f"{d.name}.{s.name} unknown without a gap"
        if d.score is None:
            assert any(g.needed_for.find(f"health: {d.name}") >= 0 for g in r.gaps)


@PROPS
@given(account_data())
def test_no_invoices_no_contacts_no_surveys_are_gaps(data):
    r = run(copy(data, invoices=[], contacts=[], goals=[]), "engine")
    assert dim_score(r, "financial") is None
    assert dim_score(r, "relationship") is None
    assert dim_score(r, "outcomes") is None
    gaps = {(g.signal, g.needed_for.split("; ")[0]) for g in r.gaps}
    assert {
        ("invoices", "health: financial"),
        ("contacts", "health: relationship"),
        ("goals", "health: outcomes"),
    } <= gaps
    r = run(copy(data, surveys=[]), "leading80")
    assert dim_score(r, "nps") is None and dim_score(r, "csat") is None
    assert {"nps", "csat"} <= {g.signal for g in r.gaps}


@PROPS
@given(account_data(), st.sampled_from(PROFILES), st.text(max_size=80))
def test_free_text_never_changes_the_score(data, profile, text):
    noisy = copy(
        data,
        notes=[Note("n1", "a1", datetime(2026, 11, 20), text or "x")],
        surveys=[
            Survey(s.account_id, s.kind, s.score, s.responded_at, comment=text)
            for s in data.surveys
        ],
        events=[
            Event(e.account_id, e.occurred_at, e.kind, contact_id=e.contact_id, detail=text)
            for e in data.events
        ],
        tickets=[
            Ticket(t.ticket_id, t.account_id, t.opened_at, subject=text, description=text)
            for t in data.tickets
        ],
    )
    a, b = run(data, profile), run(noisy, profile)
    assert (a.score, a.tier, a.dimensions) == (b.score, b.tier, b.dimensions)
