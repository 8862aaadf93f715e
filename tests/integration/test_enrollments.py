"""Post-graduation cross-province enrollment 毕业后跨省就学 (PGE-1…PGE-4): admitting school →
its bureau → the graduating school's bureau → automatic archive pull [002 §19]."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest

from simulations.demo import school_code
from tests.conftest import PROVINCES
from tests.support.cases import (
    approve_all,
    case_now,
    decide,
    enrolled_student,
    graduate,
    graduated_student,
    initiate,
)
from tests.support.mesh import NOW, Mesh
from tests.support.people import REGISTRAR
from xueji.clock import SHANGHAI

ENROLLMENTS = "/api/v1/enrollments"
SENIOR = school_code("340104", 4)
ADMITTING = f"{SENIOR}_registrar"
GRADE_NINE = "2023201"  # Tianhe runs 5-4: junior grade 4 = grade 9 in school year 2026


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


@pytest.fixture
async def mesh_since_last_year(nats_server, store_urls) -> AsyncIterator[Mesh]:
    """The mesh started a school year before NOW: its demo classes are last year's."""
    mesh = Mesh(nats_server.url, store_urls, PROVINCES)
    mesh.clock.set(NOW.replace(year=NOW.year - 1))
    await mesh.start_all()
    try:
        yield mesh
    finally:
        await mesh.stop_all()


async def _apply(mesh: Mesh, number: str, **extra):
    return await initiate(
        mesh, number, path=ENROLLMENTS, class_code="2026301", registrar=ADMITTING, **extra
    )


async def test_pge1_flow_three_decisions_then_the_archive_moves_by_itself(mesh: Mesh) -> None:
    number = await graduated_student(mesh, "44", 701, class_code=GRADE_NINE)
    created = await _apply(mesh, number)
    assert created.status_code == 201, created.text
    case = created.json()
    assert [s["step"] for s in case["steps"]] == ["in_school", "in_bureau", "out_bureau"]
    case = await approve_all(mesh, case, path=ENROLLMENTS)
    await mesh.wait_until(lambda: _status(mesh, case["id"], "completed"))
    arrived = await mesh.get("34", f"/api/v1/students/{number}", as_=ADMITTING)
    assert arrived.json()["school_code"] == SENIOR


async def test_pge1_only_junior_graduates(mesh: Mesh) -> None:
    number = await enrolled_student(mesh, "44", 702)  # junior grade 1
    refused = await _apply(mesh, number)
    assert refused.status_code == 409 and refused.json()["code"] == "not_eligible"
    not_yet = await enrolled_student(mesh, "44", 710, class_code=GRADE_NINE)
    refused = await _apply(mesh, not_yet)  # grade 9, not graduated (GRD-1 comes first)
    assert refused.status_code == 409 and refused.json()["code"] == "not_eligible"
    graduate = await graduated_student(mesh, "44", 703, class_code=GRADE_NINE)
    junior_target = await initiate(
        mesh, graduate, path=ENROLLMENTS, class_code="2026201", registrar=REGISTRAR["34"]
    )
    assert junior_target.status_code == 409 and junior_target.json()["code"] == "not_eligible"


async def test_pge1_a_past_year_student_enrolls_once_graduated(
    mesh_since_last_year: Mesh,
) -> None:
    """Last year's grade 9 whose class has run out: not a graduate, no enrollment; once the
    school graduates it as a past year's student (GRD-1), post-graduation enrollment goes on."""
    mesh = mesh_since_last_year
    number = await enrolled_student(mesh, "44", 707, class_code="2022201")  # 5-4: junior 4
    mesh.clock.set(NOW)  # a school year later: class 2022201 has run out
    refused = await initiate(
        mesh, number, path=ENROLLMENTS, class_code="2025301", registrar=ADMITTING
    )
    assert refused.status_code == 409 and refused.json()["code"] == "not_eligible"
    await graduate(mesh, number)
    created = await initiate(
        mesh, number, path=ENROLLMENTS, class_code="2025301", registrar=ADMITTING
    )
    assert created.status_code == 201, created.text
    assert (created.json()["from_grade"], created.json()["grade_changed"]) == (9, False)


