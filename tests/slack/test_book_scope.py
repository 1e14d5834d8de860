"""Who sees what: a CSM sees only their own accounts; admins all; unmapped users nothing."""

from __future__ import annotations

from datetime import date

import pytest

from agent.session import Session
from tests.conftest import DEMO_AS_OF
from tests.slack.conftest import ADMIN, JORDAN, MAYA, STRANGER
from tests.slack.fake_slack import message_text


def test_unmapped_user_gets_the_clear_message_privately_and_no_data(bot, fake):
    _, event = bot.mention(STRANGER, "Score Acme Corp")
    assert fake.posts() == []  # nothing in the channel: their e-mail is not shown to others
    [ephemeral] = fake.of("chat.postEphemeral")
    assert ephemeral.params["user"] == STRANGER
    assert ephemeral.params["thread_ts"] == event["ts"]
    text = message_text(ephemeral.params)
    assert "could not match your Slack account (stranger@example.com)" in text
    assert "Acme" not in text
    assert fake.of("files.getUploadURLExternal") == []


def test_a_real_name_equal_to_an_owner_does_not_open_their_book(bot, fake):
    fake.add_user("UMALLORY", "mallory@example.com", "Maya Chen")  # edits her name to Maya's
    bot.mention("UMALLORY", "Score Acme Corp")
    bot.mention("UMALLORY", "Weekly health scan")
    assert fake.posts() == []
    texts = "\n".join(fake.texts())
    assert texts.count("could not match your Slack account (mallory@example.com)") == 2
    assert "Acme" not in texts and "Globex" not in texts
    assert fake.of("chat.update") == []


def test_an_owner_stored_by_name_is_mapped_only_through_the_profile(fake, team_db):
    from slack_sdk import WebClient

    from connectors.slack.identity import Directory
    from memory.store import open_store

    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    store = open_store(team_db)
    try:
        assert Directory(client, store, frozenset()).identify(MAYA).mapped is False
        mapped = Directory(client, store, frozenset(), {"maya chen ": "MAYA@Example.com"})
        assert mapped.identify(MAYA).book == "Maya Chen"
        other = Directory(client, store, frozenset(), {"Maya Chen": "someone@example.com"})
        assert other.identify(MAYA).book is None
    finally:
        store.dispose()


def test_the_mapped_owner_sees_their_accounts(bot, fake):
    bot.mention(MAYA, "Score Globex")
    assert fake.posts()[0]["blocks"][0]["text"]["text"] == "Score: Globex Corporation"


@pytest.mark.parametrize("flag", ["is_restricted", "is_ultra_restricted", "is_stranger", "is_bot"])
def test_guests_external_users_and_bots_are_never_mapped(bot, fake, flag):
    # the e-mail of an owner (Jordan) and of an admin: still nothing for a guest
    fake.add_user("UGUEST", "jordan.patel@example.com", "Jordan Patel", **{flag: True})
    fake.add_user("UEXT", "other-admin@example.com", "Other Admin", **{flag: True})
    bot.mention("UGUEST", "Score Nimbus Software")
    bot.mention("UEXT", "Score Nimbus Software")
    assert fake.posts() == []
    texts = [message_text(c.params) for c in fake.of("chat.postEphemeral")]
    assert len(texts) == 2
    assert all("could not match your Slack account" in t for t in texts)
    assert "Nimbus" not in "".join(texts)


def test_an_unmapped_reply_in_a_csm_thread_is_ignored(bot, fake):
    _, event = bot.mention(MAYA, "Score Acme Corp")
    bot.thread_reply(STRANGER, "thanks!", thread_ts=event["ts"])
    assert len(fake.posts()) == 1
    assert fake.of("chat.postEphemeral") == []
    assert "stranger@example.com" not in "".join(fake.texts())


def test_an_unmapped_dm_is_answered_in_the_dm(bot, fake):
    bot.dm(STRANGER, "Score Acme Corp")
    [post] = fake.posts()
    assert post["channel"] == "D" + STRANGER
    assert "could not match your Slack account" in message_text(post)


def test_an_unmapped_slash_command_posts_nothing_in_the_channel(bot, fake):
    bot.command(STRANGER, "Score Acme Corp")
    assert fake.posts() == []
    [response] = fake.of("/response")
    assert "could not match your Slack account" in response.params["text"]
    assert "Acme" not in response.params["text"]


def test_a_failed_lookup_is_asked_again(bot, fake):
    bot.mention("UNEW", "Score Nimbus Software")  # users.info: user_not_found
    fake.add_user("UNEW", "jordan.patel@example.com", "Jordan Patel")
    bot.mention("UNEW", "Score Nimbus Software")
    assert [c.params["user"] for c in fake.of("users.info")] == ["UNEW", "UNEW"]
    assert fake.posts()[-1]["blocks"][0]["text"]["text"] == "Score: Nimbus Software"


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
