"""The Typer application, shared options, output and error translation of every command."""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from datetime import date
from typing import Annotated, Any, TypeVar

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console, RenderableType

from agent.resolve import AccountNotFound, AmbiguousAccount

app = typer.Typer(
    name="csm",
    help=(
        "csm: a customer-success agent with explainable numbers. Every number comes from a "
        "deterministic tool over your own data; every missing input is named as a data gap.\n\n"
        "Start with `csm demo` (loads a demo portfolio) or `csm import FOLDER`."
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


class CliError(Exception):
    """An error to show the user as one line on stderr, exiting with `code`."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def parse_date(value: str | None) -> date | None:
    """Parse a YYYY-MM-DD option value, or fail as a usage error naming the bad value."""
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"'{value}' is not a date: use YYYY-MM-DD") from None


AsOf = Annotated[
    date | None,
    typer.Option(
        "--as-of",
        help="Compute as of this date (YYYY-MM-DD); only data dated on or before it is used. "
        "Default: today.",
        parser=parse_date,
        metavar="YYYY-MM-DD",
        show_default=False,
    ),
]
Json = Annotated[bool, typer.Option("--json", help="Print the result as JSON.")]
AccountArg = Annotated[
    str, typer.Argument(help="Account name (case and punctuation ignored) or account id.")
]


def today() -> date:
    """Return today's date (the default as-of)."""
    return date.today()


def console(stderr: bool = False) -> Console:
    """Return a console: colour on a terminal, plain when piped or when NO_COLOR is set."""
    probe = Console(stderr=stderr)
    width = None if probe.is_terminal else int(os.environ.get("COLUMNS", "120"))
    if "NO_COLOR" in os.environ:  # no colour and no bold/dim either: plain text
        return Console(stderr=stderr, width=width, color_system=None)
    return Console(stderr=stderr, width=width)


def emit(result: BaseModel, render: Callable[[Any], RenderableType], as_json: bool) -> None:
    """Print a result: JSON with --json, else the rich rendering."""
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    console().print(render(result))


def emit_markdown(result: BaseModel, to_markdown: Callable[[Any], str], as_json: bool) -> None:
    """Print a document: JSON with --json; Markdown, formatted on a terminal, raw when piped.

    Raw Markdown when piped means `csm save acme > plan.md` gives a file to paste anywhere.
    """
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    text = to_markdown(result)
    out = console()
    if out.is_terminal:
        from rich.markdown import Markdown

        out.print(Markdown(text))
    else:
        typer.echo(text)


F = TypeVar("F", bound=Callable[..., Any])


def friendly_errors(func: F) -> F:
    """Turn domain errors into one clear line on stderr and a non-zero exit, no traceback."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:  # noqa: ANN401
        try:
            return func(*args, **kwargs)
        except (AccountNotFound, AmbiguousAccount) as err:
            _fail(str(err), 2)
        except CliError as err:
            _fail(str(err), err.code)
        except ValidationError as err:
            if err.title != "Settings":
                raise
            _fail(f"invalid setting: {_settings_problem(err)}", 2)

    return wrapper  # type: ignore[return-value]


def _settings_problem(err: ValidationError) -> str:
    first = err.errors()[0]
    name = "CSM_" + "_".join(str(p) for p in first["loc"]).upper()
    return f"{name}: {first['msg']} (got {first.get('input')!r})"


def _fail(message: str, code: int) -> None:
    err = console(stderr=True)
    err.print(f"Error: {message}", style="bold red", markup=False, highlight=False)
    raise typer.Exit(code)


def main() -> None:
    """Run the `csm` command line."""
    app(prog_name="csm")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