async def test_pge1_junior_grade_nine_to_senior_is_not_a_grade_change(mesh: Mesh) -> None:
    number = await graduated_student(mesh, "44", 708, class_code=GRADE_NINE)
    case = (await _apply(mesh, number)).json()
    assert (case["from_grade"], case["target_grade"]) == (9, 10)
    assert case["grade_changed"] is False  # going on to senior high is the point of PGE


async def test_prb6_a_graduating_year_problem_record_does_not_block_enrollment(
    mesh: Mesh,
) -> None:
    """CHG-3 blocks a transfer on an open problem record; PRB-6 lets admission go on, and the
    problem travels in the archive to the admitting school, which handles it from then on."""
    number = await graduated_student(mesh, "44", 709, class_code=GRADE_NINE, authenticated=False)
    transfer = await initiate(mesh, number, class_code="2024201", registrar="3340102002_registrar")
    assert transfer.status_code == 409 and transfer.json()["code"] == "business_in_flight"
    created = await _apply(mesh, number)
    assert created.status_code == 201, created.text
    case = await approve_all(mesh, created.json(), path=ENROLLMENTS)
    await mesh.wait_until(lambda: _status(mesh, case["id"], "completed"))
    carried = await mesh.get("34", "/api/v1/problems", as_=ADMITTING,
                             params={"student_number": number, "must_act": True})  # fmt: skip
    [row] = carried.json()["items"]
    assert (row["type"], row["school_code"]) == ("invalid_id", SENIOR)


async def test_pge2_new_cases_only_inside_the_windows(mesh: Mesh) -> None:
    number = await graduated_student(mesh, "44", 704, class_code=GRADE_NINE)
    mesh.clock.set(datetime(2026, 12, 15, 0, 0, tzinfo=SHANGHAI))
    closed = await _apply(mesh, number)
    assert closed.status_code == 409 and closed.json()["code"] == "window_closed"
    mesh.clock.set(datetime(2027, 3, 1, 0, 0, tzinfo=SHANGHAI))
    assert (await _apply(mesh, number)).status_code == 201


async def test_pge3_graduating_side_may_not_refuse_for_admission_or_scores(mesh: Mesh) -> None:
    number = await graduated_student(mesh, "44", 705, class_code=GRADE_NINE)
    case = (await _apply(mesh, number)).json()
    for _ in range(2):
        case = (await decide(mesh, case, path=ENROLLMENTS)).json()
    assert case["step"] == "out_bureau"
    forbidden = await decide(
        mesh, case, approve=False, opinion="成绩不符", path=ENROLLMENTS, ground="scores"
    )
    assert forbidden.status_code == 409 and forbidden.json()["code"] == "ground_not_allowed"
    allowed = await decide(
        mesh, case, approve=False, opinion="学生本人放弃", path=ENROLLMENTS, ground="withdrawn"
    )
    assert allowed.json()["status"] == "rejected"


async def test_pge4_revoke_and_pending_lists_as_for_transfers(mesh: Mesh) -> None:
    number = await graduated_student(mesh, "44", 706, class_code=GRADE_NINE)
    case = (await _apply(mesh, number)).json()
    pending = await mesh.get("34", f"{ENROLLMENTS}/pending", as_=f"{SENIOR}_approver")
    assert [c["id"] for c in pending.json()["items"]] == [case["id"]]
    transfers = await mesh.get("34", "/api/v1/transfers/pending", as_=f"{SENIOR}_approver")
    assert transfers.json()["items"] == []  # the flows keep their own lists
    revoked = await mesh.post("34", f"{ENROLLMENTS}/{case['id']}/revoke", as_=ADMITTING)
    assert revoked.json()["status"] == "revoked"


async def _status(mesh: Mesh, case_id: str, status: str) -> bool:
    current = await case_now(mesh, case_id, path=ENROLLMENTS, as_=ADMITTING)
    return current["status"] == status
