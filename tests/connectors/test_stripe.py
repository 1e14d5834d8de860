"""The Stripe source: mapping, paging, errors, and a sync that matches the CSV import."""

from __future__ import annotations

import json
import logging
from datetime import UTC, date, datetime

import httpx
import pytest
import respx
from sqlalchemy import func, select
from tenacity import wait_none

from agent.settings import Settings
from connectors.account_match import AccountDirectory, AccountRef, Unplaceable, load_directory
from connectors.csv_import import import_folder
from connectors.http import AuthError
from connectors.stripe import StripeSource
from connectors.stripe.mapping import invoice_row, place_customer, subscription_row
from connectors.sync.base import SourceNotConfigured
from connectors.sync.registry import create_source
from connectors.sync.runner import sync
from connectors.sync.state import read_state
from memory import models as m
from memory.store import open_store
from memory.workspace import WorkspaceProfile
from tests.connectors import fixtures_stripe as st
from tests.connectors.fixtures_stripe import at

KEY = "sk_test_51Habc0123456789secretXYZ"
TODAY = date(2026, 3, 1)
DIRECTORY = AccountDirectory(
    [
        AccountRef(account_id="acme", name="Acme Corp", domains=frozenset({"acme.com"})),
        AccountRef(account_id="beta", name="Beta LLC", domains=frozenset({"beta.io"})),
    ]
)
ACME = st.customer("cus_A", "acme", "billing@acme.com")
BETA = st.customer("cus_B", "beta", "ap@beta.io")
MONTHLY = st.price("price_seat", 49900, "month")
YEARLY = st.price("price_platform", 1200000, "year")


def make_source(options=None, *, sleeps=None, directory=DIRECTORY, **settings) -> StripeSource:
    profile = WorkspaceProfile(
        connectors={"stripe": {"rate_per_second": "10000"} | (options or {})}
    )
    return StripeSource.from_settings(
        Settings(**({"stripe_key": KEY} | settings)),
        profile,
        accounts=lambda: directory,
        wait=wait_none(),
        sleep=sleeps.append if sleeps is not None else (lambda _s: None),
        today=lambda: TODAY,
    )


def ok(body) -> httpx.Response:
    return httpx.Response(200, json=body)


# --- invoices -------------------------------------------------------------------------------


def test_a_paid_invoice_maps_cents_to_dollars_and_the_paid_date():
    inv = st.invoice("in_1", ACME, amount_due=1250050, due_date=at(46), paid_at=at(44, 13))

    assert invoice_row(inv, TODAY) == {
        "invoice_id": "in_1",
        "account_id": None,
        "amount": "12500.5",
        "due_date": "2026-02-15",
        "paid_at": "2026-02-13",
        "status": "paid",
    }


def test_open_invoices_are_past_due_after_their_due_date_and_failed_after_a_failed_charge():
    due_yesterday = st.invoice("in_1", ACME, status="open", due_date=at(59))  # 2026-02-28
    due_today = st.invoice("in_2", ACME, status="open", due_date=at(60))  # 2026-03-01
    declined = st.invoice(
        "in_3",
        ACME,
        status="open",
        due_date=None,
        finalized_at=at(55, 23),
        attempted=True,
        attempt_count=2,
        collection_method="charge_automatically",
    )

    assert invoice_row(due_yesterday, TODAY)["status"] == "past_due"
    assert invoice_row(due_today, TODAY)["status"] == "open"
    failed = invoice_row(declined, TODAY)
    assert (failed["status"], failed["due_date"]) == ("failed", "2026-02-24")


def test_uncollectible_is_failed_void_is_void_and_drafts_are_not_invoices():
    assert invoice_row(st.invoice("in_1", ACME, status="uncollectible"), TODAY)["status"] == (
        "failed"
    )
    voided = invoice_row(st.invoice("in_2", ACME, status="void", due_date=at(40)), TODAY)
    assert (voided["status"], voided["paid_at"]) == ("void", None)
    assert invoice_row(st.invoice("in_3", ACME, status="draft"), TODAY) is None


