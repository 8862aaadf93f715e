"""GRD-3 升级: the yearly promotion job of a province, and who moves up.

Grades are not stored: a student's grade follows from its class code (entry year and stage,
ID-5) and the school year in force, which turns at the province's promotion day (Aug 10 24:00
by default). The job writes that turn into every record — one `Promoted` event per student
who moved up, seen in its history and in the views — and opens next year's grade-1 classes.

It walks the province's student records in the log's order up to the log's top when it
started, in batches: each batch's `Promoted` events and the job's new position are stored in
one transaction, so a node killed mid-run resumes after the last stored batch, and a record
already moved into the year (`Student.promoted_to`) is never moved twice — run twice = once.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.codes import ClassCode, SchoolSystem, StudentStatus, class_grade, stage_length

_NS = uuid5(NAMESPACE_URL, "xueji:province:promotion")


def moves_up(class_code: str | None, system: str, school_year: int) -> tuple[int, int] | None:
    """The national grades (before, after) of a class's students when `school_year` begins;
    None when they do not move: the class is in its stage's last grade (only graduation
    moves them on, GRD-1) or had not started the year before, or there is no class yet (an
    admitted student awaiting 分班 enters grade 1 of its year, ADM-2)."""
    if class_code is None:
        return None
    code = ClassCode.parse(class_code)
    school_system = SchoolSystem(system)
    if not 1 <= code.grade_in(school_year - 1) < stage_length(code.stage, school_system):
        return None
    before = class_grade(code, school_year - 1, school_system)
    return before, before + 1


def new_grade_one_classes(classes: dict[str, dict], school_year: int) -> list[dict]:
    """ORG: next year's grade-1 classes, copied from this year's (same stages and numbers)."""
    opened = []
    for class_code in sorted(classes):
        code = ClassCode.parse(class_code)
        if code.entry_year != school_year - 1:
            continue
        new = f"{school_year:04d}{code.stage.value}{code.number:02d}"
        if new not in classes:
            name = f"{code.stage.label}1年级{code.number}班"
            campus = classes[class_code].get("campus")  # [004 Q16]: the campus keeps its numbers
            opened.append({"class_code": new, "grade": f"{code.stage.label}{school_year}级",
                           "name": name} | ({"campus": campus} if campus else {}))  # fmt: skip
    return opened


class SchoolYearLedger(Aggregate):
    """The school year a province's records are in; a promotion turns it (one per node)."""

    @staticmethod
    def create_id(province: str) -> UUID:
        return uuid5(_NS, f"ledger:{province}")

    @event("Opened")
    def __init__(self, province: str, school_year: int) -> None:
        self.province, self.school_year = province, school_year

    @event("Turned")
    def turn(self, school_year: int, meta: dict) -> None:
        self.school_year = school_year


class Promotion(Aggregate):
    """One province's promotion into one school year: where it is and what it did."""

    RUNNING, FINISHED = "running", "finished"

    @staticmethod
    def create_id(province: str, school_year: int) -> UUID:
        return uuid5(_NS, f"{province}:{school_year}")

    @event("Started")
    def __init__(self, province: str, school_year: int, top: int, at: str, meta: dict) -> None:
        self.province, self.school_year = province, school_year
        self.top = top  # the log position the walk ends at
        self.position = 0  # the last notification walked
        self.promoted = self.stayed = self.records = self.classes_opened = 0
        self.status = self.RUNNING
        self.started_at, self.finished_at = at, None

    @event("ClassesOpened")
    def classes_were_opened(self, count: int) -> None:
        self.classes_opened += count

    @event("Progressed")
    def progress(self, position: int, records: int, promoted: int) -> None:
        self.position = position
        self.records += records
        self.promoted += promoted
        self.stayed += records - promoted

    @event("Finished")
    def finish(self, at: str) -> None:
        self.status, self.finished_at = self.FINISHED, at

    def view(self) -> dict:
        done = self.top and min(1.0, self.position / self.top)
        return {
            "school_year": self.school_year,
            "status": self.status,
            "records": self.records,
            "promoted": self.promoted,
            "stayed": self.stayed,
            "classes_opened": self.classes_opened,
            "progress": 1.0 if self.status == self.FINISHED else round(done or 0.0, 4),
            "started_at": self.started_at,
            "finished_at": self.finished_at,
        }


def may_move(status: str, promoted_to: int | None, school_year: int) -> bool:
    """Only records in school move, and only once into a year."""
    return status == StudentStatus.ENROLLED.value and (promoted_to or 0) < school_year
