"""招生入学 pages (招生结果导入 / 录取新生·调取新生档案·学生分班 / 招生审核 / 招生结果导入设置 /
省内招生升学查询): ADM-1…ADM-4, QRY-3.

The pages call the use cases the JSON API calls (`runtime.admissions`, `runtime.pending`) and
show the domain's refusal next to the field it names, or above the list.
"""

from __future__ import annotations

from typing import Annotated
from uuid import UUID

from fastapi import APIRouter, Form, Request, UploadFile
from fastapi.responses import Response

from contracts.errors import NotFound
from projections import excel
from province_node.admissions import MAX_LIST_BYTES
from province_node.console.pending_pages import decision_pages
from province_node.domain.admission import Admission
from xueji.access.guards import BureauRegistrar, Policy, Registrar, SchoolRegistrar
from xueji.access.policy import BUREAU_REGISTRAR, SCHOOL_REGISTRAR
from xueji.console.kit import ConsoleRoute, User, console_of, field_errors, form_errors, meta_of
from xueji.http import attachment

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
STAGES = [("2", "初中"), ("3", "高中")]
LEVELS = [("school", "学校"), ("county", "区县"), ("city", "地市"), ("province", "省级")]
STATUSES = [("", "全部")] + list(Admission.STATUS_LABELS.items())
#: The school's three lists, in the seed's order: admit, pull, assign [004 Q94]: page → the
#: admissions' status it lists, its title.
SCHOOL_LISTS = {
    "admit": ("listed", "录取新生"),
    "pull": ("approved", "调取新生档案"),
    "assign": ("pulled", "学生分班"),
}


def _page(request: Request, template: str, status: int = 200, **context) -> Response:
    context = {"stage_labels": dict(STAGES), "status_labels": Admission.STATUS_LABELS} | context
    return console_of(request).page(request, template, status=status, **context)


def _first(refused: Exception) -> str:
    return next(iter(field_errors(refused).values()))


# --- ADM-1 -----------------------------------------------------------------------------------


@router.get("/admissions/template")
async def template(request: Request, _: User) -> Response:
    data = request.app.state.runtime.admissions.template()
    return attachment(data, "招生结果.xlsx", excel.XLSX)


@router.get("/admissions/import")
async def import_form(request: Request, _: Registrar) -> Response:
    """招生结果导入: the list of graduates and their admitting schools, per stage."""
    return _page(request, "admission_import.html", title="招生结果导入", stages=STAGES,
                 errors={}, stage="2", record=None)  # fmt: skip


@router.post("/admissions/import")
async def import_list(request: Request, user: Registrar, file: UploadFile,
                      stage: Annotated[str, Form(max_length=1)] = "2") -> Response:  # fmt: skip
    data = await file.read(MAX_LIST_BYTES + 1)
    try:
        record = await request.app.state.runtime.admissions.import_list(
            data, file.filename or "招生结果.xlsx", stage, meta_of(user)
        )
    except Exception as refused:  # noqa: BLE001 - next to the file or the stage
        errors = form_errors(refused, ("file", "stage"))
        return _page(request, "admission_import.html", 422, title="招生结果导入",
                     stages=STAGES, errors=errors, stage=stage, record=None)  # fmt: skip
    return _page(request, "admission_import.html", title="招生结果导入", stages=STAGES,
                 errors={}, stage=stage, record=record)  # fmt: skip


@router.get("/admissions/settings")
async def settings(request: Request, user: User, done: str = "", error: str = "",
                   status: int = 200) -> Response:  # fmt: skip
    """初中/高中招生结果导入设置: the settings from the province down, and this level's form."""
    shown = await request.app.state.runtime.admissions.import_settings(user.unit_code)
    return _page(request, "admission_settings.html", status, title="招生结果导入设置",
                 settings=shown["settings"], defaults=shown["defaults"], stages=STAGES,
                 levels=LEVELS, level_labels=dict(LEVELS), can_set=BUREAU_REGISTRAR.allows(user),
                 done=done, error=error)  # fmt: skip


@router.post("/admissions/settings")
async def set_setting(request: Request, user: BureauRegistrar,
                      stage: Annotated[str, Form(max_length=1)] = "2",
                      level: Annotated[str, Form(max_length=10)] = "",
                      delegate: Annotated[str, Form(max_length=1)] = "") -> Response:  # fmt: skip
    try:
        await request.app.state.runtime.admissions.set_import(
            stage, level, delegate == "1", meta_of(user)
        )
    except Exception as refused:  # noqa: BLE001 - said above the settings
        return await settings(request, user, error=_first(refused), status=409)
    return await settings(request, user, done="设置已保存")


# --- ADM-2: the school's lists, the bureaus' review -----------------------------------------


