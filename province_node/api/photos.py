"""ID-7 photos and DAY-6 the student card (API.md "The record"): `PUT|GET
/students/{n}/photo`, `POST /photos/import` (zip), `GET /photos/export` (SEC-4),
`GET /students/{n}/card.docx` (`?kind=info`: the 学生基本信息表)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form, Query, Request, Response, UploadFile

from contracts.ids import parse_student_number
from province_node.api.deps import Meta, Runtime
from province_node.api.students import student_in_sight
from province_node.card import DOCX, READS
from province_node.photos import READ, ImportScope
from xueji.access.api import PersonalExport
from xueji.access.guards import CurrentUser, Policy, SchoolRegistrar
from xueji.http import attachment

router = APIRouter(prefix="/api/v1", tags=["photos", "student card"])
#: A zip of a school's photos, within the upload body limit (SEC-8).
MAX_ZIP_BYTES = 11 * 2**20


@router.put("/students/{student_number}/photo")
async def put_photo(
    student_number: str,
    request: Request,
    runtime: Runtime,
    meta: Meta,
    user: SchoolRegistrar,
    policy: Policy,
) -> dict:
    """ID-7: the body is the JPEG (< 60 KB); it replaces the student's previous photo."""
    number = str(parse_student_number(student_number))
    await student_in_sight(runtime, user, policy, number)
    data = await request.body()  # within the node's body limit (SEC-8); the photo's is 60 KB
    return await runtime.photos.put(number, data, meta)


@router.get("/students/{student_number}/photo")
async def get_photo(
    student_number: str, runtime: Runtime, user: CurrentUser, policy: Policy
) -> Response:
    number = str(parse_student_number(student_number))
    await student_in_sight(runtime, user, policy, number, READ)  # the read audited
    data = await runtime.photos.read(number)
    return Response(data, media_type="image/jpeg", headers={"Cache-Control": "private, no-store"})


@router.post("/photos/import")
async def import_photos(
    runtime: Runtime,
    meta: Meta,
    _: SchoolRegistrar,
    file: UploadFile,
    class_code: Annotated[str | None, Form(max_length=7)] = None,
    grade: Annotated[str | None, Form(max_length=30)] = None,
) -> dict:
    """ID-7 批量导入: a zip of the school's (grade's, class's) photos; a result per file."""
    data = await file.read(MAX_ZIP_BYTES + 1)
    scope = ImportScope(
        class_code=(class_code or "").strip() or None, grade=(grade or "").strip() or None
    )
    return await runtime.photos.import_zip(data, file.filename or "照片.zip", scope, meta)


@router.get("/photos/export")
async def export_photos(
    runtime: Runtime,
    user: CurrentUser,
    policy: Policy,
    export: PersonalExport,
    school_code: Annotated[str, Query(min_length=10, max_length=10)],
    grade: Annotated[str | None, Query(max_length=30)] = None,
    class_code: Annotated[str | None, Query(max_length=7)] = None,
) -> Response:
    """ID-7 导出照片: the school's (grade's, class's) photos as a zip named by ID number;
    SEC-4: a second account of the unit confirms; recorded as an export."""
    policy.ensure_sees(user, school_code)
    equals = {"school_code": school_code, "grade": grade, "class_code": class_code}
    data, _ = await runtime.photos.export(None, equals, export)
    return attachment(data, f"照片导出_{school_code}.zip", "application/zip")


@router.get("/students/{student_number}/card.docx")
async def student_card(
    student_number: str,
    runtime: Runtime,
    user: CurrentUser,
    policy: Policy,
    kind: Annotated[Literal["card", "info"], Query()] = "card",
) -> Response:
    """DAY-6 学籍卡 (`kind=info`: 学生基本信息表) as a Word document."""
    number = str(parse_student_number(student_number))
    await student_in_sight(runtime, user, policy, number, READS[kind])  # the read audited
    data, name = await runtime.cards.document(number, kind)
    return attachment(data, name, DOCX)