def test_zero_decimal_currencies_are_not_divided_and_bad_dates_are_unplaceable():
    yen = st.invoice("in_1", ACME, amount_due=50000, currency="jpy", due_date=at(40))
    assert invoice_row(yen, TODAY)["amount"] == "50000"
    with pytest.raises(Unplaceable, match="due_date: not a Unix time: '2026-02-15'"):
        invoice_row(st.invoice("in_2", ACME, due_date="2026-02-15"), TODAY)


# --- subscriptions -----------------------------------------------------------------------------


def test_a_subscription_period_is_a_contract_row_with_annualised_arr():
    sub = st.subscription("sub_1", ACME, [st.item("si_1", MONTHLY, 3), st.item("si_2", YEARLY, 1)])

    # 499 x 3 seats x 12 months + 12,000 a year = 17,964 + 12,000
    assert subscription_row(sub) == {
        "contract_id": "sub_1:2026-02-01",
        "account_id": None,
        "arr": "29964",
        "start_date": "2026-02-01",
        "end_date": "2027-01-31",
        "auto_renew": "true",
        "status": "active",
    }


def test_quarterly_and_weekly_prices_are_annualised_by_their_interval():
    quarterly = st.price("price_q", 30000, "month", interval_count=3)  # 300 a quarter
    weekly = st.price("price_w", 1050, "week")  # 10.50 a week
    sub = st.subscription("sub_1", ACME, [st.item("si_1", quarterly), st.item("si_2", weekly, 2)])

    assert subscription_row(sub)["arr"] == "2292"  # 300 x 4 + 10.50 x 2 x 52 = 1200 + 1092


def test_a_cancelled_subscription_is_churned_and_ends_the_day_before_it_ended():
    sub = st.subscription(
        "sub_1", ACME, [st.item("si_1", MONTHLY)], status="canceled", ended_at=at(100, 9)
    )

    row = subscription_row(sub)
    assert (row["status"], row["end_date"], row["auto_renew"]) == ("churned", "2026-04-09", "false")


def test_the_period_is_read_from_the_items_in_newer_api_versions():
    line = st.item("si_1", MONTHLY) | {"current_period_start": at(60), "current_period_end": at(91)}
    sub = st.subscription(
        "sub_1", ACME, [line], period_start=None, period_end=None, cancel_at_period_end=True
    )

    row = subscription_row(sub)
    assert (row["start_date"], row["end_date"], row["arr"]) == ("2026-03-01", "2026-03-31", "5988")
    assert row["auto_renew"] == "false"


def test_trials_are_not_contracts_and_usage_prices_make_arr_unknown():
    assert (
        subscription_row(
            st.subscription("sub_1", ACME, [st.item("si_1", MONTHLY)], status="trialing")
        )
        is None
    )
    metered = st.price("price_api", 2, usage_type="metered")
    with pytest.raises(Unplaceable, match="price price_api is metered: ARR unknown"):
        subscription_row(st.subscription("sub_2", ACME, [st.item("si_1", metered, None)]))
    tiered = st.price("price_tiers", None)
    with pytest.raises(Unplaceable, match=r"price price_tiers has no unit amount \(tiered\)"):
        subscription_row(st.subscription("sub_3", ACME, [st.item("si_1", tiered)]))


# --- customers -> accounts ---------------------------------------------------------------------


def test_customers_find_their_account_by_metadata_or_email_domain():
    assert place_customer(ACME, DIRECTORY, "metadata:account_id") == "acme"
    crm_keyed = st.customer("cus_C") | {"metadata": {"crm_id": "beta"}}
    assert place_customer(crm_keyed, DIRECTORY, "metadata:crm_id") == "beta"
    assert place_customer(st.customer("cus_D", None, "Ap@Beta.IO"), DIRECTORY, "email_domain") == (
        "beta"
    )
    with pytest.raises(
        Unplaceable,
        match="customer cus_D: no account with domain delta.dev; set metadata account_id",
    ):
        place_customer(st.customer("cus_D", None, "x@delta.dev"), DIRECTORY, "email_domain")
    with pytest.raises(Unplaceable, match="customer cus_E: no metadata 'account_id'"):
        place_customer(st.customer("cus_E"), DIRECTORY, "metadata:account_id")
    with pytest.raises(Unplaceable, match="customer cus_F was deleted in Stripe"):
        place_customer(st.deleted_customer("cus_F"), DIRECTORY, "metadata:account_id")


# --- settings ---------------------------------------------------------------------------------


