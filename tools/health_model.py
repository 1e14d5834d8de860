"""The health model as data: the typed form of a profile TOML file and its band rules.

A profile (tools/profiles/*.toml) lists dimensions with their weights, and for each dimension
the signals it is scored from. A signal names a `kind` (the code in tools.health_signals that
reads its raw value from the account's data) and a list of bands: the first band whose bounds
the value meets gives the signal's points, either a constant (`points`) or a linear
interpolation inside the band (`base + gain x min(max(v - from, 0), span) / span`). Every
number lives in the profile file; this module only interprets it.
"""

from __future__ import annotations

from functools import cache, cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tools import profiles

Value = float | str | bool | None


class Condition(BaseModel):
    """A precondition on the band another signal of the same dimension met."""

    model_config = ConfigDict(extra="forbid")
    signal: str
    band: list[str] = Field(min_length=1)

    def holds(self, met: dict[str, str | None]) -> bool:
        """Tell whether the named signal met one of the listed bands."""
        return met.get(self.signal) in self.band

    def text(self) -> str:
        """Describe the condition for people."""
        return f"{self.signal} is {' or '.join(self.band)}"


class Band(BaseModel):
    """One threshold band of a signal and the points it gives."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True)
    id: str | None = None
    label: str | None = None
    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    eq: bool | float | str | None = None
    in_: list[str] | None = Field(None, alias="in")
    if_: Condition | None = Field(None, alias="if")
    points: float | None = None
    base: float | None = None
    gain: float | None = None
    span: float | None = Field(None, gt=0)
    from_: float | None = Field(None, alias="from")

    @model_validator(mode="after")
    def _one_rule(self) -> Band:
        linear = (self.base, self.gain, self.span)
        if self.points is None and None in linear:
            raise ValueError("a band needs `points` or all of `base`, `gain`, `span`")
        if self.points is not None and any(v is not None for v in linear):
            raise ValueError("a band has either `points` or `base`/`gain`/`span`, not both")
        if self.points is None and self._anchor() is None:
            raise ValueError("a linear band needs `from` or a lower bound (`gt`/`ge`)")
        return self

    def _anchor(self) -> float | None:
        if self.from_ is not None:
            return self.from_
        return self.ge if self.ge is not None else self.gt

    def matches(self, value: Value, met: dict[str, str | None]) -> bool:
        """Tell whether `value` lies in this band (and its `if` condition holds)."""
        if self.if_ is not None and not self.if_.holds(met):
            return False
        if self.eq is not None:
            if isinstance(self.eq, bool) or isinstance(value, bool):
                return isinstance(value, bool) and isinstance(self.eq, bool) and value == self.eq
            return value == self.eq
        if self.in_ is not None:
            return value in self.in_
        if self.gt is None and self.ge is None and self.lt is None and self.le is None:
            return True
        if type(value) is bool or not isinstance(value, (int, float)):
            return False
        return (
            (self.gt is None or value > self.gt)
            and (self.ge is None or value >= self.ge)
            and (self.lt is None or value < self.lt)
            and (self.le is None or value <= self.le)
        )

    def score(self, value: Value) -> float:
        """Return the points this band gives to `value` (which it matches)."""
        if self.points is not None:
            return float(self.points)
        assert self.base is not None and self.gain is not None and self.span is not None
        offset = min(max(float(value) - (self._anchor() or 0.0), 0.0), self.span)  # type: ignore[arg-type]
        return self.base + self.gain * offset / self.span

    @cached_property
    def text(self) -> str:
        """Describe the band for people, e.g. '0.2 <= v <= 0.4: 4 + 2 x min(v - 0.2, 0.2) / 0.2'."""
        if self.eq is not None:
            cond = f"v = {str(self.eq).lower() if isinstance(self.eq, bool) else _n(self.eq)}"
        elif self.in_ is not None:
            cond = f"v in {{{', '.join(self.in_)}}}"
        else:
            cond = _bounds(self.gt, self.ge, self.lt, self.le)
        if self.if_ is not None:
            cond += f" and {self.if_.text()}"
        rule = _n(self.points) if self.points is not None else self._formula()
        text = f"{cond}: {rule}"
        return f"{text} ({self.label})" if self.label else text

    def _formula(self) -> str:
        anchor = self._anchor() or 0.0
        dv = "v" if anchor == 0 else f"v - {_n(anchor)}" if anchor > 0 else f"v + {_n(-anchor)}"
        return f"{_n(self.base)} + {_n(self.gain)} x min({dv}, {_n(self.span)}) / {_n(self.span)}"


class SignalSpec(BaseModel):
    """One scored input of a dimension."""

    model_config = ConfigDict(extra="forbid")
    name: str
    kind: str
    timing: Literal["leading", "lagging"]
    doc: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    required: bool = False
    when: Condition | None = None
    bands: list[Band] = Field(min_length=1)

    def band_for(self, value: Value, met: dict[str, str | None]) -> Band | None:
        """Return the first band `value` meets, or None."""
        for band in self.bands:
            if band.matches(value, met):
                return band
        return None


class Excluded(BaseModel):
    """A source sub-signal the profile leaves out, and why."""

    model_config = ConfigDict(extra="forbid")
    name: str
    reason: str


class DimensionSpec(BaseModel):
    """A weighted dimension: its signals and how their points combine."""

    model_config = ConfigDict(extra="forbid")
    name: str
    weight: float = Field(gt=0, le=1)
    doc: str | None = None
    combine: Literal["sum", "mean"]
    cap: float = Field(gt=0)
    scale: float = Field(gt=0)
    signals: list[SignalSpec] = Field(min_length=1)
    excluded: list[Excluded] = Field(default_factory=list)

    @model_validator(mode="after")
    def _conditions_look_back(self) -> DimensionSpec:
        seen: set[str] = set()
        for s in self.signals:
            refs = [s.when] + [b.if_ for b in s.bands]
            for ref in refs:
                if ref is not None and ref.signal not in seen:
                    raise ValueError(
                        f"{s.name}: condition on {ref.signal!r}, not an earlier signal"
                    )
            seen.add(s.name)
        return self


class HealthModel(BaseModel):
    """A whole health-model profile."""

    model_config = ConfigDict(extra="forbid")
    name: str
    title: str
    source: str
    doc: str | None = None
    usage_dimension: str
    dimensions: list[DimensionSpec] = Field(min_length=1)

    @model_validator(mode="after")
    def _consistent(self) -> HealthModel:
        total = sum(d.weight for d in self.dimensions)
        if abs(total - 1.0) > 1e-9:
            raise ValueError(f"dimension weights sum to {total}, not 1")
        if self.usage_dimension not in {d.name for d in self.dimensions}:
            raise ValueError(f"usage_dimension {self.usage_dimension!r} is not a dimension")
        return self

    @property
    def kinds(self) -> set[str]:
        """The signal kinds the model uses."""
        return {s.kind for d in self.dimensions for s in d.signals}

    def leading_share(self) -> float:
        """Return the share of model weight on leading signals (equal shares within a dimension)."""
        share = 0.0
        for d in self.dimensions:
            leading = sum(1 for s in d.signals if s.timing == "leading")
            share += d.weight * leading / len(d.signals)
        return share


@cache
def get_model(name: str) -> HealthModel:
    """Load and validate profile `name` (ValueError naming the valid ones if unknown)."""
    return HealthModel.model_validate(profiles.load(name))


def _n(x: float | str | None) -> str:
    if isinstance(x, str) or x is None:
        return str(x)
    return f"{x:g}"


def _bounds(gt: float | None, ge: float | None, lt: float | None, le: float | None) -> str:
    low = f"{_n(gt)} < " if gt is not None else f"{_n(ge)} <= " if ge is not None else ""
    high = f" < {_n(lt)}" if lt is not None else f" <= {_n(le)}" if le is not None else ""
    return f"{low}v{high}" if low or high else "otherwise"
