"""Read models (AUD-3) and the queries on them (QRY-1, QRY-2, QRY-6), on real SQLite and NATS.

The scenario, in province 44: students registered and approved in two counties (天河 440106,
荔湾 440103), one registration still in review, one returned, one deleted before the report,
one student deleted after the county confirmed (REG-9), one deletion refused.
"""

from __future__ import annotations

import io
import json

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from contracts import subjects
from contracts.meta import CommandMeta
from contracts.queries import CountStudents
from simulations.demo import DEMO_PASSWORD, school_code
from simulations.population import person
from tests.support.mesh import Mesh, approve_fully
from tests.support.people import JUNIOR_SCHOOL, REGISTRAR, registration, resident_id

TIANHE = JUNIOR_SCHOOL["44"]  # 3440106002, county 440106
LIWAN = school_code("440103", 2)  # county 440103
PATH = "/api/v1/registrations"
PROVINCE = "440000_registrar"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def _submit(mesh: Mesh, school: str, id_number: str, name: str, **extra) -> dict:
    body = registration(school, id_number, name=name, **extra)
    response = await mesh.post("44", PATH, as_=f"{school}_registrar", json=body)
    assert response.status_code == 201, response.text
    return response.json()


async def _student(mesh: Mesh, school: str, index: int, **extra) -> dict:
    someone = person("44", index)  # known to the registry: a formal G number
    entry = await _submit(mesh, school, someone.id_number, someone.name, **extra)
    return await approve_fully(mesh, "44", entry["id"])


async def scenario(mesh: Mesh) -> dict:
    """The mixed scenario; returns the numbers and ids the tests look for."""
    tianhe = [await _student(mesh, TIANHE, i) for i in (1, 2, 3)]
    liwan = [await _student(mesh, LIWAN, i, class_code="2025201") for i in (4, 5)]
    in_review = await _submit(mesh, TIANHE, resident_id(sequence=401), "李四")
    returned = await _submit(mesh, TIANHE, resident_id(sequence=403), "王五")
    refused = await mesh.post(
        "44",
        f"{PATH}/{returned['id']}/decisions",
        as_=f"{TIANHE}_approver",
        json={"approve": False, "opinion": "信息有误"},
    )
    assert refused.status_code == 200
    dropped = await _submit(mesh, TIANHE, resident_id(sequence=405), "赵六")
    assert (
        await mesh.request_delete("44", f"{PATH}/{dropped['id']}", as_=REGISTRAR["44"])
    ).is_success
    deleted = await approve_fully(
        mesh, "44", (await _submit(mesh, TIANHE, resident_id(sequence=407), "钱七"))["id"]
    )
    kept = await approve_fully(
        mesh, "44", (await _submit(mesh, TIANHE, resident_id(sequence=409), "孙八"))["id"]
    )
    for number, approve in ((deleted["student_number"], True), (kept["student_number"], False)):
        path = f"/api/v1/students/{number}/deletion-request"
        asked = await mesh.post("44", path, as_=REGISTRAR["44"], json={"reason": "误操作"})
        assert asked.status_code == 200, asked.text
        decision = {"approve": approve, "opinion": None if approve else "学籍信息无误，不予删除"}
        decided = await mesh.post("44", f"{path}/decision", as_="440106_registrar", json=decision)
        assert decided.status_code == 200, decided.text
    return {
        "tianhe": [s["student_number"] for s in tianhe] + [kept["student_number"]],
        "liwan": [s["student_number"] for s in liwan],
        "deleted": deleted["student_number"],
        "in_review": in_review["id"],
        "returned": returned["id"],
        "dropped": dropped["id"],
    }


def _tables(views) -> dict[str, list[dict]]:
    """Every row of every view table, in key order."""

    def dump(connection) -> dict[str, list[dict]]:
        out = {}
        for projector in views.projectors.values():
            for table in projector.view.metadata.sorted_tables:
                key = next(iter(table.primary_key.columns))
                rows = connection.execute(select(table).order_by(key)).mappings()
                out[table.name] = [dict(r) for r in rows]
        return out

    return views.read_now(dump)