def test_a_missing_key_or_a_bad_option_names_what_to_fix():
    with pytest.raises(SourceNotConfigured, match="set CSM_STRIPE_KEY"):
        StripeSource.from_settings(Settings(), WorkspaceProfile())
    profile = WorkspaceProfile(connectors={"stripe": {"account_by": "email"}})
    with pytest.raises(SourceNotConfigured, match="account_by: Value error, expected `metadata"):
        StripeSource.from_settings(Settings(stripe_key=KEY), profile)


# --- paging -----------------------------------------------------------------------------------


@respx.mock
def test_invoices_then_subscriptions_are_paged_with_starting_after():
    invoices = respx.get(st.INVOICES).mock(
        side_effect=[
            ok(st.page([st.invoice("in_5", ACME), st.invoice("in_4", BETA)], more=True)),
            ok(st.page([st.invoice("in_3", ACME), st.invoice("in_2", ACME)], more=True)),
            ok(st.page([st.invoice("in_1", BETA)], more=False)),
        ]
    )
    subscriptions = respx.get(st.SUBSCRIPTIONS).mock(
        return_value=ok(
            st.page(
                [st.subscription("sub_1", BETA, [st.item("si_1", YEARLY)])],
                more=False,
                path="/v1/subscriptions",
            )
        )
    )

    pages = list(make_source().pages(None, None))

    assert [[(r.source_id, r.row["account_id"]) for r in p.records] for p in pages] == [
        [("in_5", "acme"), ("in_4", "beta")],
        [("in_3", "acme"), ("in_2", "acme")],
        [("in_1", "beta")],
        [("sub_1", "beta")],
    ]
    assert [p.records[0].entity for p in pages] == ["invoices"] * 3 + ["contracts"]
    sent = [dict(c.request.url.params) for c in invoices.calls]
    assert [p.get("starting_after") for p in sent] == [None, "in_4", "in_2"]
    assert (sent[0]["limit"], sent[0]["expand[]"]) == ("100", "data.customer")
    assert subscriptions.calls[0].request.url.params["status"] == "all"
    assert [json.loads(p.cursor) if p.cursor else None for p in pages] == [
        {"list": "invoices", "after": "in_4"},
        {"list": "invoices", "after": "in_2"},
        {"list": "subscriptions", "after": None},
        None,
    ]
    assert invoices.calls[0].request.headers["Authorization"] == f"Bearer {KEY}"


@respx.mock
def test_a_cursor_resumes_mid_list_and_since_reads_invoices_from_a_lookback_before_it():
    invoices = respx.get(st.INVOICES).mock(return_value=ok(st.page([], more=False)))
    subscriptions = respx.get(st.SUBSCRIPTIONS).mock(return_value=ok(st.page([], more=False)))
    cursor = json.dumps({"list": "invoices", "after": "in_7"})

    pages = list(make_source().pages(cursor, datetime(2026, 2, 1, tzinfo=UTC)))

    assert [(p.records, p.skipped) for p in pages] == [([], []), ([], [])]
    params = invoices.calls[0].request.url.params
    # 90 days before 2026-02-01 (day 32 of 2026) is 2025-11-03 (day 32 - 90)
    assert (params["starting_after"], params["created[gte]"]) == ("in_7", str(at(32 - 90)))
    assert "created[gte]" not in subscriptions.calls[0].request.url.params


@respx.mock
def test_a_cursor_in_the_subscriptions_list_skips_the_invoices():
    subscriptions = respx.get(st.SUBSCRIPTIONS).mock(return_value=ok(st.page([], more=False)))

    pages = list(make_source().pages(json.dumps({"list": "subscriptions", "after": "sub_9"}), None))

    assert len(pages) == 1
    assert subscriptions.calls[0].request.url.params["starting_after"] == "sub_9"


