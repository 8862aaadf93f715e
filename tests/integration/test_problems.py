"""问题学籍 in one province (SPEC PRB-1…PRB-3, PRB-6), through the node's public API: the same
child registered twice while instant dedup was off becomes a group; the later record acts
first; corroboration hands the turn over; both corroborated, the lowest common superior
bureau arbitrates; the loser deletes or changes; an ID the registry did not authenticate is a
one-record problem."""

from __future__ import annotations

import re

import pytest

from tests.support.cases import admit_fully, duplicate_pair, enrolled_student, graduated_student
from tests.support.console import console_session
from tests.support.mesh import Mesh
from tests.support.people import JUNIOR_SCHOOL, PNG, PNG_BASE64, resident_id

SCHOOL = JUNIOR_SCHOOL["44"]  # 天河 (county 440106)
OTHER_COUNTY_SCHOOL = "3440103002"  # 荔湾 (county 440103): both under the city 440100


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


async def act(mesh: Mesh, problem_id: str, record: str, action: str, school: str = SCHOOL,
              **extra) -> dict:  # fmt: skip
    body = {"record": record, "action": action, "reason": "学校核实", "proof": PNG_BASE64}
    response = await mesh.post("44", f"/api/v1/problems/{problem_id}/actions",
                               as_=f"{school}_registrar", json=body | extra)  # fmt: skip
    assert response.status_code == 201, response.text
    return response.json()


async def approve_action(mesh: Mesh, action_id: str) -> dict:
    """School approver, then each bureau of the frozen chain."""
    path = f"/api/v1/problems/actions/{action_id}"
    for _ in range(6):
        current = (await mesh.get("44", path, as_="440000_registrar")).json()
        if current["status"] != "in_progress":
            return current
        step = current["step"]
        role = "approver" if step["level"] == "school" else "registrar"
        decided = await mesh.post("44", f"{path}/decisions", as_=f"{step['unit_code']}_{role}",
                                  json={"approve": True})  # fmt: skip
        assert decided.status_code == 200, decided.text
    raise AssertionError("the chain did not end")


async def group(mesh: Mesh, problem_id: str) -> dict:
    return (await mesh.get("44", f"/api/v1/problems/{problem_id}", as_="440000_registrar")).json()


def states(found: dict) -> dict:
    return {r["student_number"]: r["state"] for r in found["records"]}


async def test_prb1_deferred_dedup_duplicate_becomes_an_in_province_group(mesh: Mesh) -> None:
    first, second, found = await duplicate_pair(mesh, 71)
    assert (found["type"], found["scope"], found["state"]) == ("duplicate_id", "province", "open")
    assert {r["student_number"] for r in found["records"]} == {first, second}
    # PRB-2: the record registered later acts first
    assert states(found) == {first: "waiting", second: "to_act"}
    listed = await mesh.get("44", "/api/v1/problems", as_=f"{SCHOOL}_registrar",
                            params={"scope": "province", "must_act": True})  # fmt: skip
    assert second in {r["student_number"] for r in listed.json()["items"]}


async def test_prb2_earlier_record_may_not_act_first(mesh: Mesh) -> None:
    first, _, found = await duplicate_pair(mesh, 72)
    body = {"record": first, "action": "corroborate", "reason": "x", "proof": PNG_BASE64}
    refused = await mesh.post("44", f"/api/v1/problems/{found['id']}/actions",
                              as_=f"{SCHOOL}_registrar", json=body)  # fmt: skip
    assert refused.status_code == 409
    assert refused.json()["code"] == "not_your_turn"


