"""ID-4 region codes and ID-5 class codes, school years and grade mapping."""

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.codes import (
    ClassCode,
    SchoolSystem,
    Stage,
    StudentStatus,
    class_grade,
    national_grade,
    school_year_of,
    stage_grade,
)
from contracts.errors import ContractError
from contracts.regions import (
    PROVINCES,
    REGIONS,
    children,
    from_file_code,
    is_known_province,
    province_of,
    region,
    to_file_code,
)


def test_id4_province_table_is_complete() -> None:
    assert len(PROVINCES) == 34
    assert PROVINCES["11"] == "北京市" and PROVINCES["65"] == "新疆维吾尔自治区"
    assert PROVINCES["81"] == "香港特别行政区" and PROVINCES["82"] == "澳门特别行政区"
    assert all(region(f"{p}0000").level == "province" for p in PROVINCES)
    assert is_known_province("44") and not is_known_province("99")
    assert province_of("441623") == "44"


def test_id4_region_hierarchy() -> None:
    county = region("441623")
    assert (county.name, county.level, county.parent) == ("连平县", "county", "441600")
    assert region("441600").parent == "440000"
    assert [r.code for r in children("440000")] == ["440100", "440300", "441600"]
    assert [r.name for r in children("340100")] == ["瑶海区", "蜀山区"]
    assert children("110000") == []
    for r in REGIONS.values():
        assert r.parent is None or r.parent in REGIONS


@given(st.sampled_from(sorted(REGIONS)))
def test_id4_file_code_roundtrip(code: str) -> None:
    file_code = to_file_code(code)
    assert file_code == code + "000000"
    assert from_file_code(file_code) == code


@pytest.mark.parametrize("bad", ["44162300000", "441623000001", "44162300000X", "990100000000"])
def test_id4_bad_file_code_rejected(bad: str) -> None:
    with pytest.raises(ContractError) as info:
        from_file_code(bad)
    assert info.value.field == "region_code"


def test_id4_unknown_region_rejected() -> None:
    for code in ["990000", "441699", "12345"]:
        with pytest.raises(ContractError) as info:
            region(code)
        assert (info.value.field, info.value.code) == ("region_code", "unknown_region")


def test_id5_class_code_parse_and_grade_name() -> None:
    code = ClassCode.parse(" 2011101 ")
    assert code == ClassCode(2011, Stage.PRIMARY, 1)
    assert str(code) == "2011101"
    assert code.grade_name == "小学2011级"
    assert code.grade_in(2011) == 1 and code.grade_in(2016) == 6
    assert ClassCode.parse("2016312").grade_name == "高中2016级"
    for bad in ["201110", "2011401", "2011100", "1989101", "2101101", "20111O1"]:
        with pytest.raises(ContractError) as info:
            ClassCode.parse(bad, field="bh")
        assert (info.value.field, info.value.code) == ("bh", "bad_class_code")


def test_grd3_school_year_turns_after_aug_10_24_00() -> None:
    assert school_year_of(date(2026, 11, 22)) == 2026
    assert school_year_of(date(2026, 3, 1)) == 2025
    assert school_year_of(date(2026, 8, 10)) == 2025  # promotion happens at its end
    assert school_year_of(date(2026, 8, 11)) == 2026
    assert school_year_of(date(2026, 8, 31), promotion=(8, 31)) == 2025  # a province's own day


def test_id5_national_grade_known_values() -> None:
    assert national_grade(Stage.JUNIOR, 1, SchoolSystem.SIX_THREE) == 7
    assert national_grade(Stage.JUNIOR, 1, SchoolSystem.FIVE_FOUR) == 6
    assert national_grade(Stage.SENIOR, 3, SchoolSystem.FIVE_FOUR) == 12
    assert stage_grade(6, SchoolSystem.SIX_THREE) == (Stage.PRIMARY, 6)
    assert stage_grade(6, SchoolSystem.FIVE_FOUR) == (Stage.JUNIOR, 1)
    for stage, grade, system in [
        (Stage.PRIMARY, 6, SchoolSystem.FIVE_FOUR),
        (Stage.JUNIOR, 4, SchoolSystem.SIX_THREE),
        (Stage.SENIOR, 0, SchoolSystem.SIX_THREE),
    ]:
        with pytest.raises(ContractError):
            national_grade(stage, grade, system)
    with pytest.raises(ContractError):
        stage_grade(13, SchoolSystem.SIX_THREE)


@given(st.integers(min_value=1, max_value=12), st.sampled_from(list(SchoolSystem)))
def test_id5_national_grade_mapping_roundtrip(grade: int, system: SchoolSystem) -> None:
    stage, in_stage = stage_grade(grade, system)
    assert national_grade(stage, in_stage, system) == grade
    assert (stage is Stage.SENIOR) == (grade >= 10)


def test_statuses_cover_spec_names() -> None:
    names = {"在校", "休学", "转出", "出境", "退学", "开除", "死亡", "失踪", "其他离校"}
    assert names | {"毕业", "结业", "肄业", "已删除", "去中职就读"} == {
        s.value for s in StudentStatus
    }


def test_pge1_a_class_whose_years_ran_out_stays_in_its_last_grade() -> None:
    """Until graduation (GRD-1) exists, the class's students keep its last grade."""
    junior_2023 = ClassCode.parse("2023201")
    assert class_grade(junior_2023, 2025, SchoolSystem.SIX_THREE) == 9
    assert class_grade(junior_2023, 2026, SchoolSystem.SIX_THREE) == 9  # ran out: still 9
    assert class_grade(junior_2023, 2026, SchoolSystem.FIVE_FOUR) == 9  # junior 4 = 9
    assert class_grade(ClassCode.parse("2019101"), 2026, SchoolSystem.FIVE_FOUR) == 5
    with pytest.raises(ContractError):  # a class that has not started has no grade
        class_grade(ClassCode.parse("2027201"), 2026, SchoolSystem.SIX_THREE)
