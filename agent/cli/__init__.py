"""The `csm` command line: a thin client over the tools (parse, call one function, render)."""

from agent.cli import analytics, data  # noqa: E402,F401,I001  (importing registers the commands)
from agent.cli.app import app, main

__all__ = ["app", "main"]