async def test_prb3_both_corroborate_then_the_common_bureau_arbitrates_and_the_loser_deletes(
    mesh: Mesh,
) -> None:
    first, second, found = await duplicate_pair(mesh, 73, school=OTHER_COUNTY_SCHOOL)
    pid = found["id"]
    assert found["arbiter"]["unit_code"] == "440100"  # 天河 and 荔湾: the city of 广州
    started = await act(mesh, pid, second, "corroborate", school=OTHER_COUNTY_SCHOOL)
    assert states(started)[second] == "acting"
    locked = await mesh.get("44", "/api/v1/problems", as_="440000_registrar",
                            params={"student_number": second})  # fmt: skip
    assert locked.json()["items"][0]["locked"] is True  # 是否锁定
    await approve_action(mesh, started["application"]["id"])
    # corroboration hands the turn to the other side
    assert states(await group(mesh, pid)) == {first: "to_act", second: "corroborated"}
    answered = await act(mesh, pid, first, "corroborate")
    await approve_action(mesh, answered["application"]["id"])
    waiting = await group(mesh, pid)
    assert waiting["state"] == "arbitration"
    # only the lowest common superior bureau arbitrates
    ruling = {"winner": first, "opinion": "户籍证明为准"}
    wrong = await mesh.post("44", f"/api/v1/problems/{pid}/arbitration", as_="440106_registrar",
                            json=ruling)  # fmt: skip
    assert wrong.status_code == 403
    ruled = await mesh.post("44", f"/api/v1/problems/{pid}/arbitration", as_="440100_registrar",
                            json=ruling)  # fmt: skip
    assert ruled.status_code == 200, ruled.text
    assert states(ruled.json()) == {first: "won", second: "lost"}
    # the loser may only change or delete
    body = {"record": second, "action": "corroborate", "reason": "x", "proof": PNG_BASE64}
    refused = await mesh.post("44", f"/api/v1/problems/{pid}/actions",
                              as_=f"{OTHER_COUNTY_SCHOOL}_registrar", json=body)  # fmt: skip
    assert refused.json()["code"] == "lost_arbitration"
    deleting = await act(mesh, pid, second, "delete", school=OTHER_COUNTY_SCHOOL)
    await approve_action(mesh, deleting["application"]["id"])
    closed = await group(mesh, pid)
    assert closed["state"] == "closed"
    assert states(closed) == {first: "won", second: "deleted"}
    record = await mesh.get("44", f"/api/v1/students/{second}", as_="440000_registrar")
    assert record.json()["status"] == "已删除" or record.status_code == 404
    # the winner is free again for any business
    kept = await mesh.get("44", "/api/v1/problems", as_="440000_registrar",
                          params={"student_number": first, "state": "open"})  # fmt: skip
    assert kept.json()["total"] == 0


async def test_prb3_change_by_one_side_corroborates_the_other_and_closes(mesh: Mesh) -> None:
    first, second, found = await duplicate_pair(mesh, 74)
    new_id = resident_id(region=SCHOOL[1:7], sequence=174)
    changed = await act(mesh, found["id"], second, "change", changes={"id_number": new_id})
    assert changed["application"]["type"] == "key_data_change"
    assert states(changed)[second] == "acting"
    path = f"/api/v1/applications/{changed['application']['id']}"
    for _ in range(6):
        current = (await mesh.get("44", path, as_="440000_registrar")).json()
        if current["status"] != "in_progress":
            break
        step = current["step"]
        role = "approver" if step["level"] == "school" else "registrar"
        decided = await mesh.post("44", f"{path}/decisions", as_=f"{step['unit_code']}_{role}",
                                  json={"approve": True})  # fmt: skip
        assert decided.status_code == 200, decided.text
    closed = await group(mesh, found["id"])
    assert closed["state"] == "closed"
    assert states(closed) == {first: "auto_corroborated", second: "changed"}
    record = (await mesh.get("44", f"/api/v1/students/{second}", as_="440000_registrar")).json()
    assert record["id_number"] == new_id


async def test_prb3_revoked_action_gives_the_turn_back(mesh: Mesh) -> None:
    _, second, found = await duplicate_pair(mesh, 75)
    started = await act(mesh, found["id"], second, "delete")
    path = f"/api/v1/problems/actions/{started['application']['id']}/revoke"
    revoked = await mesh.post("44", path, as_=f"{SCHOOL}_registrar")
    assert revoked.status_code == 200, revoked.text
    assert states(await group(mesh, found["id"]))[second] == "to_act"


async def test_prb3_repeated_action_answers_the_first_result(mesh: Mesh) -> None:
    _, second, found = await duplicate_pair(mesh, 76)
    body = {"record": second, "action": "corroborate", "reason": "x", "proof": PNG_BASE64}
    headers = {"Idempotency-Key": "7f4b1c1e-9d0a-4c51-8f51-6b3f0c1d2e76"}
    path = f"/api/v1/problems/{found['id']}/actions"
    one = await mesh.post("44", path, as_=f"{SCHOOL}_registrar", json=body, headers=headers)
    two = await mesh.post("44", path, as_=f"{SCHOOL}_registrar", json=body, headers=headers)
    assert one.status_code == two.status_code == 201, two.text
    assert one.json()["application"]["id"] == two.json()["application"]["id"]


async def test_prb3_bad_actions_refused_naming_the_field(mesh: Mesh) -> None:
    _, second, found = await duplicate_pair(mesh, 77)
    path = f"/api/v1/problems/{found['id']}/actions"
    base = {"record": second, "action": "corroborate", "reason": "x", "proof": PNG_BASE64}
    cases = [
        (base | {"record": "L" + "1" * 18}, 422, "record"),  # a record not in the group
        (base | {"action": "merge"}, 422, "action"),
        (base | {"proof": None}, 422, "proof"),
    ]
    for body, status, field in cases:
        refused = await mesh.post("44", path, as_=f"{SCHOOL}_registrar", json=body)
        assert refused.status_code == status, (body, refused.text)
        assert field in refused.text
    listed = await group(mesh, found["id"])
    assert states(listed)[second] == "to_act"  # nothing stored


