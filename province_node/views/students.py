"""The `students` view (QRY-1, QRY-2, QRY-6): one row per student record, every field of it.

Schools and classes are followed too, so that a row carries its school's region codes and its
class's grade when it is written. `event_count` is incremented per event on purpose: it is the
one non-idempotent column, so an event applied twice shows (`event_count != version`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    Boolean,
    Column,
    Float,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    func,
    select,
)

from contracts.codes import StudentStatus
from projections.batch import Batch, Row
from projections.machinery import View
from province_node.domain.profile import FIELDS, Field, term_of
from province_node.domain.school import School
from province_node.domain.student import Student
from xueji.clock import SHANGHAI


def _str(name: str, length: int = 40, **kw: Any) -> Column:
    return Column(name, String(length), **kw)


def students_view(prefix: str) -> View:
    metadata = MetaData()
    _school_tables(prefix, metadata)
    _index(_students_table(prefix, metadata))
    # DAY-7: which records of a school had their changing fields updated in a term
    Table(
        f"{prefix}_v_updates",
        metadata,
        _str("key", 50, primary_key=True),  # student id + term
        _str("term", 6),
        _str("school_code", 10),
        _str("student_id", 36),
        Column("fields", String(500)),
        _str("last_at"),
        Index(f"{prefix}_v_updates_term_idx", "term", "school_code"),
    )
    view = View("students", metadata)
    _Handlers(view)
    return view


def _school_tables(prefix: str, metadata: MetaData) -> None:
    Table(
        f"{prefix}_v_schools",
        metadata,
        _str("school_id", 36, primary_key=True),  # a ClassOpened event knows only this id
        _str("school_code", 20),
        *[_str(n, 60) for n in ("school_name", "school_type", "school_system")],
        *[_str(n, 12) for n in ("region_code", "city_code", "province_code")],
        *[_str(n, 12) for n in ("supervising_unit", "locality_unit")],
    )
    Table(
        f"{prefix}_v_classes",
        metadata,
        _str("key", 30, primary_key=True),  # school code + class code: class codes repeat
        *[_str(n, 30) for n in ("class_name", "grade", "stage", "entry_year")],
    )


#: Profile fields already columns of their own (the statistics count them).
_FLAG_COLUMNS = frozenset({"migrant", "left_behind", "special_needs"})
_CHANGE_COLUMNS = {"migrant": "migrant_changed", "migrant_worker": "migrant_changed",
                   "left_behind": "left_behind_changed",
                   "rural_left_behind": "left_behind_changed"}  # fmt: skip


def _profile_column(field: Field) -> Column:
    if field.kind == "bool":
        return Column(field.key, Boolean)
    if field.kind == "number":
        return Column(field.key, Float)
    if field.kind in ("list", "object"):
        return Column(f"{field.key}_count", Integer)  # how many (family members …)
    return _str(field.key, min(field.max_length, 200))


def _students_table(prefix: str, metadata: MetaData) -> Table:
    return Table(
        f"{prefix}_v_students",
        metadata,
        _str("student_id", 36, primary_key=True),
        *[_str(n) for n in ("student_number", "number_kind", "name", "sex", "birth_date")],
        *[_str(n) for n in ("id_type", "id_number", "ethnicity", "dedup_key")],
        *[_str(n, 60) for n in ("school_code", "school_name", "school_type", "school_system")],
        *[_str(n, 12) for n in ("region_code", "city_code", "province_code")],
        *[_str(n, 12) for n in ("supervising_unit", "locality_unit")],
        *[_str(n, 30) for n in ("class_code", "class_name", "grade", "stage", "entry_year")],
        *[_str(n) for n in ("status", "auth_status", "registration_id")],
        Column("has_photo", Boolean, nullable=False),
        *[Column(n, Boolean) for n in ("migrant", "left_behind", "special_needs")],
        # DAY-1: the record's other fields, so QRY-1's custom conditions reach them
        *[_profile_column(f) for f in FIELDS.values() if f.key not in _FLAG_COLUMNS],
        # DAY-3 / DAY-4: 是否存在变更历史 — a flag set before was changed
        *[Column(n, Boolean) for n in ("migrant_changed", "left_behind_changed")],
        Column("guardians_count", Integer, nullable=False),
        *[_str(n, 60) for n in ("guardian_name", "guardian_relation", "guardian_id_number")],
        *[_str(n, 40) for n in ("registered_at", "registered_by", "registered_unit")],
        *[_str(n, 40) for n in ("last_change_at", "last_change_type", "last_change_by")],
        # GRD-1 / GRD-4: the last graduation (毕业/结业/肄业), its stage and day
        *[_str(n, 12) for n in ("graduation_kind", "graduation_stage", "graduation_date")],
        _str("graduation_school_code", 10),  # the school it graduated from (GRD-4's school)
        _str("admission_status", 12),  # ADM-2: 待分班 / 已分班 after the archive pull
        _str("promoted_to", 4),  # GRD-3: the school year the last promotion moved it into
        Column("deletion_requested", Boolean, nullable=False),
        _str("deletion_reason", 500),
        _str("deleted_at"),
        Column("version", Integer, nullable=False),
        Column("event_count", Integer, nullable=False),
    )


def _index(students: Table) -> None:
    # The default sort and its tie-break walk an index (a page needs no sort of the table);
    # the jurisdiction (school IN …) and the counts (status …) are covered by the others.
    for number, columns in enumerate(
        (
            ("student_number", "student_id"),
            ("school_code", "status", "student_number", "student_id"),
            ("status", "region_code"),
            ("birth_date", "student_id"),
            ("status", "name", "student_number", "student_id"),  # name part: count and keys
            ("id_number",),
            ("region_code", "grade"),
            ("graduation_date", "graduation_school_code"),  # GRD-4: graduates by year
        )
    ):
        # PostgreSQL allows 63 characters per name: numbered, not spelled out.
        Index(f"{students.name}_{number}_idx", *[students.c[c] for c in columns])


class _Handlers:
    """One method per event type followed; `__init__` registers them with the view."""

    def __init__(self, view: View) -> None:
        self.schools, self.classes = view.table("schools"), view.table("classes")
        self.students, self.updates = view.table("students"), view.table("updates")
        view.on(School.Registered)(self.school)
        view.on(School.ClassOpened)(self.klass)
        view.on(Student.Registered)(self.registered)
        view.on(Student.DeletionRequested)(self.deletion_requested)
        view.on(Student.DeletionRefused)(self.deletion_refused)
        view.on(Student.Deleted)(self.deleted)
        # XPT-6: a student arriving from another province is a new row; one leaving stays.
        view.on(Student.TransferredIn)(self.registered)
        view.on(Student.TransferredOut)(self.transferred_out)
        for case_event in (Student.CaseOpened, Student.CaseClosed, Student.CaseCompletedNoticed):
            view.on(case_event)(self.touched)
        view.on(Student.ApplicationStarted, Student.ApplicationEnded)(self.touched)
        view.on(Student.Changed)(self.changed)
        view.on(Student.KeyDataChanged)(self.key_data_changed)
        view.on(Student.Renumbered)(self.renumbered)  # ID-3
        view.on(Student.Graduated)(self.graduated)
        view.on(Student.GraduationRolledBack)(self.graduation_rolled_back)
        view.on(Student.Promoted)(self.promoted)
        view.on(Student.Edited)(self.edited)
        view.on(Student.JoinedByAdmission)(self.joined_by_admission)
        view.on(Student.PlacedByAdmission)(self.placed_by_admission)
        view.on(Student.AdmissionRolledBack)(self.admission_rolled_back)
        view.on(Student.PhotoSet)(self.photo_set)  # ID-7

    def school(self, batch: Batch, e: Any) -> None:
        region = e.region_code
        batch.put(
            self.schools,
            {
                "school_id": str(e.originator_id),
                "school_code": e.school_code,
                "school_name": e.name,
                "school_type": e.school_type,
                "school_system": e.school_system,
                "region_code": region,
                "city_code": region[:4] + "00",
                "province_code": region[:2] + "0000",
                "supervising_unit": e.supervising_unit,
                "locality_unit": e.locality_unit,
            },
        )

    def klass(self, batch: Batch, e: Any) -> None:
        school = batch.get(self.schools, str(e.originator_id))["school_code"]
        batch.put(
            self.classes,
            {
                "key": f"{school}:{e.class_code}",
                "class_name": e.name,
                "grade": e.grade,
                "stage": e.class_code[4:5],
                "entry_year": e.class_code[:4],
            },
        )

    def registered(self, batch: Batch, e: Any) -> None:
        school = batch.get(self.schools, str(School.create_id(e.school_code))) or {}
        klass = batch.get(self.classes, f"{e.school_code}:{e.class_code}") or {}
        first = e.guardians[0] if e.guardians else {}
        row = {c.name: None for c in self.students.columns} | school | klass
        row.pop("key", None), row.pop("school_id", None)  # lookup keys, not columns
        row |= {
            "student_id": str(e.originator_id),
            "registration_id": str(e.registration_id),
            "number_kind": e.student_number[0],
            "birth_date": e.birth_date.isoformat(),
            "status": StudentStatus.ENROLLED.value,
            "has_photo": False,
            "guardians_count": len(e.guardians),
            "guardian_name": first.get("name"),
            "guardian_relation": first.get("relation"),
            "guardian_id_number": first.get("id_number"),
            "registered_at": e.timestamp.isoformat(),
            "registered_by": e.meta.get("account"),
            "registered_unit": e.meta.get("unit_code"),
            "deletion_requested": False,
            "event_count": 0,
        }
        row |= {k: getattr(e, k) for k in _COPIED}
        batch.put(self.students, _changed(row, e))

    def transferred_out(self, batch: Batch, e: Any) -> None:
        _update(batch, self.students, e, status=StudentStatus.TRANSFERRED_OUT.value)

    def changed(self, batch: Batch, e: Any) -> None:
        """CHG-1/CHG-4: a new status, class or school, with the school's and class's columns."""
        school = batch.get(self.schools, str(School.create_id(e.school_code))) or {}
        klass = batch.get(self.classes, f"{e.school_code}:{e.class_code}") or {}
        moved = {k: v for k, v in (school | klass).items() if k not in ("key", "school_id")}
        changes = moved | {"status": e.status, "school_code": e.school_code}
        _update(batch, self.students, e, **changes, class_code=e.class_code)

    def key_data_changed(self, batch: Batch, e: Any) -> None:
        """KDC-2: the approved values (a class change brings its class's columns)."""
        row = batch.get(self.students, str(e.originator_id)) or {}
        changes = {k: v for k, v in e.changes.items() if k in self.students.c}
        if "class_code" in e.changes:
            klass = batch.get(self.classes, f"{row.get('school_code')}:{e.changes['class_code']}")
            changes |= {k: v for k, v in (klass or {}).items() if k != "key"}
        changes |= {"dedup_key": e.dedup_key}
        if e.auth_status is not None:
            changes["auth_status"] = e.auth_status
        _update(batch, self.students, e, **changes)

    def renumbered(self, batch: Batch, e: Any) -> None:
        """ID-3: the record's new number (the old one is in its history)."""
        changes = {"student_number": e.new_number, "number_kind": e.new_number[0]}
        if e.auth_status is not None:
            changes["auth_status"] = e.auth_status
        _update(batch, self.students, e, **changes)

    def graduated(self, batch: Batch, e: Any) -> None:
        graduation = {"graduation_kind": e.kind, "graduation_date": e.graduation_date}
        row = batch.get(self.students, str(e.originator_id)) or {}
        stage = row.get("stage") or (row.get("class_code") or "")[4:5]
        graduation |= {"graduation_stage": stage, "graduation_school_code": row.get("school_code")}
        _update(batch, self.students, e, status=e.status, admission_status=None, **graduation)

    def graduation_rolled_back(self, batch: Batch, e: Any) -> None:
        status = StudentStatus.ENROLLED.value
        nothing = dict.fromkeys(
            ("graduation_kind", "graduation_stage", "graduation_date", "graduation_school_code")
        )
        _update(batch, self.students, e, status=status, **nothing)

    def edited(self, batch: Batch, e: Any) -> None:
        """DAY-1…DAY-7: the edited fields' columns; a flag that had a value and changed marks
        the record's change history (DAY-3/DAY-4)."""
        row = batch.get(self.students, str(e.originator_id)) or {}
        changes: dict[str, Any] = {}
        for key, value in e.changes.items():
            field = FIELDS.get(key)
            if key == "class_code":
                klass = batch.get(self.classes, f"{row.get('school_code')}:{value}") or {}
                changes |= {k: v for k, v in klass.items() if k != "key"} | {"class_code": value}
            elif field is not None and field.kind == "object":
                changes[key if key in _FLAG_COLUMNS else f"{key}_count"] = (
                    bool(value) if key in _FLAG_COLUMNS else (1 if value else 0)
                )
            elif field is not None and field.kind == "list":
                changes[f"{key}_count"] = len(value or [])
            else:
                changes[key] = value
            history = _CHANGE_COLUMNS.get(key)
            if history and e.before.get(key) is not None and e.before.get(key) != value:
                changes[history] = True
        _update(batch, self.students, e, **changes)
        updated = sorted(k for k in e.changes if k in FIELDS and FIELDS[k].updates)
        if updated:  # DAY-7: the county's term review lists it
            term = term_of(e.timestamp.astimezone(SHANGHAI).date())
            key = f"{e.originator_id}:{term}"
            known = batch.get(self.updates, key)
            fields = sorted({*updated, *((known or {}).get("fields") or "").split(",")} - {""})
            school, at = row.get("school_code"), e.timestamp.isoformat()
            update = {"key": key, "term": term, "school_code": school, "last_at": at}
            update |= {"student_id": str(e.originator_id), "fields": ",".join(fields)}
            batch.put(self.updates, update)

    def joined_by_admission(self, batch: Batch, e: Any) -> None:
        """ADM-2 调档: in school at the admitting school, no class yet (the graduation stays)."""
        self._place(batch, e, e.school_code, None, status=StudentStatus.ENROLLED.value,
                    admission_status="待分班", stage=e.stage)  # fmt: skip

    def placed_by_admission(self, batch: Batch, e: Any) -> None:
        row = batch.get(self.students, str(e.originator_id)) or {}
        self._place(batch, e, row.get("school_code"), e.class_code, admission_status="已分班")

    def admission_rolled_back(self, batch: Batch, e: Any) -> None:
        """招生回退: a graduate of its old school and class again."""
        self._place(batch, e, e.school_code, e.class_code, status=StudentStatus.GRADUATED.value,
                    admission_status=None)  # fmt: skip

    def _place(self, batch: Batch, e: Any, school_code: str | None, class_code: str | None,
               **changes: Any) -> None:  # fmt: skip
        """The record moved school or class: that school's and class's columns with it."""
        school = batch.get(self.schools, str(School.create_id(school_code or ""))) or {}
        klass = batch.get(self.classes, f"{school_code}:{class_code}") or {}
        blank = dict.fromkeys(("class_name", "grade", "entry_year"))
        moved = {k: v for k, v in (school | blank | klass).items() if k not in ("key", "school_id")}
        moved |= {"school_code": school_code, "class_code": class_code}
        _update(batch, self.students, e, **(moved | changes))

    def promoted(self, batch: Batch, e: Any) -> None:
        _update(batch, self.students, e, promoted_to=str(e.school_year))

    def photo_set(self, batch: Batch, e: Any) -> None:
        _update(batch, self.students, e, has_photo=True)

    def touched(self, batch: Batch, e: Any) -> None:
        _update(batch, self.students, e)

    def deletion_requested(self, batch: Batch, e: Any) -> None:
        _update(batch, self.students, e, deletion_requested=True, deletion_reason=e.reason)

    def deletion_refused(self, batch: Batch, e: Any) -> None:
        _update(batch, self.students, e, deletion_requested=False, deletion_reason=None)

    def deleted(self, batch: Batch, e: Any) -> None:
        changes = {"status": StudentStatus.DELETED.value, "deleted_at": e.timestamp.isoformat()}
        _update(batch, self.students, e, deletion_requested=False, **changes)


_COPIED = (
    "student_number",
    "name",
    "sex",
    "id_type",
    "id_number",
    "ethnicity",
    "dedup_key",
    "school_code",
    "class_code",
    "auth_status",
)


def _update(batch: Batch, table: Table, e: Any, **changes: Any) -> None:
    row = batch.get(table, str(e.originator_id))
    if row is not None:
        batch.put(table, _changed(row | changes, e))


def _changed(row: Row, e: Any) -> Row:
    meta = getattr(e, "meta", None) or {}
    row["version"] = e.originator_version
    row["event_count"] += 1
    row["last_change_at"] = e.timestamp.isoformat()
    row["last_change_type"] = type(e).__name__
    row["last_change_by"] = meta.get("account")
    return row


def updates_by_school(connection: Any, table: Table, term: str, schools: list[str]) -> dict:
    """DAY-7: how many records of each school had their changing fields updated in `term`."""
    statement = (
        select(table.c.school_code, func.count())
        .where(table.c.term == term, table.c.school_code.in_(schools))
        .group_by(table.c.school_code)
    )
    return {code: count for code, count in connection.execute(statement)}


def class_numbers(connection: Any, table: Table, school_code: str, class_code: str) -> list[str]:
    """DAY-2: the in-school records of a class, by number."""
    statement = (
        select(table.c.student_number)
        .where(table.c.school_code == school_code, table.c.class_code == class_code)
        .where(table.c.status == StudentStatus.ENROLLED.value)
        .order_by(table.c.student_number)
    )
    return [r[0] for r in connection.execute(statement)]
