"""Identity documents, resident ID numbers (GB 11643), student numbers, names, dedup keys."""

import random
import re
import string
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from contracts.errors import ContractError
from contracts.regions import is_known_province


class IdGroup(StrEnum):
    RESIDENT = "resident"
    HMT_FOREIGN = "hmt_foreign"
    NO_DOCUMENT = "no_document"


class DocumentType(StrEnum):
    RESIDENT_ID = "1"
    HONG_KONG = "6"
    MACAO = "7"
    TAIWAN = "8"
    FOREIGN_PERMANENT = "9"
    PASSPORT = "A"
    NONE = "Z"

    @property
    def label(self) -> str:
        return _DOCUMENT_LABELS[self.value]

    @property
    def group(self) -> IdGroup:
        if self is DocumentType.RESIDENT_ID:
            return IdGroup.RESIDENT
        return IdGroup.NO_DOCUMENT if self is DocumentType.NONE else IdGroup.HMT_FOREIGN


_DOCUMENT_LABELS = {
    "1": "居民身份证",
    "6": "香港特区护照/身份证明",
    "7": "澳门特区护照/身份证明",
    "8": "台湾居民来往大陆通行证",
    "9": "境外永久居住证",
    "A": "护照",
    "Z": "其他",
}


class Sex(StrEnum):
    """GB/T 2261.1 codes."""

    MALE = "1"
    FEMALE = "2"

    @property
    def label(self) -> str:
        return "男" if self is Sex.MALE else "女"


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK_CHARS = "10X98765432"
_DIGITS17 = re.compile(r"[0-9]{17}")


