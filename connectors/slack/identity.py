"""Who is asking: a Slack user mapped to the CSM whose accounts they see.

`users.info` gives the user's e-mail and real name; the CSM is the account owner
(`accounts.csm`) equal to the e-mail, ignoring case, or else to the real name. Admins
(CSM_SLACK_ADMINS: user ids or e-mails) see every account and may approve any write. A user
matching no owner is unmapped and gets a message saying so, never data. Lookups are cached
per process (a CSM added to the store is seen after `Directory.clear()` or a restart).
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from pydantic import BaseModel, Field
from sqlalchemy import select

if TYPE_CHECKING:
    from slack_sdk import WebClient

    from memory.store import Store

log = logging.getLogger(__name__)


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
    """Return the message an unmapped user gets instead of data."""
    who = f" ({identity.email})" if identity.email else ""
    return (
        f"I could not match your Slack account{who} to a CSM who owns accounts in csm, so I "
        "cannot show you any account data. Ask your csm admin to set the account owner "
        "(the `csm` column) to your Slack e-mail, or to add you to CSM_SLACK_ADMINS."
    )


def parse_admins(raw: str) -> frozenset[str]:
    """Parse CSM_SLACK_ADMINS: comma-separated user ids or e-mails (e-mails lower-cased)."""
    return frozenset(p.strip().lower() if "@" in p else p.strip() for p in raw.split(",") if p)


class Directory:
    """Maps Slack users to identities, asking Slack once per user and process."""

    def __init__(self, client: WebClient, store: Store, admins: frozenset[str]) -> None:
        """Look users up with `client`, owners in `store`; `admins` from parse_admins."""
        self.client, self.store, self.admins = client, store, admins
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
        identity = self._lookup(user_id)
        with self._lock:
            self._cache[user_id] = identity
        return identity

    def is_admin(self, user_id: str) -> bool:
        """Tell whether `user_id` is an admin (by id, or by the e-mail Slack gives)."""
        return self.identify(user_id).admin

    def _lookup(self, user_id: str) -> Identity:
        from slack_sdk.errors import SlackApiError

        try:
            user = self.client.users_info(user=user_id)["user"]
        except SlackApiError as err:
            log.warning("users.info failed for %s: %s", user_id, err.response.get("error"))
            return Identity(user_id=user_id, admin=user_id in self.admins)
        profile = user.get("profile") or {}
        email = (profile.get("email") or "").strip() or None
        real_name = (user.get("real_name") or profile.get("real_name") or "").strip() or None
        admin = user_id in self.admins or bool(email and email.lower() in self.admins)
        book = None if admin else self._owner(email, real_name)
        return Identity(user_id=user_id, email=email, real_name=real_name, admin=admin, book=book)

    def _owner(self, email: str | None, real_name: str | None) -> str | None:
        """Return the account owner matching the e-mail, else the real name (any case)."""
        owners = self.owners()
        for key in (email, real_name):
            if key and key.strip().lower() in owners:
                return owners[key.strip().lower()]
        return None

    def owners(self) -> dict[str, str]:
        """Return every account owner in the store, lower-cased -> as stored."""
        from memory.models import Account

        with self.store.engine.connect() as conn:
            rows = conn.execute(select(Account.csm).distinct()).scalars().all()
        return {r.strip().lower(): r for r in rows if r and r.strip()}
