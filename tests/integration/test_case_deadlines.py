"""Deadlines and windows of cross-province cases on the hub clock (XPT-6, XPT-7, XPT-8,
XPT-10): the tests move the clock and run the scheduler instead of sleeping."""

from __future__ import annotations

from datetime import datetime

import pytest

from hub.bootstrap import run_deadlines
from simulations.demo import school_code
from tests.support.cases import TRANSFERS, approve_all, case_now, decide, enrolled_student, initiate
from tests.support.console import console_session
from tests.support.mesh import Mesh
from tests.support.people import JUNIOR_SCHOOL, MINISTRY, REGISTRAR
from xueji.clock import SHANGHAI

IN_SCHOOL = JUNIOR_SCHOOL["34"]
YAOHAI = "3340102002_registrar"  # a 6-3 junior school in Hefei
KEY_DATES = "/api/v1/admin/key-dates"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


def _at(*parts: int) -> datetime:
    return datetime(*parts, 10, 0, tzinfo=SHANGHAI)


async def test_xpt7_step_overdue_after_10_working_days(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 601)
    case = (await initiate(mesh, number)).json()  # Sunday 2026-11-22: the in-school step starts
    hub = mesh.runtime("hub")
    mesh.clock.set(_at(2026, 12, 4))  # the 10th working day: still in time
    assert (await run_deadlines(hub))["overdue"] == 0
    mesh.clock.set(_at(2026, 12, 5))
    assert (await run_deadlines(hub))["overdue"] == 1
    assert (await run_deadlines(hub))["overdue"] == 0  # recorded once per step
    overdue = (await case_now(mesh, case["id"]))["overdue"]
    assert [(o["step"], o["unit_code"]) for o in overdue] == [("in_school", IN_SCHOOL)]

    monitoring = await mesh.get("34", f"{TRANSFERS}/monitoring", as_=REGISTRAR["34"])
    rows = {row["unit_code"]: row for row in monitoring.json()["items"]}  # XPT-10
    assert (rows[IN_SCHOOL]["pending"], rows[IN_SCHOOL]["overdue"]) == (1, 1)
    assert all(row["province"] == "34" for row in rows.values())  # a province sees its own
    decided = (await decide(mesh, case)).json()
    ministry = await mesh.get("hub", f"{TRANSFERS}/monitoring", as_="moe_registrar")
    rows = {row["unit_code"]: row for row in ministry.json()["items"]}
    assert rows[IN_SCHOOL]["decided"] == 1 and rows[IN_SCHOOL]["average_decision_hours"] > 0
    assert rows["340104"]["pending"] == 1 and decided["step"] == "in_bureau"


async def test_xpt6_pull_not_done_within_10_working_days_cancels(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 602)
    case = await approve_all(mesh, (await initiate(mesh, number)).json())
    await mesh.wait_until(lambda: _locked(mesh, number))
    mesh.clock.set(_at(2026, 12, 4))
    assert (await run_deadlines(mesh.runtime("hub")))["cancel"] == 0
    mesh.clock.set(_at(2026, 12, 5))
    assert (await run_deadlines(mesh.runtime("hub")))["cancel"] == 1
    assert (await case_now(mesh, case["id"]))["status"] == "cancelled"
    late = await mesh.post("34", f"{TRANSFERS}/{case['id']}/archive-pull", as_=REGISTRAR["34"])
    assert late.status_code == 409
    await mesh.wait_until(lambda: _unlocked(mesh, number))  # the out side is free again


async def test_xpt7_unfinished_case_cleaned_90_days_after_initiation(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 603)
    case = (await initiate(mesh, number)).json()
    case = (await decide(mesh, case)).json()
    mesh.clock.set(_at(2027, 2, 19))  # 89 days later
    assert (await run_deadlines(mesh.runtime("hub")))["clean"] == 0
    mesh.clock.set(_at(2027, 2, 20))
    assert (await run_deadlines(mesh.runtime("hub")))["clean"] == 1
    cleaned = await case_now(mesh, case["id"])
    assert cleaned["status"] == "cleaned" and cleaned["history"][-1]["step"] == "cleaned"
    await mesh.wait_until(lambda: _unlocked(mesh, number))


