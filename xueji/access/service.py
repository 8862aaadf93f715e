"""Login, passwords, sessions, online users, inactive accounts, export confirmation."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Protocol

from eventsourcing.application import AggregateNotFoundError, Application

from contracts.errors import DomainError, Forbidden, NotFound, TooManyAttempts, Unauthorized
from xueji.access.account import Account, AccountDirectory
from xueji.access.exports import WRONG_CREDENTIALS, ExportConfirmations
from xueji.access.passwords import (
    check_new_password,
    hash_password,
    one_time_password,
    unknown_user_hash,
    verify_password,
)
from xueji.access.policy import AccessPolicy, Jurisdiction
from xueji.access.reads import ReadAudit
from xueji.access.sessions import Session, SessionEnded, SessionRegistry
from xueji.access.throttle import LoginThrottle
from xueji.logs import get_logger
from xueji.store import Writer

log = get_logger("xueji.access")
#: The throttle's source when the caller's address is not known.
UNKNOWN_SOURCE = "unknown"


class Clock(Protocol):
    def now(self) -> datetime: ...


class AccessService(ExportConfirmations, ReadAudit):
    def __init__(
        self, app: Application, writer: Writer, jurisdiction: Jurisdiction, clock: Clock
    ) -> None:
        self.app, self.writer, self.jurisdiction, self.clock = app, writer, jurisdiction, clock
        self.policy = AccessPolicy(jurisdiction)  # who sees which unit, for every entry point
        self.sessions = SessionRegistry()
        self.throttle = LoginThrottle()
        unknown_user_hash()  # made now, so the first unknown username costs no extra hash

    # --- store (called on the writer thread) ------------------------------------------------

    def load_accounts(self, seeds: list[dict], demo: bool = False) -> int:
        """Creates the accounts not yet known (a seed at start, a new account); returns how
        many. `demo`: they come from the demo seed, with its published password (SEC-8)."""
        return load_accounts(self.app, seeds, demo)

    def _directory(self) -> AccountDirectory:
        return account_directory(self.app)

    def _account(self, username: str) -> Account | None:
        try:
            return self.app.repository.get(Account.create_id(username))
        except AggregateNotFoundError:
            return None

    def _accounts(self) -> list[Account]:
        return [self.app.repository.get(Account.create_id(u)) for u in self._directory().usernames]

    # --- use cases ---------------------------------------------------------------------------

    async def login(self, username: str, password: str, source: str = UNKNOWN_SOURCE) -> dict:
        """`source`: the caller's address, for the throttle (SEC-8). An unknown username
        costs the same argon2 verification as a wrong password (no existence oracle)."""
        now = self.clock.now()
        self._refuse_if_throttled(username, source, now)
        account = await self.writer(self._account, username)
        stored = account.password_hash if account is not None else unknown_user_hash()
        valid = await asyncio.to_thread(verify_password, stored, password)
        if account is None or not valid:
            self.throttle.failed(username, source, now)
            log.warning("login_failed", account=username, source=source)
            raise Unauthorized(WRONG_CREDENTIALS, code="invalid_credentials")
        self.throttle.succeeded(username, source)
        if account.is_disabled:  # said only to whoever knows the password
            raise Forbidden("该账号所属单位已撤销，账号已停用", code="account_disabled")
        if account.is_frozen:
            raise Forbidden("该账号已冻结，请联系上级单位的系统管理员解冻", code="account_frozen")
        await self.writer(self._record_login, username, now)
        session = self.sessions.open(
            username,
            account.unit_code,
            account.level,
            account.role,
            now,
            account.must_change_password,
        )
        log.info("login_succeeded", account=username, unit=account.unit_code)
        return {
            "access_token": session.token,
            "token_type": "bearer",
            "must_change_password": account.must_change_password,
            "unit_code": account.unit_code,
            "level": account.level,
            "role": account.role,
            "password_changed_at": _iso(account.password_changed_at),
        }

    def _refuse_if_throttled(self, username: str, source: str, now: datetime) -> None:
        """SEC-8: too many wrong passwords for this account or from this source: wait (the
        password is not checked); never a lock its owner cannot outwait (`throttle.py`)."""
        seconds = self.throttle.retry_after(username, source, now)
        if seconds:
            refused = TooManyAttempts(
                f"密码错误次数过多，请{seconds}秒后再试", code="login_throttled"
            )
            refused.retry_after = seconds  # a field of the problem body
            raise refused

    def _record_login(self, username: str, at: datetime) -> None:
        account = self._account(username)
        account.record_login(at=at)
        self.app.save(account)

    async def authenticate(self, token: str) -> Session:
        try:
            return self.sessions.touch(token, self.clock.now())
        except SessionEnded as ended:
            raise Unauthorized(ended.message, code=ended.code) from None

    async def create_account(
        self,
        session: Session,
        username: str,
        display_name: str,
        unit_code: str,
        role: str,
        password: str,
    ) -> dict:
        """A sysadmin opens an account in its jurisdiction; its owner must change the password
        at first login (SEC-2)."""
        unit = self.jurisdiction.unit(unit_code)
        if not self.policy.sees(session, unit_code):
            raise Forbidden("只能为本单位及下级单位开设账号", code="outside_jurisdiction")
        check_new_password(password)
        hashed = await asyncio.to_thread(hash_password, password)
        seed = {
            "username": username,
            "display_name": display_name,
            "unit_code": unit_code,
            "unit_name": unit.name,
            "level": unit.level.value,
            "role": role,
            "password_hash": hashed,
            "must_change_password": True,
            "meta": {"account": session.username, "unit_code": session.unit_code},
        }
        if await self.writer(self.load_accounts, [seed]) == 0:
            raise DomainError(
                f"用户名 {username} 已被使用", code="username_taken", field="username"
            )
        log.info("account_created", account=username, by=session.username)
        return (await self.writer(self._account, username)).view()

    async def change_password(self, session: Session, old: str, new: str) -> None:
        account = await self.writer(self._account, session.username)
        if not await asyncio.to_thread(verify_password, account.password_hash, old):
            raise Unauthorized("原密码不正确", code="invalid_credentials", field="old_password")
        check_new_password(new, old)
        hashed = await asyncio.to_thread(hash_password, new)
        await self.writer(self._save_password, session.username, hashed, session, False)
        session.must_change_password = False
        log.info("password_changed", account=session.username)

    async def reset_password(self, session: Session, username: str, new: str) -> None:
        """SEC-2: only a sysadmin of a superior unit resets a forgotten password."""
        account = await self._account_in_sight(session, username)
        if account.unit_code == session.unit_code or not self.policy.sees(
            session, account.unit_code
        ):
            raise Forbidden("只能由上级单位的系统管理员重置密码", code="outside_jurisdiction")
        check_new_password(new)
        hashed = await asyncio.to_thread(hash_password, new)
        await self.writer(self._save_password, username, hashed, session, True)
        self.sessions.close(username, "forced_offline")

    def _save_password(self, username: str, hashed: str, session: Session, reset: bool) -> None:
        account, at = self._account(username), self.clock.now()
        meta = {"account": session.username, "unit_code": session.unit_code}
        if reset:
            account.reset_password(password_hash=hashed, at=at, meta=meta)
        else:
            account.change_password(password_hash=hashed, at=at, meta=meta)
        self.app.save(account)

    def freeze_account(self, username: str, reason: str, meta: dict) -> None:
        """SYS-5 (on the writer thread): the account is sealed — no login, no SEC-4
        confirmation — until `unfreeze_account`; its session ends with `end_sessions`."""
        account = self._account(username)
        if account is None:
            raise NotFound(f"账号 {username} 不存在", field="username")
        account.freeze(reason=reason, at=self.clock.now(), meta=meta)
        self.app.save(account)

    def unfreeze_account(self, username: str, meta: dict) -> None:
        account = self._account(username)
        if account is None:
            raise NotFound(f"账号 {username} 不存在", field="username")
        account.unfreeze(at=self.clock.now(), meta=meta)
        self.app.save(account)

    def disable_unit_accounts(self, unit_code: str, reason: str, meta: dict) -> list[str]:
        """ORG-1, ORG-2 (on the writer thread): every account of a revoked unit is disabled;
        the usernames. Their sessions end with `end_sessions`."""
        disabled = []
        for account in self._accounts():
            if account.unit_code == unit_code and not account.is_disabled:
                account.disable(reason=reason, at=self.clock.now(), meta=meta)
                disabled.append(account)
        if disabled:
            self.app.save(*disabled)
        return [a.username for a in disabled]

    def end_sessions(self, usernames: list[str]) -> None:
        for username in usernames:
            self.sessions.close(username, "forced_offline")

    def online_users(self, session: Session) -> list[dict]:
        """SEC-3: the online users of the caller's jurisdiction."""
        return [
            s.view()
            for s in self.sessions.online(self.clock.now())
            if self.policy.sees(session, s.unit_code)
        ]

    def force_offline(self, session: Session, username: str | None) -> int:
        """SEC-3: one user, or (username None) everyone of the jurisdiction but the caller."""
        targets = [
            s
            for s in self.sessions.online(self.clock.now())
            if self.policy.sees(session, s.unit_code)
            and s.username != session.username
            and (username is None or s.username == username)
        ]
        if username is not None and not targets:
            raise NotFound(f"{username} 不在线或不在本单位管辖范围内", field="username")
        for target in targets:
            self.sessions.close(target.username, "forced_offline")
        return len(targets)

    async def inactive_accounts(self, session: Session, days: int) -> list[dict]:
        """SYS-5: school and county accounts of the jurisdiction not logged in for `days`."""
        since = self.clock.now() - timedelta(days=days)
        accounts = await self.writer(self._accounts)
        return [
            a.view()
            for a in accounts
            if a.level in ("school", "county")
            and self.policy.sees(session, a.unit_code)
            and (a.last_login_at is None or a.last_login_at < since)
        ]

    async def _account_in_sight(self, session: Session, username: str) -> Account:
        account = await self.writer(self._account, username)
        if account is None:
            raise NotFound(f"账号 {username} 不存在", field="username")
        return account


