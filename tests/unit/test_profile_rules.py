"""DAY-1 / DAY-5 rules of the record's fields on their own."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.errors import ContractError, DomainError
from province_node.domain.profile import check_edit, derived_pinyin, term_of, visible_fields

RESIDENT = {"id_type": "1", "profile": {}, "ethnicity": "01", "class_code": "2026201"}
PASSPORT = RESIDENT | {"id_type": "A"}
TODAY = date(2026, 11, 22)


def test_day1_name_pinyin_is_derived_surname_first() -> None:
    assert derived_pinyin("张三") == "Zhang San"
    assert derived_pinyin("欧阳小明") == "Ouyang Xiaoming"


def test_day1_hk_and_foreign_students_show_fewer_fields() -> None:
    resident = {f.key for f in visible_fields("1")}
    foreign = {f.key for f in visible_fields("A")}
    assert {"household_location", "migrant", "residence_permit"} <= resident - foreign
    with pytest.raises(DomainError) as refused:
        check_edit({"household_location": "广州"}, PASSPORT, [], TODAY)
    assert refused.value.field == "household_location"


def test_day1_controlled_and_identity_fields_are_refused_here() -> None:
    for key, controlled in (("class_code", ["class_code"]), ("name", []), ("sex", [])):
        with pytest.raises(DomainError) as refused:
            check_edit({key: "x"}, RESIDENT, controlled, TODAY)
        assert (refused.value.code, refused.value.field) == ("controlled_field", key)
    assert check_edit({"ethnicity": "02"}, RESIDENT, [], TODAY) == {"ethnicity": "02"}


def test_day1_only_changed_values_are_kept() -> None:
    record = RESIDENT | {"profile": {"phone": "13800000000"}}
    assert check_edit({"phone": "13800000000", "blood_type": "A"}, record, [], TODAY) == {
        "blood_type": "A"
    }
    with pytest.raises(ContractError):
        check_edit({}, record, [], TODAY)


def test_day5_degree_required_for_a_certificate_or_a_hospital_proof() -> None:
    for proof in ("残疾证", "医院残疾证明"):
        block = {"study_type": "送教上门", "proof_type": proof, "certificate_number": "1"}
        with pytest.raises(ContractError) as refused:
            check_edit({"disabled": True, "special_needs": block}, RESIDENT, [], TODAY)
        assert refused.value.field == "special_needs.degree"


def test_day7_terms_turn_in_august_and_february() -> None:
    assert [term_of(date(2026, m, 1)) for m in (8, 12, 1, 2, 7)] == [
        "2026-1", "2026-1", "2025-1", "2025-2", "2025-2",
    ]  # fmt: skip


def _permit(block: dict) -> dict:
    return check_edit({"residence_permit": block}, RESIDENT, [], TODAY)


def test_day1_residence_permit_requires_authority_and_issue_date() -> None:
    kept = _permit({"has_permit": True, "authority": " 广州市公安局天河分局 ",
                    "issued_on": "2025-03-01"})  # fmt: skip
    assert kept == {"residence_permit": {"has_permit": True, "authority": "广州市公安局天河分局",
                                         "issued_on": "2025-03-01"}}  # fmt: skip
    for block, field in (
        ({"has_permit": True, "issued_on": "2025-03-01"}, "residence_permit.authority"),
        ({"has_permit": True, "authority": "天河分局"}, "residence_permit.issued_on"),
        ({"authority": "天河分局", "issued_on": "2025-03-01"}, "residence_permit.has_permit"),
        ({"has_permit": True, "authority": "x", "issued_on": "2025-13-01"},
         "residence_permit.issued_on"),
        ({"has_permit": True, "authority": "x", "issued_on": "2025-03-01", "no": "1"},
         "residence_permit.no"),
    ):  # fmt: skip
        with pytest.raises(ContractError) as refused:
            _permit(block)
        assert refused.value.field == field, block


def test_day1_residence_permit_issue_date_not_in_the_future() -> None:
    with pytest.raises(ContractError) as refused:
        _permit({"has_permit": True, "authority": "天河分局", "issued_on": "2026-11-23"})
    assert (refused.value.field, refused.value.code) == ("residence_permit.issued_on",
                                                        "future_date")  # fmt: skip
    assert _permit({"has_permit": True, "authority": "天河分局", "issued_on": "2026-11-22"})


def test_day1_without_a_permit_no_authority_or_date() -> None:
    assert _permit({"has_permit": False}) == {"residence_permit": {"has_permit": False}}
    with pytest.raises(ContractError) as refused:
        _permit({"has_permit": False, "authority": "天河分局"})
    assert refused.value.field == "residence_permit.has_permit"