@respx.mock
def test_deleted_unknown_and_malformed_records_are_skipped_with_their_ids():
    respx.get(st.INVOICES).mock(
        return_value=ok(
            st.page(
                [
                    st.invoice("in_1", st.deleted_customer("cus_X")),
                    st.invoice("in_2", st.customer("cus_G", "gamma")),
                    st.invoice("in_3", ACME, due_date="2026-02-15"),
                    st.invoice("in_4", ACME, status="draft"),
                    st.invoice("in_5", ACME),
                ],
                more=False,
            )
        )
    )

    [page] = make_source({"subscriptions": "false"}).pages(None, None)

    assert [r.source_id for r in page.records] == ["in_5"]
    assert [(s.source_id, s.entity, s.problem) for s in page.skipped] == [
        ("in_1", "invoices", "customer cus_X was deleted in Stripe"),
        ("in_2", "invoices", "customer cus_G: unknown account 'gamma'"),
        ("in_3", "invoices", "due_date: not a Unix time: '2026-02-15'"),
    ]


# --- transient and fatal errors ------------------------------------------------------------


@respx.mock
def test_a_429_waits_for_retry_after_and_5xx_and_timeouts_are_retried():
    route = respx.get(st.INVOICES).mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "3"}, json={"error": {"message": "Rate"}}),
            httpx.Response(500, json={"error": {"message": "Internal"}}),
            httpx.ConnectTimeout("connect timed out"),
            ok(st.page([st.invoice("in_1", ACME)], more=False)),
        ]
    )
    sleeps: list[float] = []

    [page] = make_source({"subscriptions": "false"}, sleeps=sleeps).pages(None, None)

    assert [r.source_id for r in page.records] == ["in_1"]
    assert route.call_count == 4
    assert sleeps == [3.0, 0.0, 0.0]


@respx.mock
def test_a_401_names_the_setting_and_never_shows_the_key(caplog):
    respx.get(st.INVOICES).mock(
        side_effect=[
            httpx.Response(500, json={"error": {"message": f"upstream saw Bearer {KEY}"}}),
            httpx.Response(
                401,
                json={
                    "error": {
                        "message": f"Invalid API Key provided: {KEY}",
                        "type": "invalid_request_error",
                    }
                },
            ),
        ]
    )
    caplog.set_level(logging.DEBUG)

    with pytest.raises(AuthError) as err:
        list(make_source().pages(None, None))

    assert "CSM_STRIPE_KEY" in str(err.value)
    assert KEY not in str(err.value)
    assert KEY not in caplog.text


# --- through the sync runner ----------------------------------------------------------------


def seeded(url: str, folder, files: dict[str, str]):
    folder.mkdir()
    files = {"accounts.csv": "account_id,name\nacme,Acme Corp\nbeta,Beta LLC\n", **files}
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    store = open_store(url)
    import_folder(store, folder)
    return store


def table(store, model) -> list[tuple]:
    with store.engine.connect() as conn:
        return sorted(tuple(r) for r in conn.execute(select(*model.__table__.columns)).all())


@respx.mock
def test_a_sync_stores_what_importing_the_same_csv_would(tmp_path):
    respx.get(st.INVOICES).mock(
        side_effect=[
            ok(
                st.page(
                    [
                        st.invoice("in_3", ACME, status="open", amount_due=99, due_date=at(50)),
                        st.invoice("in_2", BETA, due_date=at(46), paid_at=at(47, 22)),
                    ],
                    more=True,
                )
            ),
            ok(st.page([st.invoice("in_1", st.deleted_customer("cus_Z"))], more=False)),
        ]
    )
    respx.get(st.SUBSCRIPTIONS).mock(
        return_value=ok(
            st.page(
                [
                    st.subscription("sub_1", ACME, [st.item("si_1", MONTHLY, 2)]),
                    st.subscription("sub_2", BETA, [st.item("si_2", YEARLY)], status="trialing"),
                ],
                more=False,
                path="/v1/subscriptions",
            )
        )
    )
    synced = seeded(f"sqlite:///{tmp_path / 'synced.db'}", tmp_path / "a", {})
    imported = seeded(
        f"sqlite:///{tmp_path / 'imported.db'}",
        tmp_path / "b",
        {
            "invoices.csv": (
                "invoice_id,account_id,amount,due_date,paid_at,status\n"
                "in_3,acme,0.99,2026-02-19,,past_due\n"
                "in_2,beta,12500,2026-02-15,2026-02-16,paid\n"
            ),
            "contracts.csv": (
                "contract_id,account_id,arr,start_date,end_date,auto_renew,status\n"
                "sub_1:2026-02-01,acme,11976,2026-02-01,2027-01-31,true,active\n"
            ),
        },
    )

    report = sync(synced, make_source())

    assert report.status == "ok"
    assert report.rows == {"invoices": 2, "contracts": 1}
    assert [(s.source_id, s.problem) for s in report.skipped] == [
        ("in_1", "customer cus_Z was deleted in Stripe")
    ]
    for model in (m.Invoice, m.Contract, m.Account):
        assert table(synced, model) == table(imported, model)
    synced.dispose()
    imported.dispose()


