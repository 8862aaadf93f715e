"""SEC-4, one guarded export (issue 18 item 3): every route or page that hands out a file of
personal data goes through `confirm_personal_export` (the API's `PersonalExport`
dependency); the routes are enumerated from the apps, so a new one is covered. One mesh for
the module: each test uses its own units' accounts."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from fastapi.routing import APIRoute, iter_route_contexts

from simulations.demo import DEMO_PASSWORD, school_code
from tests.support.console import console_session
from tests.support.mesh import Mesh
from xueji.access.api import personal_export


@pytest.fixture(scope="module")
def mesh(module_mesh: Mesh) -> Mesh:
    """One mesh for the whole module (tests/conftest.py `module_mesh`)."""
    return module_mesh


pytestmark = pytest.mark.asyncio(loop_scope="module")

ROOT = Path(__file__).resolve().parents[2]
PROVINCES = ["34", "44"]
COUNTY = {"34": "340102", "44": "440106"}
STUDENTS_EXPORT = "/api/v1/students/export"
THROTTLED = "export_confirmation_throttled"
COLUMNS = {"columns": "student_number,name"}
NEW_PASSWORD = "Second#2026x"
#: Files that carry no personal data (templates, counts, unit lists) or one record read in
#: the read audit (the student card, ID-7/DAY-6): no second account needed.
NOT_PERSONAL = {
    ("GET", "/statistics/export"): "counts (hub and nodes)",
    ("GET", "/api/v1/registrations/templates/{id_group}"): "empty template",
    ("GET", "/registration/template/{id_group}"): "empty template",
    ("GET", "/api/v1/admissions/template"): "empty template",
    ("GET", "/admissions/template"): "empty template",
    ("GET", "/api/v1/regions/changes/template"): "empty template",
    ("GET", "/api/v1/schools/changes/template"): "empty template",
    ("GET", "/org/regions/template"): "empty template",
    ("GET", "/org/school-changes/template"): "empty template",
    ("GET", "/api/v1/students/{student_number}/card.docx"): "one record, read audited",
    ("GET", "/students/{student_number}/card.docx"): "one record, read audited",
}
#: Exports of personal data known today (the enumeration must find at least these).
KNOWN = {
    ("GET", "/api/v1/students/export"),
    ("GET", "/api/v1/preschool/export/{id_group}"),
    ("GET", "/api/v1/graduates/export"),
    ("GET", "/api/v1/admissions/export"),
    ("GET", "/api/v1/dropouts/export"),
    ("GET", "/api/v1/applications/export"),
    ("GET", "/api/v1/photos/export"),
    ("GET", "/api/v1/students/batch-edit"),
    ("GET", "/api/v1/bulk-exports/{application_id}/file"),
    ("GET", "/api/v1/problems/export"),
    ("POST", "/students/export"),
    ("POST", "/dropouts/export"),
    ("POST", "/photos/export"),
}


def confirmed_by(username: str, password: str = DEMO_PASSWORD) -> dict[str, str]:
    return {"X-Export-Confirmer": username, "X-Export-Confirmer-Password": password}


async def export_as(mesh: Mesh, requester: str, confirmer: str, password: str = DEMO_PASSWORD):
    headers = confirmed_by(confirmer, password)
    return await mesh.get("44", STUDENTS_EXPORT, as_=requester, params=COLUMNS, headers=headers)


async def open_account(mesh: Mesh, sysadmin: str, username: str, unit: str,
                       change_password: bool) -> None:  # fmt: skip
    """`sysadmin` opens an approver account of `unit`; its owner changes the first password."""
    body = {"username": username, "display_name": "第二账号", "unit_code": unit,
            "role": "approver", "password": "First#2026x"}  # fmt: skip
    opened = await mesh.post("44", "/api/v1/admin/accounts", as_=sysadmin, json=body)
    assert opened.status_code == 201, opened.text
    if change_password:
        token = await mesh.login("44", username, "First#2026x")
        changed = await mesh.post(
            "44",
            "/api/v1/auth/password",
            headers={"Authorization": f"Bearer {token}"},
            json={"old_password": "First#2026x", "new_password": NEW_PASSWORD},
        )
        assert changed.status_code == 200, changed.text


def exports_of(mesh: Mesh, service: str) -> list:
    """The SEC-4 export events of the service's log."""
    node = mesh.runtime(service).node
    topics = ["xueji.access.account:Account.DataExported"]
    notes = node.recorder.select_notifications(start=1, limit=10_000, topics=topics)
    return [node.mapper.to_domain_event(n) for n in notes]


