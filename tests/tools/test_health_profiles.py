"""The leading80, ops and sales health profiles, and the profile files themselves."""

from __future__ import annotations

from datetime import datetime

import pytest
from pydantic import ValidationError

from memory.read import Event, FeatureWeek, Survey, Ticket
from tests.factories import portfolio
from tests.tools.test_health import (
    AS_OF,
    ago,
    contact,
    contract,
    dim,
    full,
    gap_signals,
    invoice,
    sig,
    usage,
)
from tools import profiles
from tools.common import Gaps
from tools.health import PROFILES, _dimension, load_model, score_account
from tools.health_model import Band, HealthModel
from tools.health_signals import build_context

CATALOGUE = {f"f{i}": "core" for i in range(10)}


def features_used(n: int, week=None, acc: str = "a1") -> list[FeatureWeek]:
    """Rows for the 10 catalogue features in one week; the first n have active users."""
    week = week or ago(7)
    return [FeatureWeek(week, f"f{i}", 3 if i < n else 0, 5) for i in range(10)]


def lscore(data, **kw):
    p = portfolio(AS_OF, data, features=kw.pop("features", CATALOGUE))
    return score_account(p, data.account_id, with_trend=False, profile="leading80", **kw)


def oscore(*accounts, features=CATALOGUE, profile="ops"):
    p = portfolio(AS_OF, *accounts, features=features)
    return score_account(p, accounts[0].account_id, with_trend=False, profile=profile)


# --- the profile files ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "weights", "leading"),
    [
        ("engine", [0.30, 0.20, 0.15, 0.20, 0.15], 0.65),
        ("leading80", [0.30, 0.25, 0.25, 0.10, 0.10], 0.80),
        # ops: usage 4/4 leading, engagement 3/3, business health 1/3 (stability), sentiment 0
        ("ops", [0.35, 0.25, 0.25, 0.15], 0.35 + 0.25 + 0.25 / 3),
        # sales: usage 4/4, engagement 3/3, business value 0/4, relationship 3/3
        ("sales", [0.40, 0.25, 0.20, 0.15], 0.80),
    ],
)
def test_profiles_carry_the_source_weights(name, weights, leading):
    model = load_model(name)
    assert [d.weight for d in model.dimensions] == weights
    assert model.leading_share() == pytest.approx(leading)


def test_every_profile_loads_and_documents_its_signals():
    assert PROFILES == profiles.PROFILES
    for name in PROFILES:
        raw = profiles.load(name)
        assert raw["name"] == name
        model = load_model(name)
        for d in model.dimensions:
            for s in d.signals:
                assert s.doc or d.doc, f"{name}.{d.name}.{s.name} is undocumented"


def test_unknown_profile_file_is_refused():
    with pytest.raises(ValueError, match="choose one of engine, leading80, ops, sales"):
        profiles.load("../etc")


def test_sales_reuses_the_ops_tables():
    ops = {s.name: s for d in load_model("ops").dimensions for s in d.signals}
    sales = [s for d in load_model("sales").dimensions for s in d.signals]
    shared = [s for s in sales if s.name in ops]
    assert len(shared) == 9
    for s in shared:
        o = ops[s.name]
        assert (s.kind, s.params, s.bands) == (o.kind, o.params, o.bands), s.name
    # the volume trend is the ops usage trend table applied to core actions
    volume = next(s for s in sales if s.name == "volume_trend")
    assert volume.bands == ops["usage_trend"].bands
    assert volume.params == {"days": 30, "column": "core_actions"}
    # signals with no ops namesake say which ops table they borrow
    for s in sales:
        if s.name not in ops:
            assert "ops" in (s.doc or ""), s.name


def test_ops_documents_the_sub_signals_it_cannot_score():
    r = oscore(full())
    excluded = {e.name for d in r.dimensions for e in d.excluded}
    assert excluded == {"event_webinar_attendance", "strategic_alignment", "communication_tone"}
    tone = next(e for e in dim(r, "sentiment").excluded if e.name == "communication_tone")
    assert "free text" in tone.reason


# --- leading80 -----------------------------------------------------------------------------


