"""A staged CRM write: Approve / Cancel, only by the asker or an admin, executed once."""

from __future__ import annotations

from sqlalchemy import func, select

from memory.models import CrmAudit, CrmRecord
from tests.slack.conftest import ADMIN, JORDAN, MAYA, buttons
from tests.slack.fake_slack import message_text

NOTE = "log a note on Acme Corp: called Greg about the renewal"


def _records(bot) -> int:
    with bot.conv.store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(CrmRecord)).scalar_one()


def _audits(bot) -> list[str]:
    with bot.conv.store.engine.connect() as conn:
        return list(conn.execute(select(CrmAudit.result, CrmAudit.confirmed_by)).all())


def _stage(bot, fake, user=MAYA):
    _, event = bot.mention(user, NOTE)
    post = fake.of("chat.postMessage")[-1]
    return post, buttons(post.params), event


def test_staged_write_shows_the_exact_change_and_buttons(bot, fake):
    post, found, _ = _stage(bot, fake)
    assert set(found) == {"Approve", "Cancel"}
    text = message_text(post.params)
    assert "called Greg about the renewal" in text
    assert f"<@{MAYA}>" in text
    assert _records(bot) == 0


def test_approve_by_the_asker_writes_once_and_updates_the_message(bot, fake):
    post, found, _ = _stage(bot, fake)
    ts = post.params.get("ts") or "1700000000.000001"
    bot.click(MAYA, found["Approve"], ts)
    assert _records(bot) == 1
    assert _audits(bot) == [("ok", MAYA)]
    [update] = fake.of("chat.update")
    assert "Written to the CRM" in message_text(update.params)
    assert f"Approved by <@{MAYA}>" in message_text(update.params)
    assert buttons(update.params) == {}


def test_approve_by_someone_else_is_refused(bot, fake):
    _, found, _ = _stage(bot, fake)
    bot.click(JORDAN, found["Approve"], "1700000000.000001")
    assert _records(bot) == 0
    [ephemeral] = fake.of("chat.postEphemeral")
    assert ephemeral.params["user"] == JORDAN
    assert "Nothing was written" in ephemeral.params["text"]
    bot.click(MAYA, found["Approve"], "1700000000.000001")  # still pending for the asker
    assert _records(bot) == 1


def test_an_admin_may_approve(bot, fake):
    _, found, _ = _stage(bot, fake)
    bot.click(ADMIN, found["Approve"], "1700000000.000001")
    assert _audits(bot) == [("ok", ADMIN)]


def test_double_click_and_replayed_action_write_once(bot, fake):
    _, found, _ = _stage(bot, fake)
    bot.click(MAYA, found["Approve"], "1700000000.000001")
    bot.click(MAYA, found["Approve"], "1700000000.000001")
    bot.click(ADMIN, found["Approve"], "1700000000.000001")
    assert _records(bot) == 1
    assert len(_audits(bot)) == 1
    replies = [c.params["text"] for c in fake.of("chat.postEphemeral")]
    assert replies == ["This change was already handled."] * 2


def test_cancel_writes_nothing_and_a_later_approve_is_stale(bot, fake):
    _, found, _ = _stage(bot, fake)
    bot.click(MAYA, found["Cancel"], "1700000000.000001")
    assert "Cancelled: nothing was written" in message_text(fake.of("chat.update")[0].params)
    bot.click(MAYA, found["Approve"], "1700000000.000001")
    assert _records(bot) == 0
    assert _audits(bot) == []


def test_typed_yes_in_the_thread_approves_once(bot, fake):
    _, found, event = _stage(bot, fake)
    bot.thread_reply(MAYA, "yes", thread_ts=event["ts"])
    assert _records(bot) == 1
    bot.click(MAYA, found["Approve"], "1700000000.000001")
    assert _records(bot) == 1
    assert len(_audits(bot)) == 1


def test_typed_yes_from_someone_else_is_refused(bot, fake):
    _, _, event = _stage(bot, fake)
    bot.thread_reply(JORDAN, "yes", thread_ts=event["ts"])
    assert _records(bot) == 0
    assert "Only <@UMAYA>" in fake.posts()[-1]["text"]