@router.post("/admissions/batch")
async def school_batch(request: Request, user: SchoolRegistrar,
                       action: Annotated[str, Form(max_length=10)] = "") -> Response:  # fmt: skip
    """录取 or 调档 for the ticked rows (one or many)."""
    posted = await request.form()
    ids = [UUID(str(i)) for i in posted.getlist("ids")][:500]
    page = "admit" if action == "admit" else "pull"
    runtime = request.app.state.runtime
    try:
        if action == "admit":
            await runtime.admissions.admit(ids, meta_of(user))
        else:
            await runtime.admissions.pull(ids, meta_of(user))
    except Exception as refused:  # noqa: BLE001 - said above the list
        return await school_lists(request, user, page, error=_first(refused), code=409)
    done = f"已{'录取' if action == 'admit' else '调档'} {len(ids)} 名学生"
    return await school_lists(request, user, page, done=done)


@router.post("/admissions/{admission_id}/assign")
async def assign(request: Request, user: SchoolRegistrar, admission_id: UUID,
                 class_code: Annotated[str, Form(max_length=7)] = "") -> Response:  # fmt: skip
    try:
        await request.app.state.runtime.admissions.assign(admission_id, class_code,
                                                          meta_of(user))  # fmt: skip
    except Exception as refused:  # noqa: BLE001 - said above the list
        return await school_lists(request, user, "assign", error=_first(refused), code=409)
    return await school_lists(request, user, "assign", done=f"已分班至 {class_code}")


decision_pages(
    router, path="admissions", business="admission", service="admissions", title="招生审核",
    template="admission_pending.html", rejected="审核不通过，录取已结束",
    context=lambda: {"stage_labels": dict(STAGES)},
)  # fmt: skip


# --- QRY-3, with the county's rollback -------------------------------------------------------


@router.get("/admissions/query")
async def query(request: Request, user: User, policy: Policy, done: str = "", error: str = "",
                code: int = 200) -> Response:  # fmt: skip
    """省内招生升学查询 [002 §16]: by year, source, school, stage, status, name or number."""
    params = request.query_params
    keys = ("year", "stage", "status", "source", "school_code", "name", "student_number")
    filters = {k: params.get(k, "") for k in keys}
    asked = {k: v.strip() or None for k, v in filters.items()}
    asked["graduating_region"] = asked.pop("source")
    if asked["year"] and not asked["year"].isdigit():
        asked["year"] = None
    if asked["school_code"]:
        policy.ensure_sees(user, asked["school_code"])
    found = await request.app.state.runtime.admissions.search(
        asked, policy.school_filter(user), 1, 200
    )
    return _page(request, "admission_query.html", code, title="省内招生升学查询",
                 items=found["items"], total=found["total"], filters=filters,
                 stages=[("", "全部"), *STAGES], statuses=STATUSES, done=done, error=error,
                 can_roll_back=BUREAU_REGISTRAR.allows(user),
                 school_view=SCHOOL_REGISTRAR.allows(user))  # fmt: skip


@router.post("/admissions/{admission_id}/rollback")
async def roll_back(request: Request, user: BureauRegistrar, policy: Policy, admission_id: UUID,
                    reason: Annotated[str, Form(max_length=500)] = "") -> Response:  # fmt: skip
    try:
        await request.app.state.runtime.admissions.roll_back(
            admission_id, reason.strip() or "招生回退", meta_of(user)
        )
    except Exception as refused:  # noqa: BLE001 - said above the list
        return await query(request, user, policy, error=_first(refused), code=409)
    return await query(request, user, policy, done="已回退，学生恢复为毕业生")


# Last: the school's lists take any `/admissions/<page>` the fixed pages above did not.
@router.get("/admissions/{page}")
async def school_lists(request: Request, user: SchoolRegistrar, page: str, done: str = "",
                       error: str = "", code: int = 200) -> Response:  # fmt: skip
    """录取新生 / 调取新生档案 / 学生分班: the school's admissions waiting for its next act."""
    if page not in SCHOOL_LISTS:
        raise NotFound("页面不存在")
    status, title = SCHOOL_LISTS[page]
    runtime = request.app.state.runtime
    filters = {"school_code": user.unit_code, "status": status}
    found = await runtime.admissions.search(filters, [user.unit_code], 1, 200)
    classes = []
    if status == "pulled":
        school = await runtime.schools.school(user.unit_code)
        classes = sorted(c["class_code"] for c in school["classes"])
    return _page(request, "admission_lists.html", code, title=title, lists=SCHOOL_LISTS,
                 page=page, list_status=status, items=found["items"], total=found["total"],
                 classes=classes, done=done, error=error)  # fmt: skip