@respx.mock
def test_a_crash_after_page_2_resumes_at_page_3_without_duplicates(store):
    with store.session() as session:
        session.add_all(
            [
                m.Account(account_id="acme", name="Acme Corp"),
                m.Account(account_id="beta", name="Beta LLC"),
            ]
        )
    directory = load_directory(store.engine)
    invoices = respx.get(st.INVOICES).mock(
        side_effect=[
            ok(st.page([st.invoice("in_4", ACME), st.invoice("in_3", BETA)], more=True)),
            ok(st.page([st.invoice("in_2", ACME)], more=True)),
            RuntimeError("power cut"),
        ]
    )
    subscriptions = respx.get(st.SUBSCRIPTIONS).mock(return_value=ok(st.page([], more=False)))

    with pytest.raises(RuntimeError, match="power cut"):
        sync(store, make_source(directory=directory))

    assert json.loads(read_state(store, "stripe").cursor) == {"list": "invoices", "after": "in_2"}
    invoices.side_effect = [ok(st.page([st.invoice("in_1", BETA)], more=False))]

    report = sync(store, make_source(directory=directory))

    assert (report.status, report.resumed, report.rows) == ("ok", True, {"invoices": 1})
    assert invoices.calls[-1].request.url.params["starting_after"] == "in_2"
    assert subscriptions.call_count == 1
    with store.engine.connect() as conn:
        ids = conn.execute(select(m.Invoice.invoice_id, m.Invoice.account_id)).all()
    assert sorted(ids) == [("in_1", "beta"), ("in_2", "acme"), ("in_3", "beta"), ("in_4", "acme")]
    assert read_state(store, "stripe").cursor is None  # the next run reads the lists again


@respx.mock
def test_built_from_the_registry_it_places_customers_on_the_configured_stores_accounts(store):
    with store.session() as session:
        session.add(m.Account(account_id="acme", name="Acme Corp"))
        session.add(m.Contact(contact_id="p1", account_id="acme", name="Dana", email="d@acme.com"))
    respx.get(st.INVOICES).mock(return_value=ok(st.page([st.invoice("in_1", ACME)], more=False)))
    profile = WorkspaceProfile(
        connectors={"stripe": {"account_by": "email_domain", "subscriptions": "false"}}
    )
    settings = Settings(stripe_key=KEY, database_url=str(store.engine.url))
    source = create_source("stripe", settings, profile)

    pages = list(source.pages(None, None))

    assert [(r.source_id, r.row["account_id"]) for r in pages[0].records] == [("in_1", "acme")]


def test_a_domain_used_by_contacts_of_two_accounts_places_nothing():
    shared = AccountDirectory(
        [
            AccountRef(account_id="acme", name="Acme", domains=frozenset({"reseller.com"})),
            AccountRef(account_id="beta", name="Beta", domains=frozenset({"reseller.com"})),
        ]
    )
    customer = st.customer("cus_R", None, "billing@reseller.com")

    with pytest.raises(Unplaceable, match="domain reseller.com matches 2 accounts: acme, beta"):
        place_customer(customer, shared, "email_domain")


# --- review fixes: free-mail domains, paused, anchor resets, --since, currency ----------------


