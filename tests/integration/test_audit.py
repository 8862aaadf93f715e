"""Audit (AUD-2, AUD-4, AUD-5) on real SQLite stores written by a running node and hub."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime, timedelta
from uuid import UUID

import pytest
from typer.testing import CliRunner, Result

from cli.app import app
from tests.support.cases import approve_all, enrolled_student, initiate
from tests.support.mesh import Mesh, approve_fully
from tests.support.people import JUNIOR_SCHOOL, MINISTRY, REGISTRAR, registration, resident_id
from xueji.chain import GENESIS, link_hash
from xueji.clock import SHANGHAI

SCHOOL = JUNIOR_SCHOOL["44"]  # 3440106002, supervised by county 440106
COUNTY, COUNTY_UNIT = "440106_registrar", "440106"
REGISTERED = "%:Student.Registered"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # the tests edit the SQLite files by hand
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


def cli(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def _file(url: str) -> str:
    return url.removeprefix("sqlite:///")


async def _student(mesh: Mesh, sequence: int) -> str:
    body = registration(SCHOOL, resident_id(sequence=sequence))
    created = await mesh.post("44", "/api/v1/registrations", as_=REGISTRAR["44"], json=body)
    assert created.status_code == 201, created.text
    return (await approve_fully(mesh, "44", created.json()["id"]))["student_number"]


async def _delete(mesh: Mesh, number: str) -> None:
    path = f"/api/v1/students/{number}/deletion-request"
    asked = await mesh.post("44", path, as_=REGISTRAR["44"], json={"reason": "误操作重复录入"})
    assert asked.status_code == 200, asked.text
    done = await mesh.post(
        "44", f"{path}/decision", as_=COUNTY, json={"approve": True, "opinion": "核实无误"}
    )
    assert done.json()["status"] == "已删除", done.text


def _altered(number: str) -> bytes:
    """The number with another last character (temporary numbers end in any of 0-9A-Z)."""
    return (number[:-1] + ("1" if number.endswith("0") else "0")).encode()


def _registered_row(url: str) -> tuple[int, bytes, bytes, int]:
    with sqlite3.connect(_file(url)) as db:
        query = "SELECT id, originator_id, state, originator_version FROM prov44_events"
        return db.execute(f"{query} WHERE topic LIKE ?", (REGISTERED,)).fetchone()


async def test_aud4_edited_event_is_caught(mesh: Mesh, store_urls: dict[str, str]) -> None:
    number = await _student(mesh, 331)
    url = store_urls["44"]
    await mesh.stop("44")
    intact = cli("verify-log", "--url", url)
    assert intact.exit_code == 0 and "prov44: chain intact" in intact.output

    nid, originator, state, version = _registered_row(url)
    edited = state.replace(number.encode(), _altered(number))
    assert edited != state
    with sqlite3.connect(_file(url)) as db:  # plain sqlite3: what an intruder would do
        db.execute("UPDATE prov44_events SET state = ? WHERE id = ?", (edited, nid))

    result = cli("verify-log", "--url", url, "--json")
    assert result.exit_code == 1
    broken = json.loads(result.output)["broken"]
    assert (broken["notification_id"], broken["reason"]) == (nid, "hash_mismatch")
    assert (broken["aggregate_id"], broken["version"]) == (str(UUID(bytes=originator)), version)
    text = cli("verify-log", "--url", url, "--app", "prov44")
    assert text.exit_code == 1 and f"BROKEN at notification {nid} " in text.output


def _rewrite_consistently(url: str, nid: int, state: bytes) -> None:
    """Edits event `nid` and recomputes every hash after it, as a careful intruder would."""
    with sqlite3.connect(_file(url)) as db:
        db.execute("UPDATE prov44_events SET state = ? WHERE id = ?", (state, nid))
        rows = "SELECT id, topic, originator_id, originator_version, state FROM prov44_events"
        prev = GENESIS
        for row_id, topic, originator, version, row_state in db.execute(f"{rows} ORDER BY id"):
            prev = link_hash(prev, topic, UUID(bytes=originator), version, row_state)
            db.execute("UPDATE prov44_chain SET hash = ? WHERE notification_id = ?", (prev, row_id))


async def test_aud4_rewritten_history_is_caught_against_the_hub_heads(
    mesh: Mesh, store_urls: dict[str, str]
) -> None:
    number = await _student(mesh, 332)
    hub = mesh.runtime("hub").hub
    await mesh.wait_until(lambda: hub.position("44") == 1)
    nid, _, state, _ = _registered_row(store_urls["44"])
    head = hub.recorder.seen_heads()["prov_44"]
    assert (head["notification_id"], head["sequence"]) == (nid, 1)
    await mesh.stop("44")

    rewritten = state.replace(number.encode(), _altered(number))
    _rewrite_consistently(store_urls["44"], nid, rewritten)
    alone = cli("verify-log", "--url", store_urls["44"])
    assert alone.exit_code == 0, alone.output  # self-consistent: only the hub can tell

    result = cli("verify-log", "--url", store_urls["44"], "--hub-url", store_urls["hub"], "--json")
    assert result.exit_code == 1
    verdict = json.loads(result.output)
    assert verdict["broken"]["reason"] == "differs_from_hub"
    assert verdict["broken"]["notification_id"] == nid
    assert verdict["broken"]["expected"] == head["hash"]
    heads = (await mesh.get("hub", "/api/v1/national/chain-heads", as_=MINISTRY)).json()
    assert heads["items"] == [{"province": "44", **{k: head[k] for k in head if k != "stream"}}]
    given = f"{nid}:{head['hash']}"
    by_api = cli("verify-log", "--url", store_urls["44"], "--hub-head", given)
    assert by_api.exit_code == 1 and "history rewritten" in by_api.output
    hub_log = cli("verify-log", "--url", store_urls["hub"], "--app", "hub")
    assert hub_log.exit_code == 0 and "hub: chain intact" in hub_log.output
    assert f"prov_44: saw #{nid} {head['hash'][:12]}" in hub_log.output


async def test_aud2_student_as_of_a_moment(mesh: Mesh, store_urls: dict[str, str]) -> None:
    before = datetime.now(UTC)
    number = await _student(mesh, 333)
    registered = datetime.now(UTC)
    await _delete(mesh, number)
    path = f"/api/v1/students/{number}"

    async def as_of(at: str):
        return await mesh.get("44", path, as_=REGISTRAR["44"], params={"as_of": at})

    now = (await mesh.get("44", path, as_=REGISTRAR["44"])).json()
    then = await as_of(registered.isoformat())
    assert now["status"] == "已删除"
    assert then.status_code == 200 and then.json()["status"] != "已删除"
    assert then.json()["student_number"] == number
    beijing = registered.astimezone(SHANGHAI).replace(tzinfo=None).isoformat()
    assert (await as_of(beijing)).json() == then.json()  # a naive time is Beijing time
    assert (await as_of(datetime.now(UTC).isoformat())).json() == now

    missing = await as_of(before.isoformat())
    assert missing.status_code == 404 and missing.json()["field"] == "as_of"
    bad = await as_of("yesterday")
    assert bad.status_code == 422 and bad.json()["field"] == "as_of"

    args = ["audit", "record", number, "--url", store_urls["44"], "--as-of"]
    offline = cli(*args, registered.isoformat())
    assert offline.exit_code == 0 and json.loads(offline.output) == then.json()
    assert cli(*args, before.isoformat()).exit_code == 1


async def test_aud5_who_did_what_when_why(mesh: Mesh, store_urls: dict[str, str]) -> None:
    kept = await _student(mesh, 334)
    number = await _student(mesh, 335)
    registered = datetime.now(UTC)
    # The deletion is decided on the node's clock (business time): a day on, so that both
    # the stored and the business times of what follows are after `registered`.
    mesh.clock.set(registered + timedelta(days=1))
    await _delete(mesh, number)
    url = store_urls["44"]

    def audit(*args: str, store: str = url) -> list[dict]:
        result = cli("audit", *args, "--url", store, "--json")
        assert result.exit_code == 0, result.output
        return json.loads(result.output)["events"]

    story = audit("student", number)
    types = [e["type"] for e in story]
    assert types[0] == "Registration.Submitted" and "Student.Registered" in types
    # the deletion application (REG-9, on the approval engine) is part of the student's story
    deletion = ["Student.DeletionRequested", "StudentDeletion.Applied", "Approval.Decided"]
    assert types[-4:] == [*deletion, "Student.Deleted"]
    assert all(e["subject"] == f"学籍号 {number}" for e in story)
    assert kept not in json.dumps(story)
    asked, deleted = story[-4], story[-1]
    assert (asked["account"], asked["unit"], asked["reason"]) == (
        REGISTRAR["44"],
        SCHOOL,
        "误操作重复录入",
    )
    assert (deleted["account"], deleted["unit"], deleted["reason"]) == (
        COUNTY,
        COUNTY_UNIT,
        "核实无误",
    )

    window = audit("student", number, "--from", registered.isoformat())
    assert [e["type"] for e in window] == [*deletion, "Student.Deleted"]
    assert audit("student", number, "--to", registered.isoformat()) == story[:-4]
    county = audit("unit", COUNTY_UNIT, "--type", "decided")
    assert {e["unit"] for e in county} == {COUNTY_UNIT}
    assert {e["subject"] for e in county} == {f"学籍号 {kept}", f"学籍号 {number}"}
    assert all(e["outcome"] == "approved" for e in county)
    school = audit("school", SCHOOL, "--type", "Student.")
    assert {e["subject"] for e in school} == {f"学籍号 {kept}", f"学籍号 {number}"}

    # The hub's log reads the same way, though this module knows none of its aggregates.
    hub = mesh.runtime("hub").hub
    await mesh.wait_until(lambda: hub.position("44") == 3)  # two registered, one deleted
    national = audit("student", number, "--app", "hub", store=store_urls["hub"])
    assert {e["type"].split(".")[0] for e in national} == {"NationalIdentity", "StudentNumberEntry"}
    assert national[-1]["account"] == COUNTY and national[-1]["unit"] == COUNTY_UNIT

    text = cli("audit", "student", number, "--url", url)
    assert text.exit_code == 0 and "Student.Deleted" in text.output and "核实无误" in text.output


async def test_aud5_who_approved_transfers_out_of_school_x_in_march(
    mesh: Mesh, store_urls: dict[str, str]
) -> None:
    """SPEC AUD-5's own example, from the hub's log (CLI and API) after real transfers: one
    out of school X in March, one out of X in April, one into X in March."""
    leaving = await enrolled_student(mesh, "44", 336, name="王五")
    later = await enrolled_student(mesh, "44", 337, name="赵六")
    arriving = await enrolled_student(mesh, "34", 338, name="孙七")
    mesh.clock.set(datetime(2027, 3, 10, 9, 0, tzinfo=SHANGHAI))
    march = await approve_all(mesh, (await initiate(mesh, leaving, name="王五")).json())
    into = await initiate(
        mesh, arriving, name="孙七", province="44", class_code="2026201", registrar=REGISTRAR["44"]
    )
    await approve_all(mesh, into.json())
    mesh.clock.set(datetime(2027, 4, 2, 9, 0, tzinfo=SHANGHAI))
    await approve_all(mesh, (await initiate(mesh, later, name="赵六")).json())
    approvers = {(s["account"], s["unit_code"]) for s in march["steps"]}
    assert len(approvers) == 4  # two steps on each side

    window = ["--from", "2027-03-01", "--to", "2027-04-01", "--type", "Decided"]
    args = ["audit", "school", SCHOOL, "--app", "hub", "--url", store_urls["hub"], *window]
    result = cli(*args, "--via", "out_side", "--json")
    assert result.exit_code == 0, result.output
    found = json.loads(result.output)["events"]
    assert {(e["account"], e["unit"]) for e in found} == approvers
    assert all(e["outcome"] == "approved" and e["at"].startswith("2027-03-10") for e in found)
    assert {e["subject"] for e in found} == {f"学籍号 {leaving}"}
    anyway = json.loads(cli(*args, "--json").output)["events"]  # into X as well, without --via
    assert {e["subject"] for e in anyway} == {f"学籍号 {leaving}", f"学籍号 {arriving}"}

    params = {"school": SCHOOL, "from": "2027-03-01", "to": "2027-04-01", "type": "Decided"}
    api = await mesh.get("hub", "/api/v1/audit", as_=MINISTRY, params=params | {"via": "out_side"})
    assert api.status_code == 200, api.text
    assert [e["notification_id"] for e in api.json()["events"]] == [
        e["notification_id"] for e in found
    ]
    # The node answers of its own log the same way (its events carry the store's time).
    own = await mesh.get(
        "44", "/api/v1/audit", as_="440000_registrar", params={"school": SCHOOL, "type": "Case"}
    )
    assert own.status_code == 200, own.text
    opened = [e for e in own.json()["events"] if e["type"] == "Student.CaseOpened"]
    assert {e["subject"] for e in opened} == {f"学籍号 {leaving}", f"学籍号 {later}"}
    school_only = await mesh.get("44", "/api/v1/audit", as_=REGISTRAR["44"], params=params)
    assert school_only.status_code == 403
    both = await mesh.get(
        "hub", "/api/v1/audit", as_=MINISTRY, params={"school": SCHOOL, "student": leaving}
    )
    assert both.status_code == 422


async def test_every_read_of_a_record_is_audited_with_who_and_what(mesh: Mesh) -> None:
    """Issue 18 item 4: viewing a record, its history, a search naming it and a national
    look-up are events of the reader's own log, found by the auditor like any change."""
    number = await enrolled_student(mesh, "44", 641, "阅审计")
    county = "440106_registrar"
    assert (await mesh.get("44", f"/api/v1/students/{number}", as_=county)).status_code == 200
    await mesh.get("44", f"/api/v1/students/{number}/history", as_=county)
    await mesh.get("44", "/api/v1/students", as_=county, params={"student_number": number})
    national = {"name": "阅审计", "student_number": number}
    assert (await mesh.get("hub", "/api/v1/national/students", as_=MINISTRY,
                           params=national)).status_code == 200  # fmt: skip
    node = await mesh.get("44", "/api/v1/audit", as_="440000_registrar",
                          params={"student": number, "type": "RecordRead"})  # fmt: skip
    assert node.status_code == 200, node.text
    found = [(e["account"], e["reason"]) for e in node.json()["events"]]
    assert found == [(county, "查看学籍"), (county, "查看学籍变动历史"), (county, "学籍查询")]
    hub = await mesh.get("hub", "/api/v1/audit", as_=MINISTRY,
                         params={"student": number, "type": "RecordRead"})  # fmt: skip
    assert [e["reason"] for e in hub.json()["events"]] == ["全国学籍查询"]
