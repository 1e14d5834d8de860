"""Churn scan: the eight signals, their windows, risk, escalation, action and gaps."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from memory.read import (
    Account,
    AccountData,
    Contact,
    Contract,
    Event,
    Invoice,
    Note,
    Survey,
    Ticket,
)
from memory.workspace import WorkspaceProfile
from tests.factories import daily_usage, portfolio
from tools.churn import (
    assess_account,
    churn_account,
    churn_risks,
    churn_scan,
    escalation_level,
    risk_level,
)

AS_OF = date(2026, 11, 23)


def ago(n: int) -> date:
    return AS_OF - timedelta(days=n)


def at(n: int) -> datetime:
    return datetime.combine(ago(n), datetime.min.time()).replace(hour=9)


def healthy(aid: str = "a1", name: str = "Acme", *, arr: float = 50_000) -> AccountData:
    """An account with every feed present and no signal: 10 logins a day for 120 days."""
    return AccountData(
        account=Account(aid, name, csm="Dana"),
        contracts=[Contract(f"k-{aid}", aid, arr, date(2026, 1, 1), date(2026, 12, 31))],
        contacts=[
            Contact(f"{aid}-ch", aid, "Ana Ruiz", title="Ops Lead", role="champion"),
            Contact(f"{aid}-ex", aid, "Maria Lopez", title="VP Ops", role="exec_sponsor"),
            Contact(f"{aid}-u", aid, "Uli Berg", role="user"),
        ],
        usage=daily_usage(ago(119), AS_OF, logins=10),
        tickets=[Ticket(f"{aid}-t0", aid, at(200), closed_at=at(198), status="closed")],
        surveys=[
            Survey(aid, "nps", 9, ago(20)),
            Survey(aid, "csat", 5, ago(10)),
        ],
        invoices=[Invoice(f"{aid}-i0", aid, 1000, ago(40), "paid", paid_at=ago(41))],
        events=[Event(aid, ago(10), "qbr_held")],
    )


def kinds(risk) -> list[str]:
    return [s.kind for s in risk.signals]


def assess(data: AccountData, **kw):
    return assess_account(portfolio(AS_OF, data, **kw), data.account_id)


def test_healthy_account_has_no_signal_and_no_gap():
    r = assess(healthy())
    assert (r.risk, r.signals, r.escalation, r.gaps) == (None, [], None, [])
    assert r.arr == 50_000


# --- usage_collapse -------------------------------------------------------------------


def test_usage_collapse_below_half_of_the_30_days_before():
    a = healthy()
    # last 30 days (ago 29..0): 4/day = 120; the 30 before (ago 59..30): 10/day = 300
    # 120 < 0.5 * 300 = 150 -> collapse -> high risk on its own
    a.usage = daily_usage(ago(119), AS_OF, logins=lambda d: 4 if d > ago(30) else 10)
    r = assess(a)
    assert kinds(r) == ["usage_collapse"]
    assert r.risk == "high"
    assert "logins 120" in r.signals[0].evidence and "vs 300" in r.signals[0].evidence
    assert "-60%" in r.signals[0].evidence


def test_usage_exactly_half_is_not_a_collapse():
    a = healthy()
    # 5/day * 30 = 150, not < 0.5 * 300 = 150
    a.usage = daily_usage(ago(119), AS_OF, logins=lambda d: 5 if d > ago(30) else 10)
    assert kinds(assess(a)) == []


def test_previous_window_with_zero_logins_is_no_collapse():
    a = healthy()
    # prev 30 days: 0 logins; last 30: 0 logins -> 0 < 0.5 * 0 is false
    a.usage = daily_usage(ago(59), AS_OF, logins=0)
    a.events = [Event("a1", ago(10), "qbr_held")]
    assert "usage_collapse" not in kinds(assess(a))


def test_no_usage_rows_before_the_last_30_days_is_a_gap_not_a_collapse():
    a = healthy()
    a.usage = daily_usage(ago(29), AS_OF, logins=1)  # 30 logins, nothing to compare with
    r = assess(a)
    assert "usage_collapse" not in kinds(r)
    gap = next(g for g in r.gaps if g.signal == "usage")
    assert gap.needed_for == "churn: usage_collapse"
    assert gap.detail == f"no usage rows in {ago(59)}..{ago(30)}; no usage rows on record"
    assert gap.source == "product analytics" and gap.account_id == "a1"


def test_feed_stopped_in_the_window_is_a_gap_not_a_collapse():
    a = healthy()
    # rows stop 20 days ago: the last 30 days have rows for ago(29)..ago(20) = 10 days
    # known 10 * 10 = 100 < 150, but the 20 missing days are unknown -> gap, no signal
    a.usage = daily_usage(ago(119), ago(20), logins=10)
    r = assess(a)
    assert "usage_collapse" not in kinds(r)
    gap = next(g for g in r.gaps if g.signal == "usage" and "usage_collapse" in g.needed_for)
    assert gap.detail == f"logins known for 10 of 30 days in {ago(29)}..{AS_OF}"


def test_partial_window_that_cannot_change_the_outcome_gives_no_gap():
    a = healthy()
    # last 30 days: rows for 10 days at 20/day = 200 known >= 0.5 * 300 -> surely no collapse
    a.usage = daily_usage(ago(119), ago(30), logins=10) + daily_usage(ago(29), ago(20), logins=20)
    r = assess(a)
    assert "usage_collapse" not in kinds(r)
    assert not [g for g in r.gaps if "usage_collapse" in g.needed_for]


def test_partial_previous_window_still_proves_a_collapse():
    a = healthy()
    # prev: rows for 20 of 30 days at 10/day = 200 known (the true sum is at least that);
    # last: 3/day * 30 = 90 < 0.5 * 200 = 100 -> collapse for certain
    a.usage = daily_usage(ago(49), ago(30), logins=10) + daily_usage(ago(29), AS_OF, logins=3)
    r = assess(a)
    assert "usage_collapse" in kinds(r)
    assert "at least" in r.signals[kinds(r).index("usage_collapse")].evidence


def test_empty_logins_cells_are_a_logins_gap():
    a = healthy()
    a.usage = daily_usage(ago(119), AS_OF, logins=lambda d: None if d > ago(30) else 10)
    r = assess(a)
    assert "usage_collapse" not in kinds(r)
    assert any(g.signal == "logins" and "usage_collapse" in g.needed_for for g in r.gaps)


# --- champion_loss ----------------------------------------------------------------------


def test_champion_departed_within_90_days():
    a = healthy()
    # window(as_of, 90) = ago(89)..as_of
    a.contacts[0] = Contact(
        "a1-ch", "a1", "Ana Ruiz", role="champion", status="departed", status_changed_at=ago(89)
    )
    a.contacts.append(Contact("a1-ch2", "a1", "Bo Chan", role="champion"))
    r = assess(a)
    assert kinds(r) == ["champion_loss"]
    assert r.risk == "medium"  # single signal, not a survey
    assert r.signals[0].observed_at == ago(89)
    assert "Ana Ruiz departed on" in r.signals[0].evidence
    # who contacts whom: the CSM calls the active exec sponsor, names from contacts
    assert r.action == (
        "CSM Dana calls Maria Lopez (VP Ops) to find the new champion (replacing Ana Ruiz)."
    )


def test_champion_departed_91_days_ago_with_another_active_champion_is_no_signal():
    a = healthy()
    a.contacts[0] = Contact(
        "a1-ch", "a1", "Ana Ruiz", role="champion", status="departed", status_changed_at=ago(90)
    )
    a.contacts.append(Contact("a1-ch2", "a1", "Bo Chan", role="champion"))
    assert kinds(assess(a)) == []


def test_no_active_champion_remains_even_long_after_the_departure():
    a = healthy()
    a.contacts[0] = Contact(
        "a1-ch",
        "a1",
        "Ana Ruiz",
        role="champion",
        status="role_changed",
        status_changed_at=ago(300),
    )
    r = assess(a)
    assert kinds(r) == ["champion_loss"]
    assert r.signals[0].evidence.startswith("no active champion remains: Ana Ruiz role_changed")


def test_champion_leaving_after_as_of_has_not_happened_yet():
    a = healthy()
    a.contacts[0] = Contact(
        "a1-ch", "a1", "Ana Ruiz", role="champion", status="departed", status_changed_at=ago(5)
    )
    p = portfolio(AS_OF, a)
    assert kinds(assess_account(p, "a1", ago(6))) == []
    assert kinds(assess_account(p, "a1", ago(5))) == ["champion_loss"]


def test_champion_loss_with_another_signal_is_high_and_action_never_invents_a_name():
    a = healthy()
    a.contacts = [
        Contact("c", "a1", "Ana Ruiz", role="champion", status="departed", status_changed_at=ago(3))
    ]
    a.events.append(Event("a1", ago(4), "downgrade_request"))
    r = assess(a)
    # champion_loss + billing: champion loss with any other signal -> high
    assert kinds(r) == ["champion_loss", "billing"]
    assert r.risk == "high"
    assert r.escalation == "csm"  # ARR 50,000 < 100,000
    assert "none active on record" in r.action and "Ana Ruiz" in r.action


def test_no_contacts_is_a_gap_for_champion_and_stakeholder_signals():
    a = healthy()
    a.contacts = []
    r = assess(a)
    gap = next(g for g in r.gaps if g.signal == "contacts")
    assert gap.needed_for == "churn: champion_loss; churn: stakeholder_churn"
    assert gap.source == "CRM"


# --- support_escalation -------------------------------------------------------------------


def test_five_tickets_in_30_days():
    a = healthy()
    # ago(29) is the first day of the last 30 days
    a.tickets = [Ticket(f"t{i}", "a1", at(29 - i), status="solved") for i in range(5)]
    r = assess(a)
    assert kinds(r) == ["support_escalation"]
    assert "5 tickets opened" in r.signals[0].evidence


def test_four_tickets_in_30_days_and_one_just_outside_is_no_signal():
    a = healthy()
    a.tickets = [Ticket(f"t{i}", "a1", at(i), status="solved") for i in range(4)]
    a.tickets.append(Ticket("old", "a1", at(30), status="solved"))
    assert kinds(assess(a)) == []


def test_urgent_ticket_unresolved_for_7_days_but_not_6():
    a = healthy()
    a.tickets = [Ticket("u1", "a1", at(7), status="open", priority="urgent", subject="Sync down")]
    r = assess(a)
    assert kinds(r) == ["support_escalation"]
    assert r.signals[0].observed_at == ago(7)
    assert "urgent ticket u1 unresolved since" in r.signals[0].evidence
    assert '"Sync down"' in r.signals[0].evidence  # free text quoted as evidence
    assert "ticket u1" in r.action
    a.tickets = [Ticket("u1", "a1", at(6), status="open", priority="urgent")]
    assert kinds(assess(a)) == []


def test_escalated_ticket_closed_after_as_of_was_still_open_then():
    a = healthy()
    a.tickets = [Ticket("e1", "a1", at(30), closed_at=at(2), status="closed", escalated=True)]
    p = portfolio(AS_OF, a)
    assert kinds(assess_account(p, "a1", ago(3))) == ["support_escalation"]
    assert kinds(assess_account(p, "a1")) == []


def test_no_ticket_feed_anywhere_is_a_gap():
    a = healthy()
    a.tickets = []
    r = assess(a)
    gap = next(g for g in r.gaps if g.signal == "tickets")
    assert "churn: support_escalation" in gap.needed_for
    assert gap.source == "support desk"


# --- negative_survey -------------------------------------------------------------------


def test_detractor_nps_alone_is_low_risk():
    a = healthy()
    a.surveys = [
        Survey("a1", "nps", 9, ago(100)),
        Survey("a1", "nps", 6, ago(20)),
        Survey("a1", "csat", 5, ago(10)),
    ]
    r = assess(a)
    assert kinds(r) == ["negative_survey"]
    assert r.risk == "low" and r.escalation == "csm"
    assert "latest NPS 6" in r.signals[0].evidence


def test_latest_nps_counts_and_180_day_window():
    a = healthy()
    # a 3 then a 7: the latest (7) is not a detractor
    a.surveys = [
        Survey("a1", "nps", 3, ago(60)),
        Survey("a1", "nps", 7, ago(30)),
        Survey("a1", "csat", 5, ago(10)),
    ]
    assert kinds(assess(a)) == []
    # window(as_of, 180) = ago(179)..as_of: an NPS of 2 on ago(180) is outside -> a gap
    a.surveys = [Survey("a1", "nps", 2, ago(180)), Survey("a1", "csat", 5, ago(10))]
    r = assess(a)
    assert kinds(r) == []
    gap = next(g for g in r.gaps if g.signal == "nps")
    assert gap.needed_for == "churn: negative_survey"
    assert gap.source == "survey tool" and gap.ask == "CS Ops"


def test_nps_respondent_is_whom_the_csm_calls():
    a = healthy()
    a.surveys = [Survey("a1", "nps", 4, ago(5), contact_id="a1-u"), Survey("a1", "csat", 5, ago(1))]
    r = assess(a)
    assert r.action == f"CSM Dana calls Uli Berg to follow up on their NPS of 4 on {ago(5)}."


def test_mean_csat_below_threshold_but_not_at_it():
    a = healthy()
    # CSAT in ago(89)..as_of: (2 + 3) / 2 = 2.5 < 3 -> negative; the 1 on ago(90) is outside
    a.surveys = [
        Survey("a1", "nps", 9, ago(20)),
        Survey("a1", "csat", 1, ago(90)),
        Survey("a1", "csat", 2, ago(89)),
        Survey("a1", "csat", 3, ago(1)),
    ]
    r = assess(a)
    assert kinds(r) == ["negative_survey"]
    assert "mean CSAT 2.50 over 2 responses" in r.signals[0].evidence
    # (3 + 3) / 2 = 3.0, not below 3
    a.surveys[2] = Survey("a1", "csat", 3, ago(89))
    assert kinds(assess(a)) == []


def test_workspace_csat_threshold_is_used():
    a = healthy()
    a.surveys = [Survey("a1", "nps", 9, ago(20)), Survey("a1", "csat", 3.5, ago(5))]
    assert kinds(assess(a)) == []  # 3.5 >= default 3
    ws = WorkspaceProfile(csat_threshold=4)
    assert kinds(assess(a, workspace=ws)) == ["negative_survey"]  # 3.5 < 4


def test_no_surveys_are_nps_and_csat_gaps():
    a = healthy()
    a.surveys = []
    r = assess(a)
    assert {g.signal for g in r.gaps} == {"nps", "csat"}
    assert all(g.needed_for == "churn: negative_survey" for g in r.gaps)


# --- billing -------------------------------------------------------------------------------


def test_failed_invoice_unpaid_fires_billing():
    a = healthy()
    a.invoices.append(Invoice("i1", "a1", 5000, ago(10), "failed"))
    r = assess(a)
    assert kinds(r) == ["billing"]
    assert f"invoice i1 ($5,000 due {ago(10)}) failed, unpaid" in r.signals[0].evidence
    assert r.action == (
        f"CSM Dana calls Maria Lopez (VP Ops) with Finance about invoice i1 ($5,000 due {ago(10)})."
    )


def test_past_due_invoice_paid_inside_the_window_still_counts_but_not_before_it():
    a = healthy()
    # past due and unpaid ago(119)..ago(89) (paid on ago(88)): overlaps ago(89)..as_of by a day
    a.invoices.append(Invoice("i1", "a1", 5000, ago(120), "past_due", paid_at=ago(88)))
    assert kinds(assess(a)) == ["billing"]
    # paid on ago(89): last unpaid day ago(90) is before the window -> no signal
    a.invoices[-1] = Invoice("i1", "a1", 5000, ago(120), "past_due", paid_at=ago(89))
    assert kinds(assess(a)) == []


def test_invoice_paid_late_with_status_paid_is_not_a_billing_signal():
    a = healthy()
    a.invoices.append(Invoice("i1", "a1", 5000, ago(30), "paid", paid_at=ago(20)))
    assert kinds(assess(a)) == []


def test_downgrade_request_within_90_days():
    a = healthy()
    a.events.append(Event("a1", ago(89), "downgrade_request", detail="budget cut"))
    r = assess(a)
    assert kinds(r) == ["billing"]
    assert r.signals[0].observed_at == ago(89)
    a.events[-1] = Event("a1", ago(90), "downgrade_request")
    assert kinds(assess(a)) == []


def test_no_invoices_is_a_gap():
    a = healthy()
    a.invoices = []
    r = assess(a)
    assert [(g.signal, g.needed_for, g.source) for g in r.gaps] == [
        ("invoices", "churn: billing", "billing system")
    ]


# --- competitive --------------------------------------------------------------------------


def test_rfp_within_90_days_escalates_to_executive_whatever_the_risk():
    a = healthy(arr=20_000)
    a.events.append(Event("a1", ago(89), "rfp", detail="evaluating a rival"))
    r = assess(a)
    assert kinds(r) == ["competitive"]
    assert r.risk == "medium" and r.escalation == "executive"
    assert r.signals[0].evidence == f'rfp on {ago(89)} "evaluating a rival"'
    a.events[-1] = Event("a1", ago(90), "rfp")
    assert kinds(assess(a)) == []


def test_competitor_event_after_as_of_is_ignored():
    a = healthy()
    a.events.append(Event("a1", ago(2), "competitor_mention"))
    p = portfolio(AS_OF, a)
    assert kinds(assess_account(p, "a1", ago(3))) == []
    assert kinds(assess_account(p, "a1", ago(2))) == ["competitive"]


# --- stakeholder_churn --------------------------------------------------------------------


def test_two_contacts_departed_within_90_days():
    a = healthy()
    a.contacts += [
        Contact("x1", "a1", "Xia", role="user", status="departed", status_changed_at=ago(89)),
        Contact("x2", "a1", "Yan", role="admin", status="departed", status_changed_at=ago(1)),
    ]
    r = assess(a)
    assert kinds(r) == ["stakeholder_churn"]
    assert r.signals[0].evidence.startswith("2 contacts departed")
    assert r.signals[0].observed_at == ago(1)


def test_one_departure_or_a_role_change_is_not_stakeholder_churn():
    a = healthy()
    a.contacts += [
        Contact("x1", "a1", "Xia", role="user", status="departed", status_changed_at=ago(90)),
        Contact("x2", "a1", "Yan", role="admin", status="departed", status_changed_at=ago(1)),
        Contact("x3", "a1", "Zed", role="admin", status="role_changed", status_changed_at=ago(1)),
    ]
    assert kinds(assess(a)) == []


# --- silence -------------------------------------------------------------------------------


def silent(last_login_ago: int) -> AccountData:
    """Rows every day for 120 days, logins only up to `last_login_ago` days ago."""
    a = healthy()
    a.usage = daily_usage(ago(119), AS_OF, logins=lambda d: 10 if d <= ago(last_login_ago) else 0)
    a.events = [Event("a1", ago(100), "qbr_held")]
    a.tickets = [Ticket("t", "a1", at(100), status="solved")]
    return a


def test_silence_for_45_days_is_high_even_with_a_fine_survey():
    # window(as_of, 45) = ago(44)..as_of; last login on ago(45) -> 45 silent days
    r = assess(silent(45))
    assert "silence" in kinds(r)
    assert r.risk == "high"
    sig = r.signals[kinds(r).index("silence")]
    assert f"last login {ago(45)}" in sig.evidence and sig.observed_at == ago(45)
    assert "(45 of 45 days of rows)" in sig.evidence


def test_a_login_44_days_ago_breaks_the_silence():
    assert "silence" not in kinds(assess(silent(44)))


def test_a_ticket_or_a_qbr_in_the_45_days_breaks_the_silence():
    a = silent(60)
    a.tickets.append(Ticket("t2", "a1", at(44), status="solved"))
    assert "silence" not in kinds(assess(a))
    a = silent(60)
    a.events.append(Event("a1", ago(44), "exec_meeting"))
    assert "silence" not in kinds(assess(a))
    a = silent(60)
    a.events.append(Event("a1", ago(44), "training_completed"))  # not a QBR/exec meeting
    assert "silence" in kinds(assess(a))


def test_missing_usage_rows_are_a_gap_not_silence():
    a = silent(60)
    a.usage = [u for u in a.usage if u.date != ago(10)]  # 44 of 45 days have rows
    r = assess(a)
    assert "silence" not in kinds(r)
    gap = next(g for g in r.gaps if "churn: silence" in g.needed_for)
    assert gap.signal == "usage"
    assert gap.detail == f"logins known for 44 of 45 days in {ago(44)}..{AS_OF}"


def test_feed_stopped_is_a_gap_with_the_last_row_date():
    a = silent(60)
    a.usage = [u for u in a.usage if u.date <= ago(50)]
    r = assess(a)
    assert "silence" not in kinds(r)
    gap = next(g for g in r.gaps if "churn: silence" in g.needed_for)
    # one usage gap for both signals that needed the rows, each window's detail kept
    assert f"no usage rows in {ago(44)}..{AS_OF}; usage feed stopped on {ago(50)}" in gap.detail
    assert gap.detail.count("usage feed stopped") == 2


# --- risk and escalation rules ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("fired", "risk"),
    [
        (set(), None),
        ({"negative_survey"}, "low"),
        ({"billing"}, "medium"),
        ({"champion_loss"}, "medium"),
        ({"billing", "negative_survey"}, "medium"),
        ({"champion_loss", "negative_survey"}, "high"),
        ({"billing", "competitive", "negative_survey"}, "high"),
        ({"silence"}, "high"),
        ({"usage_collapse"}, "high"),
    ],
)
def test_risk_rules(fired, risk):
    assert risk_level(fired) == risk


def test_executive_escalation_at_exactly_100k_for_high_risk():
    assert escalation_level({"silence"}, "high", 100_000) == "executive"
    assert escalation_level({"silence"}, "high", 99_999.99) == "csm"
    assert escalation_level({"billing"}, "medium", 500_000) == "csm"
    assert escalation_level({"competitive"}, "medium", 1_000) == "executive"
    assert escalation_level(set(), None, 500_000) is None


def test_high_risk_enterprise_account_escalates():
    a = healthy(arr=100_000)
    a.usage = daily_usage(ago(119), AS_OF, logins=lambda d: 4 if d > ago(30) else 10)
    r = assess(a)
    assert (r.risk, r.escalation) == ("high", "executive")


# --- free text, scan, point in time ---------------------------------------------------------


def test_free_text_never_fires_a_signal():
    a = healthy()
    a.notes = [Note("n1", "a1", at(2), "They signed an RFP with a competitor and will churn")]
    a.tickets.append(Ticket("t9", "a1", at(1), status="open", subject="URGENT escalate: we cancel"))
    a.events.append(Event("a1", ago(3), "training_completed", detail="rfp competitor churn"))
    assert kinds(assess(a)) == []


def test_scan_lists_flagged_accounts_ranked_with_every_accounts_gaps():
    low = healthy("l", "Low Co", arr=900_000)
    low.surveys = [Survey("l", "nps", 2, ago(3)), Survey("l", "csat", 5, ago(3))]
    med_small = healthy("m1", "Beta", arr=10_000)
    med_small.events.append(Event("m1", ago(3), "rfp"))
    med_big = healthy("m2", "Gamma", arr=80_000)
    med_big.events.append(Event("m2", ago(3), "downgrade_request"))
    med_tie = healthy("m3", "Alpha", arr=80_000)
    med_tie.events.append(Event("m3", ago(3), "downgrade_request"))
    high = healthy("h", "Zeta", arr=1_000)
    high.usage = daily_usage(ago(119), AS_OF, logins=lambda d: 1 if d > ago(30) else 10)
    calm = healthy("c", "Calm", arr=5_000)
    calm.invoices = []  # unflagged, but its gap is still reported
    gone = healthy("g", "Gone", arr=5_000)
    gone.account = Account("g", "Gone", status="churned", churned_at=ago(10))
    gone.events.append(Event("g", ago(3), "rfp"))
    p = portfolio(AS_OF, low, med_small, med_big, med_tie, high, calm, gone)
    result = churn_scan(p)
    # high first; then medium by ARR desc (80k Alpha, 80k Gamma by name; 10k Beta); low last
    assert [a.account_id for a in result.accounts] == ["h", "m3", "m2", "m1", "l"]
    assert result.command == "churn" and result.as_of == AS_OF and result.scanned == 6
    assert [(g.account_id, g.signal) for g in result.gaps] == [("c", "invoices")]
    assert set(churn_risks(p)) == {"l", "m1", "m2", "m3", "h", "c"}  # churned one left out


def test_churn_account_lists_the_account_even_without_signal():
    p = portfolio(AS_OF, healthy())
    result = churn_account(p, "a1")
    assert [a.account_id for a in result.accounts] == ["a1"]
    assert result.accounts[0].risk is None
    dumped = result.model_dump(mode="json")
    assert {"command", "as_of", "gaps", "accounts"} <= set(dumped)
    assert {"account_id", "name", "risk", "signals", "action", "escalation"} <= set(
        dumped["accounts"][0]
    )


def test_as_of_after_the_loaded_portfolio_is_refused():
    with pytest.raises(ValueError):
        churn_scan(portfolio(AS_OF, healthy()), AS_OF + timedelta(days=1))


def test_no_contract_in_force_is_a_gap_for_the_arr():
    a = healthy()
    a.contracts = []
    r = assess(a)
    assert r.arr == 0
    assert [(g.signal, g.needed_for) for g in r.gaps] == [("contracts", "churn: escalation (ARR)")]


def test_usage_before_the_loaded_window_is_a_gap_that_says_so():
    a = healthy()
    p = portfolio(AS_OF, a, usage_days=40)  # usage_since = ago(39)
    a.usage = [u for u in a.usage if u.date >= p.usage_since]  # what load_portfolio returns
    r = assess_account(p, "a1")
    assert "usage_collapse" not in kinds(r)
    gap = next(g for g in r.gaps if g.needed_for == "churn: usage_collapse")
    # the 30 days before are ago(59)..ago(30): rows only for ago(39)..ago(30)
    assert gap.detail == (
        f"logins known for 10 of 30 days in {ago(59)}..{ago(30)} "
        f"(usage before {ago(39)} was not loaded)"
    )


def test_render_churn_scan_and_one_account():
    from rich.console import Console

    from agent.render.churn import render_churn

    a = healthy()
    a.events.append(Event("a1", ago(3), "rfp"))
    p = portfolio(AS_OF, a, healthy("b", "Calm Co"))
    console = Console(record=True, width=200)
    console.print(render_churn(churn_scan(p)))
    text = console.export_text()
    assert "Flagged accounts (1 of 2)" in text and "executive" in text
    assert f"rfp on {ago(3)}" in text and "Data gaps: none." in text
    console.print(render_churn(churn_account(p, "b")))
    assert "No churn signal fired (1 account(s) checked)." in console.export_text()
