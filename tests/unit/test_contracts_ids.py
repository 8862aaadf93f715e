"""ID-1..ID-3, ID-6 and REG-5: identity documents, resident IDs, student numbers, names."""

import random
from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.errors import ContractError
from contracts.ids import (
    DocumentType,
    IdGroup,
    NumberKind,
    Sex,
    dedup_key,
    issue_g,
    issue_j,
    issue_l,
    mod11_2_check_char,
    normalize_name,
    parse_resident_id,
    parse_student_number,
)
from contracts.regions import REGIONS

KNOWN_ID = "11010519491231002X"  # the GB 11643 textbook example: female, born 1949-12-31

region_codes = st.sampled_from(sorted(REGIONS))
birth_dates = st.dates(min_value=date(1900, 1, 1), max_value=date.today())
sequences = st.integers(min_value=0, max_value=999)


def make_id(region_code: str, born: date, sequence: int) -> str:
    body = f"{region_code}{born:%Y%m%d}{sequence:03d}"
    return body + mod11_2_check_char(body)


def make_id_raw(body: str) -> str:
    return body + mod11_2_check_char(body)


resident_ids = st.builds(make_id, region_codes, birth_dates, sequences)


def test_id2_known_id_check_char() -> None:
    assert mod11_2_check_char(KNOWN_ID[:17]) == "X"
    assert mod11_2_check_char("34052419800101001") == "X"
    # Hand-checked: weighted sum 254 ≡ 1 (mod 11) -> "0".
    assert mod11_2_check_char("11010119900307867") == "0"


@given(st.text(alphabet="0123456789", min_size=17, max_size=17))
def test_id2_check_char_roundtrip_for_any_body(body: str) -> None:
    check = mod11_2_check_char(body)
    full = body + check
    # A correct check char makes the weighted sum over all 18 positions == 1 (mod 11).
    weights = [2 ** (17 - i) % 11 for i in range(18)]
    values = [10 if c == "X" else int(c) for c in full]
    assert sum(v * w for v, w in zip(values, weights, strict=True)) % 11 == 1


def test_id2_parses_known_id() -> None:
    parsed = parse_resident_id(KNOWN_ID)
    assert parsed.number == KNOWN_ID
    assert parsed.region_code == "110105"
    assert parsed.birth_date == date(1949, 12, 31)
    assert parsed.sex is Sex.FEMALE


def test_id2_lowercase_x_is_normalised() -> None:
    assert parse_resident_id("  11010519491231002x ").number == KNOWN_ID


def expect_error(raw: str, code: str) -> ContractError:
    with pytest.raises(ContractError) as info:
        parse_resident_id(raw, field="id_no")
    assert info.value.code == code
    assert info.value.field == "id_no"
    return info.value


def test_id2_rejects_15_digit_id() -> None:
    error = expect_error("110105491231002", "bad_length")
    assert "身份证号码应为18位，当前为15位" in error.message
    assert str(error).startswith("id_no: ")


@pytest.mark.parametrize("length", [16, 17])
def test_id2_rejects_17_digit_id(length: int) -> None:
    error = expect_error(KNOWN_ID[:length], "bad_length")
    assert error.message == f"身份证号码应为18位，当前为{length}位"


@pytest.mark.parametrize("raw", ["1101051949123100AX", "11010519491231002Y", "1101051949１231002X"])
def test_id2_rejects_bad_format(raw: str) -> None:
    expect_error(raw, "bad_format")


@given(resident_ids, st.sampled_from("0123456789X"))
def test_id2_rejects_bad_checksum(number: str, replacement: str) -> None:
    if replacement == number[17]:
        assert parse_resident_id(number).number == number
        return
    expect_error(number[:17] + replacement, "bad_checksum")


@pytest.mark.parametrize("birth", ["19490230", "19491301", "18991231", "29990101"])
def test_id2_rejects_impossible_birth_date(birth: str) -> None:
    expect_error(make_id_raw(f"110105{birth}002"), "invalid_birth_date")


def test_id2_rejects_future_birth_date() -> None:
    tomorrow = date.today() + timedelta(days=1)
    expect_error(make_id_raw(f"110105{tomorrow:%Y%m%d}002"), "invalid_birth_date")


@pytest.mark.parametrize("prefix", ["990105", "000000", "100105", "720000"])
def test_id2_rejects_unknown_region(prefix: str) -> None:
    expect_error(make_id_raw(f"{prefix}19491231002"), "unknown_region")


@given(region_codes, birth_dates, sequences)
def test_id2_derives_birth_date_and_sex(region_code: str, born: date, sequence: int) -> None:
    parsed = parse_resident_id(make_id(region_code, born, sequence))
    assert parsed.region_code == region_code
    assert parsed.birth_date == born
    assert parsed.sex is (Sex.MALE if sequence % 2 else Sex.FEMALE)


