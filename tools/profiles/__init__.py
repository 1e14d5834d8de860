"""The health-model profiles shipped with csm: one TOML file per profile, read as data.

The files sit beside this module and are read with importlib.resources, so they are found
wherever the package is installed, never relative to the working directory.
"""

from __future__ import annotations

import tomllib
from importlib import resources
from typing import Any

PROFILES: list[str] = ["engine", "leading80", "ops", "sales"]
"""The profile names, the default first."""


def load(name: str) -> dict[str, Any]:
    """Read the TOML file of profile `name` and return it as a dict.

    Raises:
        ValueError: `name` is not one of PROFILES (the message names the valid ones).
    """
    if name not in PROFILES:
        valid = ", ".join(PROFILES)
        raise ValueError(f"unknown health profile {name!r}: choose one of {valid}")
    text = resources.files(__package__).joinpath(f"{name}.toml").read_text(encoding="utf-8")
    return tomllib.loads(text)