def code_of(response) -> str | None:
    return (
        response.json().get("code")
        if response.headers.get("content-type", "").endswith("json")
        else None
    )


async def test_sec4_confirmer_created_by_requester_refused(mesh: Mesh) -> None:
    """A sysadmin's "second account" that it opened itself confirms nothing for it: the same
    person would hold both passwords. Another person of the unit may use it."""
    await open_account(mesh, "440106_sysadmin", "c440106_second", "440106", change_password=True)
    refused = await export_as(mesh, "440106_sysadmin", "c440106_second", NEW_PASSWORD)
    assert refused.status_code == 403 and code_of(refused) == "confirmer_created_by_requester"
    wrong = await export_as(mesh, "440106_sysadmin", "c440106_second", "Wrong#2026x")
    assert wrong.status_code == 401  # the refusal's reason only with the right password
    other = await export_as(mesh, "440106_registrar", "c440106_second", NEW_PASSWORD)
    assert other.status_code == 200, other.text


async def test_sec4_confirmer_pending_password_change_refused(mesh: Mesh) -> None:
    """An account whose first password its creator chose (and may know) confirms nothing."""
    await open_account(mesh, "440100_sysadmin", "c440100_fresh", "440100", change_password=False)
    refused = await export_as(mesh, "440100_registrar", "c440100_fresh", "First#2026x")
    assert refused.status_code == 403
    assert code_of(refused) == "confirmer_password_change_pending"
    assert (await export_as(mesh, "440100_registrar", "c440100_fresh", "Nope#2026x")).status_code \
        == 401  # fmt: skip


async def test_sec4_confirmer_frozen_refused(mesh: Mesh) -> None:
    """A frozen (SYS-5 sealed) account neither logs in nor confirms an export."""
    runtime = mesh.runtime("44")
    meta = {"account": "440000_sysadmin", "unit_code": "440000", "role": "sysadmin"}
    await runtime.writer(runtime.access.freeze_account, "440303_approver", "长期未使用", meta)
    refused = await export_as(mesh, "440303_registrar", "440303_approver")
    assert refused.status_code == 403 and code_of(refused) == "confirmer_frozen"
    async with mesh.client("44") as client:
        login = await client.post(
            "/api/v1/auth/login", json={"username": "440303_approver", "password": DEMO_PASSWORD}
        )
    assert login.status_code == 403 and login.json()["code"] == "account_frozen"
    await runtime.writer(runtime.access.unfreeze_account, "440303_approver", meta)
    assert (await export_as(mesh, "440303_registrar", "440303_approver")).status_code == 200


def _calls_attachment(endpoint) -> bool:
    """The endpoint hands out a file: it calls `attachment(` itself or through a helper of
    its module (`_xlsx`, `_download` …)."""
    source = inspect.getsource(endpoint)
    if "attachment(" in source:
        return True
    for name in set(re.findall(r"\b(_\w+)\(", source)):
        helper = endpoint.__globals__.get(name)
        if inspect.isfunction(helper) and "attachment(" in inspect.getsource(helper):
            return True
    return False


def _guarded(found: Found) -> bool:
    def walk(dependant) -> bool:
        return any(d.call is personal_export or walk(d) for d in dependant.dependencies)

    route = found.route
    if walk(route.dependant):
        return True  # the API: the `PersonalExport` dependency
    return "confirm_personal_export(" in inspect.getsource(route.endpoint)  # a console page


class Found:
    """A route as the app serves it: its full path, its method, its original `APIRoute`."""

    def __init__(self, path: str, route: APIRoute) -> None:
        self.path, self.route = path, route
        self.endpoint = route.endpoint


def _file_routes(mesh: Mesh) -> list[tuple[str, str, Found]]:
    """Every route of every service that hands out a file (FastAPI includes routers lazily:
    `iter_route_contexts` walks them as the app serves them)."""
    found = []
    for service, app in mesh.apps.items():
        for context in iter_route_contexts(app.routes):
            route = context.original_route
            if isinstance(route, APIRoute) and _calls_attachment(route.endpoint):
                seen = Found(context.path_format or route.path, route)
                found += [(service, method, seen) for method in sorted(route.methods)]
    return found


