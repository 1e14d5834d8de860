"""Health tiers, and the alerts raised when an account's score moves between them.

Tiers (commands.md): green 80-100, yellow 60-79, orange 40-59, red 0-39, and unknown when
less than 0.7 of the model's weight had data or the usage dimension had none. Alerts
(support-ai-customer-success-ops, openclaw; any profile) compare the score and tier on
as_of with the recomputed ones 7 to 30 days before.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel

Tier = Literal["green", "yellow", "orange", "red", "unknown"]
TIER_FLOORS: tuple[tuple[int, Tier], ...] = (
    (80, "green"),
    (60, "yellow"),
    (40, "orange"),
    (0, "red"),
)
"""Lowest score of each tier (commands.md: green 80-100, yellow 60-79, orange 40-59, red 0-39)."""
MIN_COVERAGE = 0.7
"""A tier is assigned only when at least this share of model weight had data."""
DECLINE_CHECKPOINTS = (0, 7, 14, 21, 30)
"""Days before as_of at which '30 days of decline' is checked (see `raise_alerts`)."""
DROP_POINTS = 15
"""A drop of more than this many points in 7 days raises `score_drop`."""


class HealthAlert(BaseModel):
    """An alert raised by the score's movement, and who to notify."""

    kind: Literal["score_drop", "entered_orange", "entered_red", "declining_30d", "left_green"]
    message: str
    notify: list[str]


def tier_for(score: int | None, coverage: float, usage_has_data: bool) -> Tier:
    """Return the tier of a rounded score, or 'unknown' when data is too thin to tier."""
    if score is None or not usage_has_data or coverage < MIN_COVERAGE - 1e-9:
        return "unknown"
    return next(tier for floor, tier in TIER_FLOORS if score >= floor)


NOTIFY = {
    "score_drop": ["CSM"],
    "entered_orange": ["CSM", "manager"],
    "entered_red": ["CSM", "manager", "VP"],
    "declining_30d": ["CSM"],
    "left_green": ["CSM"],
}


def raise_alerts(past: dict[int, tuple[int | None, Tier]]) -> list[HealthAlert]:
    """Return the alerts raised by the scores/tiers keyed by days before as_of (0 = as_of).

    - score_drop: the score fell by more than 15 points since 7 days ago.
    - entered_orange / entered_red: the tier is orange/red now and was a better known tier
      7 days ago (green or yellow for orange; green, yellow or orange for red).
    - declining_30d: the score fell at every checkpoint, 30, 21, 14, 7 and 0 days before
      as_of (each strictly lower than the one before; all five known).
    - left_green: green 7 days ago, yellow or below now.
    """
    now, tier = past[0]
    before, tier_before = past[7]
    alerts: list[HealthAlert] = []

    def add(kind: str, message: str) -> None:
        alerts.append(HealthAlert(kind=kind, message=message, notify=NOTIFY[kind]))

    if now is not None and before is not None and before - now > DROP_POINTS:
        add("score_drop", f"score fell {before - now} points in 7 days ({before} -> {now})")
    rank = {"green": 0, "yellow": 1, "orange": 2, "red": 3}
    if tier_before in rank and tier in ("orange", "red") and rank[tier_before] < rank[tier]:
        add(f"entered_{tier}", f"entered {tier} (was {tier_before} 7 days ago)")
    if tier_before == "green" and tier in ("yellow", "orange", "red"):
        add("left_green", f"dropped from green to {tier} within 7 days")
    series = [past[d][0] for d in sorted(DECLINE_CHECKPOINTS, reverse=True)]
    if all(s is not None for s in series):
        if all(a > b for a, b in zip(series, series[1:], strict=False)):
            add("declining_30d", f"score declined for 30 days ({series[0]} -> {series[-1]})")
    return alerts
