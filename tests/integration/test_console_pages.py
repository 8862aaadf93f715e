"""The consoles over HTTP (no browser): every page renders for its users, refusals are pages.

The browser suite (`tests/browser`) drives the main flows; these check the wiring quickly.
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from io import BytesIO

import httpx
import pytest
from openpyxl import load_workbook

from projections import excel
from projections.excel import XLSX
from simulations.demo import school_code
from tests.support.cases import (
    approve_all,
    case_now,
    decide,
    enrolled_student,
    graduate,
    initiate,
)
from tests.support.console import national_query
from tests.support.mesh import Mesh, approve_fully
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR, registration, resident_id

pytestmark = pytest.mark.parametrize("store_urls", ["sqlite"], indirect=True)


@asynccontextmanager
async def _console(mesh: Mesh, service: str, username: str) -> AsyncIterator[httpx.AsyncClient]:
    """A logged-in console user (the session cookie, as a browser keeps it)."""
    async with mesh.client(service) as client:
        response = await client.post(
            "/login", data={"username": username, "password": "Xueji@2026"}
        )
        assert response.status_code == 303, response.text
        client.cookies.set("xueji_session", response.cookies["xueji_session"])
        yield client


async def test_console_pages_render_for_a_school_registrar(mesh: Mesh) -> None:
    async with _console(mesh, "44", REGISTRAR["44"]) as client:
        for path in (
            "/",
            "/registration/new",
            "/registration/import",
            "/registration/report",
            "/registration/list",
            "/students",
            "/students?name=张",
            "/password",
            "/transfers/new",
            "/transfers/pending",
            "/enrollments/query",
            "/national",
        ):
            page = await client.get(path, headers={"accept": "text/html"})
            assert page.status_code == 200, (path, page.text[:2000])
            assert "天河区" in page.text and REGISTRAR["44"] in page.text, path
        menu = (await client.get("/")).text
        assert "学籍注册录入" in menu and "跨省转学申请" in menu
        assert "学籍注册审核" not in menu  # a registrar reports, the approver reviews
        transfer = (await client.get("/transfers/pending")).text
        assert "暂无待本单位核办的申请" in transfer  # an empty list is a page, not an error
        missing = await client.get("/no-such-page", headers={"accept": "text/html"})
        assert missing.status_code == 404 and "页面不存在" in missing.text
        check = await client.post(
            "/registration/check-id", data={"id_type": "1", "id_number": resident_id()}
        )
        assert "校验通过" in check.text and "2015-03-09" in check.text
        bad = await client.post(
            "/registration/check-id", data={"id_type": "1", "id_number": "440106201503091230"}
        )
        assert "校验位不正确" in bad.text
        passport = {"id_type": "A", "id_number": "E12345678"}
        typing = await client.post("/registration/check-id", data=passport)
        assert "手工填写" in typing.text and "hx-swap-oob" not in typing.text
        changed = await client.post(
            "/registration/check-id", data=passport, headers={"hx-trigger": "f-id_type"}
        )
        assert "hx-swap-oob" in changed.text and "readonly" not in changed.text


async def test_console_enters_a_student_and_the_approver_sees_it(mesh: Mesh) -> None:
    school = JUNIOR_SCHOOL["44"]
    async with _console(mesh, "44", REGISTRAR["44"]) as client:
        page = await client.post(
            "/registration/new",
            data={
                "entry": "non_primary",
                "id_type": "1",
                "id_number": resident_id(sequence=321),
                "name": "陈小东",
                "class_code": "2026201",
            },
        )
        assert page.status_code == 200, page.text
        assert "已提交 陈小东" in page.text
        refused = await client.post(
            "/registration/new",
            data={
                "entry": "non_primary",
                "id_type": "1",
                "id_number": "44010620150309123",
                "name": "错号",
                "class_code": "2026201",
            },
        )
        assert refused.status_code == 422 and "18位" in refused.text
    async with _console(mesh, "44", f"{school}_approver") as client:
        review = (await client.get("/registration/review")).text
        assert "陈小东" in review and "学籍注册审核" in review


async def test_console_detail_outside_the_jurisdiction_is_refused(mesh: Mesh) -> None:
    body = registration(JUNIOR_SCHOOL["44"], resident_id(sequence=246), name="林一")
    created = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    number = created.json()["student_number"]
    await approve_fully(mesh, "44", created.json()["id"])
    async with _console(mesh, "44", "440106_registrar") as client:
        page = await client.get(f"/students/{number}")
        assert page.status_code == 200 and "林一" in page.text
        found = await client.get("/students", params={"student_number": number})
        assert "林一" in found.text
    async with _console(mesh, "44", "440103_registrar") as client:
        page = await client.get(f"/students/{number}")
        assert page.status_code == 404 and "林一" not in page.text
        found = await client.get("/students", params={"student_number": number})
        assert "林一" not in found.text


async def test_hub_console_national_query(mesh: Mesh) -> None:
    async with _console(mesh, "hub", "moe_registrar") as client:
        for path in ("/", "/national", "/monitoring"):
            page = await client.get(path)
            assert page.status_code == 200 and "教育部" in page.text, path
        empty = await national_query(mesh, client, "hub", "无此人", resident_id())
        assert "未查到" in empty.text


async def test_transfer_pages_show_the_domains_refusals_next_to_the_field(mesh: Mesh) -> None:
    """XPT-2, XPT-3, XPT-4 pages on the node's own cases service: what the application and
    the hub refuse is said next to its field (the pages check nothing themselves)."""
    number = await enrolled_student(mesh, "44", 437, name="粤小明")
    async with _console(mesh, "34", REGISTRAR["34"]) as client:
        found = await client.get("/transfers/new", params={"name": "粤小明", "number": number})
        assert "第二步：填写申请" in found.text
        form = {"student_name": "粤小明", "student_number": number, "reason": "随父母工作调动"}
        missing = await client.post("/transfers/new", data=form | {"target_class_code": ""})
        assert missing.status_code == 422 and "请选择转入班级" in missing.text
        wrong = await client.post("/transfers/new", data=form | {"target_class_code": "2026299"})
        assert wrong.status_code == 422 and 'class="error" role="alert">班级 2026299' in wrong.text
        silent = await client.post(
            "/transfers/new", data=form | {"target_class_code": "2026201", "reason": " "}
        )
        assert silent.status_code == 422 and "请填写申请理由" in silent.text
        created = await client.post("/transfers/new", data=form | {"target_class_code": "2026201"})
        assert "已发起跨省转学申请" in created.text
    async with _console(mesh, "34", f"{JUNIOR_SCHOOL['34']}_approver") as client:
        pending = await client.get("/transfers/pending")
        assert pending.text.count("/decision") == 1  # the refused forms stored nothing
        case_id = pending.text.split('action="/transfers/')[1].split("/")[0]
        refused = await client.post(f"/transfers/{case_id}/decision", data={"approve": "0"})
        assert "核办不通过时必须填写意见" in refused.text  # the hub's rule, in the dialog
        assert f'id="d-{case_id}" aria-labelledby="t-{case_id}" data-open' in refused.text
        case = await case_now(mesh, case_id)
        assert case["step"] == "in_school" and case["status"] == "in_progress"
        await client.post(f"/transfers/{case_id}/decision", data={"approve": "1"})
        detail = (await client.get(f"/transfers/{case_id}")).text
        assert "转入学校核办" in detail and "转入地教育局核办" in detail and "办理中" in detail
        assert (await client.post(f"/transfers/{case_id}/revoke")).status_code == 403
    async with _console(mesh, "34", REGISTRAR["34"]) as client:
        revoke = await client.get("/transfers/revoke")
        assert "撤销" in revoke.text and "粤小明" in revoke.text
        done = await client.post(f"/transfers/{case_id}/revoke")
        assert done.status_code == 303  # then the detail page: a reload repeats nothing
        assert "已撤销" in (await client.get(done.headers["location"])).text


async def test_pages_say_when_the_central_platform_is_unreachable(mesh: Mesh, nats_server) -> None:
    async with _console(mesh, "44", REGISTRAR["44"]) as client:
        nats_server.stop()
        await mesh.wait_until(lambda: not mesh.runtime("44").bus.connected)
        home = await client.get("/")
        assert "中央平台暂不可达" in home.text and "照常可用" in home.text
        assert (await client.get("/registration/report")).status_code == 200  # local work goes on
        nats_server.start()
        await mesh.wait_until(lambda: mesh.runtime("44").bus.connected, timeout=30)
        assert "中央平台暂不可达" not in (await client.get("/")).text


async def test_sec1_a_new_login_elsewhere_ends_the_console_session(mesh: Mesh) -> None:
    async with _console(mesh, "44", REGISTRAR["44"]) as browser:
        elsewhere = await mesh.post(
            "44",
            "/api/v1/auth/login",
            json={"username": REGISTRAR["44"], "password": "Xueji@2026"},
        )
        assert elsewhere.status_code == 200
        page = await browser.get("/students")
        assert page.status_code == 303 and "session_replaced" in page.headers["location"]
        login = await browser.get(page.headers["location"])
        assert "该账号已在别处登录" in login.text


async def test_sec3_sysadmin_forces_a_user_offline(mesh: Mesh) -> None:
    async with _console(mesh, "44", REGISTRAR["44"]) as registrar:
        async with _console(mesh, "44", "440106_sysadmin") as admin:
            listed = await admin.get("/admin/online-users")
            assert REGISTRAR["44"] in listed.text
            done = await admin.post(f"/admin/online-users/{REGISTRAR['44']}/force-offline")
            assert "已强制 1 个用户下线" in done.text
        ended = await registrar.get("/")
        assert "forced_offline" in ended.headers["location"]
        refused = await registrar.get("/admin/online-users")
        assert refused.status_code == 303  # logged out first; a registrar is refused anyway


async def test_transfer_pages_on_the_real_transfer_api(mesh: Mesh) -> None:
    """The console drives the node's own transfer endpoints (XPT-2, XPT-3, XPT-5)."""
    number = await enrolled_student(mesh, "44", 431, name="粤小华")
    async with _console(mesh, "34", REGISTRAR["34"]) as client:
        found = await client.get("/transfers/new", params={"name": "粤小华", "number": number})
        assert "第二步：填写申请" in found.text and "广东省" in found.text
        created = await client.post(
            "/transfers/new",
            data={
                "student_name": "粤小华",
                "student_number": number,
                "target_class_code": "2026201",
                "reason": "随父母工作调动",
            },
        )
        assert "已发起跨省转学申请" in created.text, created.text
        listed = await client.get("/transfers/query")
        assert "粤小华" in listed.text and "核办中" in listed.text
    async with _console(mesh, "34", f"{JUNIOR_SCHOOL['34']}_approver") as client:
        pending = await client.get("/transfers/pending")
        assert "粤小华" in pending.text
        case_id = pending.text.split('action="/transfers/')[1].split("/")[0]
        refused = await client.post(f"/transfers/{case_id}/decision", data={"approve": "0"})
        assert "核办不通过时必须填写意见" in refused.text  # the hub's rule, next to the field
        await client.post(
            f"/transfers/{case_id}/decision", data={"approve": "1", "opinion": "同意"}
        )
        detail = (await client.get(f"/transfers/{case_id}")).text
        assert "转入学校核办" in detail and "通过" in detail and "办理中" in detail
        assert "撤销申请" not in detail  # only the initiating school's registrar revokes
    async with _console(mesh, "34", REGISTRAR["34"]) as client:
        assert "撤销申请" in (await client.get(f"/transfers/{case_id}")).text
    async with _console(mesh, "hub", "moe_registrar") as client:
        listed = (await client.get("/transfers/query")).text
        assert "粤小华" in listed and "广东省" in listed
        seen = (await client.get(f"/transfers/{case_id}")).text
        assert "转出地教育局核办" in seen and "撤销申请" not in seen
        assert (await client.get("/nothing/query")).status_code == 404


