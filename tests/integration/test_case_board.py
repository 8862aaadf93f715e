"""The hub's case board is a table-backed read model (hub/case_board.py): rebuilt from the
log it answers as before (AUD-3), and a restarted hub catches up from its position instead
of rebuilding (XPT-2 still holds across the restart)."""

from __future__ import annotations

from uuid import UUID

import pytest
from sqlalchemy import func, select

from contracts.cases import CaseQuery
from contracts.envelope import Actor, Envelope
from hub.application import NationalHub
from tests.support.cases import decide, enrolled_student, initiate
from tests.support.mesh import Mesh
from tests.support.people import JUNIOR_SCHOOL

IN_SCHOOL, OUT_SCHOOL = JUNIOR_SCHOOL["34"], JUNIOR_SCHOOL["44"]


def _query(unit: str, role: str, mode: str, **filters) -> CaseQuery:
    actor = Actor(account=f"{unit}_{role}", unit_code=unit, role=role)
    return CaseQuery(envelope=Envelope(actor=actor), flow="transfer", mode=mode, **filters)


def _answers(hub, cases: list[dict]) -> dict:
    """What the board says about `cases`, through each of its readers."""
    board = hub.board
    return {
        "get": [board.get(UUID(c["id"])) for c in cases],
        "sees": [board.sees(UUID(c["id"]), u) for c in cases for u in (IN_SCHOOL, "999999")],
        "open": [board.open_case_of(c["student_number"]) for c in cases],
        "open_ids": sorted(board.open_ids()),
        "pending": [
            board.pending(unit, role, _query(unit, role, "pending"))
            for unit, role in [(IN_SCHOOL, "approver"), ("340104", "registrar")]
        ],
        "search": [
            board.search(unit, _query(unit, "registrar", "search", **filters))
            for unit in ("000000", IN_SCHOOL, OUT_SCHOOL, "999999")
            for filters in ({}, {"name": "四"}, {"to_province": "34", "status": "in_progress"})
        ],
        "monitoring": [board.monitoring(p, "transfer") for p in (None, "34", "44")],
        "stalled": board.stalled_pulls(None),
    }


async def _restart_hub(mesh: Mesh) -> None:
    await mesh.stop("hub")
    await mesh.start("hub")
    await mesh.wait_until(lambda: mesh.runtime("hub").bus.connected)


async def _two_cases(mesh: Mesh) -> list[dict]:
    """One case decided by the in-school (awaiting its bureau), one just initiated."""
    first = (await initiate(mesh, await enrolled_student(mesh, "44", 901))).json()
    decided = await decide(mesh, first)
    assert decided.status_code == 200, decided.text
    second = await initiate(mesh, await enrolled_student(mesh, "44", 902, name="王五"), "王五")
    assert second.status_code == 201, second.text
    return [decided.json(), second.json()]


async def test_aud3_the_case_board_rebuilt_from_the_log_answers_as_before(mesh: Mesh) -> None:
    cases = await _two_cases(mesh)
    runtime = mesh.runtime("hub")
    hub = runtime.hub
    before = await runtime.writer(_answers, hub, cases)
    assert before["get"][0]["step"] == "in_bureau" and before["get"][1]["step"] == "in_school"
    assert [[c["id"] for c in p] for p in before["pending"]] == [
        [cases[1]["id"]],
        [cases[0]["id"]],
    ]
    assert [c["id"] for c in before["search"][0]] == [c["id"] for c in cases]
    assert before["search"][-1] == [] and before["sees"] == [True, False, True, False]
    assert before["monitoring"][0] and before["open"] == [UUID(c["id"]) for c in cases]

    assert await runtime.writer(hub.rebuild_board) == 2
    assert await runtime.writer(_answers, hub, cases) == before
    assert await runtime.writer(hub.board.position) == hub.recorder.max_notification_id()


async def test_xpt2_a_restarted_hub_finds_its_open_cases_without_a_rebuild(
    mesh: Mesh, monkeypatch: pytest.MonkeyPatch
) -> None:
    number = await enrolled_student(mesh, "44", 903)
    case = (await initiate(mesh, number)).json()

    def no_rebuild(self: NationalHub) -> int:
        raise AssertionError("the hub rebuilt its board at start")

    monkeypatch.setattr(NationalHub, "rebuild_board", no_rebuild)
    await _restart_hub(mesh)
    runtime = mesh.runtime("hub")
    hub = runtime.hub
    # Caught up from the position (nothing changed since): no case put again.
    assert await runtime.writer(hub.catch_up_board) == 0
    assert await runtime.writer(hub.board.position) == hub.recorder.max_notification_id()
    assert await runtime.writer(hub.board.open_case_of, number) == UUID(case["id"])
    again = await initiate(mesh, number)  # XPT-2: one case at a time
    assert again.status_code >= 400 and again.json()["code"] == "business_in_flight"
    with hub.recorder.datastore.transaction(commit=False) as session:
        rows = session.execute(select(func.count()).select_from(hub.board._cases)).scalar()
    assert rows == 1


async def test_a_case_saved_but_not_put_before_a_crash_is_caught_up_at_start(
    mesh: Mesh,
) -> None:
    number = await enrolled_student(mesh, "44", 904)
    case = (await initiate(mesh, number)).json()
    runtime = mesh.runtime("hub")
    hub = runtime.hub
    position = await runtime.writer(hub.board.position)
    decided = await decide(mesh, case)  # saved and put: then the board forgets it (a crash)
    assert decided.status_code == 200, decided.text

    def forget() -> None:
        hub.board.clear()
        with hub.recorder.datastore.transaction(commit=True) as session:
            hub.board._set_position(session, position)

    await runtime.writer(forget)
    await _restart_hub(mesh)
    runtime = mesh.runtime("hub")
    view = await runtime.writer(runtime.hub.board.get, UUID(case["id"]))
    assert view is not None and view["step"] == "in_bureau"
    bureau = await mesh.get("34", "/api/v1/transfers/pending", as_="340104_registrar")
    assert [c["id"] for c in bureau.json()["items"]] == [case["id"]]
