"""The QBR deck (python-pptx) and usage chart (matplotlib): files that open, in the right order.

The account is built by hand (no database): six months of usage with September missing,
two ROI rows (time saved (10 - 4) x 52 x $50 = $15,600) and one open ticket.
"""

from __future__ import annotations

import math
from datetime import date, datetime

import pytest
from pptx import Presentation
from pptx.enum.shapes import MSO_SHAPE_TYPE

from agent.render.qbr_chart import usage_figure, write_chart
from agent.render.qbr_deck import TITLES, write_deck
from memory.read import Account, AccountData, Contact, Contract, Event, RoiRow, Ticket
from tests.factories import daily_usage, portfolio
from tools.plans.qbr import build_qbr

AS_OF = date(2026, 11, 23)
PNG = b"\x89PNG\r\n\x1a\n"


def _account(*, roi: bool = True) -> AccountData:
    aid = "h1"
    usage = daily_usage(date(2026, 6, 1), AS_OF, active_users=10, logins=20)
    usage = [u for u in usage if u.date.month != 9]
    return AccountData(
        account=Account(aid, "Halcyon Health", segment="mid-market", csm="Sofia Alvarez"),
        contracts=[Contract("k1", aid, 80_000, date(2026, 3, 1), date(2027, 2, 28))],
        contacts=[
            Contact("c1", aid, "Ines Jensen", "CFO", role="economic_buyer"),
            Contact("c2", aid, "Kai Moreau", "Ops Lead", role="champion"),
        ],
        usage=usage,
        tickets=[
            Ticket(
                "T1",
                aid,
                datetime(2026, 11, 2, 9),
                status="open",
                priority="high",
                subject="Reports time out",
            ),
        ],  # fmt: skip
        events=[Event(aid, date(2026, 8, 1), "qbr_held")],
        roi=[
            RoiRow(
                aid,
                "time_saved",
                "hours a week on reports",
                "hours",
                10,
                4,
                50,
                "week",
                "customer",
                date(2026, 9, 1),
            ),
        ]  # fmt: skip
        if roi
        else [],
    )


def _result(**kw):
    data = _account(**kw)
    return build_qbr(portfolio(AS_OF, data), data.account_id, AS_OF)


def _titles(prs: Presentation) -> list[str]:
    return [s.shapes.title.text for s in prs.slides]


@pytest.fixture(scope="module")
def deck(tmp_path_factory) -> Presentation:
    path = tmp_path_factory.mktemp("deck") / "halcyon.pptx"
    write_deck(_result(), path)
    return Presentation(str(path))


def test_deck_has_the_slides_in_order(deck):
    assert _titles(deck) == [
        "Quarterly business review: Halcyon Health",
        "Executive summary",
        "Agenda (60 minutes)",
        "Usage and adoption",
        "Value and ROI",
        "Goals and outcomes",
        "Support",
        "Stakeholders",
        "Risks and expansion",
        "Next steps",
    ]
    assert len(TITLES) == len(deck.slides)


def test_usage_slide_carries_the_chart_as_a_picture(deck):
    usage = deck.slides[3]
    pictures = [s for s in usage.shapes if s.shape_type == MSO_SHAPE_TYPE.PICTURE]
    assert len(pictures) == 1
    assert pictures[0].image.blob.startswith(PNG)


def test_every_slide_has_talking_points_in_its_notes(deck):
    notes = [s.notes_slide.notes_text_frame.text for s in deck.slides]
    assert all(n.strip() for n in notes)
    assert "Recap the value in their terms: $15,600 a year documented" in notes[4]
    assert "T1 (high, open 21 days)" in notes[6]
    assert notes[3].startswith("Show adoption as context, not as value")


def test_slides_show_the_numbers_of_the_result(deck):
    value_text = deck.slides[4].placeholders[1].text_frame.text
    assert "time saved: $15,600 a year" in value_text
    agenda_text = deck.slides[2].placeholders[1].text_frame.text
    assert "0:10-0:25 · Value delivered (15 min)" in agenda_text
    support_text = deck.slides[6].placeholders[1].text_frame.text
    assert "Open: T1 (high, 21 days): “Reports time out”" in support_text


def test_without_roi_the_value_slide_says_not_yet_documented(tmp_path):
    path = write_deck(_result(roi=False), tmp_path / "no-roi.pptx")
    prs = Presentation(str(path))
    value = prs.slides[4]
    assert value.shapes.title.text == "Value and ROI: not yet documented"
    body = value.placeholders[1].text_frame.text
    assert body.startswith("No ROI is documented for Halcyon Health: the renewal on 2027-02-28")
    assert "active users" not in body.replace("logins or active users as value", "")


def test_chart_is_a_png_with_missing_months_as_breaks_not_zeros(tmp_path):
    result = _result()
    path = write_chart(result, tmp_path / "usage.png")
    assert path.read_bytes().startswith(PNG)
    fig = usage_figure(result.name, result.usage)
    users, logins = fig.axes[0].lines[0], fig.axes[1].lines[0]
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["Jun 2026", "Jul 2026", "Aug 2026", "Sep 2026", "Oct 2026", "Nov 2026 (1-23)"]
    for line, value in ((users, 10), (logins, 20)):
        y = list(line.get_ydata())
        assert math.isnan(y[3])  # September: no rows
        assert [v for i, v in enumerate(y) if i != 3] == [value] * 5
    assert fig.axes[0].get_title() == "Halcyon Health: monthly usage, Jun 2026 to Nov 2026 (1-23)"
