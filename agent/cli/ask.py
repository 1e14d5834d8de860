"""`csm ask "TEXT"` and `csm chat`: talk to csm in plain words.

Both run the conversation graph (agent.session): the request is parsed (offline grammar, or
the LLM when configured), the tools compute, the answer comes from their results. A CRM write
is shown exactly and asked about; only a yes in the same thread writes it. Heavy modules
(LangGraph, the tools) are imported when a command runs, not when `csm` starts.
"""

from __future__ import annotations

import json as jsonlib
import sys
from typing import Annotated

import typer

from agent.cli.app import AsOf, Json, app, friendly_errors, today

Thread = Annotated[
    str | None,
    typer.Option(
        "--thread",
        help="Conversation thread id: reuse one to continue it (follow-ups, confirmations). "
        "Default: a new thread.",
        metavar="ID",
    ),
]
PROMPT = "you> "
EXIT_WORDS = frozenset({"exit", "quit", "bye", ":q"})


@app.command()
@friendly_errors
def ask(
    text: Annotated[str, typer.Argument(help="What to ask, in plain words.")],
    thread: Thread = None,
    as_of: AsOf = None,
    json: Json = False,
) -> None:
    """Ask csm a question in plain words; the numbers come from the tools.

    A CRM write ("log a note on ACCOUNT: TEXT") is shown and asked about; answer it with
    `csm ask --thread ID yes`. --json prints the answer, the tool results and the pending
    change.

    Example: csm ask "Score Acme Corp" --json
    """
    from agent.session import Session, ask_once

    if thread is None:
        reply = ask_once(text, as_of or today())
    else:
        with Session(thread, as_of or today()) as session:
            reply = session.send(text)
    if json:
        typer.echo(
            jsonlib.dumps(
                {
                    "thread": reply.thread_id,
                    "answer": reply.text,
                    "runs": [
                        {"call": r.call.model_dump(mode="json"), "result": r.result}
                        for r in reply.runs
                    ],
                    "pending": reply.pending,
                    "outcome": reply.outcome,
                },
                indent=2,
            )
        )
        return
    typer.echo(reply.text.rstrip())
    if reply.pending is not None:
        typer.echo(
            f"\nTo answer: csm ask --thread {reply.thread_id} yes   (or no)",
            err=True,
        )


@app.command()
@friendly_errors
def chat(thread: Thread = None, as_of: AsOf = None) -> None:
    r"""Chat with csm: a conversation that remembers the account you are talking about.

    Type a request at the `you>` prompt ("Score Acme Corp", then "and their renewal?");
    a confirmation question is answered by the next line. `exit` or end of input ends it.
    When stdin is not a terminal, lines are read from it, so a session can be scripted.

    Example: printf 'Score Acme Corp\nand their renewal?\n' | csm chat --as-of 2026-11-23
    """
    from agent.session import Session

    interactive = sys.stdin.isatty()
    if interactive:
        _enable_history()
    with Session(thread, as_of or today()) as session:
        if interactive:
            typer.echo(f"csm chat (thread {session.thread_id}). Type `exit` to leave.")
        while True:
            line = _read_line(interactive)
            if line is None:
                break
            line = line.strip()
            if not line:
                continue
            if line.lower() in EXIT_WORDS:
                break
            typer.echo(session.send(line).text.rstrip() + "\n")


def _read_line(interactive: bool) -> str | None:
    """Return the next line typed (or piped), or None at the end of input."""
    if interactive:
        try:
            return input(PROMPT)
        except EOFError:
            typer.echo()
            return None
    line = sys.stdin.readline()
    if not line:
        return None
    if line.strip():
        typer.echo(PROMPT + line.rstrip("\n"))
    return line


def _enable_history() -> None:
    """Give the prompt line editing and a history kept in the app home."""
    try:
        import atexit
        import readline

        from agent.settings import get_settings
    except ImportError:  # no readline on this platform: plain input still works
        return
    path = get_settings().home / "chat_history"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        readline.read_history_file(path)
    except OSError:
        pass
    atexit.register(_save_history, readline, path)


def _save_history(readline: object, path: object) -> None:
    try:
        readline.write_history_file(path)  # type: ignore[attr-defined]
    except OSError:
        pass
