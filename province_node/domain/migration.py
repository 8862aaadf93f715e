"""学生学籍转移 (ORG-3) [002 §20], [004 Q112]: the common superior of a school being revoked
and a receiving school moves whole grades, classes or single students; the receiving school
confirms each (学籍转入确认) into one of its classes, or refuses it (the student stays where
it was, free for another migration).

Each student of a migration is held by it (the record's one in-flight lock) until the
receiving school decides; so the revoked school's revocation waits for the decisions.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.errors import ContractError, DomainError, Forbidden

_NS = uuid5(NAMESPACE_URL, "xueji:province:migration")
BUSINESS = "migration"
PENDING, ACCEPTED, REFUSED = "pending", "accepted", "refused"
ITEM_LABELS = {PENDING: "待确认", ACCEPTED: "已转入", REFUSED: "已拒绝"}


class Migration(Aggregate):
    """One migration: students of `from_school` to `to_school`, each decided by the latter."""

    @staticmethod
    def create_id(command_id: str) -> UUID:
        return uuid5(_NS, command_id)

    @event("Started")
    def __init__(self, command_id: str, from_school: str, to_school: str, unit_code: str,
                 items: list[dict], note: str, at: str, meta: dict) -> None:  # fmt: skip
        self.from_school, self.to_school, self.unit_code = from_school, to_school, unit_code
        self.items = {i["student_number"]: i | {"state": PENDING, "class_code": "",
                                               "opinion": None, "decided_at": None}
                      for i in items}  # fmt: skip
        self.note, self.at = note, at

    def check_decision(self, unit_code: str, student_number: str) -> dict:
        if unit_code != self.to_school:
            raise Forbidden("学籍转入由转入学校确认", code="not_receiving_school", field="ids")
        item = self.items.get(student_number)
        if item is None:
            raise ContractError("student_numbers", "not_in_migration",
                                f"学生 {student_number} 不在本次学籍转移中")  # fmt: skip
        if item["state"] != PENDING:
            raise DomainError(f"学生 {item['name']} 的学籍转入已{ITEM_LABELS[item['state']]}",
                              code="already_decided", field="student_numbers")  # fmt: skip
        return item

    @event("Decided")
    def decide(self, student_number: str, accept: bool, class_code: str, opinion: str | None,
               at: str, meta: dict) -> None:  # fmt: skip
        item = self.items[student_number]
        item.update(state=ACCEPTED if accept else REFUSED, class_code=class_code,
                    opinion=opinion, decided_at=at)  # fmt: skip

    @property
    def status(self) -> str:
        return "done" if all(i["state"] != PENDING for i in self.items.values()) else "in_progress"

    def view(self) -> dict:
        return {
            "id": str(self.id),
            "from_school": self.from_school,
            "to_school": self.to_school,
            "unit_code": self.unit_code,
            "note": self.note,
            "at": self.at,
            "status": self.status,
            "items": [i | {"state_label": ITEM_LABELS[i["state"]]} for i in self.items.values()],
        }


class MigrationIndex(Aggregate):
    """The province's migrations, so they can be listed without a scan."""

    @staticmethod
    def create_id(province: str) -> UUID:
        return uuid5(_NS, f"index:{province}")

    @event("Opened")
    def __init__(self, province: str) -> None:
        self.province = province
        self.migrations: list[dict] = []  # {"id", "from_school", "to_school"}

    @event("Listed")
    def add(self, migration_id: str, from_school: str, to_school: str) -> None:
        self.migrations.append({"id": migration_id, "from_school": from_school,
                                "to_school": to_school})  # fmt: skip
