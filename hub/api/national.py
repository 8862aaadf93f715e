"""National student query 全国学籍查询 (QRY-4, first form: the identity index)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from contracts.meta import CommandMeta
from hub.api.deps import Runtime
from xueji.access import reads
from xueji.access.api import CurrentUser

router = APIRouter(prefix="/api/v1/national", tags=["national"])


@router.get("/students")
async def national_students(
    runtime: Runtime,
    user: CurrentUser,
    name: Annotated[str, Query(min_length=1, max_length=50)],
    id_number: Annotated[str | None, Query(max_length=18)] = None,
    student_number: Annotated[str | None, Query(max_length=19)] = None,
) -> dict:
    """QRY-4: name plus ID number or national student number; 404 when nothing matches both;
    429 past the account's limit (`hub/national_query.py`)."""
    asked = {"name": name, "id_number": id_number, "student_number": student_number}
    await runtime.access.record_read(user, reads.NATIONAL, student_number, asked)
    meta = CommandMeta.new(user.username, user.unit_code, user.role)
    found = await runtime.national.query(
        f"hub:{user.username}", name, id_number, student_number, meta
    )
    return found.model_dump()


@router.get("/chain-heads")
async def chain_heads(runtime: Runtime, user: CurrentUser) -> dict:
    """AUD-4: per province, the latest (notification id, chain hash) the hub has applied;
    `xueji verify-log --url <node store> --hub-head <id>:<hash>` checks a node against it."""
    heads = await runtime.identities.chain_heads()
    items = []
    for stream, head in sorted(heads.items()):
        fields = {k: v for k, v in head.items() if k != "stream"}
        items.append({"province": stream.removeprefix("prov_"), **fields})
    return {"items": items}