async def test_xpt8_graduating_year_transfers_unfinished_by_graduation_are_cleaned(
    mesh: Mesh,
) -> None:
    """[003 §三.5]: a graduating-grade student's transfer must finish before the graduation
    operation (Jul 30) or is cleaned up; other grades' cases go on."""
    leaving = await enrolled_student(mesh, "44", 611, class_code="2023201")  # grade 9 (5-4)
    staying = await enrolled_student(mesh, "44", 612, name="王五", class_code="2025201")
    mesh.clock.set(_at(2027, 7, 1))  # before the freeze: cases may start
    graduating = (await initiate(mesh, leaving)).json()
    younger = (await initiate(mesh, staying, name="王五")).json()
    mesh.clock.set(_at(2027, 7, 30))  # the deadline day itself: still in time
    assert (await run_deadlines(mesh.runtime("hub")))["clean"] == 0
    mesh.clock.set(_at(2027, 7, 31))
    assert (await run_deadlines(mesh.runtime("hub")))["clean"] == 1
    cleaned = await case_now(mesh, graduating["id"])
    assert cleaned["status"] == "cleaned" and "毕业结业前办结" in cleaned["history"][-1]["opinion"]
    assert (await case_now(mesh, younger["id"]))["status"] == "in_progress"
    await mesh.wait_until(lambda: _unlocked(mesh, leaving))  # the school may graduate it


async def test_xpt7_approved_case_waiting_for_pull_is_not_cleaned(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 604)
    case = await approve_all(mesh, (await initiate(mesh, number)).json())
    await mesh.post("34", f"{TRANSFERS}/{case['id']}/archive-pull", as_=REGISTRAR["34"])
    await mesh.wait_until(lambda: _completed(mesh, case["id"]))
    mesh.clock.set(_at(2027, 3, 1))
    counts = {"overdue": 0, "cancel": 0, "clean": 0, "resend": 0, "calendar_missing": 0}
    assert await run_deadlines(mesh.runtime("hub")) == counts


async def test_xpt8_no_new_transfers_from_jul_15_to_aug_14(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 605)
    mesh.clock.set(_at(2027, 7, 15))
    frozen = await initiate(mesh, number)
    assert frozen.status_code == 409 and frozen.json()["code"] == "window_closed"
    mesh.clock.set(_at(2027, 8, 15))
    assert (await initiate(mesh, number)).status_code == 201


async def test_xpt8_province_freeze_override_applies_on_the_hub(mesh: Mesh) -> None:
    """The initiating (transfer-in) province's window, else the national one (SYS-2)."""
    first = await enrolled_student(mesh, "44", 608)
    second = await enrolled_student(mesh, "44", 609)
    november = {"transfer_freeze": {"start": [11, 20], "end": [11, 30]}}
    changed = await mesh.patch("44", KEY_DATES, as_="440000_sysadmin", json=november)
    assert changed.status_code == 200, changed.text
    assert (await initiate(mesh, first)).status_code == 201  # 44 is not the initiator
    changed = await mesh.patch("34", KEY_DATES, as_="340000_sysadmin", json=november)
    assert changed.status_code == 200, changed.text
    frozen = await initiate(mesh, second)  # Nov 22: inside 34's own freeze
    assert frozen.status_code == 409 and frozen.json()["code"] == "window_closed"
    assert "11月20日至11月30日" in frozen.json()["detail"]
    mesh.clock.set(_at(2027, 7, 20))  # the national freeze is not 34's any more
    assert (await initiate(mesh, second)).status_code == 201


