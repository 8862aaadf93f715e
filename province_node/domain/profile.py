"""学籍数据维护 (DAY-1, DAY-3, DAY-4, DAY-5, DAY-7): the record's fields beyond its identity.

The original collection form [002 §1] and the FAQ name them: basic information, household,
contacts, school facts, the residence permit, family members, study history, awards and
punishments, the migrant and left-behind flags [002 §8–9] and special education [002 §11].
None of them is a key datum: the school edits them directly, each edit an event with its actor
and reason. Key data (KDC-1's controlled fields, and the identity itself) are refused here and
pointed to 关键数据变更. HK, Macao, Taiwan and foreign students have no household, residence
permit or migrant/left-behind flags (they show fewer fields).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any

from pypinyin import lazy_pinyin

from contracts.errors import ContractError, DomainError
from contracts.ids import DocumentType
from province_node.domain.key_data_change import CONTROLLABLE, IDENTITY_FIELDS, key_value


@dataclass(frozen=True)
class Field:
    key: str
    label: str
    kind: str = "text"  # text | bool | choice | date | month | number | list | object
    choices: tuple[str, ...] = ()
    max_length: int = 60
    pattern: str | None = None
    #: HK/Macao/Taiwan/foreign students do not have it (DAY-1: fewer fields)
    resident_only: bool = False
    #: DAY-7: changes any time; counties review these each term
    updates: bool = False
    group: str = "基本信息"


_YES_NO = "bool"
FIELDS: dict[str, Field] = {
    f.key: f
    for f in (
        Field("name_pinyin", "姓名拼音", max_length=100, pattern=r"[A-Za-z ]+"),
        Field("former_name", "曾用名", max_length=50),
        Field("birthplace", "出生地", max_length=100),
        Field("native_place", "籍贯", max_length=100),
        Field("nationality", "国籍/地区", max_length=40),
        Field(
            "political_status",
            "政治面貌",
            "choice",
            ("群众", "少先队员", "共青团员", "中共预备党员", "中共党员"),
            updates=True,
        ),
        Field("health", "健康状况", "choice", ("健康或良好", "一般或较弱", "有慢性病", "残疾")),
        Field("blood_type", "血型", "choice", ("A", "B", "O", "AB", "RH阴性", "未知")),
        Field(
            "household_location",
            "户口所在地",
            max_length=100,
            resident_only=True,
            updates=True,
            group="户口与住址",
        ),
        Field(
            "household_type",
            "户口性质",
            "choice",
            ("农业户口", "非农业户口", "居民户口"),
            resident_only=True,
            updates=True,
            group="户口与住址",
        ),
        Field("address", "现住址", max_length=200, updates=True, group="户口与住址"),
        Field("mailing_address", "通信地址", max_length=200, updates=True, group="户口与住址"),
        Field(
            "phone",
            "联系电话",
            max_length=20,
            pattern=r"[0-9+\- ]{5,20}",
            updates=True,
            group="户口与住址",
        ),
        Field("postcode", "邮政编码", max_length=6, pattern=r"[0-9]{6}", group="户口与住址"),
        Field("entry_date", "入学年月", "month", group="就学信息"),
        Field(
            "entry_mode",
            "入学方式",
            "choice",
            ("就近入学", "相对就近入学", "统一招生考试", "派位", "其他"),
            group="就学信息",
        ),
        Field("study_mode", "就读方式", "choice", ("走读", "住校"), group="就学信息"),
        Field("only_child", "是否独生子女", _YES_NO, group="就学信息"),
        Field("preschool_educated", "是否受过学前教育", _YES_NO, group="就学信息"),
        Field("orphan", "是否孤儿", _YES_NO, group="就学信息"),
        Field("martyr_child", "是否烈士或优抚子女", _YES_NO, group="就学信息"),
        Field("aid_needed", "是否需要申请资助", _YES_NO, group="就学信息"),
        Field("one_subsidy", "是否享受一补", _YES_NO, group="就学信息"),
        Field("commute_distance", "上下学距离（公里）", "number", updates=True, group="就学信息"),
        Field(
            "commute_mode",
            "上下学方式",
            "choice",
            ("步行", "自行车（含电动车）", "公共交通", "家长接送", "校车", "其他"),
            updates=True,
            group="就学信息",
        ),
        Field("school_bus", "是否需要乘坐校车", _YES_NO, updates=True, group="就学信息"),
        # DAY-3 / DAY-4 (definitions [002 §8–9]).
        Field(
            "migrant",
            "是否随迁子女",
            _YES_NO,
            resident_only=True,
            updates=True,
            group="随迁子女与留守儿童",
        ),
        Field(
            "migrant_worker",
            "是否进城务工人员随迁子女",
            _YES_NO,
            resident_only=True,
            updates=True,
            group="随迁子女与留守儿童",
        ),
        Field(
            "left_behind",
            "是否留守儿童",
            _YES_NO,
            resident_only=True,
            updates=True,
            group="随迁子女与留守儿童",
        ),
        Field(
            "rural_left_behind",
            "是否农村留守儿童",
            _YES_NO,
            resident_only=True,
            updates=True,
            group="随迁子女与留守儿童",
        ),
        # DAY-5: 是否残疾人 gates the special-education block.
        Field("disabled", "是否残疾人", _YES_NO, group="特教学生"),
        Field("special_needs", "特教学生信息", "object", group="特教学生"),
        Field("residence_permit", "居住证", "object", resident_only=True, group="居住证"),
        Field("family_members", "家庭成员", "list", group="家庭成员"),
        Field("study_history", "学习简历", "list", group="学习简历"),
        Field("awards", "获奖情况", "list", group="奖惩"),
        Field("punishments", "处分情况", "list", group="奖惩"),
    )
}
#: DAY-3 / DAY-4: the flags whose changes the lists filter by (是否存在变更历史).
FLAGS = ("migrant", "migrant_worker", "left_behind", "rural_left_behind")
#: Besides the profile, key data a province left uncontrolled may be edited here (KDC-1);
#: the identity never is (its dedup and authentication run in KDC-3's flow).
DIRECT_KEY_FIELDS = frozenset(CONTROLLABLE) - IDENTITY_FIELDS

# DAY-5 [002 §11]: the choices as phase 2 set them (no "其他残疾").
DISABILITY_TYPES = (
    "视力残疾",
    "听力残疾",
    "言语残疾",
    "肢体残疾",
    "智力残疾",
    "精神残疾",
    "多重残疾",
)
STUDY_TYPES = ("普通学校随班就读", "特教学校就读", "送教上门")
PROOF_TYPES = ("残疾证", "医院残疾证明", "有明显残疾症状")
DEGREES = ("1级", "2级", "3级", "4级")
#: DAY-5: the special-education block's fields (`special_needs.<key>`), for the forms and the
#: Excel round trip.
SPECIAL_FIELDS = (
    Field("disability_type", "残疾类型", "choice", DISABILITY_TYPES),
    Field("study_type", "特教学生就读类型", "choice", STUDY_TYPES),
    Field("proof_type", "残疾证明类型", "choice", PROOF_TYPES),
    Field("degree", "残疾程度", "choice", DEGREES),
    Field("certificate_number", "残疾证书号", max_length=40),
    Field("description", "残疾情况描述", max_length=200),
)
RELATIONS = ("父亲", "母亲", "祖父", "祖母", "外祖父", "外祖母", "兄弟姐妹", "其他亲属", "其他")
MOST_ITEMS = 20  # family members, study history, awards, punishments: per list


def visible_fields(id_type: str) -> list[Field]:
    """DAY-1: the fields a record of this document type has."""
    resident = id_type in (DocumentType.RESIDENT_ID.value, DocumentType.NONE.value)
    return [f for f in FIELDS.values() if resident or not f.resident_only]


def check_edit(changes: dict, record: dict, controlled: list[str], today: date) -> dict:
    """DAY-1…DAY-7: the changes as stored, or the refusal naming the field. Only the fields
    that differ from the record are kept (an unchanged value is no event)."""
    if not changes:
        raise ContractError("changes", "no_change", "请填写要修改的信息")
    profile, shown = record["profile"], {f.key for f in visible_fields(record["id_type"])}
    checked: dict[str, Any] = {}
    for key, raw in changes.items():
        if key in CONTROLLABLE:
            _check_key_field(key, controlled)
            value = key_value(key, raw, today, where=key)
            if value != record.get(key):
                checked[key] = value
            continue
        field = FIELDS.get(key)
        if field is None:
            raise ContractError(key, "unknown_field", f"未知的字段：{key}")
        if key not in shown:
            raise DomainError(
                f"港澳台侨和外籍学生没有“{field.label}”信息", code="not_applicable", field=key
            )
        checked[key] = _value(field, raw)
    if checked.get("residence_permit"):
        checked["residence_permit"] = _residence_permit(checked["residence_permit"], today)
    after = {**profile, **{k: v for k, v in checked.items() if k not in CONTROLLABLE}}
    _check_flags(after)
    _check_special_needs(after)
    return {k: v for k, v in checked.items() if k in CONTROLLABLE or profile.get(k) != v}


def _check_key_field(key: str, controlled: list[str]) -> None:
    label = CONTROLLABLE[key]
    if key in controlled:
        raise DomainError(
            f"“{label}”是受控字段，请通过关键数据变更办理", code="controlled_field", field=key
        )
    if key not in DIRECT_KEY_FIELDS:
        raise DomainError(
            f"“{label}”属于身份信息，须通过关键数据变更办理（查重与身份认证）",
            code="controlled_field",
            field=key,
        )


def _value(field: Field, raw: Any) -> Any:
    if raw is None or raw == "":
        return None
    kind = field.kind
    if kind == "bool":
        if not isinstance(raw, bool):
            raise ContractError(field.key, "bad_value", f"“{field.label}”须为是或否")
        return raw
    if kind == "number":
        if isinstance(raw, bool) or not isinstance(raw, int | float) or not 0 <= raw <= 200:
            raise ContractError(field.key, "bad_value", f"“{field.label}”须为 0 至 200 的数字")
        return round(float(raw), 1)
    if kind == "list":
        return _items(field, raw)
    if kind == "object":
        if not isinstance(raw, dict):
            raise ContractError(field.key, "bad_value", f"“{field.label}”格式不正确")
        return {k: v for k, v in raw.items() if v not in (None, "")}
    if not isinstance(raw, str):
        raise ContractError(field.key, "bad_value", f"“{field.label}”须为文字")
    text = raw.strip()
    if kind == "choice" and text not in field.choices:
        raise ContractError(
            field.key, "bad_choice", f"“{field.label}”应为：{'、'.join(field.choices)}"
        )
    if kind == "month" and not re.fullmatch(r"(19|20)[0-9]{2}-(0[1-9]|1[0-2])", text):
        raise ContractError(field.key, "bad_month", f"“{field.label}”须为年-月，如 2026-09")
    if len(text) > field.max_length:
        raise ContractError(field.key, "too_long", f"“{field.label}”不能超过{field.max_length}字")
    if field.pattern and not re.fullmatch(field.pattern, text):
        raise ContractError(field.key, "bad_format", f"“{field.label}”格式不正确")
    return text or None


_ITEM_FIELDS = {
    "family_members": {
        "name": "姓名",
        "relation": "关系",
        "id_type": "身份证件类型",
        "id_number": "身份证件号",
        "phone": "联系电话",
        "work_unit": "工作单位",
        "guardian": "是否监护人",
    },
    "study_history": {"from": "起始年月", "to": "截止年月", "school": "学校名称", "role": "任职"},
    "awards": {"date": "获奖日期", "name": "奖项名称", "level": "级别", "unit": "颁奖单位"},
    "punishments": {
        "date": "处分日期",
        "kind": "处分名称",
        "reason": "处分原因",
        "revoked_on": "撤销日期",
    },
}
_ITEM_REQUIRED = {
    "family_members": ("name", "relation"),
    "study_history": ("school",),
    "awards": ("name",),
    "punishments": ("kind",),
}


def _items(field: Field, raw: Any) -> list[dict]:
    if not isinstance(raw, list) or len(raw) > MOST_ITEMS:
        raise ContractError(field.key, "bad_value", f"“{field.label}”须为列表，最多{MOST_ITEMS}项")
    allowed = _ITEM_FIELDS[field.key]
    items = []
    for index, item in enumerate(raw, start=1):
        where = f"{field.key}.{index}"
        if not isinstance(item, dict):
            raise ContractError(where, "bad_value", f"{field.label}第{index}项格式不正确")
        unknown = [k for k in item if k not in allowed]
        if unknown:
            raise ContractError(
                where, "unknown_field", f"{field.label}第{index}项：未知的“{unknown[0]}”"
            )
        for key in _ITEM_REQUIRED[field.key]:
            if not item.get(key):
                raise ContractError(
                    f"{where}.{key}",
                    "required",
                    f"{field.label}第{index}项：{allowed[key]}不能为空",
                )
        for key, value in item.items():
            if (
                key != "guardian"
                and value is not None
                and (not isinstance(value, str) or len(value) > 100)
            ):
                raise ContractError(
                    f"{where}.{key}",
                    "bad_value",
                    f"{field.label}第{index}项：{allowed[key]}格式不正确",
                )
        if field.key == "family_members" and item["relation"] not in RELATIONS:
            raise ContractError(
                f"{where}.relation",
                "bad_choice",
                f"家庭成员第{index}项：关系应为：{'、'.join(RELATIONS)}",
            )
        items.append({k: v for k, v in item.items() if v not in (None, "")})
    return items


def _check_flags(profile: dict) -> None:
    """进城务工人员随迁子女 are 随迁子女; 农村留守儿童 are 留守儿童 [002 §8–9]."""
    for narrow, wide in (("migrant_worker", "migrant"), ("rural_left_behind", "left_behind")):
        if profile.get(narrow) and not profile.get(wide):
            raise DomainError(
                f"“{FIELDS[narrow].label}”为是时，“{FIELDS[wide].label}”须为是",
                code="inconsistent_flags",
                field=narrow,
            )


#: DAY-1 居住证 [003 §七]: the block's fields (`residence_permit.<key>`), for the forms.
PERMIT_FIELDS = (
    Field("has_permit", "是否持有居住证", _YES_NO),
    Field("authority", "居住证发证机关", max_length=60),
    Field("issued_on", "居住证发证日期", "date"),
)


def _residence_permit(block: dict, today: date) -> dict:
    """DAY-1 [003 §七]: a migrant child's residence permit — with a permit, the issuing
    authority and the issue date (not in the future) are required; without one, neither is
    kept."""
    labels = {f.key: f.label for f in PERMIT_FIELDS}
    unknown = [k for k in block if k not in labels]
    if unknown:
        raise ContractError(
            f"residence_permit.{unknown[0]}", "unknown_field", f"居住证：未知的“{unknown[0]}”"
        )
    has_permit = block.get("has_permit")
    if not isinstance(has_permit, bool):
        raise ContractError("residence_permit.has_permit", "required", "请选择是否持有居住证")
    if not has_permit:
        if block.get("authority") or block.get("issued_on"):
            raise ContractError(
                "residence_permit.has_permit",
                "inconsistent",
                "未持有居住证时不能填写发证机关和发证日期",
            )
        return {"has_permit": False}
    authority = block.get("authority")
    if not isinstance(authority, str) or not authority.strip():
        raise ContractError(
            "residence_permit.authority", "required", "持有居住证时，居住证发证机关不能为空"
        )
    if len(authority.strip()) > 60:
        raise ContractError("residence_permit.authority", "too_long", "居住证发证机关不能超过60字")
    issued = block.get("issued_on")
    if not issued:
        raise ContractError(
            "residence_permit.issued_on", "required", "持有居住证时，居住证发证日期不能为空"
        )
    try:
        issued_on = date.fromisoformat(issued) if isinstance(issued, str) else None
    except ValueError:
        issued_on = None
    if issued_on is None:
        raise ContractError(
            "residence_permit.issued_on", "bad_date", "居住证发证日期须为日期，如 2025-03-01"
        )
    if issued_on > today:
        raise ContractError(
            "residence_permit.issued_on", "future_date", "居住证发证日期不能晚于今天"
        )
    return {"has_permit": True, "authority": authority.strip(), "issued_on": issued_on.isoformat()}


def _check_special_needs(profile: dict) -> None:
    """DAY-5 [002 §11]: 是否残疾人 gates it; study and proof type required; the degree for a
    certificate or a hospital's proof, the certificate number for a certificate, a
    description for evident symptoms."""
    block = profile.get("special_needs")
    if not block:
        return
    if not profile.get("disabled"):
        raise DomainError(
            "“是否残疾人”为是的学生才能填写特教学生信息", code="not_disabled", field="special_needs"
        )
    rules = (
        ("disability_type", "残疾类型", DISABILITY_TYPES, False),
        ("study_type", "特教学生就读类型", STUDY_TYPES, True),
        ("proof_type", "残疾证明类型", PROOF_TYPES, True),
        ("degree", "残疾程度", DEGREES, False),
    )
    for key, label, choices, required in rules:
        value = block.get(key)
        if value is None and required:
            raise ContractError(f"special_needs.{key}", "required", f"{label}不能为空")
        if value is not None and value not in choices:
            raise ContractError(
                f"special_needs.{key}", "bad_choice", f"{label}应为：{'、'.join(choices)}"
            )
    proof = block["proof_type"]
    if proof in ("残疾证", "医院残疾证明") and not block.get("degree"):
        raise ContractError(
            "special_needs.degree", "required", f"残疾证明类型为“{proof}”时，残疾程度不能为空"
        )
    if proof == "残疾证" and not block.get("certificate_number"):
        raise ContractError(
            "special_needs.certificate_number",
            "required",
            "残疾证明类型为“残疾证”时，残疾证书号不能为空",
        )
    if proof == "有明显残疾症状" and not block.get("description"):
        raise ContractError(
            "special_needs.description",
            "required",
            "残疾证明类型为“有明显残疾症状”时，残疾情况描述不能为空",
        )
    known = {
        "disability_type",
        "study_type",
        "proof_type",
        "degree",
        "certificate_number",
        "description",
    }
    unknown = [k for k in block if k not in known]
    if unknown:
        raise ContractError(
            f"special_needs.{unknown[0]}", "unknown_field", f"特教学生信息：未知的“{unknown[0]}”"
        )


#: Two-character surnames, so 欧阳小明 is "Ouyang Xiaoming" and not "Ou Yangxiaoming".
COMPOUND_SURNAMES = frozenset(
    "欧阳 司马 诸葛 上官 东方 皇甫 尉迟 公孙 慕容 夏侯 令狐 长孙 宇文 司徒 端木".split()  # noqa: SIM905
)


def derived_pinyin(name: str) -> str:
    """DAY-1 姓名拼音 as the record shows it until the school edits it: the surname, then the
    given name, each capitalised (pypinyin; a heteronym may need the school's correction)."""
    cut = 2 if name[:2] in COMPOUND_SURNAMES else 1
    surname, given = lazy_pinyin(name[:cut]), lazy_pinyin(name[cut:])
    return " ".join(part.capitalize() for part in ("".join(surname), "".join(given)) if part)


def term_of(day: date) -> str:
    """DAY-7: the term a day falls in — `2026-1` the autumn term (Sep–Jan), `2026-2` spring."""
    if day.month >= 8:
        return f"{day.year}-1"
    if day.month == 1:
        return f"{day.year - 1}-1"
    return f"{day.year - 1}-2"
