"""The hub's read model of cross-province cases: pending lists, tracking, monitoring.

Rebuilt from the event log at start and kept current by the writer thread after every
save (the hub has one writer), so a decision is in the next list the moment it commits.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime
from uuid import UUID

from contracts.cases import CaseQuery
from hub.domain.case import CrossProvinceCase, action_of


def case_view(case: CrossProvinceCase) -> dict:
    """API.md's shape of a case (`GET /api/v1/transfers/{id}`)."""
    student = case.student
    return {
        "id": str(case.id),
        "flow": case.flow,
        "status": case.status,
        "step": case.step_name,
        "awaiting_unit": case.awaiting_unit,
        "student_number": student["student_number"],
        "student_name": student["name"],
        "sex": student.get("sex"),
        "id_number": student.get("id_number"),
        "from_province": case.out_side["province"],
        "from_school_code": case.out_side["school_code"],
        "from_school_name": case.out_side["school_name"],
        "from_grade": student["national_grade"],
        "to_province": case.in_side["province"],
        "to_school_code": case.in_side["school_code"],
        "to_school_name": case.in_side["school_name"],
        "target_grade": case.target_grade,
        "target_class_code": case.target_class_code,
        "grade_changed": case.grade_changed,
        "reason": case.reason,
        "proof": case.proof,
        "initiated_at": case.initiated_at.isoformat(),
        "approved_at": _iso(case.approved_at),
        "closed_at": _iso(case.closed_at),
        "steps": [_step(s) for s in case.steps],
        "overdue": [{**o, "at": _iso(o["at"])} for o in case.overdue],
        "pull_resends": getattr(case, "pull_resends", 0),  # the archive asked for again
        "history": [{**h, "at": _iso(h["at"])} for h in case.history],
        "version": case.version,
    }


class CaseBoard:
    def __init__(self) -> None:
        self._cases: dict[UUID, dict] = {}
        self._units: dict[UUID, set[str]] = {}
        self._open_by_student: dict[str, UUID] = {}

    def put(self, case: CrossProvinceCase) -> None:
        view = case_view(case)
        self._cases[case.id] = view
        self._units[case.id] = set(case.in_side["units"]) | set(case.out_side["units"])
        if case.is_open():
            self._open_by_student[case.student_number] = case.id
        elif self._open_by_student.get(case.student_number) == case.id:
            del self._open_by_student[case.student_number]

    def open_case_of(self, student_number: str) -> UUID | None:
        """XPT-2: one case at a time per student (business in flight)."""
        return self._open_by_student.get(student_number)

    def open_ids(self) -> list[UUID]:
        return list(self._open_by_student.values())

    def get(self, case_id: UUID) -> dict | None:
        return self._cases.get(case_id)

    def sees(self, case_id: UUID, unit_code: str) -> bool:
        """XPT-5: a unit sees a case when its jurisdiction covers either school."""
        return unit_code == "000000" or unit_code in self._units.get(case_id, ())

    def pending(self, unit_code: str, role: str, query: CaseQuery) -> list[dict]:
        """XPT-3: the cases awaiting what this unit's role can do, on either side, each
        with its `action` (`decide`, or `archive_pull` for the in-school's registrar)."""
        found = []
        for view in self._cases.values():
            if view["flow"] != query.flow or view["awaiting_unit"] != unit_code:
                continue
            action = action_of(view["step"], role)
            if action is not None and _fits(view, query):
                found.append({**view, "action": action})
        return found

    def search(self, unit_code: str, query: CaseQuery) -> list[dict]:
        return [
            v
            for case_id, v in self._cases.items()
            if v["flow"] == query.flow and self.sees(case_id, unit_code) and _fits(v, query)
        ]

    def monitoring(self, province: str | None, flow: str) -> list[dict]:
        """XPT-10: per deciding unit, pending and overdue steps and average decision time."""
        rows: dict[str, dict] = defaultdict(
            lambda: {"pending": 0, "overdue": 0, "decided": 0, "decision_hours": 0.0}
        )
        for view in (v for v in self._cases.values() if v["flow"] == flow):
            for step in view["steps"]:
                if province and step["province"] != province:
                    continue
                row = rows[step["unit_code"]]
                row.update(unit_name=step["unit_name"], province=step["province"])
                _count_step(row, step, view)
            for overdue in view["overdue"]:
                if not province or overdue["province"] == province:
                    rows[overdue["unit_code"]]["overdue"] += 1
        return [_monitor_row(code, row) for code, row in sorted(rows.items())]

    def stalled_pulls(self, province: str | None) -> list[dict]:
        """Issue 17 item 6, the alarm: cases whose archive was asked for again and has not
        arrived (`pull_resends`), of either side's province when one is given."""
        keys = ("id", "flow", "student_number", "from_province", "to_province", "pull_resends")
        return [
            {k: v[k] for k in keys}
            for v in self._cases.values()
            if v["status"] == "approved"
            and v["pull_resends"]
            and (not province or province in (v["from_province"], v["to_province"]))
        ]


def _count_step(row: dict, step: dict, view: dict) -> None:
    if step["decided_at"] is not None:
        hours = (
            datetime.fromisoformat(step["decided_at"]) - datetime.fromisoformat(step["started_at"])
        ).total_seconds() / 3600
        row["decided"] += 1
        row["decision_hours"] += hours
    elif step["started_at"] is not None and view["status"] == "in_progress":
        row["pending"] += 1


def _monitor_row(unit_code: str, row: dict) -> dict:
    decided = row["decided"]
    return {
        "unit_code": unit_code,
        "unit_name": row.get("unit_name"),
        "province": row.get("province"),
        "pending": row["pending"],
        "overdue": row["overdue"],
        "decided": decided,
        "average_decision_hours": round(row["decision_hours"] / decided, 2) if decided else None,
    }


def _fits(view: dict, q: CaseQuery) -> bool:
    day = view["initiated_at"][:10]
    checks = [
        (q.name, lambda: q.name in view["student_name"]),
        (q.student_number, lambda: view["student_number"] == q.student_number),
        (q.id_number, lambda: view["id_number"] == q.id_number),
        (q.from_province, lambda: view["from_province"] == q.from_province),
        (q.to_province, lambda: view["to_province"] == q.to_province),
        (q.status, lambda: view["status"] == q.status),
        (q.date_from, lambda: day >= q.date_from.isoformat()),
        (q.date_to, lambda: day <= q.date_to.isoformat()),
    ]
    return all(check() for given, check in checks if given)


def _step(step: dict) -> dict:
    return {
        **step,
        "started_at": _iso(step["started_at"]),
        "decided_at": _iso(step["decided_at"]),
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None
