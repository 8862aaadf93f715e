"""SEC-2 `[004 Q111]` on the hub: the ministry's sysadmin resets the password of a
province-level account; the province node that holds it is asked over the bus
(`contracts/accounts.py`) and the account must change the password at next login."""

from __future__ import annotations

import asyncio

from contracts import subjects
from contracts.accounts import ProvinceAccountPasswordReset, ResetProvinceAccountPassword
from contracts.errors import Forbidden, NotFound
from contracts.meta import CommandMeta
from xueji.access.passwords import check_new_password, hash_password
from xueji.access.sessions import Session
from xueji.bus import Bus
from xueji.logs import get_logger

log = get_logger("hub.province_accounts")
TIMEOUT_SECONDS = 5.0


class ProvinceAccountResets:
    def __init__(self, bus: Bus, provinces: list[str]) -> None:
        self.bus, self.provinces = bus, list(provinces)

    async def reset(self, session: Session, province: str, username: str, new: str) -> dict:
        if province not in self.provinces:
            raise NotFound(f"省份 {province} 未接入中央平台", field="province")
        check_new_password(new)
        hashed = await asyncio.to_thread(hash_password, new)  # the clear text stays here
        meta = CommandMeta.new(session.username, session.unit_code, session.role)
        command = ResetProvinceAccountPassword(
            envelope=meta.envelope(), province=province, username=username, password_hash=hashed
        )
        subject = subjects.prov_account_password_reset(province)
        reply = await self.bus.ask(subject, command, ProvinceAccountPasswordReset, TIMEOUT_SECONDS)
        if reply.province != province:  # a forged answer is no answer
            raise Forbidden("省级节点的答复与所问省份不符", code="forged_province")
        log.info("province_account_reset", province=province, account=username, by=session.username)
        return reply.model_dump(exclude={"kind", "version"})
