"""The projector after a crash (AUD-3): view rows and position commit together or not at all.

Real SQLite files, no bus: a province node's store and its views database side by side.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import uuid4

import pytest
from sqlalchemy import func, select

from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.domain.student import Student
from province_node.schools import load_schools
from province_node.views.node import node_views
from simulations.demo import demo_schools
from tests.support.people import JUNIOR_SCHOOL, resident_id
from xueji.store import store_env

META = CommandMeta.new("440106_registrar", "440106", "registrar").as_dict()


class Crash(Exception):
    pass


class TransferredOut(Student.Event):
    """A Student event type the views do not follow (like those other features add)."""

    to_province: str
    meta: dict

    def apply(self, aggregate: Student) -> None:
        aggregate.status = "转出"


def _node(tmp_path: Path) -> tuple[ProvinceNode, str]:
    url = f"sqlite:///{tmp_path / 'prov44.sqlite'}"
    node = ProvinceNode("44", store_env(url))
    load_schools(node, demo_schools("44", date(2026, 11, 22)), CommandMeta.new("s", "44", "s"))
    return node, url


def _student(sequence: int) -> Student:
    id_number = resident_id(sequence=sequence)
    return Student(
        registration_id=uuid4(),
        student_number=f"G{id_number}",
        dedup_key=f"1:{id_number}",
        id_type="1",
        id_number=id_number,
        name="张三",
        sex="1",
        birth_date=date(2015, 3, 9),
        ethnicity="01",
        school_code=JUNIOR_SCHOOL["44"],
        class_code="2026201",
        guardians=[{"name": "张父", "relation": "父亲", "id_type": "1", "id_number": None}],
        auth_status="passed",
        meta=META,
    )


def _rows(views) -> list[dict]:
    table = views.view("students").table("students")
    return views.read_now(lambda c: [dict(r) for r in c.execute(select(table)).mappings()])


def _raise() -> None:
    raise Crash


def test_aud3_crash_between_view_write_and_position_changes_nothing(tmp_path: Path) -> None:
    node, url = _node(tmp_path)
    students = [_student(n) for n in (101, 103, 105)]
    node.save(*students)
    views = node_views(node, url.replace(".sqlite", "_views.sqlite"))
    projector = views.projectors["students"]
    projector.fault = _raise  # rows flushed, position not yet written: the process dies
    with pytest.raises(Crash):
        projector.catch_up()
    assert _rows(views) == [] and projector.position == 0
    assert views.tracking.max_tracking_id("students") is None

    projector.fault = None
    projector.catch_up()
    student = node.repository.get(students[0].id)
    student.request_deletion(reason="误操作", meta=META)
    node.save(student)
    projector.fault = _raise
    with pytest.raises(Crash):
        projector.catch_up()

    # A restart: new views on the same database take the committed position and go on.
    views.close()
    again = node_views(node, url.replace(".sqlite", "_views.sqlite"))
    again.projectors["students"].catch_up()
    rows = {r["student_number"]: r for r in _rows(again)}
    assert len(rows) == 3
    assert all(r["event_count"] == r["version"] for r in rows.values())  # nothing twice
    assert rows[f"G{resident_id(sequence=101)}"]["deletion_requested"] is True
    assert again.lags()["students"]["lag"] == 0


def test_aud3_event_types_a_view_does_not_follow_are_passed_over(tmp_path: Path) -> None:
    node, url = _node(tmp_path)
    moving = _student(107)
    node.save(moving)
    moving.trigger_event(TransferredOut, to_province="34", meta=META)
    node.save(moving)
    assert node.repository.get(moving.id).status == "转出"
    views = node_views(node, url.replace(".sqlite", "_views.sqlite"))
    views.projectors["students"].catch_up()
    (row,) = _rows(views)
    assert (row["status"], row["version"]) == ("在校", 1)  # the unknown event changed nothing
    assert views.lags()["students"]["lag"] == 0  # …and the position went past it

    count = func.count()
    table = views.view("students").table("students")
    assert views.read_now(lambda c: c.scalar(select(count).select_from(table))) == 1
