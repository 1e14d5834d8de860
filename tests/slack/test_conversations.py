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
