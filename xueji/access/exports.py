"""SEC-4: exports of personal data are confirmed by a second account of the same unit, with
its password (throttled like a login, SEC-8), and each export is recorded with what was asked and
how many rows left. Mixed into `AccessService`."""

from __future__ import annotations

import asyncio

from contracts.errors import Forbidden, Unauthorized
from xueji.access.passwords import unknown_user_hash, verify_password
from xueji.access.sessions import Session
from xueji.logs import get_logger

log = get_logger("xueji.access")

WRONG_CREDENTIALS = "用户名或密码错误"  # never says which of the two was wrong


class ExportConfirmations:
    """Uses the `AccessService` it is mixed into: its clock, writer, login throttle, store."""

    async def check_export_confirmer(self, session: Session, confirmer: str, password: str) -> None:
        """SEC-4: a second account of the same unit, with its password. Its wrong passwords
        count against it exactly like wrong logins (the same throttle, SEC-8), the requester
        standing for the source: its guesses slow itself down, not the confirmer's logins."""
        now, source = self.clock.now(), f"account:{session.username}"
        self._refuse_if_throttled(confirmer, source, now)
        account = await self.writer(self._account, confirmer)
        eligible = (
            account is not None
            and confirmer != session.username
            and account.unit_code == session.unit_code
        )
        stored = account.password_hash if eligible else unknown_user_hash()
        valid = await asyncio.to_thread(verify_password, stored, password)  # the same cost
        if not eligible:
            raise Forbidden("导出须由本单位的另一个账号确认", code="second_account_required")
        if not valid:
            self.throttle.failed(confirmer, source, now)
            log.warning("export_confirmation_failed", account=confirmer, by=session.username)
            raise Unauthorized(WRONG_CREDENTIALS, code="invalid_credentials", field="password")
        self.throttle.succeeded(confirmer, source)

    async def confirm_export(
        self, session: Session, confirmer: str, password: str, purpose: str
    ) -> dict:
        """SEC-4: a confirmation on its own (the export itself is recorded by `record_export`)."""
        await self.check_export_confirmer(session, confirmer, password)
        await self.writer(self._record_confirmation, confirmer, session.username, purpose)
        return {"confirmed_by": confirmer, "requested_by": session.username, "purpose": purpose}

    def _record_confirmation(self, confirmer: str, requester: str, purpose: str) -> None:
        account = self._account(confirmer)
        account.confirm_export(requested_by=requester, purpose=purpose, at=self.clock.now())
        self.app.save(account)

    async def record_export(
        self, session: Session, confirmer: str, purpose: str, filters: dict, rows: int
    ) -> None:
        """SEC-4: an export of personal data that `confirmer` confirmed, with what was asked
        (`filters`) and how many rows left; stored before the file is handed out."""
        meta = {"account": session.username, "unit_code": session.unit_code, "role": session.role}
        await self.writer(self._record_export, confirmer, purpose, filters, rows, meta)
        log.info("data_exported", account=session.username, confirmer=confirmer, rows=rows)

    def _record_export(
        self, confirmer: str, purpose: str, filters: dict, rows: int, meta: dict
    ) -> None:
        account = self._account(confirmer)
        account.record_export(
            requested_by=meta["account"],
            purpose=purpose,
            filters=filters,
            rows=rows,
            at=self.clock.now(),
            meta=meta,
        )
        self.app.save(account)