async def test_aud3_rebuilt_equals_live(mesh: Mesh) -> None:
    await scenario(mesh)
    views = mesh.runtime("44").views
    assert await views.caught_up()
    live = _tables(views)
    assert len(live["prov44_v_students"]) == 7 and len(live["prov44_v_registrations"]) == 10
    path = "/api/v1/admin/views/students/rebuild"
    refused = await mesh.post("44", path, as_="440106_sysadmin")
    assert refused.status_code == 403
    rebuilt = await mesh.post("44", path, as_="440000_sysadmin")
    assert rebuilt.status_code == 200 and rebuilt.json()["lag"] == 0, rebuilt.text
    await views.writer(views.rebuild, "registrations")
    await views.writer(views.rebuild, "pending")
    assert _tables(views) == live
    for row in live["prov44_v_students"] + live["prov44_v_registrations"]:
        assert row["event_count"] == row["version"]  # no event applied twice, none missed


async def test_aud3_registrations_view_shows_what_the_aggregate_shows(mesh: Mesh) -> None:
    ids = await scenario(mesh)
    listed = (await mesh.get("44", PATH, as_=PROVINCE)).json()["items"]
    assert len(listed) == 10
    for item in listed:
        live = (await mesh.get("44", f"{PATH}/{item['id']}", as_=PROVINCE)).json()
        assert item == live
    by_status = {
        status: {
            i["id"]
            for i in (await mesh.get("44", PATH, as_=PROVINCE, params={"status": status})).json()[
                "items"
            ]
        }
        for status in ("in_review", "returned", "deleted", "registered")
    }
    assert by_status["in_review"] == {ids["in_review"]}
    assert by_status["returned"] == {ids["returned"]}
    assert by_status["deleted"] == {ids["dropped"]}  # closed: invisible before the view
    assert len(by_status["registered"]) == 7


async def _students(mesh: Mesh, user: str, path: str = "/api/v1/students", **params):
    return await mesh.get("44", path, as_=user, params=params)


async def _numbers(mesh: Mesh, user: str, **params) -> set[str]:
    response = await _students(mesh, user, page_size=200, **params)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["total"] == len(body["items"])
    return {i["student_number"] for i in body["items"]}


async def test_qry1_filters_and_custom_conditions(mesh: Mesh) -> None:
    ids = await scenario(mesh)
    enrolled = set(ids["tianhe"] + ids["liwan"])
    first = person("44", 1)
    assert await _numbers(mesh, PROVINCE) == enrolled  # the deleted one is not enrolled
    assert await _numbers(mesh, PROVINCE, region="440103") == set(ids["liwan"])
    assert await _numbers(mesh, PROVINCE, region="440100") == enrolled  # the city of both
    assert await _numbers(mesh, PROVINCE, school_code=TIANHE) == set(ids["tianhe"])
    assert await _numbers(mesh, PROVINCE, class_code="2025201") == set(ids["liwan"])
    assert await _numbers(mesh, PROVINCE, grade="初中2025级") == set(ids["liwan"])
    assert await _numbers(mesh, PROVINCE, name=first.name[1:]) >= {"G" + first.id_number}
    assert await _numbers(mesh, PROVINCE, id_number=first.id_number) == {"G" + first.id_number}
    assert await _numbers(mesh, PROVINCE, student_number=ids["liwan"][0]) == {ids["liwan"][0]}
    assert await _numbers(mesh, PROVINCE, has_photo="false") == enrolled
    assert await _numbers(mesh, PROVINCE, has_photo="true") == set()
    assert await _numbers(mesh, PROVINCE, status="已删除") == {ids["deleted"]}
    kinds = {"G": await _numbers(mesh, PROVINCE, cond="number_kind:eq:G")}
    kinds["L"] = await _numbers(mesh, PROVINCE, cond=["number_kind:ne:G", "guardians_count:lt:1"])
    assert kinds == {"G": enrolled - {ids["tianhe"][-1]}, "L": {ids["tianhe"][-1]}}
    assert await _numbers(mesh, PROVINCE, cond="region_code:in:440103|440999") == set(ids["liwan"])
    assert await _numbers(mesh, PROVINCE, cond="school_name:contains:荔湾") == set(ids["liwan"])

    page = (await _students(mesh, PROVINCE, sort="-student_number", page=2, page_size=2)).json()
    assert page["total"] == 6
    assert [i["student_number"] for i in page["items"]] == sorted(enrolled, reverse=True)[2:4]
    item = page["items"][0]
    assert {"name", "sex", "birth_date", "id_type", "school_code", "grade", "city_code"} <= set(
        item
    )
    assert item["region_code"] in ("440103", "440106") and item["status"] == "在校"


