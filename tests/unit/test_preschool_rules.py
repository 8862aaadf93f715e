"""The pre-school archive list's rules, pure (REG-2, REG-3), and the stand-in's matching."""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from uuid import uuid4

import pytest

from contracts.commands import MatchPreschool
from contracts.envelope import Actor, Envelope
from contracts.errors import ContractError, DomainError
from province_node.domain.preschool import (
    MATCHED,
    NOT_FOUND,
    TO_CONFIRM,
    ChildIdentity,
    PreschoolEntry,
    PreschoolList,
    check_identity,
    match_state,
)
from simulations.preschool import PreschoolRegistry, child, lookalikes
from tests.support.people import resident_id

TODAY = date(2026, 11, 22)
META: dict = {"account": "t"}
KID = resident_id(born=date(2020, 3, 9), sequence=121)


def _entry(id_number: str = KID) -> PreschoolEntry:
    identity = check_identity(ChildIdentity("1", " 张 小一 ", "", None, id_number), TODAY)
    return PreschoolEntry(str(uuid4()), "3440106001", asdict(identity), None, META)


def _candidates(*record_ids: str) -> list[dict]:
    return [{"record_id": r} for r in record_ids]


def test_reg2_resident_id_gives_sex_and_birth_date() -> None:
    identity = check_identity(ChildIdentity("1", "张 小一", "", None, KID), TODAY)
    assert (identity.name, identity.sex, identity.birth_date) == ("张小一", "1", date(2020, 3, 9))
    with pytest.raises(ContractError) as caught:
        check_identity(ChildIdentity("1", "张小一", "2", None, KID), TODAY)
    assert (caught.value.field, caught.value.code) == ("sex", "contradicts_id")
    with pytest.raises(ContractError) as caught:
        check_identity(
            ChildIdentity("1", "张小一", "", None, KID[:-1] + ("0" if KID[-1] != "0" else "1")),
            TODAY,
        )
    assert caught.value.code == "bad_checksum"


def test_reg2_match_state_one_none_several() -> None:
    assert match_state(_candidates("a")) == MATCHED
    assert match_state([]) == NOT_FOUND
    assert match_state(_candidates("a", "b")) == TO_CONFIRM


def test_reg2_confirm_only_a_candidate_or_none() -> None:
    entry = _entry()
    with pytest.raises(DomainError):
        entry.check_confirmable("a")  # nothing to confirm yet
    entry.record_match(state=TO_CONFIRM, candidates=_candidates("a", "b"), meta=META)
    with pytest.raises(ContractError) as caught:
        entry.check_confirmable("z")
    assert caught.value.code == "unknown_candidate"
    entry.confirm(record_id=None, meta=META)
    assert (entry.state, entry.record_id) == (NOT_FOUND, None)


def test_reg2_duplicate_id_in_a_school_list_refused() -> None:
    school_list = PreschoolList("3440106001")
    first = _entry()
    school_list.add(entry_id=str(first.id), document=f"1:{KID}")
    school_list.check_document(f"1:{KID}", first.id)  # the entry itself may keep its number
    school_list.check_document(None)  # no document, nothing to collide with
    with pytest.raises(ContractError) as caught:
        school_list.check_document(f"1:{KID}")
    assert (caught.value.field, caught.value.code) == ("id_number", "duplicate_id")


def test_reg2_locked_once_registration_started() -> None:
    entry = _entry()
    entry.record_match(state=MATCHED, candidates=_candidates("a"), meta=META)
    entry.complete(ethnicity="01", class_code="2026101", guardians=[], meta=META)
    entry.check_registrable()
    entry.start_registration(registration_id=str(uuid4()), meta=META)
    for check in (lambda: entry.check_unlocked("修改"), entry.check_exportable):
        with pytest.raises(DomainError) as caught:
            check()
        assert caught.value.code == "locked"


def test_reg3_only_matched_entries_are_completed_and_registered() -> None:
    entry = _entry()
    entry.record_match(state=NOT_FOUND, candidates=[], meta=META)
    with pytest.raises(DomainError) as caught:
        entry.check_completable()
    assert caught.value.code == "not_matched"
    entry.record_match(state=MATCHED, candidates=_candidates("a"), meta=META)
    with pytest.raises(DomainError) as caught:
        entry.check_registrable()
    assert caught.value.code == "not_completed"


def _query(**fields: object) -> MatchPreschool:
    envelope = Envelope(actor=Actor(account="t", unit_code="44", role="registrar"))
    return MatchPreschool(envelope=envelope, province="44", **fields)


def test_reg2_stand_in_matches_by_id_else_by_name_sex_birth() -> None:
    registry = PreschoolRegistry.seeded(["44"], 20)
    known = child("44", 7)
    assert 2019 <= known.birth_date.year <= 2021
    by_id = registry.match(_query(name="别名", id_number=known.id_number)).candidates
    assert [c.record_id for c in by_id] == [known.record_id]
    assert by_id[0].masked_id.count("*") == 8
    twin = lookalikes("44", 0)[0]
    several = registry.match(_query(name=twin.name, sex=twin.sex, birth_date=twin.birth_date))
    assert len({c.kindergarten for c in several.candidates}) == 3
    assert (
        registry.match(_query(name="查无此人", sex="1", birth_date=date(2020, 1, 1))).candidates
        == []
    )