def load_accounts(app: Application, seeds: list[dict], demo: bool = False) -> int:
    """`AccessService.load_accounts` on an application (the service's, or the CLI's)."""
    directory = account_directory(app)
    new = [
        Account(**seed, demo=demo) for seed in seeds if seed["username"] not in directory.usernames
    ]
    for account in new:
        directory.add(account.username, demo=demo)
    if new:
        app.save(directory, *new)
    return len(new)


def create_first_sysadmin(
    app: Application, unit: tuple[str, str, str], username: str, display_name: str, meta: dict
) -> str:
    """SEC-2, SEC-8: the first account of a fresh deployment — a sysadmin of `unit` (code,
    name, level) — with a random one-time password, returned once and never stored in the
    clear; its owner must change it at first login. Refused once the store has any account
    (further ones are opened by a sysadmin, `create_account`)."""
    present = account_directory(app).usernames
    if present:
        raise DomainError(
            f"该部署已有 {len(present)} 个账号（如 {present[0]}），首个系统管理员只能在全新部署上"
            "创建；其余账号由系统管理员在控制台开设，遗忘的密码由上级单位的系统管理员重置",
            code="accounts_present",
        )
    password = one_time_password()
    code, name, level = unit
    seed = {
        "username": username,
        "display_name": display_name,
        "unit_code": code,
        "unit_name": name,
        "level": level,
        "role": "sysadmin",
        "password_hash": hash_password(password),
        "must_change_password": True,
        "meta": meta,
    }
    load_accounts(app, [seed])
    log.info("first_sysadmin_created", account=username, unit=code)
    return password


def account_directory(app: Application) -> AccountDirectory:
    """The service's directory of accounts (a new, unsaved one in a fresh store)."""
    try:
        return app.repository.get(AccountDirectory.create_id(app.name))
    except AggregateNotFoundError:
        return AccountDirectory(service=app.name)


def demo_usernames(app: Application) -> list[str]:
    """SEC-8: the accounts a demo seed loaded into this store (their password is published)."""
    return list(getattr(account_directory(app), "demo_usernames", []))


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None
