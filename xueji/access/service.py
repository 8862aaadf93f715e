"""Login, passwords, sessions, online users, inactive accounts, export confirmation."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Protocol

from eventsourcing.application import AggregateNotFoundError, Application

from contracts.codes import MINISTRY_UNIT
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
from xueji.access.rules import AccountRules
from xueji.access.sessions import Session, SessionEnded, SessionRegistry
from xueji.access.throttle import LoginThrottle
from xueji.logs import get_logger
from xueji.store import Writer

log = get_logger("xueji.access")
FROZEN = "该账号已冻结，请联系上级单位的系统管理员解冻"
#: The throttle's source when the caller's address is not known.
UNKNOWN_SOURCE = "unknown"


class Clock(Protocol):
    def now(self) -> datetime: ...


class AccessService(ExportConfirmations, ReadAudit):
    def __init__(
        self,
        app: Application,
        writer: Writer,
        jurisdiction: Jurisdiction,
        clock: Clock,
        rules: AccountRules | None = None,
    ) -> None:
        self.app, self.writer, self.jurisdiction, self.clock = app, writer, jurisdiction, clock
        self.policy = AccessPolicy(jurisdiction)  # who sees which unit, for every entry point
        self.rules = rules or AccountRules()  # SEC-2, SYS-5: expiry, sealing, session lifetime
        self.sessions = SessionRegistry(rules=self.rules)
        self.throttle = LoginThrottle()
        unknown_user_hash()  # made now, so the first unknown username costs no extra hash

    # --- store (called on the writer thread) ------------------------------------------------

    def load_accounts(self, seeds: list[dict], demo: bool = False) -> int:
        """Creates the accounts not yet known (a seed at start, a new account); returns how
        many. `demo`: they come from the demo seed, with its published password (SEC-8)."""
        return load_accounts(self.app, seeds, demo, self.clock.now())

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
            raise Forbidden(FROZEN, code="account_frozen")
        await self.writer(self._record_login, username, now)
        expired = self.rules.password_expired(account.facts, now)  # SEC-2: change it first
        session = self.sessions.open(
            username,
            account.unit_code,
            account.level,
            account.role,
            now,
            account.must_change_password or expired,
        )
        session.password_expired = expired
        log.info("login_succeeded", account=username, unit=account.unit_code, expired=expired)
        return {
            "access_token": session.token,
            "token_type": "bearer",
            "must_change_password": session.must_change_password,
            "unit_code": account.unit_code,
            "level": account.level,
            "role": account.role,
            "password_changed_at": _iso(account.password_changed_at),
            "password_expired": expired,
            "password_days_left": self.rules.password_days_left(account.facts, now),
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
        session.must_change_password = session.password_expired = False
        log.info("password_changed", account=session.username)

    async def reset_password(self, session: Session, username: str, new: str) -> None:
        """SEC-2: only a sysadmin of a superior unit resets a forgotten password."""
        account = await self._account_in_sight(session, username)
        self.policy.ensure_superior(session, account.unit_code, "重置密码")
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

    async def freeze(self, session: Session, username: str, reason: str) -> dict:
        """SYS-5: a superior unit's sysadmin freezes an account of its jurisdiction; the
        account's session ends at once. Freezing a frozen account changes nothing."""
        account = await self._account_in_sight(session, username)
        self.policy.ensure_superior(session, account.unit_code, "冻结账号")
        meta = {"account": session.username, "unit_code": session.unit_code}
        await self.writer(self.freeze_account, username, reason, meta)
        self.sessions.close(username, "account_frozen")
        log.info("account_frozen", account=username, by=session.username)
        return (await self.writer(self._account, username)).view()

    async def unfreeze(self, session: Session, username: str) -> dict:
        """SYS-5: only a superior unit's sysadmin unfreezes (never the account itself)."""
        account = await self._account_in_sight(session, username)
        self.policy.ensure_superior(session, account.unit_code, "解冻账号")
        meta = {"account": session.username, "unit_code": session.unit_code}
        await self.writer(self.unfreeze_account, username, meta)
        log.info("account_unfrozen", account=username, by=session.username)
        return (await self.writer(self._account, username)).view()

    async def freeze_unused(self, meta: dict) -> list[str]:
        """SYS-5, the periodic sweep: every account unused longer than the period is frozen
        (`AccountRules.should_freeze`: never the ministry's nor a demo account); the
        usernames frozen."""
        frozen = await self.writer(self._freeze_unused, meta)
        for username in frozen:
            self.sessions.close(username, "account_frozen")
        if frozen:
            log.info("unused_accounts_frozen", count=len(frozen), days=self.rules.unused_days)
        return frozen

    def _freeze_unused(self, meta: dict) -> list[str]:
        now, days = self.clock.now(), self.rules.unused_days
        due = [a for a in self._accounts() if self.rules.should_freeze(a.facts, now)]
        for account in due:
            account.freeze(reason=f"超过{days}天未登录，系统自动冻结", at=now, meta=meta)
        if due:
            self.app.save(*due)
        return [a.username for a in due]

    def freeze_account(self, username: str, reason: str, meta: dict) -> None:
        """SYS-5 (on the writer thread): the account is sealed — no login, no SEC-4
        confirmation — until `unfreeze_account`; its session ends with `end_sessions`."""
        account = self._account(username)
        if account is None:
            raise NotFound(f"账号 {username} 不存在", field="username")
        if not account.is_frozen:
            account.freeze(reason=reason, at=self.clock.now(), meta=meta)
            self.app.save(account)

    def unfreeze_account(self, username: str, meta: dict) -> None:
        account = self._account(username)
        if account is None:
            raise NotFound(f"账号 {username} 不存在", field="username")
        if account.is_frozen:
            account.unfreeze(at=self.clock.now(), meta=meta)
            self.app.save(account)

    async def reset_province_account(
        self, username: str, password_hash: str, meta: dict, asked_for: str, province: str
    ) -> dict:
        """SEC-2 `[004 Q111]` on a node: the ministry (its request came from the hub over
        the bus) resets the password of an account of the province level itself — never a
        city's, county's or school's, whose superior is in the province; its owner must
        change it at next login and its session ends. `asked_for`: the province the request
        names, which must be this node's (`province`)."""
        if asked_for != province or meta.get("unit_code") != MINISTRY_UNIT:
            raise Forbidden("省级账号的密码只能由教育部为本省重置", code="forged_province")
        account = await self.writer(self._account, username)
        if account is None or account.level != "province":
            raise NotFound(
                f"省级账号 {username} 不存在（教育部只能重置省级单位的账号）", field="username"
            )
        await self.writer(self._store_reset, username, password_hash, meta)
        self.sessions.close(username, "forced_offline")
        log.info("password_reset_by_ministry", account=username, by=meta.get("account"))
        return (await self.writer(self._account, username)).view()

    def _store_reset(self, username: str, hashed: str, meta: dict) -> None:
        account = self._account(username)
        account.reset_password(password_hash=hashed, at=self.clock.now(), meta=meta)
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

    async def accounts(self, session: Session, page: int = 1, page_size: int = 20) -> dict:
        """SYS-5: every account of the caller's jurisdiction with its last login, whether it
        is frozen, and its password's age; a page of them, by unit and username."""
        now = self.clock.now()
        accounts = await self.writer(self._accounts)
        found = sorted(
            (a for a in accounts if self.policy.sees(session, a.unit_code)),
            key=lambda a: (a.unit_code, a.username),
        )
        start = (page - 1) * page_size
        items = [self._listed(session, a, now) for a in found[start : start + page_size]]
        return {"items": items, "total": len(found), "page": page, "page_size": page_size}

    def _listed(self, session: Session, account: Account, now: datetime) -> dict:
        facts = account.facts
        return account.view() | {
            "password_age_days": self.rules.password_age_days(facts, now),
            "password_days_left": self.rules.password_days_left(facts, now),
            "password_expired": self.rules.password_expired(facts, now),
            # the caller may freeze or unfreeze it (a superior unit's sysadmin)
            "governed": self.policy.is_superior(session, account.unit_code),
        }

    async def _account_in_sight(self, session: Session, username: str) -> Account:
        account = await self.writer(self._account, username)
        if account is None:
            raise NotFound(f"账号 {username} 不存在", field="username")
        return account


def load_accounts(
    app: Application, seeds: list[dict], demo: bool = False, at: datetime | None = None
) -> int:
    """`AccessService.load_accounts` on an application (the service's, or the CLI's); `at`:
    the creation time on the service's clock."""
    directory = account_directory(app)
    new = [
        Account(**seed, demo=demo, created_at=at)
        for seed in seeds
        if seed["username"] not in directory.usernames
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
