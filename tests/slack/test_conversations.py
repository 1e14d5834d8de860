"""Mentions, DMs, /csm and follow-ups in a thread run the agent and answer in the thread."""

from __future__ import annotations

from tests.slack.conftest import CHANNEL, MAYA
from tests.slack.fake_slack import message_text


def test_mention_answers_in_the_thread_with_blocks(bot, fake):
    response, event = bot.mention(MAYA, "Score Acme Corp")
    assert response.status == 200
    [post] = fake.posts()
    assert post["channel"] == CHANNEL
    assert post["thread_ts"] == event["ts"]
    blocks = post["blocks"]
    assert blocks[0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Score: Acme Corp"},
    }
    fields = next(b["fields"] for b in blocks if b.get("fields"))
    assert {"type": "mrkdwn", "text": "*Tier*\norange"} in fields
    gaps = [b for b in blocks if b.get("text", {}).get("text", "").startswith("*Data gaps (1)*")]
    assert "exec_sponsor" in message_text({"blocks": gaps})
    assert blocks[-1]["type"] == "context"
    assert "As of 2026-11-23" in blocks[-1]["elements"][0]["text"]


def test_follow_up_in_the_thread_continues_the_conversation(bot, fake):
    _, event = bot.mention(MAYA, "Score Acme Corp")
    bot.thread_reply(MAYA, "and their renewal?", thread_ts=event["ts"])
    posts = fake.posts()
    assert len(posts) == 2
    assert posts[1]["thread_ts"] == event["ts"]
    assert posts[1]["blocks"][0]["text"]["text"] == "Renewal prep: Acme Corp"


def test_a_thread_csm_is_not_part_of_is_left_alone(bot, fake):
    bot.thread_reply(MAYA, "and their renewal?", thread_ts="1690000000.000001")
    assert fake.posts() == []


def test_slash_command_posts_the_question_and_answers_in_its_thread(bot, fake):
    response = bot.command(MAYA, "Score Acme Corp")
    assert response.status == 200
    question, answer = fake.posts()
    assert question["text"] == f"<@{MAYA}> asked: Score Acme Corp"
    ts = fake.of("chat.postMessage")[0]
    assert answer["thread_ts"]
    assert answer["blocks"][0]["text"]["text"] == "Score: Acme Corp"
    assert ts.params["channel"] == CHANNEL


def test_slash_command_without_text_says_how_to_use_it(bot, fake):
    response = bot.command(MAYA, "")
    assert "/csm Score Acme Corp" in response.body
    assert fake.posts() == []


def test_direct_message_is_answered_in_the_dm(bot, fake):
    bot.dm(MAYA, "Score Acme Corp")
    [post] = fake.posts()
    assert post["channel"] == "D" + MAYA
    assert "thread_ts" not in post
    assert post["blocks"][0]["text"]["text"] == "Score: Acme Corp"
    bot.dm(MAYA, "and their renewal?")
    assert fake.posts()[1]["blocks"][0]["text"]["text"] == "Renewal prep: Acme Corp"


def test_mention_inside_the_thread_is_a_follow_up(bot, fake):
    _, event = bot.mention(MAYA, "Score Acme Corp")
    bot.mention(MAYA, "and their renewal?", thread_ts=event["ts"])
    second = fake.posts()[1]
    assert second["thread_ts"] == event["ts"]
    assert second["blocks"][0]["text"]["text"] == "Renewal prep: Acme Corp"


def test_each_thread_is_its_own_conversation(bot, fake):
    bot.mention(MAYA, "Score Acme Corp")
    bot.mention(MAYA, "and their renewal?")  # a new thread: no account to follow up on
    assert "Renewal prep: Acme Corp" not in str(fake.posts()[1]["blocks"])


def _failing_send(monkeypatch, message="the model endpoint timed out"):
    from agent.session import Session

    def send(self, text):
        raise RuntimeError(f"{message}\nTraceback (most recent call last): ...")

    monkeypatch.setattr(Session, "send", send)


def test_a_failed_turn_says_so_in_the_thread_in_one_line(bot, fake, monkeypatch):
    _failing_send(monkeypatch)
    _, event = bot.mention(MAYA, "Score Acme Corp")
    [post] = fake.posts()
    assert post["thread_ts"] == event["ts"]
    text = message_text(post)
    assert "csm could not answer: the model endpoint timed out; try again" in text
    assert '`csm ask "Score Acme Corp"`' in text
    assert "Traceback" not in text


def test_a_failed_portfolio_turn_replaces_working_on_it(bot, fake, monkeypatch):
    _failing_send(monkeypatch)
    bot.mention(MAYA, "Weekly health scan")
    [placeholder] = fake.posts()
    assert "Working on it" in placeholder["text"]
    [update] = fake.of("chat.update")
    assert "csm could not answer: the model endpoint timed out" in message_text(update.params)
    assert "Working on it" not in message_text(update.params)


def test_a_token_in_an_error_is_not_shown(bot, fake, monkeypatch):
    _failing_send(monkeypatch, "auth failed for xoxb-1234-5678-abcdef")
    bot.mention(MAYA, "Score Acme Corp")
    text = message_text(fake.posts()[0])
    assert "csm could not answer: auth failed for [redacted]" in text
    assert "xoxb-1234" not in text


def test_a_failed_slash_command_answers_through_its_response_url(bot, fake, monkeypatch):
    _failing_send(monkeypatch)
    bot.command(MAYA, "Score Acme Corp")
    [response] = fake.of("/response")
    assert "csm could not answer: the model endpoint timed out" in response.params["text"]
    assert response.params["response_type"] == "ephemeral"


def test_a_slash_command_where_csm_cannot_post_says_how_to_fix_it(bot, fake):
    fake.errors["chat.postMessage"] = ["not_in_channel"]
    bot.command(MAYA, "Score Acme Corp")
    [response] = fake.of("/response")
    assert "Slack answered not_in_channel" in response.params["text"]
    assert "/invite @csm" in response.params["text"]


def test_when_the_thread_refuses_the_error_too_the_asker_is_told_privately(bot, fake):
    fake.errors["chat.postMessage"] = ["is_archived", "is_archived"]
    bot.mention(MAYA, "Score Acme Corp")
    [ephemeral] = fake.of("chat.postEphemeral")
    assert ephemeral.params["user"] == MAYA
    assert "csm could not answer: Slack answered is_archived" in ephemeral.params["text"]
