"""A shared thread's account is not a way into another CSM's book (Slack threads are shared)."""

from agent.session import Session
from tests.conftest import DEMO_AS_OF


def test_a_follow_up_on_an_account_outside_the_book_is_like_no_account_named(demo_env):
    # an admin (no book) asks about Nimbus Software in a thread; Maya Chen, whose book does
    # not hold Nimbus, follows up in the same thread
    with Session("shared", DEMO_AS_OF, "admin", offline=True) as admin:
        assert admin.send("Score Nimbus Software").runs
    with Session("shared", DEMO_AS_OF, "maya", offline=True, book="maya chen") as maya:
        reply = maya.send("and their renewal?")
    assert reply.runs == []
    assert reply.text.startswith("Which account?")
    assert "nimbus" not in reply.text.lower()


def test_a_follow_up_inside_the_book_keeps_the_thread_account(demo_env):
    with Session("shared-2", DEMO_AS_OF, "admin", offline=True) as admin:
        admin.send("Score Acme Corp")  # Acme Corp is in Maya Chen's book
    with Session("shared-2", DEMO_AS_OF, "maya", offline=True, book="maya chen") as maya:
        reply = maya.send("and their renewal?")
    assert [(r.call.name, r.call.args["account"]) for r in reply.runs] == [("renewal", "acme")]
