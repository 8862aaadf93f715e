"""SEC-4: every export of personal data goes through ONE function, `confirm_personal_export`:
a second account of the same unit confirms with its password, and the export it hands back
(`ConfirmedExport`) is recorded — requester, confirmer, purpose, filters, columns, row count —
in the node's hash-chained log before the file leaves (`xueji audit unit <code> --type
DataExported`, `GET /api/v1/audit?unit=…&type=DataExported`). Mixed into `AccessService`.

The confirming account must be a *second person*: another account of the requester's unit
that the requester did not open itself (a sysadmin opening its own "second account" would
confirm alone), whose first-login password change is done (a password its creator chose
and may still know), not frozen (SYS-5) and not disabled. Those refusals are said only to
whoever gave that account's valid password, like a disabled account's at login.

Every password check is throttled (SEC-8, `throttle.py`): per requester and confirmer, per
confirmer (the counter its logins use, so export guesses and login guesses add up) and per
requester over every confirmer, each with a doubling wait. A refused or ineligible attempt
counts like a wrong password; a throttled attempt checks no password.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from contracts.errors import DomainError, Forbidden, TooManyAttempts, Unauthorized
from xueji.access.passwords import unknown_user_hash, verify_password
from xueji.access.sessions import Session
from xueji.access.throttle import EXPORT_SOURCE
from xueji.logs import get_logger

log = get_logger("xueji.access")

WRONG_CREDENTIALS = "用户名或密码错误"  # never says which of the two was wrong
SECOND_ACCOUNT_REQUIRED = "导出须由本单位的另一个账号确认"


def throttle_source(requester: str) -> str:
    """The throttle's "source" of an export confirmation: the requesting account, so its
    guesses slow itself down, not the confirmer's logins from elsewhere."""
    return f"{EXPORT_SOURCE}{requester}"


@dataclass
class ConfirmedExport:
    """An export its second account allowed (only `confirm_personal_export` makes one). The
    service that builds the file calls `record` once, with what it put in, before handing
    the file out; nothing leaves unrecorded."""

    service: ExportConfirmations
    requester: Session
    confirmer: str
    filters: dict
    purpose: str = "导出"
    recorded: dict | None = field(default=None)

    async def record(self, columns: Sequence[str], rows: int, purpose: str | None = None) -> None:
        """SEC-4: stores the export (an event of the confirming account, with the requester's
        meta) — refused (409) if this confirmation was already used for a file."""
        if self.recorded is not None:
            raise DomainError("该次导出确认已使用，请重新确认", code="export_confirmation_used")
        what = purpose or self.purpose
        self.recorded = {"purpose": what, "columns": list(columns), "rows": rows}
        await self.service._store_export(self, what, list(columns), rows)


class ExportConfirmations:
    """Uses the `AccessService` it is mixed into: its clock, writer, throttle and store."""

    async def confirm_personal_export(
        self,
        session: Session,
        confirmer: str,
        password: str,
        filters: dict | None = None,
        purpose: str = "导出",
    ) -> ConfirmedExport:
        """SEC-4, the one gate of every export of personal data (API routes through the
        `PersonalExport` dependency, console pages with the dialog's fields)."""
        await self._check_confirmer(session, confirmer, password)
        asked = {k: v for k, v in (filters or {}).items() if v not in (None, "", [], ())}
        return ConfirmedExport(self, session, confirmer, asked, purpose)

    async def _check_confirmer(self, session: Session, confirmer: str, password: str) -> None:
        now, source = self.clock.now(), throttle_source(session.username)
        self._refuse_if_export_throttled(confirmer, source, now)
        account = await self.writer(self._account, confirmer)
        same_unit = (
            account is not None
            and confirmer != session.username
            and account.unit_code == session.unit_code
        )
        stored = account.password_hash if same_unit else unknown_user_hash()
        valid = await asyncio.to_thread(verify_password, stored, password)  # the same cost
        if not same_unit:
            self.throttle.failed(confirmer, source, now)
            raise Forbidden(SECOND_ACCOUNT_REQUIRED, code="second_account_required")
        if not valid:
            self.throttle.failed(confirmer, source, now)
            log.warning("export_confirmation_failed", account=confirmer, by=session.username)
            raise Unauthorized(WRONG_CREDENTIALS, code="invalid_credentials", field="password")
        refusal = _not_a_second_person(account, session.username)
        if refusal is not None:  # said only to whoever knows the confirmer's password
            self.throttle.failed(confirmer, source, now)
            code, message = refusal
            log.warning("export_confirmation_refused", account=confirmer, code=code)
            raise Forbidden(message, code=code)
        self.throttle.succeeded(confirmer, source)

    def _refuse_if_export_throttled(self, confirmer: str, source: str, now: datetime) -> None:
        seconds = self.throttle.retry_after(confirmer, source, now)
        if seconds:
            refused = TooManyAttempts(
                f"导出确认的密码错误次数过多，请{seconds}秒后再试",
                code="export_confirmation_throttled",
            )
            refused.retry_after = seconds  # a field of the problem body
            raise refused

    async def confirm_export(
        self, session: Session, confirmer: str, password: str, purpose: str
    ) -> dict:
        """SEC-4: a confirmation on its own (`POST /auth/export-confirmations`), recorded."""
        await self._check_confirmer(session, confirmer, password)
        await self.writer(self._record_confirmation, confirmer, session.username, purpose)
        return {"confirmed_by": confirmer, "requested_by": session.username, "purpose": purpose}

    def _record_confirmation(self, confirmer: str, requester: str, purpose: str) -> None:
        account = self._account(confirmer)
        account.confirm_export(requested_by=requester, purpose=purpose, at=self.clock.now())
        self.app.save(account)

    async def _store_export(
        self, export: ConfirmedExport, purpose: str, columns: list[str], rows: int
    ) -> None:
        requester = export.requester
        meta = {"account": requester.username, "unit_code": requester.unit_code,
                "role": requester.role}  # fmt: skip
        await self.writer(
            self._record_export, export.confirmer, purpose, export.filters, columns, rows, meta
        )
        log.info("data_exported", account=requester.username, confirmer=export.confirmer,
                 rows=rows)  # fmt: skip

    def _record_export(self, confirmer: str, purpose: str, filters: dict, columns: list[str],
                       rows: int, meta: dict) -> None:  # fmt: skip
        account = self._account(confirmer)
        account.record_export(
            requested_by=meta["account"],
            purpose=purpose,
            filters=filters,
            rows=rows,
            at=self.clock.now(),
            meta=meta,
            columns=columns,
        )
        self.app.save(account)


def _not_a_second_person(account, requester: str) -> tuple[str, str] | None:
    """Why a same-unit account with a valid password still may not confirm (code, message)."""
    if account.created_by == requester:
        return "confirmer_created_by_requester", "确认账号由导出人本人开设，须由本单位另一人确认"
    if account.must_change_password:
        return "confirmer_password_change_pending", "确认账号尚未修改初始密码，不能确认导出"
    if account.is_frozen:
        return "confirmer_frozen", "确认账号已冻结，不能确认导出"
    if account.is_disabled:
        return "confirmer_disabled", "确认账号已停用，不能确认导出"
    return None
