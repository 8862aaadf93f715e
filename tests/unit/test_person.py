"""The identity field set as value objects: one dedup key whatever carries the five fields."""

from __future__ import annotations

from datetime import date

import pytest

from contracts.errors import ContractError
from contracts.person import Guardian, Person


def test_reg5_one_dedup_key_from_a_form_a_stored_record_and_a_message() -> None:
    stored = {"id_type": "Z", "name": "张 三", "sex": "1", "birth_date": "2019-05-01", "x": 1}

    class Message:
        id_type, name, id_number, sex, birth_date = "Z", "张三", None, "1", date(2019, 5, 1)

    assert Person.of(stored).dedup_key() == Person.of(Message()).dedup_key()
    assert Person.of(stored).as_dict() == {k: stored.get(k) for k in Person.FIELDS}
    resident = Person("1", "李四", "110105201905010021")
    assert resident.dedup_key() == "id:110105201905010021"


def test_reg5_a_document_less_person_needs_sex_and_birth_date() -> None:
    with pytest.raises(ContractError) as refused:
        Person("Z", "王五", sex="2").dedup_key()
    assert refused.value.field == "birth_date"


def test_reg6_a_bad_guardian_is_refused_naming_its_field() -> None:
    with pytest.raises(ContractError) as refused:
        Guardian.checked({"name": "赵六", "id_type": "1", "id_number": "123"}, 1)
    assert refused.value.field == "guardians[1].id_number"
    with pytest.raises(ContractError) as refused:
        Guardian.checked({"name": "赵六", "id_type": "Q"})
    assert refused.value.field == "guardians[0].id_type"
    kept = Guardian.checked({"name": "赵六", "id_type": "A", "id_number": "E1", "relation": "父"})
    assert kept.as_dict() == {"name": "赵六", "relation": "父", "id_type": "A", "id_number": "E1"}
    assert not kept.has_resident_id
