"""A province store full of students, written fast: real domain events, stored in big batches.

Each student is walked through the events the registration flow records (submitted,
authenticated, dedup passed, numbered, review, school approval, report, county approval,
student created; then `Student.Registered` and the number index) — 11 events — or, with
`full=False`, only submitted + student created + `Student.Registered` (3 events). The events
go straight into the recorder's table, `BATCH` students per transaction: no command handling, no
aggregate reloads, which would make seeding millions of events take hours.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from sqlalchemy import insert

from contracts.ids import mod11_2_check_char
from contracts.meta import CommandMeta
from province_node.application import ProvinceNode
from province_node.domain.registration import Registration
from province_node.domain.student import Student, StudentNumberIndex
from province_node.schools import load_schools
from simulations.demo import demo_schools

TODAY = date(2026, 11, 22)
BATCH = 2_000
_SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
_GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰"


def seed(node: ProvinceNode, students: int, full: bool = True) -> int:
    """Loads the demo schools, then `students` students; returns the events stored."""
    meta = CommandMeta.new("bench", node.province, "sysadmin")
    schools = demo_schools(node.province, TODAY)
    load_schools(node, schools, meta)
    placements = [(s["school_code"], c["class_code"]) for s in schools for c in s["classes"]]
    stored = 0
    for first in range(0, students, BATCH):
        events = []
        for index in range(first, min(first + BATCH, students)):
            school, klass = placements[index % len(placements)]
            events += _student_events(node.province, index, school, klass, full)
        stored += _insert(node, events)
    return stored


def _insert(node: ProvinceNode, events: list) -> int:
    """One transaction of Core inserts into the recorder's table: the ORM unit of work of
    `recorder.insert_events` tripled the seeding time, and nothing here needs its ids."""
    table = node.recorder.events_record_cls.__table__
    rows = []
    for e in events:
        stored = node.mapper.to_stored_event(e)
        rows.append(
            {
                "originator_id": stored.originator_id,
                "originator_version": stored.originator_version,
                "topic": stored.topic,
                "state": stored.state,
            }
        )
    with node.recorder.datastore.engine.begin() as connection:
        connection.execute(insert(table), rows)
    return len(rows)


def _student_events(province: str, index: int, school: str, klass: str, full: bool) -> list:
    rng = random.Random(index)
    county = school[1:7]
    # (birth date, sequence) is unique per index: numbers never collide (up to 2.9 M).
    born = date(2010, 1, 1) + timedelta(days=index // 1000 % (8 * 365))
    body = f"{county}{born:%Y%m%d}{index % 1000:03d}"
    id_number = body + mod11_2_check_char(body)
    number = f"G{id_number}" if index % 10 else f"L{county}{born:%Y%m%d}{index % 1000:03d}X"
    registrar = CommandMeta.new(f"{school}_registrar", school, "registrar").as_dict()
    county_meta = CommandMeta.new(f"{county}_registrar", county, "registrar").as_dict()
    registration = _registration(province, index, school, klass, rng, id_number, born, registrar)
    if full:
        _review(registration, number, school, county, registrar, county_meta)
    registration.create_student(number, county_meta)
    student = Student(
        registration_id=registration.id,
        student_number=number,
        auth_status="passed",
        meta=county_meta,
        **{k: v for k, v in registration.person().items()},
        dedup_key=registration.dedup_key,
    )
    events = registration.collect_events() + student.collect_events()
    if full:
        events += StudentNumberIndex(number, student.id).collect_events()
    return events


def _registration(
    province: str,
    index: int,
    school: str,
    klass: str,
    rng: random.Random,
    id_number: str,
    born: date,
    meta: dict,
) -> Registration:
    return Registration(
        command_id=f"bench-{province}-{index}",
        province=province,
        entry="non_primary",
        id_type="1",
        id_number=id_number,
        name=rng.choice(_SURNAMES) + "".join(rng.choices(_GIVEN, k=rng.choice((1, 2)))),
        sex="1" if index % 2 else "2",
        birth_date=born,
        ethnicity=f"{rng.choice((1, 1, 1, 1, 2, 3, 5, 8)):02d}",
        school_code=school,
        class_code=klass,
        guardians=[{"name": "家长", "relation": "父亲", "id_type": "1", "id_number": None}],
        dedup_key=f"1:{id_number}",
        meta=meta,
    )


def _review(
    registration: Registration, number: str, school: str, county: str, meta: dict, county_meta: dict
) -> None:
    """The checks, numbering and two-step review a registration goes through (REG-5, REG-6)."""
    chain = [{"level": "school", "unit_code": school, "unit_name": "学校"}]
    chain.append({"level": "county", "unit_code": county, "unit_name": "区县"})
    registration.record_authentication("passed", None, meta)
    registration.pass_dedup(meta)
    registration.assign_number(number, meta)
    registration.start_review(chain, meta)
    registration.decide(True, "同意", TODAY.isoformat(), meta | {"account": "approver"})
    registration.report(meta)
    registration.decide(True, "同意", TODAY.isoformat(), county_meta)