def test_a_gmail_customer_is_not_put_on_the_account_whose_only_contact_uses_gmail(store):
    with store.session() as session:
        session.add_all(
            [
                m.Account(account_id="solo", name="Solo Consulting"),
                m.Contact(contact_id="p1", account_id="solo", name="Sam", email="sam@gmail.com"),
                m.Account(account_id="acme", name="Acme Corp"),
                m.Contact(contact_id="p2", account_id="acme", name="Dana", email="d@acme.com"),
            ]
        )
    directory = load_directory(store.engine)
    stranger = st.customer("cus_123", None, "someone@gmail.com")
    british = st.customer("cus_124", None, "someone@yahoo.co.uk")
    tagged = st.customer("cus_125", "solo", "sam@gmail.com")

    with pytest.raises(
        Unplaceable,
        match="^customer cus_123: e-mail domain gmail.com is a free-mail domain; "
        "set metadata account_id$",
    ):
        place_customer(stranger, directory, "email_domain")
    with pytest.raises(Unplaceable, match="e-mail domain yahoo.co.uk is a free-mail domain"):
        place_customer(british, directory, "email_domain")
    assert place_customer(tagged, directory, "email_domain") == "solo"
    assert place_customer(
        st.customer("cus_126", None, "ap@acme.com"), directory, "email_domain"
    ) == ("acme")


def test_a_domain_only_a_minority_of_an_accounts_contacts_use_places_nothing(store):
    with store.session() as session:
        session.add(m.Account(account_id="acme", name="Acme Corp"))
        session.add_all(
            m.Contact(contact_id=f"p{i}", account_id="acme", name=f"P{i}", email=email)
            for i, email in enumerate(
                ["a@acme.com", "b@acme.com", "c@gmail.com", "consultant@bigconsult.com"]
            )
        )
    directory = load_directory(store.engine)

    # acme.com: 2 of the 3 company e-mails (gmail.com is not counted); bigconsult.com: 1 of 3
    assert place_customer(st.customer("cus_1", None, "ap@acme.com"), directory, "email_domain") == (
        "acme"
    )
    with pytest.raises(
        Unplaceable,
        match="domain bigconsult.com is used by only a minority of the contacts of acme",
    ):
        place_customer(st.customer("cus_2", None, "x@bigconsult.com"), directory, "email_domain")


@respx.mock
def test_a_paused_subscription_writes_no_contract_row_and_says_why():
    respx.get(st.SUBSCRIPTIONS).mock(
        return_value=ok(
            st.page(
                [
                    st.subscription("sub_1", ACME, [st.item("si_1", YEARLY)], status="paused"),
                    st.subscription("sub_2", BETA, [st.item("si_2", YEARLY)]),
                ],
                more=False,
                path="/v1/subscriptions",
            )
        )
    )

    [page] = make_source({"invoices": "false"}).pages(None, None)

    assert [r.source_id for r in page.records] == ["sub_2"]
    assert [(s.source_id, s.entity, s.problem) for s in page.skipped] == [
        (
            "sub_1",
            "contracts",
            "paused in Stripe: it bills nothing while paused, so no contract row is written "
            "(it gets one again when resumed)",
        )
    ]


def arr_on(store, account_id: str, day: date) -> float:
    """ARR of an account on a day, as data-format.md defines it: sum of its rows active then."""
    with store.engine.connect() as conn:
        return conn.execute(
            select(func.coalesce(func.sum(m.Contract.arr), 0)).where(
                m.Contract.account_id == account_id,
                m.Contract.start_date <= day,
                m.Contract.end_date >= day,
            )
        ).scalar()


@respx.mock
def test_an_anchor_reset_ends_the_earlier_period_so_arr_is_counted_once(store):
    with store.session() as session:
        session.add(m.Account(account_id="acme", name="Acme Corp"))
    profile = WorkspaceProfile(
        connectors={"stripe": {"rate_per_second": "10000", "invoices": "false"}}
    )
    settings = Settings(stripe_key=KEY, database_url=str(store.engine.url))
    route = respx.get(st.SUBSCRIPTIONS)
    # 2026-02-01 to 2027-01-31: 12,000 a year
    route.mock(
        return_value=ok(
            st.page([st.subscription("sub_1", ACME, [st.item("si_1", YEARLY)])], more=False)
        )
    )
    assert sync(store, create_source("stripe", settings, profile)).status == "ok"
    # upgraded to 2 x 12,000 on 2026-06-15 (day 166), billed from that day: a new period
    upgraded = st.subscription(
        "sub_1", ACME, [st.item("si_1", YEARLY, 2)], period_start=at(166), period_end=at(166 + 365)
    )
    route.mock(return_value=ok(st.page([upgraded], more=False)))

    report = sync(store, create_source("stripe", settings, profile))

    assert report.status == "ok"
    assert table(store, m.Contract) == [
        (
            "sub_1:2026-02-01",
            "acme",
            12000.0,
            date(2026, 2, 1),
            date(2026, 6, 14),
            True,
            None,
            None,
            "active",
        ),
        (
            "sub_1:2026-06-15",
            "acme",
            24000.0,
            date(2026, 6, 15),
            date(2027, 6, 14),
            True,
            None,
            None,
            "active",
        ),
    ]
    assert arr_on(store, "acme", date(2026, 3, 1)) == 12000
    assert arr_on(store, "acme", date(2026, 7, 1)) == 24000  # not 36,000
    assert arr_on(store, "acme", date(2026, 6, 15)) == 24000


