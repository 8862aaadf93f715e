"""Schools and regions that change (API.md "The school year"): ORG-1 区划变更, ORG-2 学校变更,
ORG-4 学校基本信息. Included before `schools.router`: `/schools/changes` is not a school code."""

from __future__ import annotations

import functools
from typing import Literal
from uuid import UUID

from fastapi import APIRouter, Response, UploadFile
from pydantic import BaseModel, ConfigDict, Field

from province_node.api.deps import Meta, Runtime
from xueji.access.guards import (
    BureauRegistrar,
    CurrentUser,
    OrgEditor,
    Policy,
    ProvinceOrg,
    SchoolInSight,
    SchoolRegistrar,
)
from xueji.http import attachment

router = APIRouter(prefix="/api/v1", tags=["org"])
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_UPLOAD_BYTES = 10 * 2**20
State = Literal["pending", "confirmed", "done"]


class Ids(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ids: list[str] = Field(min_length=1, max_length=500)


class SchoolChangeIn(BaseModel):
    """One school change entered by hand: the columns of the change file."""

    model_config = ConfigDict(extra="forbid")
    kind: str = Field(max_length=10, description="新增、变更、撤销或撤销教育阶段")
    school_code: str = Field(default="", max_length=10)
    name: str = Field(default="", max_length=60)
    region_code: str = Field(default="", max_length=12)
    supervising_unit: str = Field(default="", max_length=12)
    locality_unit: str = Field(default="", max_length=12)
    school_type: str = Field(default="", max_length=20)
    running_type: str = Field(default="", max_length=20)
    sponsor: str = Field(default="", max_length=20)
    stages: str = Field(default="", max_length=20)
    school_system: str = Field(default="", max_length=5)
    main_school: str = Field(default="", max_length=10)
    year: str = Field(max_length=4)
    quarter: str = Field(max_length=1)


def _template(data: bytes, name: str) -> Response:
    return attachment(data, name, XLSX)


# --- ORG-1 -------------------------------------------------------------------------------------


@router.get("/regions/changes/template")
async def region_template(runtime: Runtime, _: ProvinceOrg) -> Response:
    return _template(runtime.org_changes.region_template(), "区划变更模板.xlsx")


@router.get("/regions/changes")
async def region_changes(
    runtime: Runtime, _: ProvinceOrg, year: int | None = None, state: State | None = None
) -> dict:
    """ORG-1: the province's region changes, of a year and a state (待确认/已确认/处理完毕)."""
    items = await runtime.org_changes.region_changes(year, state)
    return {"items": items, "total": len(items)}


@router.post("/regions/changes", status_code=201)
async def import_region_changes(
    runtime: Runtime, meta: Meta, _: ProvinceOrg, file: UploadFile
) -> dict:
    """ORG-1: the yearly file; every change 待确认, or (a bad row) nothing stored."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    return await runtime.org_changes.import_regions(data, file.filename or "upload.xlsx", meta)


@router.post("/regions/changes/confirm")
async def confirm_region_changes(body: Ids, runtime: Runtime, meta: Meta, _: ProvinceOrg) -> dict:
    """ORG-1: 确认变动 — adds and renames take effect; revokes wait for the region to empty."""
    return await runtime.org_changes.confirm_regions(body.ids, meta)


# --- ORG-2 -------------------------------------------------------------------------------------


@router.get("/schools/changes/template")
async def school_template(runtime: Runtime, _: CurrentUser) -> Response:
    return _template(runtime.org_changes.school_template(), "学校变更模板.xlsx")


@router.get("/schools/changes")
async def school_changes(
    runtime: Runtime,
    user: OrgEditor,
    policy: Policy,
    year: int | None = None,
    state: State | None = None,
) -> dict:
    """ORG-2: the school changes of the caller's jurisdiction (by the supervising bureau)."""
    items = await runtime.org_changes.school_changes(
        lambda unit: policy.sees(user, unit), year, state
    )
    return {"items": items, "total": len(items)}


@router.post("/schools/changes", status_code=201)
async def import_school_changes(
    runtime: Runtime, meta: Meta, _: ProvinceOrg, file: UploadFile
) -> dict:
    """ORG-2: the quarterly file; each change awaits its supervising bureau."""
    data = await file.read(MAX_UPLOAD_BYTES + 1)
    return await runtime.org_changes.import_schools(data, file.filename or "upload.xlsx", meta)


@router.post("/schools/changes/confirm")
async def confirm_school_changes(body: Ids, runtime: Runtime, meta: Meta, _: OrgEditor) -> dict:
    """ORG-2: the supervising bureau confirms; revokes wait for no student and no business."""
    return await runtime.org_changes.confirm_schools(body.ids, meta)


@router.post("/schools", status_code=201)
async def enter_school_change(
    body: SchoolChangeIn, runtime: Runtime, meta: Meta, _: ProvinceOrg
) -> dict:
    """ORG-2: one change by hand (a new school, …): 待确认 like a row of the file."""
    return await runtime.org_changes.enter_school_change(body.model_dump(), meta)


# --- ORG-4 -------------------------------------------------------------------------------------


@router.get("/schools/{school_code}/profile")
async def school_profile(school_code: SchoolInSight, runtime: Runtime) -> dict:
    """学校基本信息: every field, the school-system years per stage, campuses and classes."""
    return await runtime.org_changes.profile(school_code)


@router.patch("/schools/{school_code}")
async def edit_school(
    school_code: SchoolInSight, body: dict, runtime: Runtime, meta: Meta, _: OrgEditor
) -> dict:
    """ORG-4: `{field: value}`; the school edits its head, contacts and auxiliary fields,
    its supervising bureau the rest (403 `field_not_editable` naming the field)."""
    return await runtime.org_changes.edit_profile(school_code, body, meta)


# --- ORG-3 学生学籍转移 ---------------------------------------------------------------------


class MigrationIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    from_school: str = Field(min_length=10, max_length=10)
    to_school: str = Field(min_length=10, max_length=10)
    class_codes: list[str] = Field(default_factory=list, max_length=100)
    grades: list[str] = Field(default_factory=list, max_length=20)  # e.g. 初中2023级
    student_numbers: list[str] = Field(default_factory=list, max_length=2000)
    note: str = Field(default="", max_length=500)


class MigrationDecision(BaseModel):
    model_config = ConfigDict(extra="forbid")
    student_numbers: list[str] = Field(min_length=1, max_length=2000)
    accept: bool
    class_code: str | None = Field(default=None, max_length=7)
    opinion: str | None = Field(default=None, max_length=500)


@router.post("/migrations", status_code=201)
async def start_migration(
    body: MigrationIn, runtime: Runtime, meta: Meta, user: BureauRegistrar, policy: Policy
) -> dict:
    """ORG-3: the common superior of both schools moves grades, classes or students of a
    school being revoked; each awaits the receiving school's 学籍转入确认."""
    policy.ensure_sees(user, body.from_school)
    policy.ensure_sees(user, body.to_school)
    return await runtime.migrations.start(
        body.from_school, body.to_school, body.class_codes, body.grades,
        [n.strip().upper() for n in body.student_numbers], body.note, meta,
    )  # fmt: skip


@router.get("/migrations")
async def migrations(runtime: Runtime, user: CurrentUser, policy: Policy) -> dict:
    items = await runtime.migrations.listing(lambda unit: policy.sees(user, unit))
    return {"items": items, "total": len(items)}


@router.get("/migrations/pending")
async def pending_migrations(runtime: Runtime, user: SchoolRegistrar, policy: Policy) -> dict:
    """学籍转入确认: the migrations with students awaiting the caller's school."""
    sees = lambda unit: policy.sees(user, unit)  # noqa: E731
    items = await runtime.migrations.listing(sees, pending_for=user.unit_code)
    return {"items": items, "total": len(items)}


@router.get("/migrations/{migration_id}")
async def migration(migration_id: UUID, runtime: Runtime, user: CurrentUser, policy: Policy):
    load = functools.partial(runtime.migrations.get, migration_id)
    sides = lambda found: [found["from_school"], found["to_school"]]  # noqa: E731
    return await policy.record_in_sight(user, load, "该学籍转移", "migration_id", units=sides)


@router.post("/migrations/{migration_id}/decisions")
async def decide_migration(
    migration_id: UUID, body: MigrationDecision, runtime: Runtime, meta: Meta, _: SchoolRegistrar
) -> dict:
    """学籍转入确认: confirm (into `class_code`) or refuse (`opinion`) the given students."""
    return await runtime.migrations.decide(
        migration_id, [n.strip().upper() for n in body.student_numbers], body.accept,
        body.class_code, body.opinion, meta,
    )  # fmt: skip
