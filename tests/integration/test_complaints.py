"""SYS-4 complaints (`[003 附件2–4]`): the province's 问题报告单 to the ministry, the ministry's
核查单 (technical) and 督办单 (administrative) to a province, each with a deadline, states and
a history, on the hub and from the province nodes; the complaint contacts of each level."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.support.console import console_session
from tests.support.mesh import Mesh


@pytest.fixture(scope="module")
def mesh(module_mesh: Mesh) -> Mesh:
    """One mesh for the whole module (tests/conftest.py `module_mesh`)."""
    return module_mesh


pytestmark = pytest.mark.asyncio(loop_scope="module")
PROVINCES = ["34", "44"]
CONTACT = {"name": "李明", "unit": "广东省教育厅", "phone": "020-12345678"}
REPORT = {"business_contact": CONTACT, "technical_contact": CONTACT | {"name": "王工"},
          "problems": ["跨省转学申请在转出地停留超过期限", "学籍号查询偶发超时"]}  # fmt: skip


def _form(kind: str, deadline: str, province: str = "44") -> dict:
    return {
        "kind": kind,
        "province": province,
        "reporter": {"name": "张家长", "phone": "13800000000", "id_number": "440106198001011234"},
        "student": {"name": "张小明", "student_number": "G440106201503091239"},
        "matter": "反映学生学籍被他省学校占用，无法在本省注册",
        "issuer": {"unit": "教育部", "person": "赵处长", "phone": "010-66000000"},
        "deadline": deadline,
    }


async def test_sys4_report_from_a_province_accepted_and_answered_by_the_ministry(
    mesh: Mesh,
) -> None:
    filed = await mesh.post("44", "/api/v1/complaints/reports", as_="440000_registrar",
                            json=REPORT)  # fmt: skip
    assert filed.status_code == 201, filed.text
    report = filed.json()
    today = mesh.clock.today()
    assert (report["kind"], report["state"], report["province"]) == ("report", "submitted", "44")
    assert report["deadline"] == (today + timedelta(days=15)).isoformat()
    assert report["form"]["problems"] == REPORT["problems"]
    school = await mesh.post("44", "/api/v1/complaints/reports", as_="3440106002_registrar",
                             json=REPORT)  # fmt: skip
    assert school.status_code == 403  # the province level reports
    empty = await mesh.post("44", "/api/v1/complaints/reports", as_="440000_registrar",
                            json=REPORT | {"problems": []})  # fmt: skip
    assert empty.status_code == 422 and empty.json()["field"] == "problems"

    hub, path = "hub", f"/api/v1/complaints/{report['id']}"
    listed = (await mesh.get(hub, "/api/v1/complaints?kind=report", as_="moe_registrar")).json()
    assert [c["id"] for c in listed["items"]] == [report["id"]]
    early = await mesh.post(hub, f"{path}/answer", as_="moe_registrar", json={"text": "已处理"})
    assert early.status_code == 409 and early.json()["code"] == "not_answerable"
    accepted = await mesh.post(hub, f"{path}/acceptance", as_="moe_registrar",
                               json={"receiver": "赵处长", "unit": "基础教育一司"})  # fmt: skip
    assert accepted.status_code == 200 and accepted.json()["state"] == "accepted"
    answered = await mesh.post(hub, f"{path}/answer", as_="moe_registrar",
                               json={"text": "已督促转出省限期办理"})  # fmt: skip
    assert answered.json()["state"] == "answered"
    seen = (await mesh.get("44", path, as_="440000_registrar")).json()  # the province sees it
    assert [h["action"] for h in seen["history"]] == ["filed", "accepted", "answered"]
    assert seen["answer"]["text"] == "已督促转出省限期办理"
    other = await mesh.get("34", path, as_="340000_registrar")
    assert other.status_code == 404  # another province's form: as none


async def test_sys4_verification_by_the_technical_and_supervision_by_the_administrative(
    mesh: Mesh,
) -> None:
    due = (mesh.clock.today() + timedelta(days=10)).isoformat()
    wrong = await mesh.post("hub", "/api/v1/complaints", as_="moe_registrar",
                            json=_form("verification", due))  # fmt: skip
    assert wrong.status_code == 403 and wrong.json()["code"] == "not_the_issuing_department"
    past = await mesh.post("hub", "/api/v1/complaints", as_="moe_sysadmin",
                           json=_form("verification", "2020-01-01"))  # fmt: skip
    assert past.status_code == 422 and past.json()["field"] == "deadline"
    issued = await mesh.post("hub", "/api/v1/complaints", as_="moe_sysadmin",
                             json=_form("verification", due))  # fmt: skip
    assert issued.status_code == 201, issued.text
    verification = issued.json()
    assert verification["state"] == "issued" and verification["deadline"] == due
    path = f"/api/v1/complaints/{verification['id']}"
    handler = {"unit": "广东省教育厅", "person": "李明", "phone": "020-12345678"}
    answer = {"text": "经核实，该生学籍已于3月迁回", "handler": handler}
    foreign = await mesh.post("34", f"{path}/answer", as_="340000_registrar", json=answer)
    assert foreign.status_code == 404
    answered = await mesh.post("44", f"{path}/answer", as_="440000_registrar", json=answer)
    assert answered.status_code == 200, answered.text
    assert answered.json()["state"] == "answered"
    back = await mesh.post("hub", f"{path}/return", as_="moe_sysadmin", json={"note": "请附证明"})
    assert back.json()["state"] == "returned"
    again = await mesh.post("44", f"{path}/answer", as_="440000_registrar", json=answer)
    assert again.json()["state"] == "answered"
    closed = await mesh.post("hub", f"{path}/closure", as_="moe_sysadmin", json={})
    assert closed.json()["state"] == "closed"
    history = [h["action"] for h in closed.json()["history"]]
    assert history == ["filed", "answered", "returned", "answered", "closed"]

    supervision = await mesh.post("hub", "/api/v1/complaints", as_="moe_approver",
                                  json=_form("supervision", due))  # fmt: skip
    assert supervision.status_code == 201, supervision.text
    assert not supervision.json()["overdue"]
    mesh.clock.advance(days=11)
    mine = (await mesh.get("44", "/api/v1/complaints", as_="440000_registrar")).json()
    [late] = [c for c in mine["items"] if c["id"] == supervision.json()["id"]]
    assert late["overdue"] and late["state"] == "issued"
    assert not next(c for c in mine["items"] if c["id"] == verification["id"])["overdue"]


async def test_sys4_complaint_contacts_published_per_level(mesh: Mesh) -> None:
    contact = {"phone": "020-81234567", "email": "xueji@lw.gz.gov.cn"}
    put = await mesh.put("44", "/api/v1/complaint-contacts/440103", as_="440100_sysadmin",
                         json=contact)  # fmt: skip
    assert put.status_code == 200, put.text
    outside = await mesh.put("44", "/api/v1/complaint-contacts/440106", as_="440103_sysadmin",
                             json=contact)  # fmt: skip
    assert outside.status_code == 403
    bad = await mesh.put("44", "/api/v1/complaint-contacts/440103", as_="440100_sysadmin",
                         json={"phone": "020-81234567", "email": "nope"})  # fmt: skip
    assert bad.status_code == 422 and bad.json()["field"] == "email"
    public = await mesh.get("hub", "/api/v1/complaint-contacts")  # no login
    assert public.status_code == 200
    items = public.json()["items"]
    assert items[0]["phone"] == "010-66119801"  # the ministry's call centre first
    assert {"unit_code": "440103", "level": "county"}.items() <= items[
        1].items()  # fmt: skip
    page = await mesh.get("hub", "/complaints/contacts")
    assert page.status_code == 200 and "xueji@lw.gz.gov.cn" in page.text and "荔湾区" in page.text


async def test_sys4_hub_console_lists_and_acts_on_complaints(mesh: Mesh) -> None:
    due = (mesh.clock.today() + timedelta(days=5)).isoformat()
    issued = await mesh.post("hub", "/api/v1/complaints", as_="moe_approver",
                             json=_form("supervision", due))  # fmt: skip
    complaint_id = issued.json()["id"]
    async with console_session(mesh, "moe_registrar", "hub") as console:
        listing = await console.get("/complaints")
        assert listing.status_code == 200 and "问题督办单" in listing.text
        assert complaint_id in listing.text
        detail = await console.get(f"/complaints/{complaint_id}")
        assert detail.status_code == 200 and "张小明" in detail.text and "已交办" in detail.text
        filed = await mesh.post("44", "/api/v1/complaints/reports", as_="440000_sysadmin",
                                json=REPORT)  # fmt: skip
        report = filed.json()["id"]
        missing = await console.post(f"/complaints/{report}/accept", data={"unit": "一司"})
        assert missing.status_code == 422 and "请填写此项" in missing.text
        done = await console.post(f"/complaints/{report}/accept",
                                  data={"receiver": "赵处长", "unit": "基础教育一司"})  # fmt: skip
        assert done.status_code == 303
        shown = await console.get(f"/complaints/{report}")
        assert "已受理" in shown.text and "赵处长" in shown.text