async def test_prb1_unauthenticated_id_is_a_one_record_problem_corroborated_to_the_end(
    mesh: Mesh,
) -> None:
    number = await enrolled_student(mesh, "44", 78, authenticated=False)
    listed = await mesh.get("44", "/api/v1/problems", as_=f"{SCHOOL}_registrar",
                            params={"type": "invalid_id", "student_number": number})  # fmt: skip
    [row] = listed.json()["items"]
    assert (row["scope"], row["state"], row["must_act"]) == ("single", "to_act", True)
    started = await act(mesh, row["problem_id"], number, "corroborate")
    await approve_action(mesh, started["application"]["id"])
    assert (await group(mesh, row["problem_id"]))["state"] == "closed"
    # the record is free for business again (CHG-3 no longer names the problem)
    student = (await mesh.get("44", f"/api/v1/students/{number}", as_="440000_registrar")).json()
    assert student.get("in_flight") is None


async def test_prb_console_lists_shows_side_by_side_acts_and_decides(mesh: Mesh) -> None:
    """省内问题学籍处理 → the group's page → 佐证 with its proof → 问题学籍审核 → the other side."""
    first, second, found = await duplicate_pair(mesh, 79)
    async with console_session(mesh, f"{SCHOOL}_registrar") as client:
        home = (await client.get("/")).text
        assert "问题学籍管理" in home and "省内问题学籍处理" in home
        listed = (await client.get("/problems/province")).text
        assert second in listed and "身份证件号重复" in listed and first not in listed
        page = (await client.get(f"/problems/group/{found['id']}")).text
        assert first in page and second in page and "处理学籍 " + second in page
        missing = await client.post(f"/problems/group/{found['id']}/actions",
                                    data={"record": second, "action": "corroborate"})  # fmt: skip
        assert missing.status_code == 422 and "证明材料" in missing.text
        saved = await client.post(
            f"/problems/group/{found['id']}/actions",
            data={"record": second, "action": "corroborate", "reason": "户口本"},
            files={"proof": ("proof.png", PNG, "image/png")},
        )
        assert saved.status_code == 200 and "已提交佐证" in saved.text, saved.text
    async with console_session(mesh, f"{SCHOOL}_approver") as client:
        pending = (await client.get("/problems/actions/pending")).text
        assert second in pending
        action_id = re.search(r"/problems/actions/([0-9a-f-]{36})/decision", pending)[1]
        decided = await client.post(f"/problems/actions/{action_id}/decision",
                                    data={"approve": "1"})  # fmt: skip
        assert "审核通过" in decided.text
    async with console_session(mesh, "440106_registrar") as client:
        pending = (await client.get("/problems/actions/pending")).text
        action_id = re.search(r"/problems/actions/([0-9a-f-]{36})/decision", pending)[1]
        await client.post(f"/problems/actions/{action_id}/decision", data={"approve": "1"})
    assert states(await group(mesh, found["id"])) == {first: "to_act", second: "corroborated"}
    async with console_session(mesh, "440103_registrar") as client:  # 荔湾: not its records
        hidden = await client.get(f"/problems/group/{found['id']}")
        assert hidden.status_code in (403, 404) and second not in hidden.text


async def test_prb6_graduating_year_problem_record_does_not_block_graduation(mesh: Mesh) -> None:
    number = await graduated_student(mesh, "44", 80, "2023201", authenticated=False)
    record = (await mesh.get("44", f"/api/v1/students/{number}", as_="440000_registrar")).json()
    assert record["status"] == "毕业"
    still = await mesh.get("44", "/api/v1/problems", as_="440000_registrar",
                           params={"student_number": number, "state": "open"})  # fmt: skip
    assert still.json()["total"] == 1  # it stays with the record, to be handled later


async def test_prb6_a_graduates_problem_record_travels_to_the_admitting_school(mesh: Mesh) -> None:
    """A primary graduate whose ID failed authentication is admitted by the junior school: the
    problem is listed there and handled by it, no longer by the primary school."""
    primary, junior = "3440106001", "3440106002"
    number = await graduated_student(mesh, "44", 81, "2022101", school=primary,
                                     authenticated=False)  # fmt: skip
    admission = await admit_fully(mesh, number, junior, importer="440106")
    placed = await mesh.post("44", f"/api/v1/admissions/{admission['id']}/assign-class",
                             as_=f"{junior}_registrar", json={"class_code": "2026201"})  # fmt: skip
    assert placed.status_code == 200, placed.text
    listed = await mesh.get("44", "/api/v1/problems", as_=f"{junior}_registrar",
                            params={"must_act": True, "type": "invalid_id"})  # fmt: skip
    [row] = [r for r in listed.json()["items"] if r["student_number"] == number]
    assert (row["school_code"], row["class_code"]) == (junior, "2026201")
    before = await mesh.get("44", "/api/v1/problems", as_=f"{primary}_registrar",
                            params={"student_number": number})  # fmt: skip
    assert before.json()["total"] == 0
    started = await act(mesh, row["problem_id"], number, "corroborate", school=junior)
    assert states(started)[number] == "acting"
