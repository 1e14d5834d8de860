"""The offline composer: the answer is the tools' deterministic rendering, nothing added.

`OfflineComposer` implements agent.planning.Composer with no model: each run's text (the same
tables and documents the CLI prints, every data gap included) in the order the commands ran.
It is also the fallback the graph shows when a model's answer fails the grounding check.
"""

from __future__ import annotations

from agent.planning import Composed, ToolRun


class OfflineComposer:
    """Compose an answer from the deterministic renderings of the tool runs."""

    def compose(self, text: str, runs: list[ToolRun]) -> Composed:
        """Join the runs' texts; trivially grounded, since every word comes from the tools."""
        return Composed(text=deterministic_text(runs), source="deterministic")


def deterministic_text(runs: list[ToolRun]) -> str:
    """Return the runs' renderings, one after the other, separated by a blank line."""
    return "\n\n".join(run.text.rstrip() for run in runs).strip() + "\n" if runs else ""


__all__ = ["OfflineComposer", "deterministic_text"]