async def test_sec4_no_file_response_written_by_hand() -> None:
    """Every file goes out through `xueji.http.attachment`, so the enumeration below sees it."""
    hand_written = [
        str(path.relative_to(ROOT))
        for package in ("province_node", "hub", "xueji", "projections")
        for path in (ROOT / package).rglob("*.py")
        if "Content-Disposition" in path.read_text(encoding="utf-8")
        and path != ROOT / "xueji" / "http.py"
    ]
    assert hand_written == []


async def test_sec4_every_personal_export_requires_the_second_account(mesh: Mesh) -> None:
    routes = _file_routes(mesh)
    personal = [(s, m, r) for s, m, r in routes if (m, r.path) not in NOT_PERSONAL]
    assert {(m, r.path) for _, m, r in personal} >= KNOWN, "the enumeration lost a known export"
    unguarded = [(s, m, r.path) for s, m, r in personal if not _guarded(r)]
    assert unguarded == [], f"exports of personal data without SEC-4: {unguarded}"
    for service in {s for s, _, _ in personal}:
        await _refused_without_second_account(mesh, service, [
            (m, r) for s, m, r in personal if s == service])  # fmt: skip


async def _refused_without_second_account(mesh: Mesh, service: str, routes: list) -> None:
    school = school_code(COUNTY[service], 2)
    requester = f"{school}_registrar"  # passes every export's role guard
    clicker = f"{school}_approver"  # its own session: a login of `requester` ends the other
    async with console_session(mesh, clicker, service) as console:
        for method, route in routes:
            path = re.sub(r"\{[^}]+\}", "x", route.path)
            if route.path.startswith("/api/"):
                alone = await mesh.get(service, path, as_=requester)
                assert alone.status_code == 403, (path, alone.text)
                assert code_of(alone) == "second_account_required", path
                myself = await mesh.get(service, path, as_=requester,
                                        headers=confirmed_by(requester))  # fmt: skip
                # refused, and counted: after a few such tries the requester waits
                assert code_of(myself) in {"second_account_required", THROTTLED}, path
            else:  # a console dialog without the second account: the form again, no file
                form = {"confirm_username": clicker, "confirm_password": DEMO_PASSWORD,
                        "purpose": "核对", "school_code": school}  # fmt: skip
                page = await console.request(method, path, data=form)
                assert "attachment" not in page.headers.get("content-disposition", ""), path
                assert page.headers["content-type"].startswith("text/html"), path
    exported = [e.requested_by for e in exports_of(mesh, service)]
    assert requester not in exported and clicker not in exported  # nothing left


async def test_sec4_export_audited_with_row_count(mesh: Mesh) -> None:
    """The export is an event of the node's chained log — requester, confirmer, purpose,
    filters, columns, row count — that the auditor's `/api/v1/audit` shows."""
    params = {"columns": "student_number,name,grade", "region": "440103"}
    done = await mesh.get("44", STUDENTS_EXPORT, as_="440103_registrar", params=params,
                          headers=confirmed_by("440103_approver"))  # fmt: skip
    assert done.status_code == 200, done.text
    assert done.headers["cache-control"] == "no-store"
    assert "filename*=UTF-8''" in done.headers["content-disposition"]
    node = mesh.runtime("44").node
    [event] = [e for e in exports_of(mesh, "44") if e.requested_by == "440103_registrar"]
    assert node.repository.get(event.originator_id).username == "440103_approver"
    assert event.columns == ["student_number", "name", "grade"]
    assert event.filters == params and isinstance(event.rows, int)
    audit = await mesh.get("44", "/api/v1/audit", as_="440000_registrar",
                           params={"unit": "440103", "type": "DataExported"})  # fmt: skip
    assert audit.status_code == 200, audit.text
    [line] = audit.json()["events"]
    assert line["account"] == "440103_registrar" and "学生信息导出" in line["reason"]


