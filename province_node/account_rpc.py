"""SEC-2 `[004 Q111]` over the bus: the node answers the hub's `ResetProvinceAccountPassword`
(the ministry resets an account of the province level itself). Only the hub may publish on
this node's `xueji.rpc.prov.<p>.>` subjects and only this node receives them (SEC-5)."""

from __future__ import annotations

from nats.aio.client import Client
from nats.aio.msg import Msg

from contracts import subjects
from contracts.accounts import ProvinceAccountPasswordReset, ResetProvinceAccountPassword
from contracts.envelope import decode
from contracts.meta import CommandMeta
from xueji.access.service import AccessService
from xueji.bus import serve


async def serve_account_resets(nc: Client, access: AccessService, province: str) -> None:
    async def handle(msg: Msg) -> ProvinceAccountPasswordReset:
        command = decode(ResetProvinceAccountPassword, msg.data)
        meta = CommandMeta.from_envelope(command.envelope).as_dict()
        account = await access.reset_province_account(
            command.username, command.password_hash, meta, command.province, province
        )
        return ProvinceAccountPasswordReset(
            province=province,
            username=account["username"],
            unit_code=account["unit_code"],
            unit_name=account["unit_name"],
            must_change_password=account["must_change_password"],
        )

    subject = subjects.prov_account_password_reset(province)
    await serve(nc, subject, subjects.province_queue(province), handle)