def test_id1_document_groups() -> None:
    assert DocumentType.RESIDENT_ID.group is IdGroup.RESIDENT
    assert DocumentType.NONE.group is IdGroup.NO_DOCUMENT
    for code in "6789A":
        assert DocumentType(code).group is IdGroup.HMT_FOREIGN
    assert DocumentType("1").label == "居民身份证"
    assert DocumentType.TAIWAN.label == "台湾居民来往大陆通行证"
    assert DocumentType.NONE.label == "其他"
    assert [d.value for d in DocumentType] == list("16789AZ")
    assert (Sex.MALE.label, Sex.FEMALE.label) == ("男", "女")


def test_id3_g_number_wraps_valid_resident_id() -> None:
    number = issue_g(parse_resident_id(KNOWN_ID))
    assert str(number) == "G" + KNOWN_ID
    assert number.kind is NumberKind.FORMAL_RESIDENT and number.is_formal
    assert parse_student_number("g11010519491231002x") == number
    with pytest.raises(ContractError) as info:
        parse_student_number("G11010519491231003X")
    assert (info.value.code, info.value.field) == ("bad_student_number", "student_number")


@given(region_codes, birth_dates, sequences, st.sampled_from("0123456789X"))
def test_id3_j_number_check_digit(region: str, born: date, sequence: int, corrupt: str) -> None:
    number = issue_j(region, born, sequence)
    assert number.value == f"J{region}{born:%Y%m%d}{sequence:03d}" + number.value[-1]
    assert parse_student_number(number.value) == number
    assert number.is_formal
    if corrupt != number.value[-1]:
        with pytest.raises(ContractError, match="校验位"):
            parse_student_number(number.value[:-1] + corrupt)


def test_id3_j_number_rejects_out_of_range_sequence() -> None:
    with pytest.raises(ContractError):
        issue_j("340102", date(2015, 3, 1), 1000)


@pytest.mark.parametrize(
    "raw", ["L44162320030616008X", "L4416232003061600A6", "L460202198906180024"]
)
def test_id3_l_numbers_from_seeds_parse(raw: str) -> None:
    number = parse_student_number(raw)
    assert number.kind is NumberKind.TEMPORARY
    assert not number.is_formal
    assert str(number) == raw


@pytest.mark.parametrize(
    "raw",
    ["L44162320030632008X", "L99162320030616008X", "L4416232003061600a", "X44162320030616008X"],
)
def test_id3_rejects_bad_student_numbers(raw: str) -> None:
    with pytest.raises(ContractError) as info:
        parse_student_number(raw)
    assert info.value.code == "bad_student_number"


@given(region_codes, birth_dates, st.integers(min_value=0))
def test_id3_l_number_issue_roundtrip(region: str, born: date, seed: int) -> None:
    number = issue_l(region, born, random.Random(seed))
    assert number.value.startswith(f"L{region}{born:%Y%m%d}")
    assert len(number.value) == 19
    assert parse_student_number(number.value) == number


def test_id6_name_inner_spaces_stripped() -> None:
    assert normalize_name(" 欧阳\u3000 娜 娜\t") == "欧阳娜娜"
    assert normalize_name("张三") == "张三"
    for bad in ["", " \u3000 ", "名" * 51]:
        with pytest.raises(ContractError) as info:
            normalize_name(bad, field="xm")
        assert (info.value.field, info.value.code) == ("xm", "bad_name")


def test_reg5_dedup_key_by_group() -> None:
    born = date(2015, 3, 1)
    resident = dedup_key(DocumentType.RESIDENT_ID, "11010519491231002x", "张三", None, None)
    assert resident == "id:" + KNOWN_ID
    assert dedup_key(DocumentType.PASSPORT, " e1234567 ", "X", None, None) == "doc:A:E1234567"
    assert dedup_key(DocumentType.HONG_KONG, "h123", "X", None, None) == "doc:6:H123"
    nsb = dedup_key(DocumentType.NONE, None, " 李 四 ", Sex.MALE, born)
    assert nsb == "nsb:李四|1|2015-03-01"
    missing = [
        (DocumentType.RESIDENT_ID, None, Sex.MALE, born, "id_number"),
        (DocumentType.TAIWAN, "  ", Sex.MALE, born, "id_number"),
        (DocumentType.NONE, None, None, born, "sex"),
        (DocumentType.NONE, None, Sex.FEMALE, None, "birth_date"),
    ]
    for doc, number, sex, birth, field in missing:
        with pytest.raises(ContractError) as info:
            dedup_key(doc, number, "李四", sex, birth)
        assert info.value.field == field
