"""The workspace profile: which systems the team uses, who owns each, and team policies.

Stored as JSON in CSM_HOME by `csm init`. Data gaps name these systems and owners; without
a profile they name generic systems ("the CRM", "the support desk").
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field


class SystemOwner(BaseModel):
    """A system the team uses and the person or team who can fill gaps in it."""

    model_config = ConfigDict(extra="forbid")
    system: str | None = Field(None, description="product name, e.g. 'HubSpot', 'Zendesk'")
    owner: str | None = Field(None, description="who to ask, e.g. 'RevOps (Dana)'")


class DiscountStep(BaseModel):
    """One rung of the discount authority ladder."""

    model_config = ConfigDict(extra="forbid")
    role: str = Field(description="who can approve, e.g. 'CSM', 'CS Director', 'VP CS'")
    max_discount_pct: float = Field(ge=0, le=100, description="largest discount they approve")


CATEGORIES: dict[str, tuple[str, str]] = {
    "crm": ("CRM", "CRM admin / RevOps"),
    "support": ("support desk", "Support lead"),
    "billing": ("billing system", "Finance / billing"),
    "analytics": ("product analytics", "product analytics owner"),
    "surveys": ("survey tool", "CS Ops"),
    "cs_platform": ("success plan records", "the account's CSM"),
    "workspace": ("workspace profile (csm init)", "CS leadership"),
}
"""Category -> (generic system name, default owner) used when the profile is silent."""


class WorkspaceProfile(BaseModel):
    """Systems, owners and policies of one CS team."""

    model_config = ConfigDict(extra="forbid")
    crm: SystemOwner = SystemOwner()
    support: SystemOwner = SystemOwner()
    billing: SystemOwner = SystemOwner()
    analytics: SystemOwner = SystemOwner()
    surveys: SystemOwner = SystemOwner()
    discount_authority: list[DiscountStep] = Field(default_factory=list)
    escalation_path: list[str] = Field(default_factory=list)
    csat_threshold: float = Field(3.0, ge=1, le=5, description="mean CSAT below this is negative")
    connectors: dict[str, dict[str, str]] = Field(
        default_factory=dict,
        description="field mappings per sync source (docs/connectors.md), e.g. "
        '{"hubspot": {"role_property": "csm_role"}}',
    )
    owner_emails: dict[str, str] = Field(
        default_factory=dict,
        description="account owner as written in accounts.csm -> their e-mail, for owners "
        'stored by name (docs/slack.md), e.g. {"Maya Chen": "maya@acme.com"}',
    )

    def source(self, category: str) -> str:
        """Name the system of `category`, with the team's product in brackets when known."""
        generic, _ = CATEGORIES[category]
        owner = getattr(self, category, None)
        if isinstance(owner, SystemOwner) and owner.system:
            return f"{generic} ({owner.system})"
        return generic

    def ask(self, category: str) -> str:
        """Name who can fill a gap in `category`."""
        _, default_owner = CATEGORIES[category]
        owner = getattr(self, category, None)
        if isinstance(owner, SystemOwner) and owner.owner:
            return owner.owner
        return default_owner


def profile_path(home: Path) -> Path:
    """Return where the profile of the app home `home` is stored."""
    return home / "workspace.json"


def load_profile(home: Path) -> WorkspaceProfile:
    """Read the profile from `home`, or the empty profile when there is none."""
    path = profile_path(home)
    if not path.exists():
        return WorkspaceProfile()
    return WorkspaceProfile.model_validate_json(path.read_text(encoding="utf-8"))


def save_profile(home: Path, profile: WorkspaceProfile) -> Path:
    """Write the profile into `home` and return its path."""
    path = profile_path(home)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(profile.model_dump_json(indent=2), encoding="utf-8")
    return path