async def test_sec4_password_checks_throttled(mesh: Mesh) -> None:
    """Per requester and confirmer a doubling wait after a few wrong passwords (even the
    right one waits, unchecked); another requester of the confirmer is not slowed; one
    requester trying many confirmers is slowed too."""
    requester, confirmer = "440304_registrar", "440304_approver"
    for _ in range(4):
        assert (await export_as(mesh, requester, confirmer, "Wrong#1")).status_code == 401
    assert (await export_as(mesh, requester, confirmer, "Wrong#1")).status_code == 401
    throttled = await export_as(mesh, requester, confirmer)
    assert throttled.status_code == 429
    assert code_of(throttled) == "export_confirmation_throttled"
    first_wait = throttled.json()["retry_after"]
    assert (await export_as(mesh, "440304_sysadmin", confirmer)).status_code == 200
    mesh.clock.advance(seconds=first_wait)
    assert (await export_as(mesh, requester, confirmer, "Wrong#1")).status_code == 401
    again = await export_as(mesh, requester, confirmer)
    assert again.status_code == 429 and again.json()["retry_after"] == 2 * first_wait
    mesh.clock.advance(seconds=again.json()["retry_after"])
    assert (await export_as(mesh, requester, confirmer)).status_code == 200  # no lock

    guesser = "441623_registrar"  # many confirmers, each tried once
    statuses = [(await export_as(mesh, guesser, f"nobody_{i}")).status_code for i in range(11)]
    assert statuses == [403] * 11
    slowed = await export_as(mesh, guesser, "441623_approver")
    assert slowed.status_code == 429 and code_of(slowed) == "export_confirmation_throttled"


async def test_sys6_bulk_export_applied_approved_downloaded_for_a_limited_time(mesh: Mesh) -> None:
    """A county applies (purpose, scope, the commitment accepted) → the province approves on
    the engine → the applicant downloads through the guarded export until it expires; each
    download recorded on the application and as an export."""
    path, applicant = "/api/v1/bulk-exports", "440103_registrar"
    commitment = (await mesh.get("44", f"{path}/commitment", as_=applicant)).json()
    assert "不向任何第三方提供" in commitment["text"]
    body = {"purpose": "控辍保学核查", "region": "440103", "columns": ["student_number", "name"],
            "commitment_sha256": "0" * 64}  # fmt: skip
    unaccepted = await mesh.post("44", path, as_=applicant, json=body)
    assert unaccepted.status_code == 422 and code_of(unaccepted) == "commitment_not_accepted"
    school = await mesh.post("44", path, as_="3440103002_registrar",
                             json=body | {"commitment_sha256": commitment["sha256"]})  # fmt: skip
    assert school.status_code == 422 and code_of(school) == "not_a_bureau"
    applied = await mesh.post("44", path, as_=applicant,
                              json=body | {"commitment_sha256": commitment["sha256"]})  # fmt: skip
    assert applied.status_code == 201, applied.text
    application = applied.json()
    assert application["status"] == "in_progress" and application["commitment"] == commitment[
        "text"]  # fmt: skip
    assert [s["unit_code"] for s in application["chain"]] == ["440000"]  # SYS-1 default row
    file = f"{path}/{application['id']}/file"
    confirm = confirmed_by("440103_approver")
    early = await mesh.get("44", file, as_=applicant, headers=confirm)
    assert early.status_code == 409 and code_of(early) == "not_approved"
    decision = {"approve": True, "opinion": "同意"}
    not_theirs = await mesh.post("44", f"{path}/{application['id']}/decisions",
                                 as_="440100_registrar", json=decision)  # fmt: skip
    assert not_theirs.status_code == 403
    approved = await mesh.post("44", f"{path}/{application['id']}/decisions",
                               as_="440000_approver", json=decision)  # fmt: skip
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "approved" and approved.json()["available_until"]
    other = await mesh.get("44", file, as_="440103_sysadmin", headers=confirm)
    assert other.status_code == 403 and code_of(other) == "not_applicant"
    alone = await mesh.get("44", file, as_=applicant)
    assert code_of(alone) == "second_account_required"
    done = await mesh.get("44", file, as_=applicant, headers=confirm)
    assert done.status_code == 200, done.text
    assert done.headers["content-disposition"].startswith("attachment;")
    shown = (await mesh.get("44", f"{path}/{application['id']}", as_=applicant)).json()
    [download] = shown["downloads"]
    assert download["account"] == applicant and download["confirmer"] == "440103_approver"
    [recorded] = [e for e in exports_of(mesh, "44")
                  if e.filters.get("bulk_export") == application["id"]]  # fmt: skip
    assert recorded.rows == download["rows"] and recorded.columns == ["student_number", "name"]
    mesh.clock.advance(days=8)
    expired = await mesh.get("44", file, as_=applicant, headers=confirm)
    assert expired.status_code == 409 and code_of(expired) == "download_expired"