async def test_xpt9_grade_compares_by_years_of_schooling_across_systems(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 606)  # Tianhe is 5-4: junior 1 = grade 6
    mismatch = await initiate(mesh, number, target_grade=6, registrar=YAOHAI)
    assert mismatch.status_code == 422 and mismatch.json()["field"] == "target_grade"
    moved_up = (await initiate(mesh, number, registrar=YAOHAI)).json()  # Yaohai is 6-3: 7
    assert (moved_up["from_grade"], moved_up["target_grade"]) == (6, 7)
    assert moved_up["grade_changed"]  # the receiving county consents by deciding (XPT-9)
    assert moved_up["steps"][1]["unit_code"] == "340102"


async def test_xpt9_a_transfer_keeps_the_stage(mesh: Mesh) -> None:
    """A junior grade-9 student cannot reach a senior class by a transfer (that is PGE)."""
    number = await enrolled_student(mesh, "44", 607, class_code="2023201")  # 5-4: grade 9
    senior = f"{school_code('340104', 4)}_registrar"
    refused = await initiate(mesh, number, class_code="2026301", registrar=senior)
    assert refused.status_code == 409, refused.text
    assert (refused.json()["code"], refused.json()["field"]) == (
        "stage_mismatch",
        "target_class_code",
    )
    assert (await mesh.get("34", TRANSFERS, as_=senior)).json()["items"] == []
    same = (await initiate(mesh, number, class_code="2024201", registrar=YAOHAI)).json()
    assert (same["from_grade"], same["target_grade"], same["grade_changed"]) == (9, 9, False)


async def _locked(mesh: Mesh, number: str) -> bool:
    record = (await mesh.get("44", f"/api/v1/students/{number}", as_=REGISTRAR["44"])).json()
    return record["case_id"] is not None


async def _unlocked(mesh: Mesh, number: str) -> bool:
    return not await _locked(mesh, number)


async def _completed(mesh: Mesh, case_id: str) -> bool:
    return (await case_now(mesh, case_id))["status"] == "completed"


CALENDAR_2027 = "/api/v1/admin/calendar/2027"
#: New Year's Day and a Spring Festival week, with two make-up weekend days (illustrative).
HOLIDAYS_2027 = ["2027-01-01", *(f"2027-02-{d:02d}" for d in range(6, 13))]
MAKE_UP_2027 = ["2027-02-14", "2027-02-20"]


async def test_sys2_uncovered_year_refuses_deadlines_until_the_ministry_enters_it(
    mesh: Mesh,
) -> None:
    """chinese-calendar 1.11 ends with 2026: a step started on Tue 2026-12-22 is due in
    2027, which is neither guessed as Mon–Fri nor computed until the ministry enters it."""
    number = await enrolled_student(mesh, "44", 607)
    mesh.clock.set(_at(2026, 12, 22))
    assert (await initiate(mesh, number)).status_code == 201
    health = (await mesh.get("hub", "/healthz")).json()
    assert health["status"] == "ok" and health["calendar"]["missing_years"] == [2027]
    assert "2027年" in health["calendar"]["detail"]
    node_health = (await mesh.get("44", "/healthz")).json()
    assert node_health["calendar"]["status"] == "missing"

    hub = mesh.runtime("hub")
    mesh.clock.set(_at(2027, 1, 6))
    assert await run_deadlines(hub) == {
        "overdue": 0,
        "cancel": 0,
        "clean": 0,
        "resend": 0,
        "calendar_missing": 1,
    }
    days = {"start": "2026-12-31", "days": 1}
    path = "/api/v1/calendar/working-days"
    refused = await mesh.get("44", path, as_="440106_registrar", params=days)
    assert refused.status_code == 409 and refused.json()["code"] == "calendar_year_missing"
    assert refused.json()["year"] == 2027 and "2027年" in refused.json()["detail"]
    assert (await mesh.get("hub", CALENDAR_2027, as_=MINISTRY)).json()["source"] == "missing"

    body = {"holidays": HOLIDAYS_2027, "workdays": MAKE_UP_2027}
    assert (await _put(mesh, CALENDAR_2027, MINISTRY, body)).status_code == 403  # sysadmin's
    bad = await _put(mesh, CALENDAR_2027, "moe_sysadmin", body | {"workdays": ["2027-02-15"]})
    assert bad.status_code == 422 and bad.json()["field"] == "workdays"
    entered = await _put(mesh, CALENDAR_2027, "moe_sysadmin", body)
    assert entered.status_code == 200 and entered.json()["source"] == "entered"
    assert entered.json()["holidays"][0] == "2027-01-01"

    # Jan 1 is off, so the 10th working day is Wed Jan 6 (a Mon–Fri guess said Jan 5).
    assert (await run_deadlines(hub))["overdue"] == 0
    mesh.clock.set(_at(2027, 1, 7))
    assert await run_deadlines(hub) == {
        "overdue": 1,
        "cancel": 0,
        "clean": 0,
        "resend": 0,
        "calendar_missing": 0,
    }
    same = await mesh.get("44", path, as_="440106_registrar", params=days)  # the node asks the hub
    assert same.status_code == 200 and same.json()["date"] == "2027-01-04"
    assert (await mesh.get("hub", "/healthz")).json()["calendar"]["status"] == "ok"
    assert (await mesh.get("44", "/healthz")).json()["calendar"]["status"] == "ok"

    await mesh.stop("hub")  # stored as events: a restart keeps the year
    await mesh.start("hub")
    assert (await mesh.get("hub", CALENDAR_2027, as_=MINISTRY)).json()["source"] == "entered"


