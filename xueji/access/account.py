"""The account aggregate: one person, one unit, one role (SEC-1). Pure domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NS = uuid5(NAMESPACE_URL, "xueji:access:account")


class Account(Aggregate):
    @staticmethod
    def create_id(username: str) -> UUID:
        return uuid5(_NS, username)

    @event("Created")
    def __init__(
        self,
        username: str,
        display_name: str,
        unit_code: str,
        unit_name: str,
        level: str,
        role: str,
        password_hash: str,
        must_change_password: bool,
        meta: dict,
        demo: bool = False,
        created_at: datetime | None = None,
    ) -> None:
        """`demo`: loaded from a demo seed, with its published password (SEC-8);
        `created_at`: on the service's clock (SYS-5 counts a never-used account from it)."""
        self.username, self.display_name = username, display_name
        self.unit_code, self.unit_name, self.level, self.role = unit_code, unit_name, level, role
        self.password_hash = password_hash
        self.must_change_password = must_change_password
        self.demo = demo
        self.created_by: str | None = meta.get("account")  # SEC-4: not its own second account
        self.disabled = False
        self.frozen = False
        self.password_changed_at: datetime | None = None
        self.last_login_at: datetime | None = None
        self.created_at = created_at

    @event("PasswordChanged")
    def change_password(self, password_hash: str, at: datetime, meta: dict) -> None:
        self.password_hash, self.password_changed_at = password_hash, at
        self.must_change_password = False

    @event("PasswordReset")
    def reset_password(self, password_hash: str, at: datetime, meta: dict) -> None:
        """SEC-2: reset by a superior unit's sysadmin; the owner must change it at next login."""
        self.password_hash, self.password_changed_at = password_hash, at
        self.must_change_password = True

    @event("LoggedIn")
    def record_login(self, at: datetime) -> None:
        self.last_login_at = at

    @event("Disabled")
    def disable(self, reason: str, at: datetime, meta: dict) -> None:
        """ORG-1, ORG-2: the account's unit was revoked; it can no longer log in."""
        self.disabled = True

    @property
    def is_disabled(self) -> bool:
        return getattr(self, "disabled", False)

    @event("Frozen")
    def freeze(self, reason: str, at: datetime, meta: dict) -> None:
        """SYS-5: sealed (e.g. unused too long) until a superior unit's sysadmin unfreezes it;
        it cannot log in nor confirm an export (SEC-4)."""
        self.frozen = True

    @event("Unfrozen")
    def unfreeze(self, at: datetime, meta: dict) -> None:
        self.frozen = False

    @property
    def is_frozen(self) -> bool:
        return getattr(self, "frozen", False)

    @property
    def facts(self) -> AccountFacts:
        """What the governance rules (`rules.py`) look at; accounts stored before a field
        existed read its default."""
        return AccountFacts(
            level=self.level,
            demo=getattr(self, "demo", False),
            frozen=self.is_frozen,
            disabled=self.is_disabled,
            created_at=getattr(self, "created_at", None) or self.created_on,
            last_login_at=self.last_login_at,
            password_changed_at=self.password_changed_at,
        )

    @event("ExportConfirmed")
    def confirm_export(self, requested_by: str, purpose: str, at: datetime) -> None:
        """SEC-4: this account confirmed another account's export (kept for the audit)."""

    @event("DataExported")
    def record_export(
        self,
        requested_by: str,
        purpose: str,
        filters: dict,
        rows: int,
        at: datetime,
        meta: dict,
        columns: list[str] | None = None,
    ) -> None:
        """SEC-4: an export this account confirmed: who asked, for what, which rows (filters),
        which columns, how many rows left."""

    def view(self) -> dict:
        return {
            "username": self.username,
            "display_name": self.display_name,
            "unit_code": self.unit_code,
            "unit_name": self.unit_name,
            "level": self.level,
            "role": self.role,
            "must_change_password": self.must_change_password,
            "disabled": self.is_disabled,
            "frozen": self.is_frozen,
            "last_login_at": self.last_login_at.isoformat() if self.last_login_at else None,
            "password_changed_at": _iso(self.password_changed_at),
            "created_at": _iso(self.facts.created_at),
        }


@dataclass(frozen=True)
class AccountFacts:
    level: str
    demo: bool
    frozen: bool
    disabled: bool
    created_at: datetime | None
    last_login_at: datetime | None
    password_changed_at: datetime | None


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


class AccountDirectory(Aggregate):
    """Every username of the service, so accounts can be listed without a scan."""

    @staticmethod
    def create_id(service: str) -> UUID:
        return uuid5(_NS, f"directory:{service}")

    @event("Opened")
    def __init__(self, service: str) -> None:
        self.service = service
        self.usernames: list[str] = []
        self.demo_usernames: list[str] = []

    @event("AccountListed")
    def add(self, username: str, demo: bool = False) -> None:
        self.usernames.append(username)
        if demo:
            self.demo_usernames.append(username)
