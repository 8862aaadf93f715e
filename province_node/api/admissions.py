"""招生入学 (API.md "The school year"; SPEC ADM-1…ADM-4, QRY-3).

`POST /admissions/import` lists graduates for their admitting schools (the unit the province's
import setting names); the school admits them (`/admissions/admit`), the chain's bureaus
decide (`/admissions/{id}/decisions`), the school pulls the archive (`/admissions/archive-pull`)
and assigns a class (`/admissions/{id}/assign-class`); the county may roll a wrong admission
back (`/admissions/{id}/rollback`). `GET /admissions` is the lists and QRY-3's query.
"""

from __future__ import annotations

from typing import Annotated, Literal
from uuid import UUID

from fastapi import APIRouter, Depends, Form, Query, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from projections import excel
from province_node.admissions import MAX_LIST_BYTES, MOST_IDS
from province_node.api.deps import Meta, Runtime
from province_node.api.processes import process_routes
from xueji.access.api import PersonalExport
from xueji.access.guards import BureauRegistrar, CurrentUser, Policy, Registrar, SchoolRegistrar
from xueji.http import attachment

router = APIRouter(prefix="/api/v1", tags=["admissions"])


class IdsIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[UUID] = Field(min_length=1, max_length=MOST_IDS)


class ClassIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    class_code: str = Field(pattern=r"^[0-9]{7}$")


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=500)


class ImportSettingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: Literal["2", "3"]
    level: Literal["school", "county", "city", "province"]
    delegate: bool = False


def _xlsx(data: bytes, filename: str) -> Response:
    return attachment(data, filename, excel.XLSX)


@router.get("/admissions/template")
async def template(runtime: Runtime, _: CurrentUser) -> Response:
    """ADM-1: the admission result list to fill in (学籍号, 姓名, 录取学校, 班级)."""
    return _xlsx(runtime.admissions.template(), "招生结果名单模板.xlsx")


@router.get("/admissions/import-settings")
async def import_settings(runtime: Runtime, meta: Meta, _: CurrentUser) -> dict:
    """ADM-1 招生结果导入设置: the settings from the province down to the caller's unit."""
    return await runtime.admissions.import_settings(meta.unit_code)


@router.put("/admissions/import-settings")
async def set_import_setting(
    body: ImportSettingIn, runtime: Runtime, meta: Meta, _: BureauRegistrar
) -> dict:
    """ADM-1: the province sets the importing level per stage; below it only if delegated."""
    return await runtime.admissions.set_import(body.stage, body.level, body.delegate, meta)


@router.post("/admissions/import", status_code=201)
async def import_list(
    runtime: Runtime,
    meta: Meta,
    _: Registrar,
    file: UploadFile,
    stage: Annotated[Literal["2", "3"], Form()],
) -> dict:
    """ADM-1: the list's valid rows are listed, each refused row says why (第3行：…)."""
    data = await file.read(MAX_LIST_BYTES + 1)
    return await runtime.admissions.import_list(data, file.filename or "招生结果.xlsx", stage,
                                                meta)  # fmt: skip


@router.post("/admissions/admit")
async def admit(body: IdsIn, runtime: Runtime, meta: Meta, _: SchoolRegistrar) -> dict:
    """ADM-2 录取 one or many listed students: each starts its review chain."""
    return await runtime.admissions.admit(body.ids, meta)


@router.post("/admissions/{admission_id}/admit")
async def admit_one(admission_id: UUID, runtime: Runtime, meta: Meta, _: SchoolRegistrar) -> dict:
    return (await runtime.admissions.admit([admission_id], meta))["items"][0]


@router.post("/admissions/archive-pull")
async def pull(body: IdsIn, runtime: Runtime, meta: Meta, _: SchoolRegistrar) -> dict:
    """ADM-2 调档 one or many approved admissions: the students become the school's."""
    return await runtime.admissions.pull(body.ids, meta)


@router.post("/admissions/{admission_id}/archive-pull")
async def pull_one(admission_id: UUID, runtime: Runtime, meta: Meta, _: SchoolRegistrar) -> dict:
    return (await runtime.admissions.pull([admission_id], meta))["items"][0]


@router.post("/admissions/{admission_id}/assign-class")
async def assign(
    admission_id: UUID, body: ClassIn, runtime: Runtime, meta: Meta, _: SchoolRegistrar
) -> dict:
    """ADM-2 分班: a grade-1 class of the stage, of the admission's year."""
    return await runtime.admissions.assign(admission_id, body.class_code, meta)


@router.post("/admissions/{admission_id}/rollback")
async def roll_back(
    admission_id: UUID, body: ReasonIn, runtime: Runtime, meta: Meta, _: BureauRegistrar
) -> dict:
    """ADM-3 招生回退: the admitting school's county undoes a wrong admission."""
    return await runtime.admissions.roll_back(admission_id, body.reason, meta)


async def admission_filters(
    user: CurrentUser,
    policy: Policy,
    year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
    stage: Annotated[str | None, Query(pattern="^[23]$")] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
    school_code: Annotated[str | None, Query(max_length=10)] = None,
    graduating_school_code: Annotated[str | None, Query(max_length=10)] = None,
    source: Annotated[str | None, Query(pattern="^[0-9]{6}$")] = None,
    name: Annotated[str | None, Query(max_length=50)] = None,
    student_number: Annotated[str | None, Query(max_length=19)] = None,
    id_number: Annotated[str | None, Query(max_length=30)] = None,
    graduation_year: Annotated[int | None, Query(ge=1990, le=2100)] = None,
) -> tuple[dict, list[str] | None]:
    for code in (school_code, graduating_school_code):
        if code:
            policy.ensure_sees(user, code)
    filters = {"year": year, "stage": stage, "status": status, "school_code": school_code}
    filters |= {"graduating_school_code": graduating_school_code, "graduating_region": source}
    filters |= {"name": name, "student_number": student_number, "id_number": id_number}
    filters |= {"graduation_year": graduation_year}
    return filters, policy.school_filter(user)


AdmissionFilters = Annotated[tuple[dict, list[str] | None], Depends(admission_filters)]


@router.get("/admissions")
async def search(
    runtime: Runtime,
    q: AdmissionFilters,
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=200)] = 20,
) -> dict:
    """The lists (待录取, 待调档, 待分班 …) and QRY-3 省内招生升学查询."""
    filters, schools = q
    return await runtime.admissions.search(filters, schools, page, page_size)


@router.get("/admissions/export")
async def export(runtime: Runtime, q: AdmissionFilters, export: PersonalExport) -> Response:
    """QRY-3 as Excel; SEC-4: a second account of the unit confirms."""
    filters, schools = q
    data = await runtime.admissions.export(filters, schools, export)
    return _xlsx(data, "省内招生升学查询导出.xlsx")


def _sides(admission: dict) -> list[str]:
    """The admitting school and the one the student graduated from both see it."""
    return [admission["school_code"], admission["graduating"]["school_code"]]


process_routes(router, path="/admissions", param="admission_id", service="admissions",
               what="该录取记录", units=_sides)  # fmt: skip