@pytest.mark.parametrize(
    ("cond", "code", "named"),
    [
        ("nosuch:eq:1", "unknown_field", "nosuch"),
        ("sex:like:1", "unknown_operator", "like"),
        ("has_photo:eq:maybe", "bad_value", "has_photo"),
        ("guardians_count:gt:many", "bad_value", "guardians_count"),
        ("name", "bad_condition", "name"),
    ],
)
async def test_qry1_bad_custom_condition_is_422_naming_it(
    mesh: Mesh, cond: str, code: str, named: str
) -> None:
    response = await _students(mesh, PROVINCE, cond=cond)
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["field"]) == (code, "cond") and named in body["detail"]
    sort = await _students(mesh, PROVINCE, sort="-nosuch")
    assert sort.status_code == 422 and sort.json()["field"] == "sort"


async def test_qry1_a_county_user_never_sees_another_county(mesh: Mesh) -> None:
    ids = await scenario(mesh)
    liwan = "440103_registrar"
    assert await _numbers(mesh, liwan) == set(ids["liwan"])
    assert await _numbers(mesh, liwan, cond=f"school_code:eq:{TIANHE}") == set()
    assert await _numbers(mesh, liwan, name="") == set(ids["liwan"])
    info = (await _students(mesh, liwan, "/api/v1/students/info")).json()
    assert {i["school_code"] for i in info["items"]} == {LIWAN}
    for params in ({"region": "440106"}, {"school_code": TIANHE}, {"region": "440000"}):
        refused = await _students(mesh, liwan, **params)
        assert refused.status_code == 403 and ids["tianhe"][0] not in refused.text
    assert await _numbers(mesh, f"{TIANHE}_registrar") == set(ids["tianhe"])
    assert await _numbers(mesh, "440100_registrar") == set(ids["tianhe"] + ids["liwan"])
    stats = (await mesh.get("44", STATS, as_=liwan, params={"by": "region"})).json()
    assert stats["groups"] == [{"key": "440103", "count": 2}] and stats["total"] == 2


async def test_qry2_every_status_with_registration_and_problem_record(mesh: Mesh) -> None:
    ids = await scenario(mesh)
    info = (await _students(mesh, PROVINCE, "/api/v1/students/info", page_size=50)).json()
    assert info["total"] == 7
    by_number = {i["student_number"]: i for i in info["items"]}
    assert by_number[ids["deleted"]]["status"] == "已删除"
    assert all(i["registration_status"] == "registered" for i in info["items"])
    kept = by_number[ids["tianhe"][-1]]  # resident ID unknown to the registry: PRB-1 record
    assert kept["has_problem_record"] and kept["problem_record_id"]
    assert not by_number[ids["liwan"][0]]["has_problem_record"]


STATS = "/api/v1/statistics/students"


