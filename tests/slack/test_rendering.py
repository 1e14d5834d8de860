"""Block Kit limits on the longest demo answers, charts, and Slack's 429 retried."""

from __future__ import annotations

import json

import pytest

from agent.session import Session
from connectors.slack import blocks as kit
from tests.conftest import DEMO_AS_OF
from tests.slack.conftest import ADMIN, MAYA
from tests.slack.fake_slack import BLOCK_TEXT_LIMIT, block_text_length, message_text


def _check_limits(message: kit.Message) -> None:
    assert len(message.blocks) <= kit.MAX_BLOCKS
    for block in message.blocks:
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= kit.SECTION_CHARS
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= kit.HEADER_CHARS
        for field in block.get("fields", []):
            assert len(field["text"]) <= kit.FIELD_CHARS
        assert len(block.get("fields", [])) <= kit.MAX_FIELDS
    assert len(message.text) <= kit.FALLBACK_CHARS
    assert block_text_length(message.model_dump()) <= kit.MAX_TEXT


@pytest.mark.parametrize(
    "text", ["Weekly health scan", "QBR prep for Acme Corp", "Renewal prep for Acme Corp"]
)
def test_longest_demo_answers_fit_slack_limits(demo_env, text):
    with Session("limits", DEMO_AS_OF, "x", offline=True) as chat:
        reply = chat.send(text)
    message = kit.reply_message(reply, DEMO_AS_OF)
    _check_limits(message)
    shown = "".join(b.get("text", {}).get("text", "") for b in message.blocks)
    assert len(shown) > 1000  # the answer itself, not a stub


def test_a_cut_answer_says_where_the_whole_is(demo_env):
    with Session("cut", DEMO_AS_OF, "x", offline=True) as chat:
        reply = chat.send("Weekly health scan")
    long = reply.model_copy(update={"text": "\n".join(f"line {i} " * 40 for i in range(2000))})
    message = kit.reply_message(long, DEMO_AS_OF)
    _check_limits(message)
    assert kit.MAX_TEXT - 500 < block_text_length(message.model_dump()) <= kit.MAX_TEXT
    hints = [b for b in message.blocks if "Cut to fit" in json.dumps(b)]
    assert "`csm scan --json` prints all of it" in json.dumps(hints)
    assert message.blocks[-1]["type"] == "context"  # the as-of line is kept


def test_many_short_sections_are_cut_at_fifty_blocks():
    blocks = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"item {i}"}} for i in range(80)
    ]
    kept = kit.fit(blocks, [kit.context(DEMO_AS_OF, [])], "csm renewals --json")
    assert len(kept) == kit.MAX_BLOCKS
    assert "`csm renewals --json` prints all of it" in json.dumps(kept[-2])


@pytest.mark.parametrize(
    ("text", "title", "hint"),
    [
        ("who renews in the next 365 days", "Renewal pipeline", "csm renewals --days 365 --json"),
        ("churn scan", "Churn risk", "csm churn --json"),
        ("portfolio review", "Portfolio review", "csm portfolio --json"),
        ("QBR for Acme Corp", "QBR prep: Acme Corp", "csm qbr acme --json"),
    ],
)
def test_the_longest_answers_are_accepted_by_slack_and_cut_with_the_cli_hint(
    bot, fake, text, title, hint
):
    bot.mention(ADMIN, text)
    answers = [c.params for c in fake.calls if c.method in ("chat.postMessage", "chat.update")]
    final = answers[-1]
    assert block_text_length(final) <= BLOCK_TEXT_LIMIT  # the fake refuses more, like Slack
    assert final["blocks"][0]["text"]["text"] == title
    assert f"`{hint}` prints all of it" in message_text(final)
    assert "could not answer" not in "".join(fake.texts())


def test_the_fake_refuses_blocks_slack_would_refuse(fake):
    from slack_sdk import WebClient
    from slack_sdk.errors import SlackApiError

    client = WebClient(token="xoxb-test", base_url=fake.api_url)
    section = {"type": "section", "text": {"type": "mrkdwn", "text": "x" * 3000}}
    with pytest.raises(SlackApiError, match="msg_blocks_too_long"):
        client.chat_postMessage(channel="C1", text="long", blocks=[section] * 5)


def test_an_answer_slack_refuses_is_posted_as_plain_text_with_the_cli_hint(bot, fake):
    fake.errors["chat.postMessage"] = ["msg_too_long"]
    bot.mention(MAYA, "Score Acme Corp")
    refused, posted = fake.posts()
    assert refused["blocks"][0]["text"]["text"] == "Score: Acme Corp"
    text = message_text(posted)
    assert "Acme Corp" in text
    assert "Slack refused the full answer as too long: `csm score acme --json`" in text


def test_untrusted_note_text_cannot_ping_anyone():
    message = kit.plain_message("note says <!channel> call <@U123> now & <https://x|click>")
    text = json.dumps(message.blocks)
    assert "<!channel>" not in text and "<@U123>" not in text
    assert "&lt;!channel&gt;" in text


def test_score_uploads_the_usage_chart_into_the_thread(bot, fake):
    _, event = bot.mention(MAYA, "Score Acme Corp")
    [url] = fake.of("files.getUploadURLExternal")
    assert url.params["filename"] == "acme-corp-usage.png"
    [upload] = fake.of("upload")
    assert fake.uploads[upload.params["file_id"]][:8] == b"\x89PNG\r\n\x1a\n"
    [done] = fake.of("files.completeUploadExternal")
    assert done.params["thread_ts"] == event["ts"]
    assert done.params["channel_id"] == "C1"


def test_qbr_uploads_the_usage_chart(bot, fake):
    bot.mention(ADMIN, "QBR prep for Acme Corp")
    [upload] = fake.of("upload")
    assert fake.uploads[upload.params["file_id"]].startswith(b"\x89PNG")


def test_a_scan_posts_working_on_it_then_updates_it_in_place(bot, fake):
    bot.mention(MAYA, "Weekly health scan")
    [placeholder] = fake.posts()
    assert "Working on it" in placeholder["text"]
    [update] = fake.of("chat.update")
    assert update.params["blocks"][0]["text"]["text"] == "Weekly health scan"
    assert fake.of("files.getUploadURLExternal") == []


def test_rate_limited_post_is_retried_after_retry_after(bot, fake):
    fake.rate_limit["chat.postMessage"] = 2
    bot.mention(MAYA, "Score Acme Corp")
    posts = fake.of("chat.postMessage")
    assert len(posts) == 3  # two 429s, then the post
    assert posts[0].params == posts[2].params