def listing(objects: list[dict]):
    """A Stripe list endpoint that honours `created[gte]`, newest first, in one page."""

    def answer(request: httpx.Request) -> httpx.Response:
        since = request.url.params.get("created[gte]")
        data = [o for o in objects if since is None or o["created"] >= int(since)]
        return ok(st.page(sorted(data, key=lambda o: -o["created"]), more=False))

    return answer


@respx.mock
def test_since_updates_an_invoice_created_before_it_but_paid_after_it(store):
    with store.session() as session:
        session.add(m.Account(account_id="acme", name="Acme Corp"))
    # created 2026-04-10 (day 100), due 2026-05-10 (day 130)
    april = st.invoice("in_april", ACME, status="open", created=at(100), due_date=at(130))
    invoices: list[dict] = [april]
    respx.get(st.INVOICES).mock(side_effect=listing(invoices))
    source = make_source({"subscriptions": "false"}, directory=load_directory(store.engine))
    sync(store, source)
    # paid 2026-06-02 (day 153); the CSM syncs "changed since 2026-06-01"
    invoices[0] = st.invoice(
        "in_april", ACME, status="paid", created=at(100), due_date=at(130), paid_at=at(153)
    )

    report = sync(store, source, since=datetime(2026, 6, 1, tzinfo=UTC))

    assert report.rows == {"invoices": 1}
    with store.engine.connect() as conn:
        row = conn.execute(select(m.Invoice.status, m.Invoice.paid_at)).one()
    assert tuple(row) == ("paid", date(2026, 6, 2))


@respx.mock
def test_an_invoice_in_another_currency_than_its_accounts_is_skipped_not_stored(store):
    with store.session() as session:
        session.add_all(
            [
                m.Account(account_id="acme", name="Acme Corp"),
                m.Account(account_id="beta", name="Beta LLC", currency="EUR"),
            ]
        )
    respx.get(st.INVOICES).mock(
        return_value=ok(
            st.page(
                [
                    st.invoice("in_1", ACME, currency="eur", amount_due=900000),
                    st.invoice("in_2", BETA, currency="eur", amount_due=900000),
                    st.invoice("in_3", ACME, currency="usd", amount_due=100000),
                ],
                more=False,
            )
        )
    )

    report = sync(
        store, make_source({"subscriptions": "false"}, directory=load_directory(store.engine))
    )

    assert [(s.source_id, s.problem) for s in report.skipped] == [
        (
            "in_1",
            "billed in EUR but account acme is in USD: not stored (amounts are not converted); "
            "set the account's currency if it is wrong",
        )
    ]
    with store.engine.connect() as conn:
        stored = conn.execute(select(m.Invoice.invoice_id, m.Invoice.amount)).all()
    assert sorted(stored) == [("in_2", 9000.0), ("in_3", 1000.0)]


@respx.mock
def test_an_active_subscription_with_collection_paused_writes_no_contract_row():
    paused = st.subscription("sub_1", ACME, [st.item("si_1", YEARLY)])
    paused["pause_collection"] = {"behavior": "void", "resumes_at": None}
    respx.get(st.SUBSCRIPTIONS).mock(
        return_value=ok(
            st.page(
                [paused, st.subscription("sub_2", BETA, [st.item("si_2", YEARLY)])],
                more=False,
                path="/v1/subscriptions",
            )
        )
    )

    [page] = make_source({"invoices": "false"}).pages(None, None)

    assert [r.source_id for r in page.records] == ["sub_2"]
    [skipped] = page.skipped
    assert (skipped.source_id, skipped.entity) == ("sub_1", "contracts")
    assert skipped.problem.startswith("payment collection paused in Stripe (void)")
