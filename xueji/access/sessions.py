"""Sessions: one active session per account (SEC-1), online users (SEC-3); the login
throttle is `throttle.py`.

Kept in memory on purpose: a session is not a fact of the record (logins are, and are
stored as `Account.LoggedIn`); a restart of a service logs its users out.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from xueji.access.rules import AccountRules

IDLE_TIMEOUT = timedelta(hours=2)
MAX_REMEMBERED_ENDINGS = 10_000


@dataclass
class Session:
    token: str
    username: str
    unit_code: str
    level: str
    role: str
    started_at: datetime
    last_seen: datetime
    must_change_password: bool = False
    #: SEC-2: the password is older than its maximum age; only the change is allowed.
    password_expired: bool = False

    def view(self) -> dict:
        return {
            "username": self.username,
            "unit_code": self.unit_code,
            "level": self.level,
            "role": self.role,
            "started_at": self.started_at.isoformat(),
            "last_seen": self.last_seen.isoformat(),
        }


class SessionEnded(Exception):
    """The token is unknown, expired, replaced by a newer login or forced offline."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code, self.message = code, message


@dataclass
class SessionRegistry:
    sessions: dict[str, Session] = field(default_factory=dict)  # by token
    _by_user: dict[str, str] = field(default_factory=dict)  # username -> token
    #: Why recent tokens ended, to tell the user (bounded: older ones just read "log in").
    _ended: OrderedDict[str, str] = field(default_factory=OrderedDict)
    #: The absolute session lifetime, however active (setting `session_lifetime_hours`).
    rules: AccountRules = field(default_factory=AccountRules)

    def open(
        self,
        username: str,
        unit_code: str,
        level: str,
        role: str,
        now: datetime,
        must_change_password: bool = False,
    ) -> Session:
        """A new login ends the account's previous session (SEC-1)."""
        previous = self._by_user.get(username)
        if previous is not None:
            self._end(previous, "session_replaced")
        session = Session(
            secrets.token_urlsafe(32),
            username,
            unit_code,
            level,
            role,
            now,
            now,
            must_change_password,
        )
        self.sessions[session.token] = session
        self._by_user[username] = session.token
        return session

    def touch(self, token: str, now: datetime) -> Session:
        session = self.sessions.get(token)
        if session is None:
            why = self._ended.get(token, "not_authenticated")
            raise SessionEnded(why, _MESSAGES[why])
        why = self._over(session, now)
        if why is not None:
            self._end(token, why)
            raise SessionEnded(why, _MESSAGES[why])
        session.last_seen = now
        return session

    def close(self, username: str, why: str = "logged_out") -> bool:
        token = self._by_user.get(username)
        if token is None:
            return False
        self._end(token, why)
        return True

    def online(self, now: datetime) -> list[Session]:
        """SEC-3: the sessions still alive at `now`; those idle past the limit end here, as
        they would at their holder's next request, so no list shows a dead session."""
        over = [(t, why) for t, s in self.sessions.items() if (why := self._over(s, now))]
        for token, why in over:
            self._end(token, why)
        return list(self.sessions.values())

    def _over(self, session: Session, now: datetime) -> str | None:
        """Why the session has ended by itself at `now`: idle too long, or older than the
        absolute lifetime (even if active); None: alive."""
        if now - session.last_seen > IDLE_TIMEOUT:
            return "session_expired"
        if self.rules.session_over(session.started_at, now):
            return "session_lifetime_exceeded"
        return None

    def _end(self, token: str, why: str) -> None:
        session = self.sessions.pop(token, None)
        if session is not None and self._by_user.get(session.username) == token:
            del self._by_user[session.username]
        self._ended[token] = why
        while len(self._ended) > MAX_REMEMBERED_ENDINGS:
            self._ended.popitem(last=False)


_MESSAGES = {
    "not_authenticated": "请先登录",
    "session_replaced": "该账号已在别处登录，本次会话已结束（一个账号只能有一个会话）",
    "session_expired": "长时间未操作，会话已过期，请重新登录",
    "forced_offline": "已被系统管理员强制下线",
    "logged_out": "已退出登录",
    "session_lifetime_exceeded": "本次登录已超过会话最长时限，请重新登录",
    "account_frozen": "该账号已被冻结，请联系上级单位的系统管理员解冻",
}