@pytest.mark.parametrize(("days", "points"), [(30, 100), (25, 100), (24, 70), (15, 70), (14, 30)])
def test_leading80_login_days(days, points):
    # logins > 0 on the last `days` days only
    logins = lambda d: 4 if d > ago(days) else 0  # noqa: E731
    r = lscore(full(usage=usage(logins=logins)))
    s = sig(r, "login_frequency", "login_days_30d")
    assert (s.value, s.points) == (days, points)
    assert dim(r, "login_frequency").score == points / 10


def test_leading80_login_days_with_missing_rows_reports_a_gap():
    # rows for only 20 of the 30 days, all with logins: 20 days -> 70, and a usage gap
    r = lscore(full(usage=usage(20)))
    assert sig(r, "login_frequency", "login_days_30d").points == 70
    gap = next(g for g in r.gaps if g.signal == "usage")
    assert gap.detail == "rows with logins for 20 of 30 days"


@pytest.mark.parametrize(("used", "points"), [(10, 100), (8, 100), (7, 60), (5, 60), (4, 20)])
def test_leading80_feature_breadth(used, points):
    r = lscore(full(feature_usage=features_used(used)))
    s = sig(r, "feature_breadth", "feature_breadth_30d")
    assert s.value == pytest.approx(used / 10)
    assert s.points == points


def test_feature_week_counts_when_its_week_start_is_in_the_window():
    # the window is ago(29)..as_of: a week starting on its first day counts, one day earlier not
    r = lscore(full(feature_usage=features_used(9, week=ago(29))))
    assert sig(r, "feature_breadth", "feature_breadth_30d").value == pytest.approx(0.9)
    r = lscore(full(feature_usage=features_used(9, week=ago(30))))
    assert sig(r, "feature_breadth", "feature_breadth_30d").value is None
    assert "feature_usage" in gap_signals(r)


def test_feature_breadth_without_catalogue_is_a_gap():
    r = lscore(full(feature_usage=features_used(9)), features={})
    assert dim(r, "feature_breadth").score is None
    assert "features" in gap_signals(r)


@pytest.mark.parametrize(
    ("champion", "exec_", "value", "points"),
    [
        (ago(29), ago(89), "both", 100),
        (ago(30), ago(89), "one", 60),  # champion engaged 30 days ago: outside the 30
        (ago(29), ago(90), "one", 60),
        (ago(30), ago(90), "neither", 20),
    ],
)
def test_leading80_stakeholder_engagement(champion, exec_, value, points):
    contacts = [
        contact("c", "champion", last_engaged_at=champion),
        contact("e", "decision_maker", last_engaged_at=exec_),
    ]
    r = lscore(full(contacts=contacts))
    s = sig(r, "stakeholder_engagement", "stakeholder_engagement")
    assert (s.value, s.points) == (value, points)


def test_stakeholder_engagement_unknown_dates_are_a_gap():
    r = lscore(full(contacts=[contact("c", "champion"), contact("e", "exec_sponsor")]))
    assert dim(r, "stakeholder_engagement").score is None
    assert "last_engaged_at" in gap_signals(r)


def nps(score_, day):
    return Survey("a1", "nps", score_, day)


def csat(score_, day):
    return Survey("a1", "csat", score_, day)


@pytest.mark.parametrize(("latest", "points"), [(10, 100), (9, 100), (8, 50), (7, 50), (6, 10)])
def test_leading80_nps_latest(latest, points):
    # an older detractor response is superseded by the latest one
    r = lscore(full(surveys=[nps(2, ago(170)), nps(latest, ago(3))]))
    assert sig(r, "nps", "nps_latest_180d").points == points


def test_nps_older_than_180_days_is_a_gap():
    assert sig(lscore(full(surveys=[nps(9, ago(179))])), "nps", "nps_latest_180d").points == 100
    r = lscore(full(surveys=[nps(9, ago(180))]))
    assert dim(r, "nps").score is None
    assert any(g.signal == "nps" and g.needed_for == "health: nps" for g in r.gaps)


@pytest.mark.parametrize(
    ("scores", "value", "points"),
    [
        ([5, 4], 5, 100),  # mean 4.5 -> 5 (half up)
        ([4, 5, 4], 4, 70),  # 4.33 -> 4
        ([3, 2], 3, 40),  # 2.5 -> 3
        ([2, 3, 2], 2, 10),  # 2.33 -> 2
    ],
)
def test_leading80_csat_mean_rounded(scores, value, points):
    r = lscore(full(surveys=[csat(s, ago(10 + i)) for i, s in enumerate(scores)]))
    s = sig(r, "csat", "csat_mean_90d")
    assert (s.value, s.points) == (value, points)