async def _put(mesh: Mesh, path: str, user: str, body: dict):
    return await mesh._call("PUT", "hub", path, user, json=body)


async def test_xpt6_an_archive_pulled_but_not_received_is_asked_for_again(mesh: Mesh) -> None:
    """Issue 17 item 6: the out-province's node is away when the in-school pulls; two hours
    later the hub asks again (once per two hours, noted in the history), and when the node
    is back it answers the request once — the student arrives once, the case completes."""
    number = await enrolled_student(mesh, "44", 604)
    case = await approve_all(mesh, (await initiate(mesh, number)).json())
    await mesh.wait_until(lambda: _locked(mesh, number))
    await mesh.stop("44")
    pulled = await mesh.post("34", f"{TRANSFERS}/{case['id']}/archive-pull", as_=REGISTRAR["34"])
    assert pulled.status_code == 200, pulled.text
    hub = mesh.runtime("hub")
    mesh.clock.advance(hours=1)
    assert (await run_deadlines(hub))["resend"] == 0
    mesh.clock.advance(hours=1, minutes=1)
    assert (await run_deadlines(hub))["resend"] == 1
    assert (await run_deadlines(hub))["resend"] == 0  # the next one two hours later
    stalled = await case_now(mesh, case["id"])
    assert stalled["status"] == "approved" and stalled["pull_resends"] == 1
    assert stalled["history"][-1]["step"] == "archive_pull_resent"
    async with console_session(mesh, MINISTRY, "hub") as console:  # the alarm
        page = await console.get("/monitoring")
        assert page.status_code == 200 and "调档未完成" in page.text
        assert number in page.text.split("调档未完成", 1)[1].split("</table>", 1)[0]

    await mesh.start("44")  # both requests are waiting in its durable: applied once
    await mesh.wait_until(lambda: _completed(mesh, case["id"]))
    arrived = await mesh.get("34", f"/api/v1/students/{number}", as_=REGISTRAR["34"])
    assert arrived.status_code == 200 and arrived.json()["school_code"] == IN_SCHOOL
    history = await mesh.get("44", f"/api/v1/students/{number}/history", as_=REGISTRAR["44"])
    assert [i["type"] for i in history.json()["items"]].count("TransferredOut") == 1
    mesh.clock.advance(hours=3)
    assert (await run_deadlines(hub))["resend"] == 0  # received: never asked again
