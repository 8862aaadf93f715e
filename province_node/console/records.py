"""日常管理 → the record lists (DAY-3, DAY-4, DAY-5, DAY-7): 随迁子女, 留守儿童, 特殊群体（残疾）
and 学籍信息变更记录 with the county's term review, each beside the school's grade → class tree.

The lists are the students query (`read_model.search`, QRY-1: the same jurisdiction and
custom conditions as `GET /api/v1/students`) with a flag's condition; the tree is the school's
classes (`SchoolService.classes`) grouped by grade; the term review is `StudentService`'s
(`term_updates`, `review_term`) as `GET /api/v1/students/updates` and its POST answer it. No
rule lives here: a flag is what the read model says.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from contracts.codes import Level
from contracts.errors import ContractError, DomainError
from province_node.console import read_model
from province_node.domain.profile import term_of
from province_node.domain.term_review import parse_term, term_label
from xueji.access.guards import BureauRegistrar
from xueji.access.policy import BUREAU_REGISTRAR
from xueji.console.kit import ConsoleRoute, User, console_of, field_errors, meta_of

router = APIRouter(prefix="/records", route_class=ConsoleRoute, include_in_schema=False)


@dataclass(frozen=True)
class RecordList:
    title: str
    #: the read model's custom condition that selects the list's students
    cond: str
    #: (column, heading) of the flags the table shows
    columns: tuple[tuple[str, str], ...]


FLAG_LISTS = {
    "migrant": RecordList(
        "随迁子女",
        "migrant:eq:true",
        (
            ("migrant", "随迁子女"),
            ("migrant_worker", "进城务工人员随迁子女"),
            ("migrant_changed", "有变更记录"),
        ),
    ),  # fmt: skip
    "left-behind": RecordList(
        "留守儿童",
        "left_behind:eq:true",
        (
            ("left_behind", "留守儿童"),
            ("rural_left_behind", "农村留守儿童"),
            ("left_behind_changed", "有变更记录"),
        ),
    ),  # fmt: skip
    "special": RecordList(
        "特殊群体（残疾）",
        "disabled:eq:true",
        (("disabled", "残疾人"), ("special_needs", "已填特教学生信息")),
    ),
}
#: 学籍信息变更记录: whose DAY-3 / DAY-4 flag changed (是否存在变更历史).
CHANGED = {"migrant": ("随迁子女", "migrant_changed:eq:true"),
           "left-behind": ("留守儿童", "left_behind_changed:eq:true")}  # fmt: skip


def _scope(request: Request, params, user) -> dict[str, str]:
    """The school, grade and class asked for; a school's own user always has its school."""
    scope = {k: str(params.get(k, "")).strip()[:30] for k in ("school_code", "grade", "class_code")}
    policy = request.app.state.runtime.access.policy
    scope["school_code"] = policy.school_scope(user, scope["school_code"])
    return scope


def _schools(request: Request, user) -> list[tuple[str, str]]:
    policy = request.app.state.runtime.access.policy
    return [(u.code, f"{u.name}（{u.code}）") for u in policy.units(user, Level.SCHOOL)]


async def _tree(request: Request, user, school_code: str) -> list[dict]:
    """The school's grades, each with its classes (empty when no school is chosen or it is
    not in the caller's sight)."""
    runtime = request.app.state.runtime
    if not school_code or not runtime.access.policy.sees(user, school_code):
        return []
    try:
        classes = await runtime.schools.classes(school_code)
    except DomainError:  # not a school of this province
        return []
    grades: dict[str, list[dict]] = {}
    for klass in sorted(classes, key=lambda c: c["class_code"]):
        grades.setdefault(klass["grade"], []).append(klass)
    return [{"grade": g, "classes": grades[g]} for g in sorted(grades)]


async def _list(request: Request, user, conds: list[str], scope: dict[str, str]):
    """One page of the students query under the scope; (result, errors)."""
    runtime = request.app.state.runtime
    page = str(request.query_params.get("page", "1"))
    filters = dict.fromkeys(read_model.FILTERS, "") | scope
    try:
        number = min(int(page), 10**6) if page.isdigit() else 1
        return await read_model.search(runtime, user, filters, conds, number), {}
    except (ContractError, DomainError) as refused:
        return read_model.Result(), field_errors(refused)


