"""DAY-6 the student card 学籍卡 `[002 §10]` and the 学生基本信息表 a parent takes to a new school
`[003 §三]`: a Word document made with docxtpl from the template kept in the repository
(`templates_docx/student_card.docx`, built by `tools/build_card_template.py`), and the same
content for the console's print view.

What the card shows: identity, photo, school, grade and class, household, family contacts
(the record's family members, else its guardians), and the full status-change history — the
events that changed the record's status, school, class or key data, including those it
brought from another province (XPT-6). A field the record does not hold shows "—".
"""

from __future__ import annotations

import asyncio
import io
from datetime import datetime
from pathlib import Path

from docx.shared import Mm
from docxtpl import DocxTemplate, InlineImage

from contracts.errors import ContractError
from contracts.org import OrgTree
from contracts.regions import region
from province_node.application import ProvinceNode
from province_node.domain.workflow_defaults import BusinessType
from province_node.excel.columns import ALL_DOCUMENTS, ETHNICITIES, SEXES
from xueji.blobs import BlobStore
from xueji.clock import SHANGHAI, Clock
from xueji.store import Writer

TEMPLATE = Path(__file__).parent / "templates_docx" / "student_card.docx"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
DASH = "—"
KINDS = {"card": "学籍卡", "info": "学生基本信息表"}
#: The read audit's words for viewing or downloading one (`AccessService.record_read`).
READS = {"card": "查看学籍卡", "info": "查看学生基本信息表"}
_HMT_ID_TYPES = {"6": "香港同胞", "7": "澳门同胞", "8": "台湾同胞", "9": "外籍", "A": "外籍"}
_CONTROLLED_LABELS = {
    "name": "姓名",
    "sex": "性别",
    "birth_date": "出生日期",
    "id_type": "身份证件类型",
    "id_number": "身份证件号",
    "ethnicity": "民族",
    "class_code": "班级",
}


class StudentCards:
    def __init__(
        self, node: ProvinceNode, writer: Writer, org: OrgTree, blobs: BlobStore, clock: Clock
    ) -> None:
        self.node, self.writer, self.org, self.blobs, self.clock = node, writer, org, blobs, clock

    async def content(self, student_number: str, kind: str = "card") -> dict:
        """What the card shows (the print view renders it, the .docx fills its template)."""
        check_kind(kind)

        def read() -> tuple[dict, list[dict], dict | None, dict]:
            student = self.node.get_student(student_number)
            record = student.record()
            history = self.node.student_history(student_number)
            klass = self._class(record["school_code"], record["class_code"])
            return record, history, student.photo, klass

        record, history, photo, klass = await self.writer(read)
        names = self._unit_names(record, history)
        return card_content(
            record, history, klass, names, photo is not None, kind, self.clock.now()
        )

    async def document(self, student_number: str, kind: str = "card") -> tuple[bytes, str]:
        """The .docx and its file name (学籍卡_姓名_学籍号.docx)."""
        content = await self.content(student_number, kind)
        photo = None
        if content["has_photo"]:
            blob = await self.writer(lambda: self.node.get_student(student_number).photo["blob"])
            photo = await asyncio.to_thread(self.blobs.get, blob)
        data = await asyncio.to_thread(render, content, photo)
        return data, f"{content['title']}_{content['name']}_{content['student_number']}.docx"

    def _class(self, school_code: str, class_code: str | None) -> dict:
        try:
            classes = self.node.get_school(school_code).classes
        except Exception:  # noqa: BLE001 - a school of another province (an old event)
            return {}
        return classes.get(class_code or "", {})

    def _unit_names(self, record: dict, history: list[dict]) -> dict[str, str]:
        codes = {record["school_code"]}
        for item in history:
            data = item.get("data") or {}
            codes |= {v for k, v in data.items() if k.endswith("school_code") and v}
        return {c: self.org.unit(c).name for c in codes if c in self.org}


def check_kind(kind: str) -> str:
    """`card` (学籍卡) or `info` (学生基本信息表)."""
    if kind not in KINDS:
        message = "kind 须为 card（学籍卡）或 info（学生基本信息表）"
        raise ContractError("kind", "bad_kind", message)
    return kind


