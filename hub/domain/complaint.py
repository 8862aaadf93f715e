"""SYS-4 complaints (`[003 附件2–4]`, `[003 §三.2]`): three forms, each an aggregate with its
deadline, state and history. Pure domain.

- 问题报告单 (`report`): a province reports cross-province or system problems to the ministry
  (业务联系人, 技术联系人, 问题描述 one item per problem); the ministry accepts it (受理人, 受理
  单位, 受理时间) and answers (处理意见). Deadline: the ministry's, `REPORT_DAYS` after filing.
- 问题核查单 (`verification`): issued by the ministry's **technical** department (信息中心: a
  sysadmin account) to a province (核查单位) with 完成时限; the province answers 经核实的情况.
- 问题督办单 (`supervision`): issued by the **administrative** department (基础教育一司: a
  registrar or approver account) with 完成时限; the province answers 办理情况.

The issuing side closes a form (办结) once answered, or sends it back (退回) for a better
answer. A form whose deadline passed unanswered shows as overdue (逾期).
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import ClassVar
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.errors import ContractError, DomainError, Forbidden

_NS = uuid5(NAMESPACE_URL, "xueji:hub:complaint")
REPORT_DAYS = 15  # the ministry accepts and answers a report within (calendar days)
KINDS = {"report": "问题报告单", "verification": "问题核查单", "supervision": "问题督办单"}
#: Who issues a verification / supervision form (`[003 §三.2]`).
ISSUING_ROLES = {"verification": ("sysadmin",), "supervision": ("registrar", "approver")}
ISSUERS = {"verification": "技术部门", "supervision": "行政部门"}
STATES = {
    "submitted": "已报送",
    "accepted": "已受理",
    "issued": "已交办",
    "answered": "已答复",
    "returned": "已退回",
    "closed": "已办结",
}


class Complaint(Aggregate):
    @staticmethod
    def create_id(command_id: str) -> UUID:
        return uuid5(_NS, command_id)

    @event("Filed")
    def __init__(self, command_id: str, kind: str, province: str, form: dict, deadline: str,
                 parent_id: str | None, at: str, meta: dict) -> None:  # fmt: skip
        """`form`: the paper form's fields (contacts, problems, the person reporting, the
        student …); `province`: the reporting province (report) or the one charged (others)."""
        self.kind, self.province, self.form = kind, province, dict(form)
        self.deadline, self.parent_id = deadline, parent_id
        self.state = "submitted" if kind == "report" else "issued"
        self.filed_at, self.filed_by = at, meta.get("account")
        self.filed_unit = meta.get("unit_code")
        self.answer: dict | None = None
        self.acceptance: dict | None = None
        self.command_ids = [command_id]
        self.history = [_entry("filed", at, meta, None)]

    # --- the rules ------------------------------------------------------------------------

    @classmethod
    def check_issuer(cls, kind: str, role: str) -> None:
        if kind == "report":
            raise Forbidden("问题报告单由省级教育行政部门报送", code="report_from_province")
        if role not in ISSUING_ROLES[kind]:
            raise Forbidden(
                f"{KINDS[kind]}由{ISSUERS[kind]}核发（"
                + ("系统管理员账号" if kind == "verification" else "学籍管理员或主管领导账号")
                + "）",
                code="not_the_issuing_department",
            )

    @staticmethod
    def report_deadline(filed: date) -> str:
        return (filed + timedelta(days=REPORT_DAYS)).isoformat()

    @staticmethod
    def check_deadline(deadline: str | None, today: date) -> str:
        try:
            day = date.fromisoformat(deadline or "")
        except ValueError:
            raise ContractError("deadline", "bad_date", "请填写完成时限（YYYY-MM-DD）") from None
        if day < today:
            raise ContractError("deadline", "in_the_past", "完成时限不能早于今天")
        return day.isoformat()

    def seen(self, command_id: str) -> bool:
        return command_id in self.command_ids

    def check_acceptable(self) -> None:
        if self.kind != "report" or self.state != "submitted":
            raise DomainError("只能受理已报送的问题报告单", code="not_acceptable")

    @event("Accepted")
    def accept(self, command_id: str, receiver: str, unit: str, at: str, meta: dict) -> None:
        """教育部受理人 / 受理单位 / 受理时间."""
        self.state, self.acceptance = "accepted", {"receiver": receiver, "unit": unit, "at": at}
        self.command_ids.append(command_id)
        self.history.append(_entry("accepted", at, meta, f"{unit} {receiver}"))

    def check_answerable(self, province: str | None) -> None:
        """A report is answered by the ministry (`province` None) once accepted; the others by
        the province charged, while issued or sent back."""
        if self.kind == "report":
            if province is not None or self.state != "accepted":
                raise DomainError("问题报告单须由教育部受理后填写处理意见", code="not_answerable")
            return
        if province != self.province:
            raise Forbidden(f"该{KINDS[self.kind]}不由本省承办", code="not_charged")
        if self.state not in ("issued", "returned"):
            raise DomainError(f"该{KINDS[self.kind]}当前不能答复", code="not_answerable")

    @event("Answered")
    def respond(self, command_id: str, text: str, handler: dict, at: str, meta: dict) -> None:
        """处理意见 (report), 经核实的情况 (verification), 办理情况 (supervision); `handler`:
        承办人 and 联系电话 of the answering unit."""
        self.state, self.answer = "answered", {"text": text, "handler": dict(handler), "at": at}
        self.command_ids.append(command_id)
        self.history.append(_entry("answered", at, meta, text))

    def check_closable(self, meta_unit: str) -> None:
        if self.kind == "report" or self.state != "answered":
            raise DomainError("只能办结已答复的核查单或督办单", code="not_closable")

    @event("Closed")
    def close(self, command_id: str, note: str | None, at: str, meta: dict) -> None:
        self.state = "closed"
        self.command_ids.append(command_id)
        self.history.append(_entry("closed", at, meta, note))

    @event("Returned")
    def send_back(self, command_id: str, note: str, at: str, meta: dict) -> None:
        """The answer is not enough: back to the province (its deadline stands)."""
        self.state = "returned"
        self.command_ids.append(command_id)
        self.history.append(_entry("returned", at, meta, note))

    def overdue(self, today: date) -> bool:
        open_states = ("submitted", "accepted") if self.kind == "report" else ("issued", "returned")
        return self.state in open_states and today > date.fromisoformat(self.deadline)

    LABELS: ClassVar[dict[str, str]] = STATES

    def view(self, today: date) -> dict:
        return {
            "id": str(self.id),
            "kind": self.kind,
            "kind_label": KINDS[self.kind],
            "province": self.province,
            "form": dict(self.form),
            "deadline": self.deadline,
            "parent_id": self.parent_id,
            "state": self.state,
            "state_label": STATES[self.state],
            "overdue": self.overdue(today),
            "filed_at": self.filed_at,
            "filed_by": self.filed_by,
            "filed_unit": self.filed_unit,
            "acceptance": self.acceptance,
            "answer": self.answer,
            "history": [dict(h) for h in self.history],
        }


def _entry(action: str, at: str, meta: dict, note: str | None) -> dict:
    return {"action": action, "at": at, "account": meta.get("account"),
            "unit_code": meta.get("unit_code"), "note": note}  # fmt: skip


class ComplaintDirectory(Aggregate):
    """Every complaint id, and the contacts each level publishes (`[003 §三.2]`: 受理投诉
    的电话和邮箱 of the ministry and of every level below it)."""

    @staticmethod
    def create_id() -> UUID:
        return uuid5(_NS, "directory")

    @event("Opened")
    def __init__(self) -> None:
        self.ids: list[str] = []
        self.contacts: dict[str, dict] = {}

    @event("Listed")
    def add(self, complaint_id: str) -> None:
        self.ids.append(complaint_id)

    @event("ContactPublished")
    def publish_contact(self, unit_code: str, unit_name: str, level: str, phone: str,
                        email: str, at: str, meta: dict) -> None:  # fmt: skip
        self.contacts[unit_code] = {"unit_code": unit_code, "unit_name": unit_name,
                                    "level": level, "phone": phone, "email": email,
                                    "updated_at": at}  # fmt: skip