def mod11_2_check_char(body17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a 17-digit body."""
    if not _DIGITS17.fullmatch(body17):
        raise ContractError("id_number", "bad_format", "校验位只能由17位数字计算")
    return _CHECK_CHARS[sum(int(c) * w for c, w in zip(body17, _WEIGHTS, strict=True)) % 11]


def _birth_date(yyyymmdd: str, field: str, code: str) -> date:
    """Birth dates must be real calendar days between 1900-01-01 and today."""
    try:
        born = date(int(yyyymmdd[:4]), int(yyyymmdd[4:6]), int(yyyymmdd[6:8]))
    except ValueError:
        raise ContractError(field, code, f"出生日期不存在：{yyyymmdd}") from None
    if born.year < 1900 or born > date.today():
        raise ContractError(field, code, f"出生日期不合理：{born.isoformat()}")
    return born


@dataclass(frozen=True)
class ResidentId:
    number: str
    region_code: str
    birth_date: date
    sex: Sex


def _check_length(number: str, field: str) -> None:
    if len(number) == 18:
        return
    message = f"身份证号码应为18位，当前为{len(number)}位"
    if len(number) == 15:
        message += "（15位旧身份证号码已停用，请使用18位号码）"
    raise ContractError(field, "bad_length", message)


def parse_resident_id(raw: str, field: str = "id_number") -> ResidentId:
    number = raw.strip()
    number = number[:-1] + "X" if number.endswith("x") else number
    _check_length(number, field)
    if not _DIGITS17.fullmatch(number[:17]):
        raise ContractError(field, "bad_format", "身份证号码前17位只能是数字")
    if not (number[17].isascii() and number[17].isdigit()) and number[17] != "X":
        raise ContractError(field, "bad_format", "身份证号码最后一位只能是数字或X")
    if not is_known_province(number[:2]):
        message = f"身份证号码的省级行政区划代码未知：{number[:2]}"
        raise ContractError(field, "unknown_region", message)
    born = _birth_date(number[6:14], field, "invalid_birth_date")
    if mod11_2_check_char(number[:17]) != number[17]:
        raise ContractError(field, "bad_checksum", "身份证号码校验位不正确")
    sex = Sex.MALE if int(number[16]) % 2 == 1 else Sex.FEMALE
    return ResidentId(number=number, region_code=number[:6], birth_date=born, sex=sex)


class NumberKind(StrEnum):
    FORMAL_RESIDENT = "G"
    FORMAL_ASSIGNED = "J"
    TEMPORARY = "L"


@dataclass(frozen=True)
class StudentNumber:
    value: str
    kind: NumberKind

    @property
    def is_formal(self) -> bool:
        return self.kind is not NumberKind.TEMPORARY

    def __str__(self) -> str:
        return self.value


_BAD_NUMBER = "bad_student_number"
_J_BODY = re.compile(r"[0-9]{17}[0-9X]")
_L_BODY = re.compile(r"[0-9]{14}[0-9A-Z]{4}")
_L_ALPHABET = string.digits + string.ascii_uppercase


def _check_region_and_birth(body: str, field: str) -> None:
    """J and L bodies both start with a 6-digit region and an 8-digit birth date."""
    if not is_known_province(body[:2]):
        raise ContractError(field, _BAD_NUMBER, f"学籍号中的省级行政区划代码未知：{body[:2]}")
    _birth_date(body[6:14], field, _BAD_NUMBER)


def parse_student_number(raw: str, field: str = "student_number") -> StudentNumber:
    value = raw.strip().upper()
    if len(value) != 19 or value[0] not in "GJL":
        raise ContractError(field, _BAD_NUMBER, "学籍号应为G、J或L开头加18位字符")
    kind, body = NumberKind(value[0]), value[1:]
    if kind is NumberKind.FORMAL_RESIDENT:
        try:
            parse_resident_id(body, field)
        except ContractError as e:
            raise ContractError(field, _BAD_NUMBER, f"G号中的身份证号码无效：{e.message}") from e
        return StudentNumber(value, kind)
    pattern = _J_BODY if kind is NumberKind.FORMAL_ASSIGNED else _L_BODY
    if not pattern.fullmatch(body):
        raise ContractError(field, _BAD_NUMBER, f"{kind.value}号的字符格式不正确")
    _check_region_and_birth(body, field)
    if kind is NumberKind.FORMAL_ASSIGNED and mod11_2_check_char(body[:17]) != body[17]:
        raise ContractError(field, _BAD_NUMBER, "J号校验位不正确")
    return StudentNumber(value, kind)


def issue_g(resident: ResidentId) -> StudentNumber:
    return StudentNumber("G" + resident.number, NumberKind.FORMAL_RESIDENT)


def _prefix(region_code: str, birth_date: date, field: str) -> str:
    if not re.fullmatch(r"[0-9]{6}", region_code):
        raise ContractError(field, _BAD_NUMBER, f"行政区划代码应为6位数字：{region_code}")
    body = region_code + birth_date.strftime("%Y%m%d")
    _check_region_and_birth(body, field)
    return body


def issue_j(region_code: str, birth_date: date, sequence: int) -> StudentNumber:
    if not 0 <= sequence <= 999:
        raise ContractError("sequence", _BAD_NUMBER, f"J号顺序码应在0到999之间：{sequence}")
    body = _prefix(region_code, birth_date, "region_code") + f"{sequence:03d}"
    return StudentNumber("J" + body + mod11_2_check_char(body), NumberKind.FORMAL_ASSIGNED)


def issue_l(school_region_code: str, birth_date: date, rng: random.Random) -> StudentNumber:
    tail = "".join(rng.choice(_L_ALPHABET) for _ in range(4))
    body = _prefix(school_region_code, birth_date, "school_region_code") + tail
    return StudentNumber("L" + body, NumberKind.TEMPORARY)


def normalize_name(raw: str, field: str = "name") -> str:
    """Names carry no inner spaces [004 Q18]; \\s also covers the full-width U+3000."""
    name = re.sub(r"\s+", "", raw)
    if not name:
        raise ContractError(field, "bad_name", "姓名不能为空")
    if len(name) > 50:
        raise ContractError(field, "bad_name", f"姓名不能超过50个字符，当前为{len(name)}个")
    return name


def dedup_key(
    id_type: DocumentType,
    id_number: str | None,
    name: str,
    sex: Sex | None,
    birth_date: date | None,
) -> str:
    """National dedup key (REG-5): by ID, by document number, or by name + sex + birth date."""
    group = id_type.group
    if group is not IdGroup.NO_DOCUMENT and not (id_number and id_number.strip()):
        raise ContractError("id_number", "missing_field", f"{id_type.label}号码不能为空")
    if group is IdGroup.RESIDENT:
        return f"id:{parse_resident_id(id_number or '').number}"
    if group is IdGroup.HMT_FOREIGN:
        return f"doc:{id_type.value}:{(id_number or '').strip().upper()}"
    if sex is None:
        raise ContractError("sex", "missing_field", "无证件学生查重需要性别")
    if birth_date is None:
        raise ContractError("birth_date", "missing_field", "无证件学生查重需要出生日期")
    return f"nsb:{normalize_name(name)}|{sex.value}|{birth_date.isoformat()}"
