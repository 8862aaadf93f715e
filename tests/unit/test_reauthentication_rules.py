"""ID-3 / PRB-5 / REG-5 rules of renumbering and the re-authentication run, in memory."""

from __future__ import annotations

from datetime import UTC, date, datetime
from uuid import uuid4

import pytest

from contracts.envelope import Actor, Envelope
from contracts.errors import DomainError
from contracts.events import EventSource, StudentRegistered, StudentRenumbered
from hub.application import NationalHub
from province_node.domain.reauthentication import (
    Reauthentication,
    check_spring,
    number_kind_after,
)
from tests.support.people import resident_id

ID = resident_id(sequence=141)
L_NUMBER = "L44010620150309AB12"


def test_id3_l_number_becomes_g_once_authentication_passes() -> None:
    assert number_kind_after(L_NUMBER, "1", "passed") == "G"
    assert number_kind_after(L_NUMBER, "1", "failed") is None
    assert number_kind_after(L_NUMBER, "1", "pending") is None


def test_id3_j_number_becomes_g_only_with_a_passing_resident_id() -> None:
    j_number = "J440106201503090017"
    assert number_kind_after(j_number, "1", "passed") == "G"
    assert number_kind_after(j_number, "Z", None) is None


def test_id3_g_number_never_changes_otherwise() -> None:
    assert number_kind_after("G" + ID, "1", "passed") is None  # a new ID number: kept
    assert number_kind_after("G" + ID, "1", "failed") is None


@pytest.mark.parametrize("id_type", ["6", "7", "8", "9", "A"])
def test_prb5_formal_g_changed_to_hmt_or_foreign_needs_a_temporary_number(id_type) -> None:
    assert number_kind_after("G" + ID, id_type, None) == "L"
    assert number_kind_after(L_NUMBER, id_type, None) is None  # already temporary


def test_reg5_the_run_is_for_the_spring_semester_only() -> None:
    assert check_spring(date(2027, 3, 2)) == "2026-2"
    assert check_spring(date(2027, 7, 31)) == "2026-2"
    for autumn in (date(2026, 11, 22), date(2027, 1, 15), date(2027, 8, 1)):
        with pytest.raises(DomainError) as refused:
            check_spring(autumn)
        assert refused.value.code == "not_spring_semester" and "春季学期" in refused.value.message


def test_reg5_run_counts_its_progress_chunk_by_chunk() -> None:
    ids = [str(uuid4()) for _ in range(5)]
    meta = {"account": "440000_sysadmin"}
    run = Reauthentication(command_id="c", province="44", term="2026-2", student_ids=ids,
                           at="2027-03-02T09:00:00+08:00", meta=meta)  # fmt: skip
    assert run.next_chunk(2) == ids[:2]
    run.progress(position=2, upgraded=1, failed=1, unreachable=0, skipped=0)
    assert run.next_chunk(2) == ids[2:4]
    run.progress(position=5, upgraded=1, failed=0, unreachable=1, skipped=1)
    run.finish(at="2027-03-02T09:01:00+08:00")
    view = run.view()
    assert (view["total"], view["done"], view["upgraded"], view["failed"]) == (5, 5, 2, 1)
    assert (view["unreachable"], view["skipped"], view["progress"]) == (1, 1, 1.0)
    assert view["status"] == "finished" and view["started_by"] == "440000_sysadmin"


def _source(notification_id: int) -> EventSource:
    return EventSource(province="44", application="prov44", notification_id=notification_id,
                       aggregate_id=uuid4(), aggregate_version=1,
                       occurred_at=datetime.now(UTC))  # fmt: skip


def test_id3_hub_follows_a_renumbering_exactly_once_and_finds_either_number() -> None:
    hub = NationalHub(env={"PERSISTENCE_MODULE": "eventsourcing.popo"})
    envelope = Envelope(actor=Actor(account="t", unit_code="44", role="registrar"))
    registration = uuid4()
    registered = StudentRegistered(
        envelope=envelope, source=_source(1), registration_id=registration,
        student_number=L_NUMBER, dedup_key=f"id:{ID}", id_type="1", id_number=ID, name="张三",
        sex="1", birth_date=date(2015, 3, 9), school_code="3440106002", class_code="2026201",
    )  # fmt: skip
    assert hub.apply_province_message("44", 1, "s", registered.model_dump_json().encode())
    renumbered = StudentRenumbered(
        envelope=envelope, source=_source(2), registration_id=registration,
        old_number=L_NUMBER, new_number="G" + ID, dedup_key=f"id:{ID}", reason="认证通过",
    )  # fmt: skip
    data = renumbered.model_dump_json().encode()
    assert hub.apply_province_message("44", 2, "s", data) == "applied"
    again = renumbered.model_copy(update={"source": _source(3)})
    assert hub.apply_province_message("44", 3, "s", again.model_dump_json().encode()) == "applied"
    found = hub.national_student("张三", student_number="G" + ID)
    assert (found["student_number"], found["former_numbers"]) == ("G" + ID, [L_NUMBER])
    assert hub.national_student("张三", student_number=L_NUMBER)["student_number"] == "G" + ID
    assert hub.national_student("张三", id_number=ID)["student_number"] == "G" + ID
