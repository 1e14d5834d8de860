"""Who sees what: a CSM sees only their own accounts; admins all; unmapped users nothing."""

from __future__ import annotations

from datetime import date

import pytest

from agent.session import Session
from tests.conftest import DEMO_AS_OF
from tests.slack.conftest import ADMIN, JORDAN, MAYA, STRANGER
from tests.slack.fake_slack import message_text


def test_unmapped_user_gets_the_clear_message_and_no_data(bot, fake):
    bot.mention(STRANGER, "Score Acme Corp")
    [post] = fake.posts()
    text = message_text(post)
    assert "could not match your Slack account (stranger@example.com)" in text
    assert "Acme" not in text
    assert fake.of("files.getUploadURLExternal") == []


def test_account_outside_the_book_is_like_an_unknown_account(bot, fake):
    bot.mention(JORDAN, "Score Acme Corp")
    bot.mention(JORDAN, "Score Acme Corpx")
    outside, unknown = (message_text(p) for p in fake.posts())
    assert "No account matches" in outside
    assert "Acme Corp" not in outside.replace('"Acme Corp"', "")
    assert outside.replace("Acme Corp", "X") == unknown.replace("Acme Corpx", "X")


def test_mapped_by_email_sees_own_account(bot, fake):
    bot.mention(JORDAN, "Score Nimbus Software")
    assert fake.posts()[0]["blocks"][0]["text"]["text"] == "Score: Nimbus Software"


def test_scan_covers_only_the_book(bot, fake):
    bot.mention(MAYA, "Weekly health scan")
    maya = message_text(fake.of("chat.update")[-1].params)
    bot.mention(ADMIN, "Weekly health scan")
    admin = message_text(fake.of("chat.update")[-1].params)
    assert "Nimbus Software" not in maya
    assert maya != admin


def test_admin_sees_every_account(bot, fake):
    bot.mention(ADMIN, "Score Nimbus Software")
    bot.mention(ADMIN, "Score Acme Corp")
    titles = [p["blocks"][0]["text"]["text"] for p in fake.posts()]
    assert titles == ["Score: Nimbus Software", "Score: Acme Corp"]


@pytest.mark.parametrize(
    ("text", "visible"),
    [
        ("Score Globex", True),
        ("Score Nimbus Software", False),
        ("Weekly health scan", True),
        ("What do we know about SSO at Nimbus Software", False),
    ],
)
def test_session_book_limits_score_scan_and_notes(demo_env, text, visible):
    with Session("book-" + text, DEMO_AS_OF, "maya", offline=True, book="maya chen") as chat:
        reply = chat.send(text)
    assert ("No account matches" not in reply.text) is visible
    if "scan" in text:
        assert "Nimbus" not in reply.text
        ids = {a["account_id"] for r in reply.runs for a in r.result["all"] + r.result["priority"]}
        assert ids <= {"acme", "globex", *_maya_accounts(demo_env)}


def _maya_accounts(url: str) -> set[str]:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT account_id FROM accounts WHERE csm = 'Maya Chen'"))
        ids = {r[0] for r in rows}
    engine.dispose()
    return ids


def test_session_without_book_sees_all(demo_env):
    with Session("all", date(2026, 11, 23), "x", offline=True) as chat:
        assert "Nimbus Software" in chat.send("Score Nimbus Software").text


def test_admin_by_email_sees_every_account(bot, fake):
    fake.add_user("UOTHER", "Other-Admin@example.com", "Other Admin")
    bot.mention("UOTHER", "Score Nimbus Software")
    assert fake.posts()[0]["blocks"][0]["text"]["text"] == "Score: Nimbus Software"


def test_identity_is_asked_of_slack_once_per_user(bot, fake):
    bot.mention(MAYA, "Score Acme Corp")
    bot.mention(MAYA, "Score Globex")
    assert [c.params["user"] for c in fake.of("users.info")] == [MAYA]