async def test_qry6_counts_in_the_province_and_for_the_ministry(mesh: Mesh) -> None:
    await scenario(mesh)
    region = (await mesh.get("44", STATS, as_=PROVINCE, params={"by": "region"})).json()
    assert region["groups"] == [{"key": "440103", "count": 2}, {"key": "440106", "count": 4}]
    sexes = (await mesh.get("44", STATS, as_=PROVINCE, params={"by": "sex"})).json()
    assert sum(g["count"] for g in sexes["groups"]) == sexes["total"] == 6
    flags = (await mesh.get("44", STATS, as_=PROVINCE, params={"by": "flags"})).json()
    counted = {g["key"]: g["count"] for g in flags["groups"]}
    assert (counted["number_G"], counted["number_L"], counted["has_photo"]) == (5, 1, 0)
    everyone = {"by": "status", "status": ["在校", "已删除"]}
    statuses = (await mesh.get("44", STATS, as_=PROVINCE, params=everyone)).json()
    assert statuses["groups"] == [{"key": "在校", "count": 6}, {"key": "已删除", "count": 1}]

    national = "/api/v1/national/statistics/students"
    answer = (await mesh.get("hub", national, as_="moe_registrar", params={"by": "region"})).json()
    assert answer["groups"] == region["groups"] and answer["total"] == 6
    assert answer["provinces"] == {"34": 0, "44": 6} and answer["missing_provinces"] == []
    await mesh.stop("34")
    partial = (await mesh.get("hub", national, as_="moe_registrar", params={"by": "sex"})).json()
    assert partial["missing_provinces"] == ["34"] and partial["total"] == 6


async def test_qry1_export_with_chosen_columns_needs_a_second_account(mesh: Mesh) -> None:
    ids = await scenario(mesh)
    path = "/api/v1/students/export"
    params = {"columns": "student_number,name,grade,has_photo", "region": "440103"}
    alone = await _students(mesh, PROVINCE, path, **params)
    assert alone.status_code == 403 and alone.json()["code"] == "second_account_required"
    confirmer = {"X-Export-Confirmer": "440000_approver", "X-Export-Confirmer-Password": "x"}
    wrong = await mesh.get("44", path, as_=PROVINCE, params=params, headers=confirmer)
    assert wrong.status_code == 401
    confirmer["X-Export-Confirmer-Password"] = DEMO_PASSWORD
    bad = await mesh.get(
        "44", path, as_=PROVINCE, params=params | {"columns": "name,dedup_key"}, headers=confirmer
    )
    assert bad.status_code == 422 and "dedup_key" in bad.json()["detail"]
    done = await mesh.get("44", path, as_=PROVINCE, params=params, headers=confirmer)
    assert done.status_code == 200, done.text
    sheet = load_workbook(io.BytesIO(done.content)).active
    table = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert table[0] == ["全国学籍号", "姓名", "年级", "有无照片"]
    assert sorted(r[0] for r in table[1:]) == sorted(ids["liwan"])
    assert all(r[2] == "初中2025级" and r[3] is False for r in table[1:])
    node = mesh.runtime("44").node  # SEC-4: the export is recorded with its filters and rows
    topics = ["xueji.access.account:Account.DataExported"]
    [audit] = node.recorder.select_notifications(start=1, limit=10_000, topics=topics)
    event = node.mapper.to_domain_event(audit)
    assert (event.requested_by, event.rows, event.filters) == (PROVINCE, len(table) - 1, params)


async def test_qry6_a_bad_count_request_gets_a_typed_error_reply(mesh: Mesh) -> None:
    """BUS-1 on the node's new subject: unknown version or field → error reply, no crash."""
    nc = mesh.runtime("hub").bus.nc
    subject = subjects.province_count_students("44")
    meta = CommandMeta.new("moe_registrar", "000000", "registrar")
    valid = CountStudents(envelope=meta.envelope(), by="sex").model_dump(mode="json")
    for body, code in (
        (valid | {"version": 2}, "unsupported_version"),
        (valid | {"extra": 1}, "unknown_field"),
        (valid | {"by": "shoe_size"}, "bad_message"),
    ):
        reply = await nc.request(subject, json.dumps(body).encode(), timeout=5)
        assert json.loads(reply.data)["error"]["code"] == code
    views = (await mesh.get("44", "/api/v1/views", as_=PROVINCE)).json()["items"]
    assert set(views) == {
        "students",
        "registrations",
        "pending",
        "applications",
        "admissions",
        "dropouts",
        "problems",
    }
    assert all(v["position"] > 0 and v["lag"] >= 0 for v in views.values())