def test_csat_window_is_ninety_days():
    # a 1 on day -90 is outside the last 90 days; a 5 on day -89 inside -> 5
    r = lscore(full(surveys=[csat(1, ago(90)), csat(5, ago(89))]))
    assert sig(r, "csat", "csat_mean_90d").value == 5


def test_leading80_composite():
    # logins every day -> 100 (x 0.30); 6 of 10 features -> 60 (x 0.25); champion engaged,
    # exec not -> 60 (x 0.25); NPS 9 -> 100 (x 0.10); CSAT 4 -> 70 (x 0.10):
    # 3 + 1.5 + 1.5 + 1 + 0.7 = 7.7 -> 77 -> yellow
    r = lscore(full(feature_usage=features_used(6), surveys=[nps(9, ago(3)), csat(4, ago(3))]))
    assert r.raw_score == pytest.approx(77.0)
    assert (r.score, r.tier, r.coverage) == (77, "yellow", pytest.approx(1.0))
    assert r.leading_share == pytest.approx(0.8)


def test_leading80_without_login_data_is_not_tiered():
    # every other dimension known: coverage 0.7, but the usage dimension has no data
    surveys = [nps(9, ago(3)), csat(4, ago(3))]
    r = lscore(full(usage=[], feature_usage=features_used(6), surveys=surveys))
    assert r.coverage == pytest.approx(0.7)
    assert r.tier == "unknown" and r.score is not None


# --- ops -----------------------------------------------------------------------------------


def depth_account(acc: str, core: int, **kw):
    """An account with 10 active users and `core` core actions every day."""
    rows = [u._replace(core_actions=core) for u in usage(active_users=10)]
    return full(account_id=acc, name=acc, usage=rows, **kw)


@pytest.mark.parametrize(
    ("core_a", "core_b", "ratio", "points"),
    [
        (30, 10, 1.5, 100),  # 3.0 vs mean 2.0 -> 150% -> above average
        (10, 30, 0.5, 30),  # 1.0 vs 2.0 -> 50% -> below
        (22, 18, 1.1, 70),  # 2.2 vs 2.0 -> exactly 110% -> average
        (18, 22, 0.9, 70),  # 1.8 vs 2.0 -> exactly 90% -> average
    ],
)
def test_ops_usage_depth_vs_portfolio_mean(core_a, core_b, ratio, points):
    # core actions per active user-day: core / 10 active users, mean of the two accounts
    gone = depth_account("z", 500, status="churned", churned_at=ago(100))  # not in the mean
    r = oscore(depth_account("a", core_a), depth_account("b", core_b), gone)
    s = sig(r, "product_usage", "usage_depth")
    assert s.value == pytest.approx(ratio)
    assert s.points == points


def test_ops_product_usage_is_capped_at_100():
    # logins every day (100), 10/10 features (100), depth unknown (core_actions empty, a
    # gap), trend +10% (110): mean (100 + 100 + 110) / 3 = 103.3 -> capped 100 -> 10
    logins = lambda d: 11 if d > ago(30) else 10  # noqa: E731
    rows = usage(core_actions=None, logins=logins)
    r = oscore(full(usage=rows, feature_usage=features_used(10)))
    assert sig(r, "product_usage", "usage_trend").points == 110
    assert sig(r, "product_usage", "usage_depth").points is None
    assert dim(r, "product_usage").score == 10.0
    assert "core_actions" in gap_signals(r)


def ticket(n: int, day):
    return Ticket(f"t{n}", "a1", datetime.combine(day, datetime.min.time()))


@pytest.mark.parametrize(
    ("count", "points"), [(0, 100), (1, 100), (2, 70), (5, 70), (6, 40), (10, 40), (11, 10)]
)
def test_ops_tickets_90d(count, points):
    tickets = [ticket(i, ago(89)) for i in range(count)] + [ticket(99, ago(90))]  # -90: out
    r = oscore(full(tickets=tickets))
    assert sig(r, "engagement", "tickets_90d").value == count
    assert sig(r, "engagement", "tickets_90d").points == points


