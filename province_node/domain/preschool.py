"""The pre-school archive list 学前调档名单 (REG-2) and its supplementary entry 补录 (REG-3).

A school's registrar lists its primary new students; each entry is matched against the
pre-school records (学前学籍), confirmed when several fit, completed, then handed to the
normal registration. Once that registration has started the entry is locked.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.errors import ContractError, DomainError
from contracts.ids import DocumentType, IdGroup, Sex, normalize_name, parse_resident_id

_NS = uuid5(NAMESPACE_URL, "xueji:province:preschool")

MATCHED = "已匹配学前学籍"
NOT_FOUND = "未查到学前学籍"
TO_CONFIRM = "待确认学前学籍"
UNCHECKED = "待查询学前学籍"  # the pre-school registry could not be asked yet
STATES = (MATCHED, NOT_FOUND, TO_CONFIRM, UNCHECKED)


@dataclass(frozen=True)
class ChildIdentity:
    id_type: str
    name: str
    sex: str
    birth_date: date
    id_number: str | None = None

    @property
    def document(self) -> str | None:
        """What must be unique in a school's list: the document, if the child has one."""
        return f"{self.id_type}:{self.id_number}" if self.id_number else None


def check_identity(raw: ChildIdentity, today: date) -> ChildIdentity:
    """Resident IDs give sex and birth date (the form greys them out); others must state them."""
    try:
        doc = DocumentType(raw.id_type)
    except ValueError:
        raise ContractError(
            "id_type", "bad_id_type", f"身份证件类型 {raw.id_type} 不存在"
        ) from None
    child = replace(raw, name=normalize_name(raw.name))
    if doc is DocumentType.RESIDENT_ID:
        resident = parse_resident_id(raw.id_number or "")
        if raw.sex and raw.sex != resident.sex.value:
            raise ContractError("sex", "contradicts_id", "性别与身份证号码不一致")
        if raw.birth_date and raw.birth_date != resident.birth_date:
            raise ContractError("birth_date", "contradicts_id", "出生日期与身份证号码不一致")
        return replace(
            child, id_number=resident.number, sex=resident.sex.value, birth_date=resident.birth_date
        )
    number = (raw.id_number or "").strip().upper() or None
    if doc.group is IdGroup.HMT_FOREIGN and number is None:
        raise ContractError("id_number", "required", "港澳台侨外学生须填写证件号码")
    if doc is DocumentType.NONE and number:
        raise ContractError("id_number", "not_allowed", "无证件学生不应填写证件号码")
    if raw.sex not in (Sex.MALE.value, Sex.FEMALE.value):
        raise ContractError("sex", "required", "请填写性别（1 男，2 女）")
    if raw.birth_date is None or not date(2010, 1, 1) <= raw.birth_date <= today:
        raise ContractError("birth_date", "invalid_birth_date", "出生日期缺失或不合理")
    return replace(child, id_number=number)


def match_state(candidates: list[dict]) -> str:
    """REG-2: exactly one → matched, none → not found, several → the registrar confirms."""
    return {0: NOT_FOUND, 1: MATCHED}.get(len(candidates), TO_CONFIRM)


