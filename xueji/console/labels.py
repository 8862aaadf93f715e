"""Chinese wording of codes shown on pages (Jinja filters)."""

from __future__ import annotations

from datetime import datetime

from contracts.errors import ContractError
from contracts.regions import region

LEVELS = {
    "ministry": "教育部",
    "province": "省级",
    "city": "地市",
    "county": "区县",
    "school": "学校",
}
ROLES = {"registrar": "学籍管理员", "approver": "学籍主管领导", "sysadmin": "系统管理员"}
SEX = {"1": "男", "2": "女"}
ID_TYPES = {
    "1": "居民身份证",
    "6": "香港特区护照/身份证明",
    "7": "澳门特区护照/身份证明",
    "8": "台湾居民来往大陆通行证",
    "9": "境外永久居住证",
    "A": "护照",
    "Z": "无身份证件",
}
ID_GROUPS = {"resident": "居民身份证", "hmt_foreign": "港澳台和外籍", "no_document": "无身份证件"}
ENTRIES = {"primary": "小学新生", "non_primary": "非小学新生"}
STATUSES = {
    # registrations
    "submitted": "已提交",
    "refused": "查重未通过（已关闭）",
    "in_review": "审核中",
    "school_approved": "学校已审核，待上报",
    "returned": "已退回",
    "registered": "注册完成",
    "deleted": "已删除",
    # dedup and authentication
    "passed": "通过",
    "failed": "未通过",
    "pending": "处理中",
    "deferred": "待查重",
    "enrolled": "在校",
    "unavailable": "暂不可用",
    # cross-province cases
    "in_progress": "核办中",
    "approved": "已通过，待调档",
    "completed": "已完成",
    "rejected": "不通过",
    "revoked": "已撤销",
    "cancelled": "超期取消",
    "cleaned": "已清理",
}
STEPS = {
    "in_school": "转入学校核办",
    "in_bureau": "转入地教育局核办",
    "in_city": "转入地地市核办",
    "in_province": "转入地省级核办",
    "out_school": "转出学校核办",
    "out_bureau": "转出地教育局核办",
    "out_city": "转出地地市核办",
    "out_province": "转出地省级核办",
    "archive_pull": "调档",
    "archive_pull_resent": "重新调档",
}
ACTIONS = {"decide": "待审核", "report": "待上报"}
EVENTS = {
    "Registered": "注册建籍",
    "DeletionRequested": "申请删除",
    "Deleted": "删除学籍",
    "DeletionRefused": "删除申请未通过",
    "PhotoSet": "上传照片",  # ID-7
    "Renumbered": "学籍号变更",  # ID-3
}


def _label(table: dict[str, str]):
    def label(value: object) -> str:
        if value is None or value == "":
            return "—"
        return table.get(str(value), str(value))

    return label


DECISIONS = {
    "approve": "通过",
    "approved": "通过",
    "true": "通过",
    "reject": "不通过",
    "rejected": "不通过",
    "false": "不通过",
}


def province(value: object) -> str:
    """A 2-digit province code as its name (广东省)."""
    code = str(value or "")
    try:
        return region(f"{code}0000").name if len(code) == 2 else (code or "—")
    except ContractError:
        return code


def when(value: object) -> str:
    """ISO timestamps as 2026-11-22 10:00."""
    if not value:
        return "—"
    try:
        return datetime.fromisoformat(str(value)).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return str(value)


FILTERS = {
    "level": _label(LEVELS),
    "role": _label(ROLES),
    "sex": _label(SEX),
    "id_type": _label(ID_TYPES),
    "id_group": _label(ID_GROUPS),
    "entry": _label(ENTRIES),
    "status": _label(STATUSES),
    "step": _label(STEPS),
    "action": _label(ACTIONS),
    "event": _label(EVENTS),
    "when": when,
    "province": province,
    "decision": _label(DECISIONS),
    "dash": _label({}),
}
