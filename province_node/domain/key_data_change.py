"""关键数据变更 (SPEC §5, KDC-1…KDC-3): a controlled field changes only through approval.

The school registrar applies with the new values and a proof; the chain SYS-1 freezes for
`key_data_change` (school approver → supervising bureau by default) decides; approved, the
record changes (`Student.change_key_data`) and the hub's identity follows; rejected, the
application goes back to the school ([004 Q70]: 审核不通过，学生信息则返回学校需要再次修改再次审核),
which resubmits or withdraws it.

KDC-3: name and ID number never change together; a name change after an ID-number change
within a year (or the reverse) climbs to the province, as does a change to "no document",
which a record with a formal number may not make (PRB-5). A change of the identity's dedup
key is claimed on the hub when applied (the new key must be free) and moves there when
approved; an identity change is authenticated when applied.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import ClassVar
from uuid import NAMESPACE_URL, uuid5

from eventsourcing.domain import event

from contracts.errors import ContractError, DomainError
from contracts.ids import DocumentType, Sex, normalize_name, parse_resident_id
from province_node.domain.approval import Approval

_NS = uuid5(NAMESPACE_URL, "xueji:province:key-data-change")

#: The fields a province may control, as the record names them, with their words.
CONTROLLABLE: dict[str, str] = {
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "id_type": "身份证件类型",
    "id_number": "身份证件号",
    "ethnicity": "民族",
    "class_code": "年级和班级",
}
#: KDC-1's usual ones (nationality joins them when the record holds it, DAY-1).
DEFAULT_CONTROLLED = ("name", "sex", "birth_date", "id_type", "id_number", "class_code")
#: The fields of the national identity (a change is authenticated, the dedup key may move).
IDENTITY_FIELDS = frozenset({"name", "sex", "birth_date", "id_type", "id_number"})
ONE_YEAR = timedelta(days=365)


def check_controlled_fields(fields: list[str]) -> list[str]:
    unknown = [f for f in fields if f not in CONTROLLABLE]
    if unknown:
        known = "、".join(f"{k}（{v}）" for k, v in CONTROLLABLE.items())
        raise ContractError(
            "fields", "unknown_field", f"不能设为受控字段：{','.join(unknown)}；可选：{known}"
        )
    return [f for f in CONTROLLABLE if f in fields]


def check_changes(changes: dict, record: dict, controlled: list[str], today: date) -> dict:
    """KDC-1/KDC-3/PRB-5: the changes as stored (normalised), or the refusal naming the field."""
    if not changes:
        raise ContractError("changes", "no_change", "请填写要变更的关键数据")
    checked = {}
    for field, raw in changes.items():
        where = f"changes.{field}"
        if field not in CONTROLLABLE:
            raise ContractError(where, "unknown_field", f"未知的字段：{field}")
        if field not in controlled:
            raise DomainError(
                f"“{CONTROLLABLE[field]}”不是受控字段，请在日常管理的学籍数据维护中直接修改",
                code="not_controlled",
                field=where,
            )
        value = key_value(field, raw, today)
        if value == record.get(field):
            raise ContractError(where, "no_change", f"“{CONTROLLABLE[field]}”与原值相同")
        checked[field] = value
    if "name" in checked and "id_number" in checked:
        raise DomainError(
            "姓名和身份证件号不能同时变更，请分两次申请",
            code="name_and_id_together",
            field="changes",
        )
    id_type = DocumentType(checked.get("id_type", record["id_type"]))
    if id_type is DocumentType.NONE and record["student_number"][0] in "GJ":
        raise DomainError(
            "已获得正式学籍号的学生不能将身份证件类型变更为无身份证件",
            code="formal_to_no_document",
            field="changes.id_type",
        )
    if id_type is DocumentType.NONE:
        checked["id_number"] = None
    elif (
        id_type is DocumentType.RESIDENT_ID and "id_type" in checked and "id_number" not in checked
    ):
        raise ContractError(
            "changes.id_number", "missing_field", "变更为居民身份证时须填写身份证号"
        )
    return checked


def key_value(field: str, raw: object, today: date, where: str | None = None) -> object:
    """A key datum's new value as stored, or the refusal naming `where` (KDC-2's form names
    it `changes.<field>`)."""
    where = where or f"changes.{field}"
    text = "" if raw is None else str(raw).strip()
    if field == "name":
        return normalize_name(text, where)
    if field == "sex":
        try:
            return Sex(text).value
        except ValueError:
            raise ContractError(where, "bad_sex", "性别应为 1（男）或 2（女）") from None
    if field == "birth_date":
        try:
            born = date.fromisoformat(text)
        except ValueError:
            raise ContractError(where, "bad_date", "出生日期应为 年-月-日") from None
        if born > today:
            raise ContractError(where, "future_date", "出生日期不能晚于今天")
        return born.isoformat()
    if field == "id_type":
        try:
            return DocumentType(text).value
        except ValueError:
            raise ContractError(where, "bad_id_type", f"未知的身份证件类型：{text}") from None
    if field == "id_number":
        return text.upper() or None
    if field == "ethnicity":
        if len(text) != 2 or not text.isdigit():
            raise ContractError(where, "bad_ethnicity", "民族代码应为两位数字")
        return text
    return text  # class_code: the placement is checked against the school's classes


def check_id_number(changes: dict, record: dict) -> None:
    """A resident ID number must be valid (checksum, date) in the new values."""
    id_type = DocumentType(changes.get("id_type", record["id_type"]))
    number = changes.get("id_number", record.get("id_number"))
    if id_type is DocumentType.RESIDENT_ID and ("id_number" in changes or "id_type" in changes):
        parse_resident_id(number or "", "changes.id_number")


def climbs_to_province(changes: dict, identity_changes: list[dict], today: date) -> bool:
    """KDC-3: a change to "no document", or name after ID number (or the reverse) within a
    year, needs every level up to the province."""
    if changes.get("id_type") == DocumentType.NONE.value:
        return True
    other = {"name": "id_number", "id_number": "name"}
    for field, counterpart in other.items():
        if field not in changes:
            continue
        for past in identity_changes:
            when = datetime.fromisoformat(past["at"]).date()
            if counterpart in past["fields"] and today - when <= ONE_YEAR:
                return True
    return False


class KeyDataChange(Approval):
    """One key data change of one record (`changes`: field → new value)."""

    rejection_returns = True
    STATUS_LABELS: ClassVar[dict[str, str]] = {
        "in_progress": "审核中",
        "approved": "已生效",
        "returned": "已退回学校",
        "revoked": "已撤销",
    }
    NOT_IN_REVIEW = "该申请不在审核环节"
    NOT_YOUR_STEP = "该申请当前不由本单位（本角色）审核"
    OPINION_REQUIRED = "审核不通过时须填写审核意见"

    ID_NAMESPACE = _NS

    @event("Applied")
    def __init__(
        self,
        command_id: str,
        student_id: str,
        student_number: str,
        student_name: str,
        school_code: str,
        changes: dict,
        before: dict,
        dedup_key: str,
        new_dedup_key: str,
        authentication: str | None,
        reason: str,
        proof: dict,
        chain: list[dict],
        at: str,
        meta: dict,
        problem_id: str | None = None,
    ) -> None:
        self.student_id, self.student_number = student_id, student_number
        self.student_name, self.school_code = student_name, school_code
        self.problem_id = problem_id  # PRB-3 变更: the problem group this change handles
        self.changes, self.before = changes, before
        self.dedup_key, self.new_dedup_key = dedup_key, new_dedup_key
        self.authentication, self.reason, self.proof = authentication, reason, proof
        self.applied_at, self.applied_by = at, meta.get("account")
        self.decisions: list[dict] = []
        self._enter_chain(chain, at)

    def release_new_claim(self, registration_id: str, meta: dict) -> None:
        """Withdrawn: the new identity it claimed on the hub is free again (published)."""
        if self.moves_identity:
            self._claim_released(
                registration_id=registration_id, dedup_key=self.new_dedup_key, meta=meta
            )

    @event("ClaimReleased")
    def _claim_released(self, registration_id: str, dedup_key: str, meta: dict) -> None:
        pass

    @property
    def moves_identity(self) -> bool:
        return self.new_dedup_key != self.dedup_key

    def view(self) -> dict:
        return {
            "id": str(self.id),
            "type": "key_data_change",
            "type_label": "关键数据变更",
            "student_number": self.student_number,
            "student_name": self.student_name,
            "school_code": self.school_code,
            "from_school_code": self.school_code,
            "changes": self.changes,
            "before": self.before,
            "authentication": self.authentication,
            "reason": self.reason,
            "proof": self.proof,
            "applied_at": self.applied_at,
            "applied_by": self.applied_by,
            "problem_id": self.problem_id,
            **self.process_view(),
        }