class PreschoolEntry(Aggregate):
    """One child of a school's list; idempotent by the command that added it."""

    @staticmethod
    def create_id(command_id: str) -> UUID:
        return uuid5(_NS, f"entry:{command_id}")

    @event("Added")
    def __init__(
        self, command_id: str, school_code: str, child: dict, guardian: dict | None, meta: dict
    ) -> None:
        self.school_code = school_code
        self.child, self.guardian = dict(child), guardian
        self.state, self.candidates, self.record_id = UNCHECKED, [], None
        self.completion: dict | None = None
        self.registration_id: str | None = None
        self.deleted = False

    def check_unlocked(self, action: str) -> None:
        """Entries in registration (or already students) stay as they were registered."""
        if self.registration_id is not None:
            raise DomainError(f"已发起学籍注册业务的学生信息不允许{action}", code="locked")

    @event("Modified")
    def modify(self, child: dict, guardian: dict | None, meta: dict) -> None:
        self.child, self.guardian = dict(child), guardian
        # A new identity needs a new match; what was confirmed or completed no longer holds.
        self.state, self.candidates, self.record_id, self.completion = UNCHECKED, [], None, None

    @event("Deleted")
    def delete(self, meta: dict) -> None:
        self.deleted = True

    @event("Matched")
    def record_match(self, state: str, candidates: list[dict], meta: dict) -> None:
        self.state, self.candidates = state, list(candidates)
        self.record_id = candidates[0]["record_id"] if state == MATCHED else None

    def check_confirmable(self, record_id: str | None) -> None:
        if self.state != TO_CONFIRM:
            raise DomainError("只有“待确认学前学籍”的学生需要确认", code="not_to_confirm")
        if record_id is not None and record_id not in {c["record_id"] for c in self.candidates}:
            raise ContractError("record_id", "unknown_candidate", "所选学前学籍不在候选名单中")

    @event("Confirmed")
    def confirm(self, record_id: str | None, meta: dict) -> None:
        """The registrar picks one candidate, or says none of them is this child."""
        self.record_id = record_id
        self.state = MATCHED if record_id else NOT_FOUND

    def check_completable(self) -> None:
        self.check_unlocked("补录")
        if self.state != MATCHED:
            raise DomainError(
                "只有已匹配学前学籍的学生可以补录；其他学生请导出后通过小学新生注册导入",
                code="not_matched",
            )

    @event("Completed")
    def complete(
        self,
        ethnicity: str | None,
        class_code: str,
        guardians: list[dict],
        meta: dict,
        proof: dict | None = None,
    ) -> None:
        """REG-3 补录; `proof` names the proof image in the blob store (ID-7), if any."""
        self.completion = {
            "ethnicity": ethnicity,
            "class_code": class_code,
            "guardians": guardians,
            "proof": proof,
        }

    def check_registrable(self) -> None:
        self.check_completable()
        if self.completion is None:
            raise DomainError("请先完成学前档案信息补录", code="not_completed")

    @event("RegistrationStarted")
    def start_registration(self, registration_id: str, meta: dict) -> None:
        self.registration_id = registration_id

    def check_exportable(self) -> None:
        self.check_unlocked("导出")
        if self.state == TO_CONFIRM:
            raise DomainError("待确认学前学籍的学生请先确认后再导出", code="not_exportable")

    def view(self) -> dict:
        child = self.child
        return {
            "id": str(self.id),
            "school_code": self.school_code,
            **child,
            "birth_date": _iso(child["birth_date"]),
            "guardian": self.guardian,
            "state": self.state,
            "candidates": self.candidates,
            "record_id": self.record_id,
            "completed": self.completion is not None,
            "completion": self.completion,
            "registration_id": self.registration_id,
            "registration_state": "已发起注册" if self.registration_id else "未完成注册",
        }


def _iso(value: date | str) -> str:
    return value.isoformat() if isinstance(value, date) else value


class PreschoolList(Aggregate):
    """A school's list: its entries and the documents already on it (REG-2 duplicates)."""

    @staticmethod
    def create_id(school_code: str) -> UUID:
        return uuid5(_NS, f"list:{school_code}")

    @event("Opened")
    def __init__(self, school_code: str) -> None:
        self.school_code = school_code
        self.entries: dict[str, str | None] = {}  # entry id → its document

    def check_document(self, document: str | None, entry_id: UUID | None = None) -> None:
        """身份证号已经录入的，不允许重复录入 — another entry of this school holds it."""
        holders = {e for e, d in self.entries.items() if document and d == document}
        if holders - {str(entry_id)}:
            raise ContractError(
                "id_number", "duplicate_id", "该身份证件号已在本校学前调档名单中，不允许重复录入"
            )

    @event("EntryAdded")
    def add(self, entry_id: str, document: str | None) -> None:
        self.entries[entry_id] = document

    @event("DocumentChanged")
    def change_document(self, entry_id: str, document: str | None) -> None:
        self.entries[entry_id] = document

    @event("EntryRemoved")
    def remove(self, entry_id: str) -> None:
        del self.entries[entry_id]
