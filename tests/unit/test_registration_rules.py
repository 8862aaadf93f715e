"""Single-entry registration rules, pure (REG-1, ID-2, ID-6, REG-5 dedup keys)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from contracts.errors import ContractError
from province_node.domain.registration_rules import RegistrationForm, validate_registration
from tests.support.people import PNG, resident_id

TODAY = date(2026, 11, 22)
GUARDIAN = {
    "name": "张父",
    "relation": "父亲",
    "id_type": "1",
    "id_number": resident_id(region="440106", born=date(1985, 1, 2), sequence=11),
}


def _form(**changes: object) -> RegistrationForm:
    base = {
        "entry": "non_primary",
        "id_type": "1",
        "id_number": resident_id(),
        "name": "张三",
        "school_code": "3440106002",
        "class_code": "2026201",
    }
    return RegistrationForm(**(base | changes))


def _refused(form: RegistrationForm) -> ContractError:
    with pytest.raises(ContractError) as caught:
        validate_registration(form, today=TODAY)
    return caught.value


def test_id2_sex_and_birth_date_derived_from_resident_id() -> None:
    valid = validate_registration(_form(), today=TODAY)
    assert (valid.form.sex, valid.form.birth_date) == ("1", date(2015, 3, 9))
    assert valid.dedup_key == f"id:{resident_id()}"


@pytest.mark.parametrize("id_type", ["1", "6", "A"])
def test_reg1_primary_entrants_with_a_document_come_by_excel_only(id_type: str) -> None:
    error = _refused(_form(entry="primary", id_type=id_type, id_number="H1234567"))
    assert (error.field, error.code) == ("entry", "entry_not_allowed")


def test_reg1_primary_entrant_without_document_may_use_single_entry() -> None:
    form = _form(
        entry="primary",
        id_type="Z",
        id_number=None,
        sex="2",
        birth_date=date(2020, 5, 1),
        guardians=[GUARDIAN],
        proof=PNG,
    )
    valid = validate_registration(form, today=TODAY)
    assert valid.dedup_key == "nsb:张三|2|2020-05-01"
    assert valid.proof is not None and valid.proof.content_type == "image/png"


def test_reg6_no_document_needs_a_proof_image_checked_by_content() -> None:
    base = {
        "entry": "non_primary",
        "id_type": "Z",
        "id_number": None,
        "sex": "1",
        "birth_date": date(2014, 1, 1),
        "guardians": [GUARDIAN],
    }
    cases = {
        None: "proof_required",
        b"GIF89a not allowed": "proof_not_image",
        b"\xff\xd8\xff" + b"0" * (2 * 2**20): "proof_too_large",
    }
    for data, code in cases.items():
        error = _refused(_form(**base, proof=data))
        assert (error.field, error.code) == ("proof", code)
    jpeg = validate_registration(_form(**base, proof=b"\xff\xd8\xff\xe0 jpeg body"), today=TODAY)
    assert jpeg.proof.content_type == "image/jpeg"


def test_reg5_hmt_foreign_dedup_by_document_number() -> None:
    form = _form(id_type="6", id_number=" h1234567 ", sex="1", birth_date=date(2014, 1, 1))
    assert validate_registration(form, today=TODAY).dedup_key == "doc:6:H1234567"


def test_reg6_no_document_needs_a_guardian_with_resident_id() -> None:
    form = _form(id_type="Z", id_number=None, sex="1", birth_date=date(2014, 1, 1))
    assert _refused(form).field == "guardians"
    number = GUARDIAN["id_number"]
    wrong_check = number[:-1] + ("0" if number[-1] != "0" else "1")
    with_bad_guardian = _form(
        id_type="Z",
        id_number=None,
        sex="1",
        birth_date=date(2014, 1, 1),
        guardians=[GUARDIAN | {"id_number": wrong_check}],
    )
    assert _refused(with_bad_guardian).field == "guardians[0].id_number"


def test_id6_name_inner_spaces_stripped() -> None:
    assert validate_registration(_form(name="张 三"), today=TODAY).form.name == "张三"


def test_id2_declared_sex_must_agree_with_id() -> None:
    assert (_refused(_form(sex="2")).field, _refused(_form(sex="2")).code) == (
        "sex",
        "contradicts_id",
    )


def _primary_no_document(born: date) -> RegistrationForm:
    return _form(
        entry="primary",
        id_type="Z",
        id_number=None,
        sex="1",
        birth_date=born,
        guardians=[GUARDIAN],
        proof=PNG,
    )


def test_reg8_under_age_primary_entrant_is_flagged_not_blocked_by_default() -> None:
    form = _primary_no_document(date(2020, 9, 1))  # 5 on Aug 31, 2026
    assert validate_registration(form, today=TODAY).warnings == ("入学年龄不符合要求",)
    six = validate_registration(replace(form, birth_date=date(2020, 8, 31)), today=TODAY)
    assert six.warnings == ()  # 6 on the day itself


def test_reg8_under_age_blocks_when_the_province_switch_is_on() -> None:
    form = _primary_no_document(date(2020, 9, 1))
    with pytest.raises(ContractError) as caught:
        validate_registration(form, today=TODAY, under_age_blocks=True)
    assert (caught.value.field, caught.value.code) == ("birth_date", "under_age")


def test_reg8_cutoff_is_aug31_of_the_class_entry_year_not_of_today() -> None:
    # Registered on 2026-08-25 (still school year 2025) into the class entering in 2026.
    before_sep = date(2026, 8, 25)
    six_in_time = replace(_primary_no_document(date(2020, 7, 1)), class_code="2026101")
    valid = validate_registration(six_in_time, today=before_sep, under_age_blocks=True)
    assert valid.warnings == ()  # 6 on 2026-08-31: neither flagged nor refused
    late = replace(six_in_time, birth_date=date(2020, 9, 1))  # 5 on 2026-08-31
    assert validate_registration(late, today=before_sep).warnings == ("入学年龄不符合要求",)
    # The class's year rules, not the calendar's: a 2027 class counts to 2027-08-31.
    next_year = replace(late, class_code="2027101")
    assert validate_registration(next_year, today=before_sep).warnings == ()
