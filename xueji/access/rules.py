"""Account governance rules (SEC-2, SYS-5), pure: no store, no clock of their own.

- an account not used (no login) for `unused_days` is frozen by the periodic sweep until a
  superior unit's sysadmin unfreezes it (the 2.0 system's sealing); a never-logged-in account
  counts from its creation; the ministry's accounts and the demo accounts are never swept;
- a password older than `password_max_age_days` has expired: the login says so, and nothing
  but the password change is allowed until it is changed (as after a reset); the age counts
  from the last change, or the account's creation; demo accounts (published password, never
  in production, SEC-8) do not expire, so tests can move the clock by years;
- a session ends `session_lifetime_hours` after its login, however active (besides the idle
  limit of `sessions.py`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

NEVER_SWEPT_LEVELS = frozenset({"ministry"})


class AccountFacts(Protocol):
    level: str
    demo: bool
    frozen: bool
    disabled: bool
    created_at: datetime | None
    last_login_at: datetime | None
    password_changed_at: datetime | None


class GovernanceSettings(Protocol):
    account_unused_days: int
    password_max_age_days: int
    session_lifetime_hours: float


@dataclass(frozen=True)
class AccountRules:
    unused_days: int = 90
    password_max_age_days: int = 180
    session_lifetime_hours: float = 12.0

    @classmethod
    def from_settings(cls, settings: GovernanceSettings) -> AccountRules:
        return cls(
            settings.account_unused_days,
            settings.password_max_age_days,
            settings.session_lifetime_hours,
        )

    @property
    def session_lifetime(self) -> timedelta:
        return timedelta(hours=self.session_lifetime_hours)

    # --- SYS-5: sealing of long-unused accounts ---------------------------------------------

    def last_used(self, account: AccountFacts) -> datetime | None:
        """The last login, or (never logged in) the creation."""
        return account.last_login_at or account.created_at

    def is_swept(self, account: AccountFacts) -> bool:
        """Whether the sweep looks at the account at all: never the ministry's, a demo
        account, or one already frozen or disabled."""
        return not (
            account.level in NEVER_SWEPT_LEVELS
            or account.demo
            or account.frozen
            or account.disabled
        )

    def should_freeze(self, account: AccountFacts, now: datetime) -> bool:
        """SYS-5: unused for longer than the period (and the sweep looks at it)."""
        used = self.last_used(account)
        return (
            self.is_swept(account)
            and used is not None
            and now - used > timedelta(days=self.unused_days)
        )

    # --- SEC-2: password expiry -------------------------------------------------------------

    def password_set_at(self, account: AccountFacts) -> datetime | None:
        return account.password_changed_at or account.created_at

    def password_days_left(self, account: AccountFacts, now: datetime) -> int | None:
        """Whole days until the password expires (0 or less: expired); None: it never does
        (a demo account, or an account with no known date)."""
        set_at = self.password_set_at(account)
        if account.demo or set_at is None:
            return None
        left = set_at + timedelta(days=self.password_max_age_days) - now
        return math.ceil(left / timedelta(days=1)) if left > timedelta(0) else 0

    def password_expired(self, account: AccountFacts, now: datetime) -> bool:
        left = self.password_days_left(account, now)
        return left is not None and left <= 0

    def password_age_days(self, account: AccountFacts, now: datetime) -> int | None:
        set_at = self.password_set_at(account)
        return None if set_at is None else max((now - set_at).days, 0)

    # --- absolute session lifetime ----------------------------------------------------------

    def session_over(self, started_at: datetime, now: datetime) -> bool:
        return now - started_at > self.session_lifetime