def card_content(
    record: dict,
    history: list[dict],
    klass: dict,
    names: dict[str, str],
    has_photo: bool,
    kind: str,
    now: datetime,
) -> dict:
    """The card's fields as text ("—" for what the record does not hold)."""
    profile = record.get("profile") or {}

    def text(value: object) -> str:
        if value is None or value == "" or value == []:
            return DASH
        if value is True:
            return "是"
        if value is False:
            return "否"
        return str(value)

    id_type = record.get("id_type")
    school = names.get(record["school_code"], record["school_code"])
    return {
        "title": KINDS[kind],
        "card": kind == "card",
        "name": text(record.get("name")),
        "sex": text(SEXES.get(record.get("sex"), record.get("sex"))),
        "ethnicity": text(ETHNICITIES.get(record.get("ethnicity"), record.get("ethnicity"))),
        "student_number": record["student_number"],
        "former_name": text(profile.get("former_name")),
        "birth_date": text(record.get("birth_date")),
        "id_type": text(ALL_DOCUMENTS.get(id_type, id_type)),
        "id_number": text(record.get("id_number")),
        "school_name": school,
        "school_code": record["school_code"],
        "grade": text(klass.get("grade")),
        "class_name": text(klass.get("name") or record.get("class_code")),
        "household_location": text(profile.get("household_location")),
        "household_type": text(profile.get("household_type")),
        "nationality": text(profile.get("nationality") or ("中国" if id_type == "1" else None)),
        "hmt": _HMT_ID_TYPES.get(id_type or "", "否"),
        "study_mode": text(profile.get("study_mode")),
        "status": text(record.get("status")),
        "address": text(profile.get("address")),
        "phone": text(profile.get("phone")),
        "has_photo": has_photo,
        "members": _members(record, profile, text),
        "history": status_history(history, names),
        "printed_on": now.astimezone(SHANGHAI).strftime("%Y年%m月%d日"),
        "footer": f"打印时间：{now.astimezone(SHANGHAI):%Y-%m-%d %H:%M}",
    }


def _members(record: dict, profile: dict, text) -> list[dict]:
    """家庭成员 as the record keeps them (DAY-1), else the guardians of the registration."""
    members = profile.get("family_members") or [
        g | {"guardian": True} for g in record.get("guardians") or []
    ]
    return [
        {
            "relation": text(m.get("relation")),
            "name": text(m.get("name")),
            "phone": text(m.get("phone")),
            "work_unit": text(m.get("work_unit")),
            "guardian": "是" if m.get("guardian") else "否",
        }
        for m in members
    ]


def status_history(history: list[dict], names: dict[str, str]) -> list[dict]:
    """学籍变动情况: when and what, for the events that changed status, school, class or key
    data (record maintenance and photos are not status changes)."""
    lines = []
    for item in history:
        words = _describe(item["type"], item.get("data") or {}, names)
        if words:
            lines.append({"at": _when(item["at"]), "text": words})
    return lines


def _school(code: str | None, names: dict[str, str]) -> str:
    return names.get(code or "", code or DASH)


def _label(business: str | None) -> str:
    try:
        return BusinessType(business).label
    except ValueError:
        return business or "学籍异动"


def _province(code: str | None) -> str:
    try:
        return region(f"{code}0000").name
    except Exception:  # noqa: BLE001 - an unknown code is shown as it is
        return code or DASH


def _describe(kind: str, data: dict, names: dict[str, str]) -> str | None:
    school = _school(data.get("school_code"), names)
    klass = data.get("class_code") or DASH
    match kind:
        case "Registered":
            return f"在{school}完成学籍注册（班级 {klass}）"
        case "TransferredIn":
            return f"从{_province(data.get('from_province'))}跨省转入{school}（班级 {klass}）"
        case "TransferredOut":
            return f"跨省转出至{_province(data.get('to_province'))}"
        case "Changed":
            return (
                f"{_label(data.get('business'))}：学籍状态“{data.get('status')}”，{school}，"
                f"班级 {klass}（{data.get('change_date') or DASH}）"
            )
        case "KeyDataChanged":
            fields = "、".join(_CONTROLLED_LABELS.get(f, f) for f in data.get("changes") or {})
            return f"关键数据变更：{fields or DASH}"
        case "Renumbered":
            old, new = data.get("old_number"), data.get("new_number")
            return f"学籍号由 {old} 变更为 {new}：{data.get('reason')}"
        case "Graduated":
            return f"{data.get('status')}（{data.get('graduation_date') or DASH}）"
        case "GraduationRolledBack":
            return "毕业退回，恢复在校"
        case "Promoted":
            return f"升级（{data.get('school_year')}学年）"
        case "JoinedByAdmission":
            return f"升学录取，调档至{school}"
        case "PlacedByAdmission":
            return f"分班：班级 {klass}"
        case "AdmissionRolledBack":
            return f"招生回退，回到{school}"
        case "Deleted":
            return "学籍删除"
    return None


def _when(at: str) -> str:
    try:
        return datetime.fromisoformat(at).astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return at


def render(content: dict, photo: bytes | None) -> bytes:
    """The template filled in; the photo 26 mm wide, or 暂无照片."""
    template = DocxTemplate(TEMPLATE)
    context = dict(content)
    context["photo"] = (
        InlineImage(template, io.BytesIO(photo), width=Mm(26)) if photo else "暂无照片"
    )
    template.render(context, autoescape=True)
    out = io.BytesIO()
    template.save(out)
    return out.getvalue()
