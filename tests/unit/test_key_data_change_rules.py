"""KDC-1 and KDC-3 as domain rules: what may change through the flow and how high it climbs."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.errors import ContractError, DomainError
from province_node.domain.key_data_change import (
    DEFAULT_CONTROLLED,
    check_changes,
    check_controlled_fields,
    climbs_to_province,
)

TODAY = date(2026, 11, 22)
RECORD = {"student_number": "L440106201503091234", "name": "张三", "sex": "1"}
RECORD |= {"birth_date": "2015-03-09", "id_type": "1", "id_number": "440106201503091230"}


def test_kdc1_default_and_chosen_controlled_fields() -> None:
    assert set(DEFAULT_CONTROLLED) == {"name", "sex", "birth_date", "id_type", "id_number",
                                       "class_code"}  # fmt: skip
    assert check_controlled_fields(["ethnicity", "name"]) == ["name", "ethnicity"]
    with pytest.raises(ContractError) as unknown:
        check_controlled_fields(["photo"])
    assert unknown.value.field == "fields"
    with pytest.raises(DomainError) as refused:
        check_changes({"ethnicity": "02"}, RECORD, list(DEFAULT_CONTROLLED), TODAY)
    assert refused.value.code == "not_controlled"


def test_kdc3_name_then_id_or_id_then_name_within_a_year_climbs() -> None:
    id_change = [{"fields": ["id_number"], "at": "2026-01-10T10:00:00+08:00"}]
    name_change = [{"fields": ["name"], "at": "2026-01-10T10:00:00+08:00"}]
    assert climbs_to_province({"name": "李四"}, id_change, TODAY)
    assert climbs_to_province({"id_number": "x"}, name_change, TODAY)
    assert not climbs_to_province({"name": "李四"}, name_change, TODAY)
    assert not climbs_to_province({"name": "李四"}, id_change, date(2027, 3, 1))  # > 1 year
    assert climbs_to_province({"id_type": "Z"}, [], TODAY)  # to "no document"


def test_kdc3_prb5_refusals() -> None:
    controlled = list(DEFAULT_CONTROLLED)
    with pytest.raises(DomainError) as together:
        check_changes({"name": "李四", "id_number": "1"}, RECORD, controlled, TODAY)
    assert together.value.code == "name_and_id_together"
    formal = RECORD | {"student_number": "G440106201503091230"}
    with pytest.raises(DomainError) as no_document:
        check_changes({"id_type": "Z"}, formal, controlled, TODAY)
    assert no_document.value.code == "formal_to_no_document"
    assert check_changes({"id_type": "Z"}, RECORD, controlled, TODAY) == {
        "id_type": "Z",
        "id_number": None,
    }
    with pytest.raises(ContractError) as same:
        check_changes({"name": "张三"}, RECORD, controlled, TODAY)
    assert same.value.code == "no_change"
