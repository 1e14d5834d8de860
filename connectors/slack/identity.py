"""Who is asking: a Slack user mapped to the CSM whose accounts they see.

A Slack user maps to a book only through the e-mail Slack verified for them (`users.info`,
`profile.email`), never through a name they can edit. Their book is the account owner
(`accounts.csm`) equal to that e-mail, ignoring case, or else an owner stored by name that
the team mapped to that e-mail in the workspace profile (`owner_emails`, e.g.
`{"Maya Chen": "maya@acme.com"}`). Guests, external users and bots (`is_restricted`,
`is_ultra_restricted`, `is_stranger`, `is_bot`) and deactivated users are never mapped.

Admins (CSM_SLACK_ADMINS: user ids or e-mails) see every account and may approve any write.
A user matching no owner is unmapped and gets a message saying so, never data. Successful
lookups are cached per process (a CSM added to the store is seen after `Directory.clear()`
or a restart); a failed `users.info` is not cached, so the next message asks Slack again.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from sqlalchemy import select

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from memory.store import Store

log = logging.getLogger(__name__)

GUEST_FLAGS = ("is_restricted", "is_ultra_restricted", "is_stranger", "is_bot")
"""`users.info` flags of people never mapped to a book: guests, external users, bots."""


class Identity(BaseModel):
    """A Slack user as csm sees them."""

    user_id: str
    email: str | None = None
    real_name: str | None = None
    admin: bool = False
    book: str | None = Field(
        None, description="the CSM owner (accounts.csm) whose accounts they see; None with admin"
    )

    @property
    def mapped(self) -> bool:
        """Whether this user may see any data: an admin, or the owner of a book."""
        return self.admin or self.book is not None


def unmapped_text(identity: Identity) -> str:
    """Return the message an unmapped user gets instead of data (sent to them only)."""
    who = f" ({identity.email})" if identity.email else ""
    return (
        f"I could not match your Slack account{who} to a CSM who owns accounts in csm, so I "
        "cannot show you any account data. Ask your csm admin to set the account owner "
        "(the `csm` column) to your Slack e-mail, to map your name to it in the workspace "
        "profile (`owner_emails`), or to add you to CSM_SLACK_ADMINS."
    )


def parse_admins(raw: str) -> frozenset[str]:
    """Parse CSM_SLACK_ADMINS: comma-separated user ids or e-mails (e-mails lower-cased)."""
    return frozenset(p.strip().lower() if "@" in p else p.strip() for p in raw.split(",") if p)


def owner_key(owner: str) -> str:
    """Return the form owners are compared in: stripped and lower-cased."""
    return owner.strip().lower()


def normalise_owner_emails(mapping: Mapping[str, str]) -> dict[str, str]:
    """Return the profile's owner -> e-mail mapping keyed by `owner_key`, e-mails lower-cased.

    An entry whose value is not an e-mail is dropped with a warning (it could never match).
    """
    out: dict[str, str] = {}
    for owner, email in mapping.items():
        if not owner.strip() or "@" not in (email or ""):
            log.warning("owner_emails: ignoring %r, its value is not an e-mail", owner)
            continue
        out[owner_key(owner)] = email.strip().lower()
    return out


def owner_email(owner: str, owner_emails: Mapping[str, str]) -> str | None:
    """Return the e-mail of an account owner: the owner itself, or its mapped e-mail.

    Args:
        owner: the owner as written in accounts.csm.
        owner_emails: from `normalise_owner_emails`.
    """
    if "@" in owner:
        return owner.strip().lower()
    return owner_emails.get(owner_key(owner))


def trusted(user: Mapping[str, Any]) -> bool:
    """Tell whether a `users.info` user may be mapped: a full member, not deactivated."""
    return not user.get("deleted") and not any(user.get(flag) for flag in GUEST_FLAGS)


class Directory:
    """Maps Slack users to identities, asking Slack once per user and process."""

    def __init__(
        self,
        client: WebClient,
        store: Store,
        admins: frozenset[str],
        owner_emails: Mapping[str, str] | None = None,
    ) -> None:
        """Look users up with `client`, owners in `store`.

        Args:
            client: the Web API client (users.info).
            store: the account store (accounts.csm).
            admins: from `parse_admins`.
            owner_emails: the workspace profile's owner -> e-mail mapping.
        """
        self.client, self.store, self.admins = client, store, admins
        self.owner_emails = normalise_owner_emails(owner_emails or {})
        self._cache: dict[str, Identity] = {}
        self._lock = threading.Lock()

    def clear(self) -> None:
        """Forget every cached identity."""
        with self._lock:
            self._cache.clear()

    def identify(self, user_id: str) -> Identity:
        """Return who `user_id` is: admin, the CSM of a book, or unmapped."""
        with self._lock:
            known = self._cache.get(user_id)
        if known is not None:
            return known
        identity, answered = self._lookup(user_id)
        if answered:  # a failed lookup is asked again next time
            with self._lock:
                self._cache[user_id] = identity
        return identity

    def is_admin(self, user_id: str) -> bool:
        """Tell whether `user_id` is an admin (by id, or by the e-mail Slack gives)."""
        return self.identify(user_id).admin

    def _lookup(self, user_id: str) -> tuple[Identity, bool]:
        """Ask Slack who `user_id` is; the flag says whether Slack answered."""
        from slack_sdk.errors import SlackApiError

        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError as err:
            log.warning("users.info failed for %s: %s", user_id, err.response.get("error"))
            return Identity(user_id=user_id, admin=user_id in self.admins), False
        profile = user.get("profile") or {}
        email = (profile.get("email") or "").strip() or None
        real_name = (user.get("real_name") or profile.get("real_name") or "").strip() or None
        identity = Identity(user_id=user_id, email=email, real_name=real_name)
        if not trusted(user):
            return identity, True  # a guest, an external user, a bot: never mapped
        admin = user_id in self.admins or bool(email and email.lower() in self.admins)
        book = None if admin else self.owner_of(email)
        return identity.model_copy(update={"admin": admin, "book": book}), True

    def owner_of(self, email: str | None) -> str | None:
        """Return the account owner whose book a verified e-mail opens, or None.

        The owner equal to the e-mail (any case) comes first; else an owner the profile maps
        to that e-mail (the first in order when several are).
        """
        if not email:
            return None
        email = email.strip().lower()
        owners = self.owners()
        if email in owners:
            return owners[email]
        for owner, mapped in sorted(self.owner_emails.items()):
            if mapped == email and owner in owners:
                return owners[owner]
        return None

    def owners(self) -> dict[str, str]:
        """Return every account owner in the store, `owner_key` -> as stored."""
        from memory.models import Account

        with self.store.engine.connect() as conn:
            rows = conn.execute(select(Account.csm).distinct()).scalars().all()
        return {owner_key(r): r for r in rows if r and r.strip()}