def test_ops_training_completion():
    # 3 active contacts, 2 trained -> 0.67 -> 40 (50-74%)
    contacts = [contact("c", "champion"), contact("e", "exec_sponsor"), contact("u", "user")]
    events = [
        Event("a1", ago(100), "training_completed", contact_id="c"),
        Event("a1", ago(50), "training_completed", contact_id="u"),
        Event("a1", ago(-5), "training_completed", contact_id="e"),  # after as_of: not yet
    ]
    r = oscore(full(contacts=contacts, events=events))
    s = sig(r, "engagement", "training_completion")
    assert s.value == pytest.approx(2 / 3)
    assert s.points == 40


def test_ops_training_not_tracked_is_a_gap():
    r = oscore(full())
    assert sig(r, "engagement", "training_completion").value is None
    assert "events" in gap_signals(r)


@pytest.mark.parametrize(
    ("held", "missed", "points"), [(1, 0, 100), (3, 1, 70), (1, 2, 30), (0, 1, 30)]
)
def test_ops_meeting_attendance(held, missed, points):
    events = [Event("a1", ago(30 + i), "qbr_held") for i in range(held)]
    events += [Event("a1", ago(200 + i), "qbr_missed") for i in range(missed)]
    events += [Event("a1", ago(365), "qbr_missed")]  # 365 days ago: outside the year
    r = oscore(full(events=events))
    assert sig(r, "engagement", "meeting_attendance_12m").value == pytest.approx(
        held / (held + missed)
    )
    assert sig(r, "engagement", "meeting_attendance_12m").points == points


@pytest.mark.parametrize(
    ("invoices", "points"),
    [
        ([invoice("a", ago(30), paid=ago(30))], 100),
        ([invoice("a", ago(30), paid=ago(29)), invoice("b", ago(60), paid=ago(61))], 60),
        ([invoice("a", ago(30), paid=ago(29)), invoice("b", ago(60), "past_due")], 20),
    ],
)
def test_ops_payment_timeliness(invoices, points):
    r = oscore(full(invoices=invoices))
    assert sig(r, "business_health", "payment_timeliness").points == points


@pytest.mark.parametrize(
    ("end", "value", "points"),
    [
        (ago(-91), "active", 100),
        (ago(-90), "approaching_renewal", 70),  # renewal in exactly 90 days
        (ago(1), "expired", 0),
    ],
)
def test_ops_contract_status(end, value, points):
    r = oscore(full(contracts=[contract(1000, ago(300), end)]))
    s = sig(r, "business_health", "contract_status")
    assert (s.value, s.points) == (value, points)


def test_ops_contract_status_without_contracts_is_a_gap():
    r = oscore(full(contracts=[]))
    assert sig(r, "business_health", "contract_status").value is None
    assert "contracts" in gap_signals(r)


@pytest.mark.parametrize(
    ("changes", "points"),
    [
        ([("departed", ago(90))], 100),  # 90 days ago: outside the last 90
        ([("departed", ago(10))], 60),
        ([("departed", ago(10)), ("role_changed", ago(89))], 20),
    ],
)
def test_ops_stakeholder_stability(changes, points):
    contacts = [contact("c", "champion")] + [
        contact(f"x{i}", "user", status=st, status_changed_at=day)
        for i, (st, day) in enumerate(changes)
    ]
    r = oscore(full(contacts=contacts))
    assert sig(r, "business_health", "stakeholder_stability").points == points


def test_ops_composite_leaves_out_dimensions_without_data():
    # product usage: login days 30 -> 100, features 10/10 -> 100, depth (only account,
    #   at the mean) -> 70, trend flat -> 80: 87.5 -> 8.75
    # engagement: tickets 0 -> 100 (training, meetings: gaps) -> 10
    # business health: on time 100, contract active 100, stable 100 -> 10
    # sentiment: no surveys -> no data
    # (0.35 x 8.75 + 0.25 x 10 + 0.25 x 10) x 10 / 0.85 = 80.625 / 0.85 = 94.85 -> 95
    r = oscore(full(feature_usage=features_used(10)))
    assert [d.score for d in r.dimensions] == pytest.approx([8.75, 10.0, 10.0, None])
    assert r.coverage == pytest.approx(0.85)
    assert r.raw_score == pytest.approx(80.625 / 0.85)
    assert (r.score, r.tier) == (95, "green")
    assert {"csat", "nps", "events"} <= gap_signals(r)


