"""Checks a single-entry registration form before anything is stored (REG-1, ID-2, ID-6)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date

from contracts.codes import ClassCode
from contracts.errors import ContractError
from contracts.ids import (
    DocumentType,
    IdGroup,
    Sex,
    normalize_name,
    parse_resident_id,
)
from contracts.person import Guardian, Person
from province_node.domain.proof import Proof, check_proof
from province_node.domain.workflow import BusinessType

ENTRIES = ("primary", "non_primary")
_ETHNICITY = re.compile(r"^(0[1-9]|[1-4]\d|5[0-6]|97|98)$")  # GB 3304


@dataclass(frozen=True)
class RegistrationForm:
    entry: str
    id_type: str
    name: str
    school_code: str
    class_code: str
    id_number: str | None = None
    sex: str | None = None
    birth_date: date | None = None
    ethnicity: str | None = None
    guardians: list[dict] = field(default_factory=list)
    proof: bytes | None = None  # the uploaded proof material, if any (ID-7)


UNDER_AGE = "入学年龄不符合要求"


@dataclass(frozen=True)
class ValidRegistration:
    form: RegistrationForm
    dedup_key: str
    warnings: tuple[str, ...] = ()  # flagged, not blocking (REG-8 unless the switch is on)
    proof: Proof | None = None

    def person(self) -> dict:
        """The student's identity and placement, as registration and record both keep them."""
        form = self.form
        return {
            **Person.of(form).as_dict(),
            "ethnicity": form.ethnicity,
            "school_code": form.school_code,
            "class_code": form.class_code,
            "guardians": form.guardians,
        }


def validate_registration(
    form: RegistrationForm,
    *,
    today: date,
    under_age_blocks: bool = False,
    single_entry: bool = True,
) -> ValidRegistration:
    """Returns the normalised form, or raises ContractError naming the first bad field.

    `single_entry=False` for the ways a primary entrant with a document may come in (an
    Excel import row, the pre-school list), which REG-1 closes to single entry."""
    if form.entry not in ENTRIES:
        raise ContractError("entry", "bad_entry", "入口须为 primary（小学新生）或 non_primary")
    doc = _document_type(form.id_type)
    if single_entry:
        _check_entry_point(form.entry, doc)
    form = replace(form, name=normalize_name(form.name))
    form = _with_identity(form, doc, today)
    if form.ethnicity is not None and not _ETHNICITY.match(form.ethnicity):
        raise ContractError("ethnicity", "unknown_ethnicity", f"民族代码 {form.ethnicity} 不存在")
    guardians = [Guardian.checked(g, i) for i, g in enumerate(form.guardians)]
    form = replace(form, guardians=[g.as_dict() for g in guardians])
    if doc is DocumentType.NONE and not any(g.has_resident_id for g in guardians):
        raise ContractError(
            "guardians", "guardian_required", "无证件学生须至少填写一名持居民身份证的监护人"
        )
    # REG-6: a document-less student needs an uploaded proof; any proof must be an image.
    proof = check_proof(form.proof or b"") if form.proof or doc is DocumentType.NONE else None
    key = Person.of(form).dedup_key()
    warnings = age_warnings(form.entry, form.birth_date, form.class_code, blocks=under_age_blocks)
    return ValidRegistration(form=form, dedup_key=key, warnings=warnings, proof=proof)


def age_warnings(
    entry: str, born: date | None, class_code: str, *, blocks: bool
) -> tuple[str, ...]:
    """REG-8, the one rule every way in applies: an under-age primary entrant is flagged, or
    refused when the province switch says so [003 §三.8], [004 Q104]."""
    if not is_under_age(entry, born, class_code):
        return ()
    if blocks:
        raise ContractError("birth_date", "under_age", f"{UNDER_AGE}（本省规定未满6周岁不予注册）")
    return (UNDER_AGE,)


def is_under_age(entry: str, born: date | None, class_code: str) -> bool:
    """REG-8: a primary entrant must be 6 by August 31 of the year its class enters school
    (class `2026101` → 2026-08-31), whenever the registration is made."""
    if entry != "primary" or born is None:
        return False
    try:
        entry_year = ClassCode.parse(class_code).entry_year
    except ContractError:
        return False  # a bad class code is refused on its own, with its own message
    cutoff = date(entry_year, 8, 31)
    age = cutoff.year - born.year - ((cutoff.month, cutoff.day) < (born.month, born.day))
    return age < 6


def _document_type(raw: str) -> DocumentType:
    try:
        return DocumentType(raw)
    except ValueError:
        raise ContractError("id_type", "bad_id_type", f"身份证件类型 {raw} 不存在") from None


def _check_entry_point(entry: str, doc: DocumentType) -> None:
    """REG-1: primary new students with a document come in by Excel import only."""
    if entry == "primary" and doc.group is not IdGroup.NO_DOCUMENT:
        raise ContractError(
            "entry", "entry_not_allowed", "小学新生（居民身份证、港澳台侨外）须通过 Excel 导入注册"
        )


def _with_identity(form: RegistrationForm, doc: DocumentType, today: date) -> RegistrationForm:
    if doc is DocumentType.RESIDENT_ID:
        resident = parse_resident_id(form.id_number or "")
        if form.sex is not None and form.sex != resident.sex.value:
            raise ContractError("sex", "contradicts_id", "性别与身份证号码不一致")
        if form.birth_date is not None and form.birth_date != resident.birth_date:
            raise ContractError("birth_date", "contradicts_id", "出生日期与身份证号码不一致")
        return replace(
            form, id_number=resident.number, sex=resident.sex.value, birth_date=resident.birth_date
        )
    if doc.group is IdGroup.HMT_FOREIGN and not (form.id_number or "").strip():
        raise ContractError("id_number", "required", "港澳台侨外学生须填写证件号码")
    if doc is DocumentType.NONE and form.id_number:
        raise ContractError("id_number", "not_allowed", "无证件学生不应填写证件号码")
    if form.sex not in (Sex.MALE.value, Sex.FEMALE.value):
        raise ContractError("sex", "required", "请填写性别（1 男，2 女）")
    if form.birth_date is None or not date(1990, 1, 1) <= form.birth_date <= today:
        raise ContractError("birth_date", "invalid_birth_date", "出生日期缺失或不合理")
    number = form.id_number.strip().upper() if form.id_number else None
    return replace(form, id_number=number)


_BUSINESS = {
    ("primary", IdGroup.RESIDENT): BusinessType.REGISTER_PRIMARY_RESIDENT,
    ("non_primary", IdGroup.RESIDENT): BusinessType.REGISTER_NON_PRIMARY_RESIDENT,
    ("primary", IdGroup.HMT_FOREIGN): BusinessType.REGISTER_PRIMARY_HMT_FOREIGN,
    ("non_primary", IdGroup.HMT_FOREIGN): BusinessType.REGISTER_NON_PRIMARY_HMT_FOREIGN,
    ("primary", IdGroup.NO_DOCUMENT): BusinessType.REGISTER_PRIMARY_NO_DOCUMENT,
    ("non_primary", IdGroup.NO_DOCUMENT): BusinessType.REGISTER_NON_PRIMARY_NO_DOCUMENT,
}


def business_type_of(form: RegistrationForm) -> BusinessType:
    """REG-1: the six entry points are six business types, each with its own chain (SYS-1)."""
    return _BUSINESS[(form.entry, DocumentType(form.id_type).group)]