async def test_qry1_student_query_filters_conditions_and_export(mesh: Mesh) -> None:
    """在校生查询 / 学生信息查询 on the read model; the export after a second account (SEC-4)."""
    for sequence, name in ((611, "查询甲"), (612, "查询乙")):
        body = registration(JUNIOR_SCHOOL["44"], resident_id(sequence=sequence), name=name)
        created = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
        await approve_fully(mesh, "44", created.json()["id"])
    async with _console(mesh, "44", "440106_registrar") as client:
        listed = (await client.get("/students", params={"name": "查询"})).text
        assert "查询甲" in listed and "查询乙" in listed and "共 2 人" in listed
        by_school = await client.get(
            "/students",
            params={"school_code": JUNIOR_SCHOOL["44"], "c0_field": "name", "c0_value": "查询乙"},
        )
        assert "查询乙" in by_school.text and "查询甲" not in by_school.text
        bad = await client.get("/students", params={"c0_field": "has_photo", "c0_value": "也许"})
        assert bad.status_code == 422 and "true 或 false" in bad.text
        outside = await client.get("/students", params={"region": "440103"})
        assert "不在本单位管辖范围内" in outside.text
        info = (await client.get("/students/info", params={"name": "查询甲"})).text
        assert "学生信息查询" in info and "查询甲" in info and "注册完成" in info
        form = {"name": "查询", "columns": ["student_number", "name"], "purpose": "核对"}
        wrong = await client.post(
            "/students/export",
            data=form | {"confirm_username": "440106_approver", "confirm_password": "nope"},
        )
        assert "用户名或密码错误" in wrong.text and "data-open" in wrong.text
        good = await client.post(
            "/students/export",
            data=form | {"confirm_username": "440106_approver", "confirm_password": "Xueji@2026"},
        )
        assert good.status_code == 200 and good.headers["content-type"].startswith(XLSX)
        sheet = load_workbook(BytesIO(good.content)).active
        values = [[c.value for c in row] for row in sheet.iter_rows()]
        assert values[0] == ["全国学籍号", "姓名"] and {r[1] for r in values[1:]} == {
            "查询甲",
            "查询乙",
        }