# --- sales ---------------------------------------------------------------------------------


def test_sales_composite():
    # usage: login days 100, features 5/10 -> 60, depth (alone) 70, volume trend flat 80
    #   -> 77.5 -> 7.75
    # engagement: tickets 0 -> 100 (training, meetings: gaps) -> 10
    # business value: 1 of 2 goals -> 50% -> 40; NPS 7 -> 50; CSAT 5 -> 100; no ROI -> 40
    #   -> 57.5 -> 5.75
    # relationship: champion engaged 5 d ago, exec 200 d ago -> one -> 60; no changes ->
    #   100; champion and exec -> 100: 86.67 -> 8.667
    # 0.4 x 7.75 + 0.25 x 10 + 0.2 x 5.75 + 0.15 x 8.667 = 3.1 + 2.5 + 1.15 + 1.3 = 8.05
    #   -> 80.5 -> 81 green
    surveys = [Survey("a1", "nps", 7, ago(3)), Survey("a1", "csat", 5, ago(3))]
    r = oscore(full(feature_usage=features_used(5), surveys=surveys), profile="sales")
    assert [d.score for d in r.dimensions] == pytest.approx([7.75, 10.0, 5.75, 26 / 3])
    assert r.raw_score == pytest.approx(80.5)
    assert (r.score, r.tier) == (81, "green")


def test_sales_decision_maker_contact_table():
    contacts = [contact("c", "champion", last_engaged_at=ago(1))]
    r = oscore(full(contacts=contacts), profile="sales")
    s = sig(r, "relationship", "decision_maker_contact")
    assert (s.value, s.points) == ("champion_only", 20)


# --- the model format ----------------------------------------------------------------------


def model_dict(**changes):
    raw = profiles.load("leading80")
    raw.update(changes)
    return raw


def test_weights_must_sum_to_one():
    raw = model_dict()
    raw["dimensions"][0]["weight"] = 0.2
    with pytest.raises(ValidationError, match="weights sum to"):
        HealthModel.model_validate(raw)


def test_usage_dimension_must_exist():
    with pytest.raises(ValidationError, match="usage_dimension"):
        HealthModel.model_validate(model_dict(usage_dimension="usage"))


def test_band_has_points_or_a_linear_rule():
    with pytest.raises(ValidationError, match="either `points`"):
        Band.model_validate({"ge": 1, "points": 3, "base": 1, "gain": 1, "span": 1})
    with pytest.raises(ValidationError, match="needs `points`"):
        Band.model_validate({"ge": 1})


def test_conditions_must_refer_to_earlier_signals():
    raw = profiles.load("engine")
    relationship = raw["dimensions"][2]
    relationship["signals"].reverse()
    with pytest.raises(ValidationError, match="not an earlier signal"):
        HealthModel.model_validate(raw)


def test_band_text_and_linear_clamp():
    band = Band.model_validate({"gt": 0.4, "base": 7, "gain": 3, "span": 0.4, "label": "top"})
    assert band.text == "0.4 < v: 7 + 3 x min(v - 0.4, 0.4) / 0.4 (top)"
    assert band.score(0.6) == pytest.approx(8.5)  # 7 + 3 x 0.2/0.4
    assert band.score(2.0) == pytest.approx(10.0)  # clamped at the span
    assert Band.model_validate({"eq": True, "points": 1}).text == "v = true: 1"
    assert not Band.model_validate({"eq": True, "points": 1}).matches(1, {})


def test_value_outside_every_band_is_a_gap_not_zero():
    raw = profiles.load("leading80")
    nps_dim = raw["dimensions"][3]
    nps_dim["signals"][0]["bands"] = [{"ge": 9, "points": 100}]  # promoters only
    model = HealthModel.model_validate(raw)
    data = full(surveys=[Survey("a1", "nps", 5, ago(3))])
    ctx = build_context(portfolio(AS_OF, data), AS_OF, model.kinds)
    gaps = Gaps()
    d = _dimension(model.dimensions[3], data, ctx, gaps)
    assert d.score is None
    assert d.signals[0].points is None
    assert gaps.list()[0].signal == "nps_latest_180d"
