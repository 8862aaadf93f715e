"""QRY-6's statistics pages on both consoles: counts drawn as a bar chart (Chart.js 4.6.1,
vendored as `static/chart.umd.min.js`, MIT, see `static/chart.LICENSE.txt`: the network is
closed to CDNs) with the numbers in a table beside it (and an Excel download of the same,
`projections.statistics.counts_workbook`)."""

from __future__ import annotations

from collections.abc import Callable

DIMENSIONS = {
    "region": "区县",
    "stage": "学段",
    "grade": "年级",
    "sex": "性别",
    "ethnicity": "民族",
    "status": "学籍状态",
    "flags": "学生类别",
}
FLAGS = {
    "migrant": "随迁子女",
    "migrant_worker": "进城务工人员随迁子女",
    "left_behind": "留守儿童",
    "rural_left_behind": "农村留守儿童",
    "special_needs": "特教学生",
    "disabled": "残疾人",
    "dropout": "辍学（控辍保学在办）",
    "dropout_suspected": "疑似辍学",
    "has_photo": "有照片",
    "deletion_requested": "申请删除中",
    "number_G": "正式学籍号（G）",
    "number_J": "正式学籍号（J）",
    "number_L": "临时学籍号（L）",
}
#: The groups a count may be narrowed to (`contracts.queries.Flag`), "" = everyone.
GROUPS = {"": "全部在校生"} | {
    k: FLAGS[k]
    for k in ("migrant", "migrant_worker", "left_behind", "rural_left_behind", "special_needs",
              "disabled")
}  # fmt: skip
STAGES = {"1": "小学", "2": "初中", "3": "高中"}
SEXES = {"1": "男", "2": "女"}


def rows(by: str, groups: list[dict], label: Callable[[str, str], str]) -> list[dict]:
    """The groups as the page shows them: `label(by, key)` names each key."""
    shown = []
    for group in groups:
        key = group["key"]
        name = "未填写" if key is None else label(by, str(key))
        shown.append({"key": key, "label": name, "count": group["count"]})
    return shown


def default_label(by: str, key: str) -> str:
    if by == "flags":
        return FLAGS.get(key, key)
    if by == "stage":
        return STAGES.get(key, key)
    if by == "sex":
        return SEXES.get(key, key)
    return key
