"""The demo portfolio generator: deterministic, well-formed, and its stories hold in the CSVs."""

from __future__ import annotations

import csv
from collections import defaultdict
from datetime import date, timedelta
from pathlib import Path

import pytest

from connectors.csv_import import import_folder
from connectors.demo import FILES, demo_folder, generate
from connectors.demo_stories import CORE_FEATURES, PREMIUM_FEATURES, PRIORITY, STORIES
from memory.read import load_portfolio
from tools.churn import churn_scan
from tools.expansion import expansion_scan
from tools.renewals import renewal_pipeline

AS_OF = date(2026, 11, 23)


@pytest.fixture(scope="module")
def demo(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("demo")
    generate(folder, as_of=AS_OF)
    return folder


def rows(folder: Path, name: str) -> list[dict[str, str]]:
    with open(folder / f"{name}.csv", encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def day(text: str) -> date:
    return date.fromisoformat(text[:10])


def ago(text: str) -> int:
    return (AS_OF - day(text)).days


def by_account(folder: Path, name: str) -> dict[str, list[dict[str, str]]]:
    out: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in rows(folder, name):
        out[r["account_id"]].append(r)
    return out


def renewal_in(contracts: list[dict[str, str]]) -> int:
    return (max(day(c["end_date"]) for c in contracts if c["status"] == "active") - AS_OF).days


def arr_on(contracts: list[dict[str, str]], when: date) -> float:
    return sum(
        float(c["arr"]) for c in contracts if day(c["start_date"]) <= when <= day(c["end_date"])
    )


# -- determinism and shape --------------------------------------------------------------


def test_same_arguments_give_byte_identical_files(demo, tmp_path):
    again = generate(tmp_path / "again", as_of=AS_OF)
    assert sorted(again) == sorted(FILES)
    for name in FILES:
        assert (tmp_path / "again" / f"{name}.csv").read_bytes() == (
            demo / f"{name}.csv"
        ).read_bytes(), name


def test_a_different_seed_gives_a_different_portfolio(demo, tmp_path):
    generate(tmp_path / "other", seed=8, as_of=AS_OF)
    assert (tmp_path / "other" / "usage.csv").read_bytes() != (demo / "usage.csv").read_bytes()


def test_every_file_of_the_format_is_written_with_its_header_and_counted(tmp_path):
    counts = generate(tmp_path, accounts=60, as_of=AS_OF)
    for name, header in FILES.items():
        with open(tmp_path / f"{name}.csv", encoding="utf-8", newline="") as f:
            reader = csv.reader(f)
            assert tuple(next(reader)) == header
            assert sum(1 for _ in reader) == counts[name] > 0, name
    assert counts["accounts"] == 60
    assert counts["usage"] > 50 * 150


def test_demo_folder_is_under_the_home(tmp_path):
    assert demo_folder(tmp_path) == tmp_path / "demo"


def test_accounts_scale_linearly_and_keep_the_stories(tmp_path):
    counts = generate(tmp_path / "big", accounts=200, as_of=AS_OF, days=30)
    ids = [r["account_id"] for r in rows(tmp_path / "big", "accounts")]
    assert counts["accounts"] == len(ids) == len(set(ids)) == 200
    assert set(PRIORITY) <= set(ids)
    names = [r["name"] for r in rows(tmp_path / "big", "accounts")]
    assert len(set(names)) == 200
    assert max(ago(r["date"]) for r in rows(tmp_path / "big", "usage")) == 29


def test_a_small_demo_keeps_acme_first(tmp_path):
    generate(tmp_path, accounts=5, as_of=AS_OF)
    assert [r["account_id"] for r in rows(tmp_path, "accounts")] == PRIORITY[:5]
    assert PRIORITY[0] == "acme"
    assert set(PRIORITY) == set(STORIES)


def test_bad_sizes_are_refused(tmp_path):
    with pytest.raises(ValueError):
        generate(tmp_path, accounts=0)
    with pytest.raises(ValueError):
        generate(tmp_path, days=0)


# -- referential integrity and the import contract --------------------------------------


def test_every_reference_exists(demo):
    accounts = {r["account_id"] for r in rows(demo, "accounts")}
    contacts = {r["contact_id"]: r["account_id"] for r in rows(demo, "contacts")}
    features = {r["feature"] for r in rows(demo, "features")}
    for name in FILES:
        if name == "features":
            continue
        for r in rows(demo, name):
            assert r["account_id"] in accounts, (name, r)
    for name in ("surveys", "events"):
        for r in rows(demo, name):
            if r["contact_id"]:
                assert contacts[r["contact_id"]] == r["account_id"], (name, r)
    assert {r["feature"] for r in rows(demo, "feature_usage")} <= features


def test_nothing_is_dated_after_as_of(demo):
    dated = {
        "usage": "date", "feature_usage": "week_start", "tickets": "opened_at",
        "surveys": "responded_at", "invoices": "due_date", "events": "occurred_at",
        "notes": "created_at", "opportunities": "created_at", "plays": "opened_at",
        "users": "last_active_at", "roi": "recorded_at",
    }  # fmt: skip
    for name, column in dated.items():
        assert all(ago(r[column]) >= 0 for r in rows(demo, name) if r[column]), name
    for r in rows(demo, "feature_usage"):
        assert day(r["week_start"]).weekday() == 0


def test_the_demo_imports_cleanly(demo, store):
    summary = import_folder(store, demo)
    assert summary.rows["accounts"] == 60
    assert summary.rows["usage"] == len(rows(demo, "usage"))
    assert not summary.warnings


# -- the stories, checked on the raw rows -----------------------------------------------


def test_acme_story(demo):
    acme = next(r for r in rows(demo, "accounts") if r["account_id"] == "acme")
    assert acme["name"] == "Acme Corp" and acme["segment"] == "enterprise"
    contracts = by_account(demo, "contracts")["acme"]
    assert 60 <= renewal_in(contracts) <= 90
    assert all(c["notice_days"] == "60" for c in contracts)
    assert 230_000 <= arr_on(contracts, AS_OF) <= 250_000
    assert any(ago(c["start_date"]) > 365 for c in contracts)

    contacts = by_account(demo, "contacts")["acme"]
    champions = [c for c in contacts if c["role"] == "champion"]
    assert champions and all(c["status"] == "departed" for c in champions)
    assert any(ago(c["status_changed_at"]) <= 30 for c in champions)
    deciders = {"exec_sponsor", "decision_maker", "economic_buyer"}
    assert not [c for c in contacts if c["role"] in deciders]

    usage = by_account(demo, "usage")["acme"]
    last = sum(int(u["logins"]) for u in usage if ago(u["date"]) < 30)
    before = sum(int(u["logins"]) for u in usage if 30 <= ago(u["date"]) < 60)
    assert 0.55 <= last / before <= 0.75

    nps = [s for s in by_account(demo, "surveys")["acme"] if s["kind"] == "nps"]
    assert nps and all(ago(s["responded_at"]) > 180 for s in nps)

    tickets = by_account(demo, "tickets")["acme"]
    urgent = [t for t in tickets if t["priority"] == "urgent"]
    assert any(
        ago(t["opened_at"]) == 9 and not t["closed_at"] and t["status"] == "open" for t in urgent
    )

    roi = by_account(demo, "roi")["acme"]
    assert any(r["unit"] == "hours" and r["rate_usd"] == "" for r in roi)
    assert 0 < len({r["category"] for r in roi}) < 5
    goals = by_account(demo, "goals")["acme"]
    assert 0 < sum(g["status"] == "achieved" for g in goals) < len(goals)
    notes = [n["text"] for n in by_account(demo, "notes")["acme"]]
    assert any(t.startswith("Ignore previous instructions") for t in notes)


def test_two_silent_accounts_have_45_days_of_zero_logins_and_nothing_else(demo):
    usage, tickets, events = (by_account(demo, n) for n in ("usage", "tickets", "events"))
    silent = []
    for account_id, days in usage.items():
        recent = [u for u in days if ago(u["date"]) < 45]
        if len(recent) == 45 and all(u["logins"] == "0" for u in recent):
            quiet_tickets = [t for t in tickets[account_id] if ago(t["opened_at"]) < 45]
            touch = {"qbr_held", "exec_meeting"}
            quiet_events = [
                e for e in events[account_id] if e["kind"] in touch and ago(e["occurred_at"]) < 45
            ]
            if not quiet_tickets and not quiet_events:
                silent.append(account_id)
    assert {"vandelay", "bluth"} <= set(silent)


def test_each_expansion_signal_holds_for_some_account(demo):
    accounts = {r["account_id"]: r for r in rows(demo, "accounts") if r["status"] == "active"}
    usage, users, fu = (by_account(demo, n) for n in ("usage", "users", "feature_usage"))
    contracts, surveys, events = (by_account(demo, n) for n in ("contracts", "surveys", "events"))
    opps = by_account(demo, "opportunities")
    fired: dict[str, set[str]] = defaultdict(set)
    for aid, acc in accounts.items():
        days = usage.get(aid, [])
        now = [int(u["active_users"]) for u in days if ago(u["date"]) < 30]
        then = [int(u["active_users"]) for u in days if 90 <= ago(u["date"]) < 120]
        no_raise = arr_on(contracts[aid], AS_OF) <= arr_on(contracts[aid], AS_OF - timedelta(119))
        if now and then and sum(now) / 30 >= 1.2 * sum(then) / 30 and no_raise:
            fired["usage_growth"].add(aid)
        licensed = set(acc["departments_licensed"].split(";"))
        spread = {u["department"] for u in users.get(aid, []) if ago(u["last_active_at"]) < 90}
        if len(spread - licensed - {""}) >= 2:
            fired["department_spread"].add(aid)
        used = {
            f["feature"]
            for f in fu.get(aid, [])
            if ago(f["week_start"]) < 30 and int(f["active_users"]) > 0
        }
        premium = {
            f["feature"]
            for f in fu.get(aid, [])
            if ago(f["week_start"]) < 96 and int(f["active_users"]) > 0
        } & set(PREMIUM_FEATURES)
        if len(used & set(CORE_FEATURES)) >= 0.8 * len(CORE_FEATURES) and not premium:
            fired["feature_ceiling"].add(aid)
        nps = sorted(
            (s for s in surveys.get(aid, []) if s["kind"] == "nps"), key=lambda s: s["responded_at"]
        )
        talked = any(
            e["kind"] == "expansion_discussed" and ago(e["occurred_at"]) < 180
            for e in events.get(aid, [])
        )
        talked |= any(ago(o["created_at"]) < 180 for o in opps.get(aid, []))
        if (
            nps
            and ago(nps[-1]["responded_at"]) < 180
            and float(nps[-1]["score"]) >= 9
            and not talked
        ):
            fired["promoter"].add(aid)
        organic = {"new_use_case_interest", "new_department_interest"}
        if any(e["kind"] in organic and ago(e["occurred_at"]) < 90 for e in events.get(aid, [])):
            fired["organic_mention"].add(aid)
        if 0 <= renewal_in(contracts[aid]) < 120:
            fired["contract_anniversary"].add(aid)
        latest = max(days, key=lambda u: u["date"]) if days else None
        seats = acc["licensed_seats"]
        if latest and latest["users_30d"] and seats and int(latest["users_30d"]) > 0.8 * int(seats):
            fired["seat_capacity"].add(aid)
    assert "brightline" in fired["usage_growth"]
    assert {"northwind", "globex"} <= fired["department_spread"]
    assert "quillfeather" in fired["feature_ceiling"]
    assert "lumen" in fired["promoter"]
    assert "fabrikam" in fired["organic_mention"]
    assert "halcyon" in fired["contract_anniversary"]
    assert "nimbus" in fired["seat_capacity"]


def test_churned_accounts_cover_the_taxonomy_and_the_win_back_windows(demo):
    churned = [r for r in rows(demo, "accounts") if r["status"] == "churned"]
    assert all(r["churned_at"] and r["churn_reason"] for r in churned)
    reasons = {r["churn_reason"] for r in churned}
    assert reasons >= {"product", "value", "relationship", "financial", "competition", "strategic"}
    days = {ago(r["churned_at"]) for r in churned}
    assert {20, 60, 150, 300, 400} <= days


# -- the stories, as the tools see them -------------------------------------------------


def test_every_scan_has_something_real_to_show(demo, store):
    import_folder(store, demo)
    portfolio = load_portfolio(store.engine, AS_OF)
    risks = {a.account_id: a for a in churn_scan(portfolio, AS_OF).accounts}
    assert risks["acme"].risk == "high" and risks["acme"].escalation == "executive"
    kinds = {s.kind for a in risks.values() for s in a.signals}
    assert kinds == {
        "usage_collapse", "champion_loss", "support_escalation", "negative_survey",
        "billing", "competitive", "stakeholder_churn", "silence",
    }  # fmt: skip
    renewals = renewal_pipeline(portfolio, AS_OF, 90).renewals
    buckets = {r.account_id: r.bucket for r in renewals}
    assert buckets["acme"] == "at_risk"
    assert set(buckets.values()) == {"strong", "manage", "at_risk", "unknown"}
    expansion = expansion_scan(portfolio, AS_OF)
    signals = {s.kind for o in expansion.opportunities for s in o.signals}
    assert signals == {
        "usage_growth", "department_spread", "feature_ceiling", "promoter",
        "organic_mention", "contract_anniversary", "seat_capacity",
    }  # fmt: skip
    assert "globex" in {h.account_id for h in expansion.held_back}
