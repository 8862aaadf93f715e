"""Template layout shared by the template builder and the reader: sheets, columns, code lists."""

from __future__ import annotations

import re
from dataclasses import dataclass

from contracts.errors import ContractError
from contracts.ids import DocumentType, IdGroup, Sex

#: Bumped whenever columns or code lists change, so an old template is refused (REG-4).
TEMPLATE_VERSION = "xueji-reg-2026.1"

DATA_SHEET = "学籍注册"
CODE_SHEET = "代码表"
HELP_SHEET = "填写说明"
#: Rows below the header that carry drop-downs and text formats.
DATA_ROWS = 20_000
#: Code-sheet row 1 holds these labels followed by their values: version, id group, entry.
META_LABELS = ("模板版本", "证件组", "入口")


@dataclass(frozen=True)
class Column:
    key: str
    title: str
    width: int = 14
    as_text: bool = False  # long digit strings: Excel would turn them into floats


COLUMNS = (
    Column("name", "姓名", 12),
    Column("id_type", "身份证件类型", 22),
    Column("id_number", "身份证件号", 22, as_text=True),
    Column("sex", "性别", 8),
    Column("birth_date", "出生日期", 12),
    Column("ethnicity", "民族", 16),
    Column("class_code", "班号", 10, as_text=True),
    Column("g_name", "监护人1姓名", 12),
    Column("g_relation", "监护人1关系", 12),
    Column("g_id_type", "监护人1身份证件类型", 22),
    Column("g_id_number", "监护人1身份证件号", 22, as_text=True),
)

GROUP_LABELS = {IdGroup.RESIDENT: "居民身份证", IdGroup.HMT_FOREIGN: "港澳台侨外"}
ENTRY_LABELS = {"primary": "小学新生", "non_primary": "非小学新生"}

# GB 3304: the 56 ethnic groups, 97 其他, 98 外国血统中国籍人士.
_ETHNIC_NAMES = [
    "汉族",
    "蒙古族",
    "回族",
    "藏族",
    "维吾尔族",
    "苗族",
    "彝族",
    "壮族",
    "布依族",
    "朝鲜族",
    "满族",
    "侗族",
    "瑶族",
    "白族",
    "土家族",
    "哈尼族",
    "哈萨克族",
    "傣族",
    "黎族",
    "傈僳族",
    "佤族",
    "畲族",
    "高山族",
    "拉祜族",
    "水族",
    "东乡族",
    "纳西族",
    "景颇族",
    "柯尔克孜族",
    "土族",
    "达斡尔族",
    "仫佬族",
    "羌族",
    "布朗族",
    "撒拉族",
    "毛南族",
    "仡佬族",
    "锡伯族",
    "阿昌族",
    "普米族",
    "塔吉克族",
    "怒族",
    "乌孜别克族",
    "俄罗斯族",
    "鄂温克族",
    "德昂族",
    "保安族",
    "裕固族",
    "京族",
    "塔塔尔族",
    "独龙族",
    "鄂伦春族",
    "赫哲族",
    "门巴族",
    "珞巴族",
    "基诺族",
]
ETHNICITIES: dict[str, str] = {f"{i:02d}": n for i, n in enumerate(_ETHNIC_NAMES, start=1)}
ETHNICITIES |= {"97": "其他", "98": "外国血统中国籍人士"}
SEXES = {s.value: s.label for s in Sex}
ALL_DOCUMENTS = {d.value: d.label for d in DocumentType}


def importable(id_group: IdGroup) -> None:
    """REG-1: students without a document come in by single entry only."""
    if id_group not in GROUP_LABELS:
        raise ContractError(
            "id_group", "not_importable", "无证件（Z-其他）学生不能通过 Excel 导入，请使用单个录入"
        )


def group_documents(id_group: IdGroup) -> dict[str, str]:
    return {d.value: d.label for d in DocumentType if d.group is id_group}


def choices(codes: dict[str, str]) -> list[str]:
    """Drop-down entries read like "1-男" so the code and its meaning are both visible [004 Q17]."""
    return [f"{code}-{label}" for code, label in codes.items()]


_FIELD_TITLES = {c.key: c.title for c in COLUMNS} | {"entry": "入口", "guardians": "监护人"}
_GUARDIAN_FIELD = re.compile(r"guardians\[(\d+)\]\.(\w+)")
_GUARDIAN_TITLES = {"name": "姓名", "relation": "关系", "id_type": "身份证件类型"}


def column_title(field: str) -> str:
    """Chinese column title of a ContractError.field: guardians[0].id_number → 监护人1身份证件号."""
    match = _GUARDIAN_FIELD.fullmatch(field)
    if match is None:
        return _FIELD_TITLES.get(field, field)
    return f"监护人{int(match[1]) + 1}{_GUARDIAN_TITLES.get(match[2], '身份证件号')}"