def test_a_slack_retry_of_the_request_stages_nothing_twice(bot, fake):
    _, event = bot.mention(MAYA, NOTE)
    body = bot.event_body(event, event_id="EvSAME")
    bot.dispatch(body, "application/json")
    bot.dispatch(body, "application/json", retry=1)
    bot.dispatch(body, "application/json", retry=2)
    assert len(fake.posts()) == 2  # the first mention and EvSAME once


def test_a_turn_with_a_read_and_a_write_shows_both(demo_env):
    from agent.session import Reply, Session
    from connectors.slack.blocks import pending_message
    from tests.conftest import DEMO_AS_OF

    with Session("both", DEMO_AS_OF, MAYA, offline=True) as chat:
        read = chat.send("Score Acme Corp")
        staged = chat.send(NOTE)
    both = Reply(
        thread_id="both",
        text=f"{read.text}\n\n{staged.text}",
        runs=read.runs,
        pending=staged.pending,
    )
    message = pending_message(both, DEMO_AS_OF, "ref", MAYA)
    headers = [b["text"]["text"] for b in message.blocks if b["type"] == "header"]
    assert headers == ["Score: Acme Corp", "CRM change to approve"]
    assert set(buttons(message.model_dump())) == {"Approve", "Cancel"}
    assert message_text(message.model_dump()).count("called Greg about the renewal") == 1


def test_claims_are_taken_once_and_old_ones_pruned(store):
    from datetime import datetime, timedelta

    from connectors.slack.approvals import Claims

    claims = Claims(store)  # the table comes with the store's migrations
    assert claims.take("event:Ev1", "worker-1") is True
    assert claims.take("event:Ev1", "worker-2") is False  # a Slack retry, another worker
    assert claims.prune(datetime.now() - timedelta(days=30)) == 0  # the claim is recent
    assert claims.prune(datetime.now() + timedelta(days=1)) == 1
    assert claims.take("event:Ev1", "worker-2") is True  # pruned: the key is free again


def test_a_click_that_fails_releases_the_approval_for_a_retry(bot, fake, monkeypatch):
    from agent.session import Session

    post, found, _ = _stage(bot, fake)
    real_send = Session.send
    calls = []

    def send(self, text):
        calls.append(text)
        if len(calls) == 1:
            raise ConnectionError("the database connection was reset")
        return real_send(self, text)

    monkeypatch.setattr(Session, "send", send)
    bot.click(MAYA, found["Approve"], "1700000000.000001")
    assert _records(bot) == 0
    [ephemeral] = fake.of("chat.postEphemeral")
    assert ephemeral.params["user"] == MAYA
    assert (
        "csm could not finish this: the database connection was reset" in (ephemeral.params["text"])
    )
    assert "click the button again" in ephemeral.params["text"]
    bot.click(MAYA, found["Approve"], "1700000000.000001")  # the retry goes through
    assert _records(bot) == 1
    assert _audits(bot) == [("ok", MAYA)]
    assert "Approved by" in message_text(fake.of("chat.update")[-1].params)


def test_serve_completes_a_write_left_pending_at_start_up(bot, fake, monkeypatch):
    from typer.testing import CliRunner

    from agent.cli import app
    from connectors.crm.local import LocalCrm
    from connectors.slack import server

    _, found, _ = _stage(bot, fake)
    real_write = LocalCrm.write

    def crash(self, change, key):
        raise RuntimeError("worker killed mid-write")

    monkeypatch.setattr(LocalCrm, "write", crash)
    bot.click(MAYA, found["Approve"], "1700000000.000001")  # the outbox row stays pending
    assert _records(bot) == 0
    monkeypatch.setattr(LocalCrm, "write", real_write)
    monkeypatch.setattr(server, "serve_http", lambda srv, worker: srv.server_close())

    result = CliRunner().invoke(app, ["slack", "serve", "--port", "0", "--host", "127.0.0.1"])
    assert result.exit_code == 0, result.output
    assert "Resumed 1 interrupted CRM write(s): 1 written" in result.output
    assert _records(bot) == 1
    assert _audits(bot) == [("ok", MAYA)]