async def test_sec8_exports_are_built_off_the_event_loop(
    mesh: Mesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A workbook of up to 100,000 rows takes seconds: the console's export and the API's
    build it on a worker thread, never on the loop that answers every other request."""
    built_on: list[threading.Thread] = []
    build = excel.workbook

    def recording(*args, **kwargs):
        built_on.append(threading.current_thread())
        return build(*args, **kwargs)

    monkeypatch.setattr(excel, "workbook", recording)
    loop_thread = threading.current_thread()
    async with _console(mesh, "44", "440106_registrar") as client:
        form = {"columns": ["student_number", "name"], "purpose": "核对"}
        confirm = {"confirm_username": "440106_approver", "confirm_password": "Xueji@2026"}
        page = await client.post("/students/export", data=form | confirm)
        assert page.status_code == 200 and page.headers["content-type"].startswith(XLSX)
    confirmer = {
        "X-Export-Confirmer": "440000_approver",
        "X-Export-Confirmer-Password": "Xueji@2026",
    }
    api = await mesh.get(
        "44",
        "/api/v1/students/export",
        as_="440000_registrar",
        params={"columns": "student_number,name"},
        headers=confirmer,
    )
    assert api.status_code == 200, api.text
    assert len(built_on) == 2 and loop_thread not in built_on


async def test_pge3_graduating_side_rejection_dialog_sends_the_ground(mesh: Mesh) -> None:
    """The graduating county's dialog says what is no ground; the hub's refusal is shown."""
    number = await enrolled_student(mesh, "44", 432, name="粤毕业", class_code="2023201")
    await graduate(mesh, number)  # PGE-1: junior-high graduates
    senior = school_code("340104", 4)
    path = "/api/v1/enrollments"
    case = await initiate(
        mesh,
        number,
        name="粤毕业",
        path=path,
        class_code="2026301",
        registrar=f"{senior}_registrar",
    )
    case = case.json()
    async with _console(mesh, "34", f"{senior}_approver") as client:
        admitting = (await client.get("/enrollments/pending")).text
        assert "粤毕业" in admitting and "不予通过的理由类别" not in admitting  # admitting side
    for _ in range(2):
        case = (await decide(mesh, case, path=path)).json()
    assert case["step"] == "out_bureau"
    async with _console(mesh, "44", "440106_registrar") as client:
        page = (await client.get("/enrollments/pending")).text
        assert "不得以涉嫌违规招生或考试成绩为由不予通过" in page and 'name="ground"' in page
        decision = f"/enrollments/{case['id']}/decision"
        refused = await client.post(
            decision, data={"approve": "0", "opinion": "成绩不符", "ground": "scores"}
        )
        error = refused.text.split(f'id="ge-{case["id"]}"')[1].split("</span>")[0]
        assert "毕业方不得以“考试成绩”为由不予通过" in error
        assert "data-open" in refused.text and "成绩不符" in refused.text  # kept in the dialog
        done = await client.post(
            decision, data={"approve": "0", "opinion": "学生本人放弃", "ground": "withdrawn"}
        )
        assert "核办不通过" in done.text and "粤毕业" not in done.text
    final = await case_now(mesh, case["id"], path=path, as_=f"{senior}_registrar")
    assert final["status"] == "rejected"


async def test_xpt3_approved_case_waits_as_a_pull_on_the_registrar_s_page(mesh: Mesh) -> None:
    """Not a decide button that can only fail (`case_closed`): a pull, for the registrar."""
    number = await enrolled_student(mesh, "44", 433, name="粤调档")
    case = await approve_all(mesh, (await initiate(mesh, number, name="粤调档")).json())
    async with _console(mesh, "34", f"{JUNIOR_SCHOOL['34']}_approver") as client:
        assert "粤调档" not in (await client.get("/transfers/pending")).text
    async with _console(mesh, "34", REGISTRAR["34"]) as client:
        assert "跨省转学调档" in (await client.get("/")).text
        page = (await client.get("/transfers/pending")).text
        assert "粤调档" in page and f'action="/transfers/{case["id"]}/archive-pull"' in page
        assert f"/transfers/{case['id']}/decision" not in page
        pulled = await client.post(f"/transfers/{case['id']}/archive-pull")
        assert pulled.status_code == 303
        assert "已调档" in (await client.get(pulled.headers["location"])).text


async def test_sys2_ministry_enters_a_missing_year_on_the_hub_console(mesh: Mesh) -> None:
    async with _console(mesh, "hub", "moe_registrar") as client:
        page = await client.get("/calendar?year=2027")
        assert page.status_code == 200 and "未录入" in page.text and "保存" not in page.text
        assert "2027年的法定节假日和调休上班日尚未录入" in page.text  # today: Nov 22, 2026
        assert "节假日录入" in (await client.get("/")).text  # in the menu
        assert (await client.post("/calendar", data={"year": "2027"})).status_code == 403
    async with _console(mesh, "hub", "moe_sysadmin") as client:
        wrong = await client.post(
            "/calendar", data={"year": "2027", "holidays": "2027-01-01", "workdays": "2027-01-04"}
        )
        assert wrong.status_code == 422 and "调休上班日应为周六或周日" in wrong.text
        saved = await client.post(
            "/calendar",
            data={"year": "2027", "holidays": "2027-01-01\n2027-02-08", "workdays": "2027-02-14"},
        )
        assert saved.status_code == 200 and "已保存 2027 年" in saved.text
        assert "教育部录入" in saved.text and "尚未录入" not in saved.text
        statutory = await client.get("/calendar?year=2026")
        assert "国务院公布" in statutory.text and "2026-10-01" in statutory.text
    assert mesh.runtime("hub").hub.calendar_years[2027].holidays  # what deadlines now use
