"""SEC-5 on the hub: who sent an RPC is the province in its subject (`xueji.rpc.hub.<p>.…`),
which NATS lets through only for that province's certificate, never what the body says.

A body that names another province, or a unit (actor, school) outside the sender's, is
refused as forged (`forged_province`, 403), before anything is read or stored.
"""

from __future__ import annotations

from collections.abc import Iterable

from nats.aio.msg import Msg

from contracts import subjects
from contracts.errors import Forbidden
from contracts.org import province_of_unit


class ForgedSender(Forbidden):
    code = "forged_province"


def acting_province(msg: Msg) -> str:
    return subjects.province_of_hub_rpc(msg.subject)


def check_sender(
    province: str,
    command: object,
    *,
    provinces: Iterable[str | None] = (),
    units: Iterable[tuple[str, str]] = (),
) -> None:
    """The command's actor, and the `provinces` and `units` (field, unit code) its body
    names, are the sender's; a province left unnamed (None) is the sender's."""
    actor = command.envelope.actor  # type: ignore[attr-defined]
    for named in provinces:
        if named is not None and named != province:
            raise ForgedSender(
                f"消息所称省份（{named}）与发送方证书所属省份（{province}）不符",
                field="province",
            )
    for field, unit in (("envelope.actor.unit_code", actor.unit_code), *units):
        if province_of_unit(unit) != province:
            raise ForgedSender(f"单位 {unit} 不属于发送方证书所属省份（{province}）", field=field)