def _links(base: str, scope: dict[str, str], extra: dict[str, str]):
    kept = {k: v for k, v in (scope | extra).items() if v}
    return lambda **change: f"{base}?{urlencode({**kept, **change})}"


@router.get("/updates")
async def updates(request: Request, user: User) -> Response:
    """学籍信息变更记录: the students whose flag changed, and the term's review (DAY-7)."""
    return await _updates_page(request, user)


async def _updates_page(request: Request, user, status: int = 200, **context) -> Response:
    runtime = request.app.state.runtime
    params = request.query_params
    scope = _scope(request, params, user)
    flag = str(params.get("flag", "migrant"))
    flag = flag if flag in CHANGED else "migrant"
    result, errors = await _list(request, user, [CHANGED[flag][1]], scope)
    raw_term = str(params.get("term", "")).strip()[:6]
    try:
        term = parse_term(raw_term) if raw_term else term_of(runtime.clock.today())
        schools = [scope["school_code"]] if scope["school_code"] else None
        policy = runtime.access.policy
        if schools:
            policy.ensure_sees(user, schools[0])
        schools = schools or policy.school_filter(user) or await runtime.schools.codes()
        reviews = await runtime.students.term_updates(term, schools)
    except (ContractError, DomainError) as refused:
        errors |= field_errors(refused)
        term, reviews = term_of(runtime.clock.today()), []
    link = _links("/records/updates", scope, {"flag": flag, "term": raw_term})
    return console_of(request).page(
        request, "records.html", status=422 if errors else status, title="学籍信息变更记录",
        base="/records/updates", kind="updates", columns=FLAG_LISTS[flag].columns,
        flags=[(k, v[0]) for k, v in CHANGED.items()], flag=flag, scope=scope,
        schools=_schools(request, user), tree=await _tree(request, user, scope["school_code"]),
        result=result, errors=errors | context.pop("errors", {}), link=link, term=term,
        term_label=term_label(term), reviews=reviews,
        can_review=BUREAU_REGISTRAR.allows(user), **context,
    )  # fmt: skip


@router.post("/updates/reviews")
async def review(request: Request, user: BureauRegistrar) -> Response:
    """DAY-7: the county marks a school's term updates reviewed (the API's `review_term`)."""
    form = await request.form()
    runtime = request.app.state.runtime
    try:
        term = parse_term(str(form.get("term", "")).strip()[:6])
        school_code = str(form.get("review_school", "")).strip()[:10]
        note = str(form.get("note", "")).strip()[:500] or None
        await runtime.students.review_term(term, school_code, note, meta_of(user))
    except (ContractError, DomainError) as refused:
        return await _updates_page(request, user, 422, errors=field_errors(refused))
    return await _updates_page(request, user, done=f"已审核 {runtime.org.unit(school_code).name}")


@router.get("/{kind}")
async def flagged(request: Request, user: User, kind: str) -> Response:
    """随迁子女 / 留守儿童 / 特殊群体（残疾）: the flagged students, by school, grade and class;
    `changed=1` keeps those with a change history (DAY-3 / DAY-4)."""
    listing = FLAG_LISTS.get(kind)
    if listing is None:
        raise ContractError("kind", "unknown_list", f"没有“{kind}”名单")
    scope = _scope(request, request.query_params, user)
    changed = kind in CHANGED and request.query_params.get("changed") == "1"
    conds = [listing.cond, *([CHANGED[kind][1]] if changed else [])]
    result, errors = await _list(request, user, conds, scope)
    return console_of(request).page(
        request, "records.html", status=422 if errors else 200, title=listing.title,
        base=f"/records/{kind}", kind=kind, columns=listing.columns, scope=scope,
        schools=_schools(request, user), tree=await _tree(request, user, scope["school_code"]),
        result=result, errors=errors, changed=changed, can_filter_changed=kind in CHANGED,
        link=_links(f"/records/{kind}", scope, {"changed": "1" if changed else ""}),
    )  # fmt: skip
