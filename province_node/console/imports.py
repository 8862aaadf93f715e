"""学籍注册导入 pages (REG-4): Excel templates, upload, progress of the file record, problems."""

from __future__ import annotations

import functools
from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response

from contracts.errors import ContractError
from contracts.ids import IdGroup
from province_node.excel.templates import build_template
from xueji.access.guards import Policy, SchoolRegistrar
from xueji.console.kit import ConsoleRoute, User, console_of, meta_of
from xueji.console.labels import ENTRIES
from xueji.http import attachment

router = APIRouter(prefix="/registration", route_class=ConsoleRoute, include_in_schema=False)

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 10 * 2**20


@router.get("/template/{id_group}")
async def template(id_group: str, user: User, entry: str = "primary") -> Response:
    """REG-4: the Excel template of a document-type group, with drop-down lists."""
    if id_group not in ("resident", "hmt_foreign") or entry not in ENTRIES:
        raise ContractError("id_group", "bad_template", "没有该模板")
    name = f"学籍注册模板_{IdGroup(id_group).value}_{entry}.xlsx"
    return attachment(build_template(IdGroup(id_group), entry), name, XLSX)


@router.get("/import")
async def import_form(request: Request, user: SchoolRegistrar) -> Response:
    return console_of(request).page(
        request,
        "registration_import.html",
        title="学籍注册导入",
        errors={},
        entries=list(ENTRIES.items()),
    )


@router.post("/import")
async def upload(
    request: Request,
    user: SchoolRegistrar,
    file: UploadFile | None = None,
    entry: Annotated[str, Form()] = "non_primary",
    id_group: Annotated[str, Form()] = "resident",
) -> Response:
    """Upload → the file record; large files go on in the background (progress polls)."""
    console = console_of(request)
    if file is None or not file.filename:
        return console.page(
            request,
            "registration_import.html",
            status=422,
            title="学籍注册导入",
            errors={"file": "请选择要导入的 Excel 文件（.xlsx）"},
            entries=list(ENTRIES.items()),
        )
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    runtime = request.app.state.runtime
    record = await runtime.imports.import_file(data, file.filename, entry, id_group, meta_of(user))
    return console.page(
        request,
        "registration_import.html",
        title="学籍注册导入",
        errors={},
        entries=list(ENTRIES.items()),
        record=record,
        entry=entry,
        id_group=id_group,
    )


@router.get("/imports/{file_id}")
async def progress(request: Request, user: User, policy: Policy, file_id: UUID) -> Response:
    """The import file record as a fragment, polled while the file is being processed."""
    load = functools.partial(request.app.state.runtime.imports.file, file_id)
    record = await policy.record_in_sight(user, load, f"导入文件 {file_id} ", "file_id")
    return console_of(request).page(request, "_import_record.html", record=record)
