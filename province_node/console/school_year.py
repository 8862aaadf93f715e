"""毕业升级 pages (毕业办理 / 毕业审核 / 毕业生查询 / 升级与校历): GRD-1…GRD-4, SYS-2.

The pages call the use cases the JSON API calls (`runtime.graduations`, `runtime.promotions`,
`runtime.pending`) and show the domain's refusal next to the field it names.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from contracts.codes import Stage
from contracts.errors import ContractError
from province_node.console.pending_pages import decision_pages
from province_node.domain.graduation import GraduationKind
from province_node.graduations import GraduationForm
from xueji.access.guards import BureauRegistrar, Policy, SchoolRegistrar
from xueji.access.policy import BUREAU_REGISTRAR, PROVINCE_SYSADMIN
from xueji.console.kit import ConsoleRoute, User, console_of, field_errors, form_errors, meta_of

router = APIRouter(route_class=ConsoleRoute, include_in_schema=False)
KINDS = [(k.value, k.status.value) for k in GraduationKind]
STAGES = [("", "全部")] + [(s.value, s.label) for s in Stage]
FORM_FIELDS = ("class_codes", "kind", "date")


def _page(request: Request, template: str, status: int = 200, **context) -> Response:
    return console_of(request).page(request, template, status=status, **context)


async def _form(request: Request, user: User, status: int = 200, **context) -> Response:
    runtime = request.app.state.runtime
    classes = await runtime.graduations.graduating_classes(user.unit_code)
    context = {"errors": {}, "values": {"kind": "graduate"}, "created": None} | context
    return _page(request, "graduation_new.html", status, title="毕业办理", classes=classes,
                 kinds=KINDS, today=runtime.clock.today(), **context)  # fmt: skip


@router.get("/graduations/new")
async def graduation_form(request: Request, user: SchoolRegistrar) -> Response:
    """毕业办理 (往届学生毕业 too): the school's graduating classes, a kind, a date."""
    return await _form(request, user)


@router.post("/graduations/new")
async def graduation_apply(request: Request, user: SchoolRegistrar,
                           kind: Annotated[str, Form(max_length=20)] = "graduate",
                           date: Annotated[str, Form(max_length=10)] = "") -> Response:  # fmt: skip
    posted = await request.form()
    class_codes = tuple(str(c) for c in posted.getlist("class_codes"))[:100]
    values = {"kind": kind, "date": date, "class_codes": class_codes}
    try:
        form = GraduationForm(school_code=user.unit_code, kind=kind, class_codes=class_codes,
                              date=_date(date))  # fmt: skip
        created = await request.app.state.runtime.graduations.apply(form, meta_of(user))
    except Exception as refused:  # noqa: BLE001 - next to its field, or on the form
        errors = form_errors(refused, FORM_FIELDS)
        return await _form(request, user, 422, errors=errors, values=values)
    return await _form(request, user, created=created)


def _date(raw: str) -> dt.date | None:
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise ContractError("date", "bad_date", "请填写毕业日期（年-月-日）") from None


decision_pages(
    router, path="graduations", business="graduation", service="graduations", title="毕业审核",
    template="graduation_pending.html", rejected="审核不通过，毕业申请已驳回",
)  # fmt: skip


@router.get("/graduates")
async def graduates(request: Request, user: User, policy: Policy, done: str = "",
                    error: str = "", status: int = 200) -> Response:  # fmt: skip
    """毕业生查询 (GRD-4), with 退回 (GRD-2) for the bureaus' registrars."""
    params = request.query_params
    filters = {k: params.get(k, "") for k in ("year", "stage", "name", "student_number")}
    asked = {k: v or None for k, v in filters.items()}
    if asked["year"] and not asked["year"].isdigit():
        asked["year"] = None
    found = await request.app.state.runtime.graduations.graduates(
        asked, policy.school_filter(user), 1, 200
    )
    return _page(request, "graduates.html", status, title="毕业生查询", items=found["items"],
                 total=found["total"], filters=filters, stages=STAGES, done=done, error=error,
                 can_roll_back=BUREAU_REGISTRAR.allows(user),
                 kind_labels=dict(KINDS))  # fmt: skip


@router.post("/graduates/{student_number}/rollback")
async def roll_back(request: Request, user: BureauRegistrar, policy: Policy, student_number: str,
                    reason: Annotated[str, Form(max_length=500)] = "") -> Response:  # fmt: skip
    try:
        if not reason.strip():
            raise ContractError("reason", "reason_required", "请填写退回原因")
        await request.app.state.runtime.graduations.roll_back(
            student_number.strip().upper(), reason.strip(), meta_of(user)
        )
    except Exception as refused:  # noqa: BLE001 - said above the list
        message = next(iter(field_errors(refused).values()))
        return await graduates(request, user, policy, error=message, status=409)
    return await graduates(request, user, policy, done=f"学生 {student_number} 已退回在校")


@router.get("/promotion")
async def promotion(request: Request, user: User, done: str = "") -> Response:
    """升级 (GRD-3) and the school year's key dates in force (SYS-2): a calendar to look at."""
    runtime = request.app.state.runtime
    progress = await runtime.promotions.progress()
    key_dates = await runtime.configuration.key_dates_in_force()
    return _page(request, "promotion.html", title="升级与校历", progress=progress,
                 calendar=_calendar(key_dates, progress["school_year"]), done=done,
                 can_run=PROVINCE_SYSADMIN.allows(user))  # fmt: skip


@router.post("/promotion")
async def promotion_run(request: Request, user: User) -> Response:
    PROVINCE_SYSADMIN.check(user)
    await request.app.state.runtime.promotions.run(meta_of(user))
    return await promotion(request, user, done="升级已完成（已升级的学生不会重复升级）")


def _calendar(key_dates, school_year: int) -> list[dict]:
    """The school year's key dates in order, as the calendar page lists them."""

    def day(month_day: tuple[int, int]) -> dt.date:
        month, d = month_day
        year = school_year if month >= 9 else school_year + 1
        return dt.date(year, month, min(d, 28) if month == 2 else d)

    rows = [
        ("转学暂停开始（跨省、省内）", day(key_dates.transfer_freeze.start), "XPT-8"),
        ("转学暂停结束", day(key_dates.transfer_freeze.end), "XPT-8"),
        ("毕业办理截止", day(key_dates.graduation_deadline), "GRD-1"),
        ("升级（24:00）", day(key_dates.promotion), "GRD-3"),
        ("毕业后跨省就学录取截止", day(key_dates.pge_admission_deadline), "PGE-2"),
    ]
    for label, window in (("初中招生", key_dates.junior_admission_window),
                          ("高中招生", key_dates.senior_admission_window)):  # fmt: skip
        rows.append((f"{label}办理开始", day(window.start), "ADM-4"))
        rows.append((f"{label}办理结束", day(window.end), "ADM-4"))
    for window in key_dates.pge_windows:
        rows.append(("毕业后跨省就学受理开始", day(window.start), "PGE-2"))
        rows.append(("毕业后跨省就学受理结束", day(window.end), "PGE-2"))
    rows.sort(key=lambda r: r[1])
    return [{"label": label, "date": d, "rule": rule} for label, d, rule in rows]
