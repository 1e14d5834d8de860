"""The QBR usage trend chart: monthly active users and logins as a PNG (matplotlib, Agg).

Built with matplotlib's object API on the Agg canvas (no pyplot, never a window), so it is
safe in a CLI, a test or the Slack bot's worker. A month without usage rows is a break in
the line (NaN), never a drop to zero; the partial month keeps its '(1-23)' label. Logins
are drawn per day of data, so a partial month or a month with missing days is comparable
with full ones.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from tools.plans.qbr_models import QbrResult, UsageMonth

if TYPE_CHECKING:
    from matplotlib.figure import Figure

USERS_COLOR = "#1f6feb"
LOGINS_COLOR = "#d97706"


def chart_png(name: str, months: Sequence[UsageMonth]) -> bytes:
    """Draw the monthly usage trend of one account and return it as PNG bytes.

    Args:
        name: the account's name, for the title.
        months: the monthly series (tools.plans.qbr.monthly_usage), oldest first.
    """
    buf = io.BytesIO()
    usage_figure(name, months).savefig(buf, format="png")
    return buf.getvalue()


def usage_figure(name: str, months: Sequence[UsageMonth]) -> Figure:
    """Build the chart's figure: active users on the left axis, logins a day on the right."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 5), dpi=120)
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    x = list(range(len(months)))
    users = [_nan(m.active_users) for m in months]
    logins = [_nan(m.logins_per_day) for m in months]
    ax.plot(x, users, marker="o", color=USERS_COLOR, linewidth=2, label="Active users (mean a day)")
    ax.set_ylabel("Active users (mean a day)", color=USERS_COLOR)
    ax.set_ylim(0, _top(users))
    right = ax.twinx()
    right.plot(x, logins, marker="s", color=LOGINS_COLOR, linewidth=2, label="Logins a day")
    right.set_ylabel("Logins a day (monthly mean)", color=LOGINS_COLOR)
    right.set_ylim(0, _top(logins))
    ax.set_xticks(x, [m.label for m in months])
    ax.grid(axis="y", alpha=0.3)
    title = f"{name}: monthly usage"
    if months:
        title += f", {months[0].label} to {months[-1].label}"
    ax.set_title(title)
    missing = [m.label for m in months if m.days_with_data == 0]
    if len(missing) == len(months):
        ax.text(0.5, 0.5, "No usage data in these months", ha="center", transform=ax.transAxes)
        ax.set_yticks([])
        right.set_yticks([])
    elif missing:
        fig.text(0.01, 0.01, "No usage data (gap in the line): " + ", ".join(missing), fontsize=8)
    handles = ax.get_legend_handles_labels()[0] + right.get_legend_handles_labels()[0]
    ax.legend(handles=handles, loc="upper left")
    fig.tight_layout()
    return fig


def write_chart(result: QbrResult, path: Path) -> Path:
    """Write the usage trend chart of a QBR result to `path` (PNG) and return the path."""
    path.write_bytes(chart_png(result.name, result.usage))
    return path


def _top(values: Sequence[float]) -> float:
    """Leave a third of the height free above the highest point, for the legend."""
    known = [v for v in values if not math.isnan(v)]
    return max(known) * 1.35 if known and max(known) > 0 else 1.0


def _nan(value: float | None) -> float:
    return math.nan if value is None else value
