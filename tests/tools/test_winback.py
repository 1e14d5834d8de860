"""Win-back plan: timing table, churn-reason tailoring, addressing, refusals."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest

from memory.read import Account, AccountData, Contact
from tests.factories import portfolio
from tools.winback import CHURN_REASONS, templates, winback

AS_OF = date(2026, 11, 23)
PLACEHOLDER = re.compile(r"[\[\]{}]")


def _churned(days_ago=10, *, reason="value", contacts=(), csm="Maya Lopez", **kw) -> AccountData:
    churned_at = AS_OF - timedelta(days=days_ago) if days_ago is not None else None
    account = Account(
        "A1",
        "Acme Corp",
        status="churned",
        churned_at=churned_at,
        churn_reason=reason,
        csm=csm,
        **kw,
    )
    return AccountData(account=account, contacts=list(contacts))


def _run(data, as_of=AS_OF):
    return winback(portfolio(AS_OF, data), "A1", as_of)


@pytest.mark.parametrize(
    ("days", "approach"),
    [
        (0, "we miss you + address churn reason"),
        (30, "we miss you + address churn reason"),
        (31, "product update + improvement proof"),
        (90, "product update + improvement proof"),
        (91, "major release + special offer"),
        (180, "major release + special offer"),
        (181, "annual check-in + case study"),
        (365, "annual check-in + case study"),
        (366, "remove from active campaigns"),
    ],
)
def test_timing_table_boundaries(days, approach):
    result = _run(_churned(days))
    assert result.command == "winback"
    assert result.days_since_churn == days
    assert result.approach == approach
    assert result.in_active_campaign is (days <= 365)


def test_emails_are_dated_from_churn_and_marked_past():
    # churned 2026-11-01 (22 days before as-of): e-mails on day 7, 30, 90
    result = _run(_churned(22))
    assert [e.send_on for e in result.emails] == [
        date(2026, 11, 8),
        date(2026, 12, 1),
        date(2027, 1, 30),
    ]
    assert [e.past for e in result.emails] == [True, False, False]


@pytest.mark.parametrize("reason", sorted(CHURN_REASONS))
def test_emails_are_tailored_and_fully_filled(reason):
    champion = Contact("K1", "A1", "Dana Whitfield", role="champion")
    result = _run(_churned(reason=reason, contacts=[champion]))
    assert result.churn_reason == reason
    assert result.template == reason
    assert len(result.emails) == 3
    first_subjects = {s for s, _ in (t[0] for t in templates().values())}
    assert len(first_subjects) == len(templates())  # every reason has its own first e-mail
    assert result.emails[0].subject == templates()[reason][0][0]
    for email in result.emails:
        assert not PLACEHOLDER.search(email.subject + email.body), email
        assert email.body.startswith("Hi Dana,")
        assert email.body.endswith("Maya Lopez")
        assert "Acme Corp" in email.body


def test_financial_reason_speaks_to_budget():
    result = _run(_churned(reason="financial"))
    assert "budget" in result.emails[0].body


def test_unrecorded_reason_is_a_gap_and_uses_neutral_wording():
    result = _run(_churned(reason=None))
    assert result.churn_reason is None
    assert result.template == "unknown"
    gap = next(g for g in result.gaps if g.signal == "churn_reason")
    assert gap.account_id == "A1"
    assert gap.needed_for == "winback: tailoring the e-mails"
    assert not PLACEHOLDER.search(result.emails[0].body)


def test_recipient_is_the_active_champion_before_others():
    contacts = [
        Contact("K1", "A1", "Sam Ortiz", role="user"),
        Contact("K2", "A1", "Lee Chen", role="exec_sponsor"),
        # the champion departed before as-of: not written to
        Contact(
            "K3",
            "A1",
            "Ana Gomez",
            role="champion",
            status="departed",
            status_changed_at=date(2026, 10, 1),
        ),
    ]
    result = _run(_churned(contacts=contacts))
    assert result.recipient.contact_id == "K2"
    assert result.emails[0].body.startswith("Hi Lee,")


def test_departure_after_as_of_has_not_happened_yet():
    champion = Contact(
        "K3", "A1", "Ana Gomez", role="champion", status="departed", status_changed_at=AS_OF
    )
    result = _run(_churned(contacts=[champion]), AS_OF - timedelta(days=1))
    assert result.recipient.name == "Ana Gomez"


def test_no_contact_gives_neutral_greeting_and_a_gap():
    result = _run(_churned(csm=None))
    assert result.recipient is None
    assert all(e.body.startswith("Hello,") for e in result.emails)
    assert all(e.body.endswith("Your customer success team") for e in result.emails)
    assert {g.signal for g in result.gaps} == {"contacts", "csm"}


def test_unknown_churn_date_is_a_gap():
    result = _run(_churned(None))
    assert result.days_since_churn is None
    assert result.approach is None
    assert [e.send_on for e in result.emails] == [None, None, None]
    assert "churned_at" in {g.signal for g in result.gaps}


def test_active_account_is_refused():
    data = AccountData(account=Account("A1", "Acme Corp"))
    with pytest.raises(ValueError, match=r"^Acme Corp is active; win-back applies to churned"):
        _run(data)


def test_churn_after_as_of_is_refused():
    data = _churned(0)  # churned on 2026-11-23
    with pytest.raises(ValueError, match="was still active on 2026-11-22"):
        _run(data, AS_OF - timedelta(days=1))


def test_renderer_shows_approach_and_each_email():
    from rich.console import Console

    from agent.render.winback import render_winback

    console = Console(record=True, width=200)
    console.print(render_winback(_run(_churned(40, reason="financial"))))
    text = console.export_text()
    assert "product update + improvement proof" in text
    assert "Subject: Plans that might fit your budget better" in text
    assert "E-mail 3: day 90" in text
