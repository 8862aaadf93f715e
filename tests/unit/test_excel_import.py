"""Excel registration import: templates, whole-file refusals and per-row problems (REG-4)."""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from datetime import date, datetime
from io import BytesIO

import pytest
from openpyxl import Workbook, load_workbook

from contracts.errors import ContractError
from contracts.ids import IdGroup
from province_node.excel.reader import ImportResult, RowProblem, read_registration_file
from province_node.excel.templates import TEMPLATE_VERSION, build_template
from tests.support.people import resident_id

TODAY = date(2026, 11, 22)  # school year 2026: entrants must be 6 by 2026-08-31
SCHOOL = "3440106002"
CLASSES = {"2026101", "2026102", "2026201"}
CHILD = resident_id(born=date(2020, 3, 9), sequence=123)  # odd sequence: male
GUARDIAN_ID = resident_id(born=date(1985, 1, 2), sequence=22)
HEADER = [
    "姓名",
    "身份证件类型",
    "身份证件号",
    "性别",
    "出生日期",
    "民族",
    "班号",
    "监护人1姓名",
    "监护人1关系",
    "监护人1身份证件类型",
    "监护人1身份证件号",
]

Row = dict[str, object]


def _child(sequence: int = 123, born: date = date(2020, 3, 9), **cells: object) -> Row:
    row: Row = {
        "姓名": "张三",
        "身份证件类型": "1-居民身份证",
        "身份证件号": resident_id(born=born, sequence=sequence),
        "民族": "01-汉族",
        "班号": "2026101",
    }
    return row | cells


def _foreigner(number: str, **cells: object) -> Row:
    row: Row = {
        "姓名": "Anna",
        "身份证件类型": "A-护照",
        "身份证件号": number,
        "性别": "2-女",
        "出生日期": "2014-05-01",
        "班号": "2026201",
    }
    return row | cells


def _file(
    *rows: Row | None,
    group: IdGroup = IdGroup.RESIDENT,
    entry: str = "primary",
    edit: Callable[[Workbook], None] | None = None,
) -> bytes:
    """A freshly downloaded template with rows from row 2 on (None leaves a row blank)."""
    workbook = load_workbook(BytesIO(build_template(group, entry)))
    sheet = workbook["学籍注册"]
    for number, row in enumerate(rows, start=2):
        for title, value in (row or {}).items():
            sheet.cell(row=number, column=HEADER.index(title) + 1, value=value)
    if edit is not None:
        edit(workbook)
    out = BytesIO()
    workbook.save(out)
    return out.getvalue()


def _read(data: bytes, **overrides: object) -> ImportResult:
    arguments: dict = {
        "filename": "一年级.xlsx",
        "id_group": IdGroup.RESIDENT,
        "entry": "primary",
        "school_code": SCHOOL,
        "known_classes": CLASSES,
        "today": TODAY,
    }
    return read_registration_file(data, **(arguments | overrides))


def _messages(result: ImportResult) -> list[str]:
    return [message for problem in result.problems for message in problem.messages]


def _dropdown(workbook: Workbook, title: str) -> list[str]:
    """The entries offered by the drop-down of one column, read through its list formula."""
    letter = "ABCDEFGHIJK"[HEADER.index(title)]
    sheet = workbook["学籍注册"]
    for validation in sheet.data_validations.dataValidation:
        if f"{letter}2" in validation.sqref and validation.type == "list":
            sheet_name, cell_range = validation.formula1.split("!")
            codes = workbook[sheet_name.strip("'")]
            return [row[0].value for row in codes[cell_range.replace("$", "")]]
    raise AssertionError(f"no drop-down on {title}")


def test_reg4_template_has_dropdowns_and_code_sheet() -> None:
    workbook = load_workbook(BytesIO(build_template(IdGroup.RESIDENT, "primary")))
    assert workbook.sheetnames == ["学籍注册", "代码表", "填写说明"]
    assert [cell.value for cell in workbook["学籍注册"][1]] == HEADER
    assert workbook["代码表"].sheet_state == "hidden"
    assert workbook["代码表"]["B1"].value == TEMPLATE_VERSION
    assert _dropdown(workbook, "性别") == ["1-男", "2-女"]
    assert _dropdown(workbook, "身份证件类型") == ["1-居民身份证"]
    ethnicities = _dropdown(workbook, "民族")
    assert len(ethnicities) == 58
    assert ethnicities[:2] == ["01-汉族", "02-蒙古族"]
    assert ethnicities[-3:] == ["56-基诺族", "97-其他", "98-外国血统中国籍人士"]
    assert "A-护照" in _dropdown(workbook, "监护人1身份证件类型")
    assert "入学年龄不符合要求" in str(workbook["填写说明"]["A11"].value)
    foreign = load_workbook(BytesIO(build_template(IdGroup.HMT_FOREIGN, "non_primary")))
    assert [code[0] for code in _dropdown(foreign, "身份证件类型")] == ["6", "7", "8", "9", "A"]


def test_reg1_no_document_template_refused() -> None:
    with pytest.raises(ContractError) as caught:
        build_template(IdGroup.NO_DOCUMENT, "primary")
    assert (caught.value.field, caught.value.code) == ("id_group", "not_importable")
    with pytest.raises(ContractError) as caught:
        _read(_file(_child()), id_group=IdGroup.NO_DOCUMENT)
    assert caught.value.code == "not_importable"


def test_reg4_valid_rows_pass_and_bad_rows_report_row_and_column() -> None:
    bad = CHILD[:-1] + ("0" if CHILD[-1] != "0" else "1")
    result = _read(_file(_child(), _child(**{"身份证件号": bad}), _child(sequence=124)))
    assert (result.result, result.rows, result.passed, result.failed) == ("处理失败", 3, 2, 1)
    assert result.problems == [RowProblem(3, ["第3行: 身份证件号 身份证号码校验位不正确"], True)]
    assert [row for row, _ in result.valid] == [2, 4]
    first = result.valid[0][1].form
    assert (first.entry, first.id_number, first.sex, first.birth_date) == (
        "primary",
        CHILD,
        "1",
        date(2020, 3, 9),
    )
    assert (first.class_code, first.school_code, first.ethnicity) == ("2026101", SCHOOL, "01")
    assert result.valid[0][1].dedup_key == f"id:{CHILD}"


def test_reg4_all_problems_of_a_row_reported() -> None:
    bad = CHILD[:-1] + ("0" if CHILD[-1] != "0" else "1")
    row = _child(
        **{
            "姓名": " ",
            "身份证件号": bad,
            "民族": "99",
            "班号": "2026109",
            "监护人1姓名": "张父",
            "监护人1关系": "父亲",
            "监护人1身份证件类型": "1-居民身份证",
            "监护人1身份证件号": "440106850102123",
        }
    )
    result = _read(_file(row))
    assert result.result == "处理失败"
    assert result.problems[0].messages == [
        "第2行: 姓名 姓名不能为空",
        "第2行: 身份证件号 身份证号码校验位不正确",
        "第2行: 民族 不在代码表中：99",
        "第2行: 班号 本校不存在该班号：2026109",
        "第2行: 监护人1身份证件号 身份证号码应为18位，当前为15位（15位旧身份证号码已停用，"
        "请使用18位号码）",
    ]


def test_reg4_age_problem_is_a_warning_not_a_blocker() -> None:
    young = _child(born=date(2020, 9, 1))  # turns 6 the day after the cut-off
    just_six = _child(born=date(2020, 8, 31), sequence=125)
    result = _read(_file(young, just_six))
    assert (result.result, result.passed, result.failed) == ("处理成功", 2, 0)
    assert result.warnings == [RowProblem(2, ["第2行: 入学年龄不符合要求"], False)]
    assert result.problems == result.warnings
    grown = _read(_file(young, entry="non_primary"), entry="non_primary")
    assert (grown.result, grown.problems) == ("处理成功", [])


def test_reg8_under_age_blocks_when_switched_on() -> None:
    young = _child(born=date(2020, 9, 1))
    result = _read(_file(young, _child(sequence=125)), under_age_blocks=True)
    assert (result.result, result.passed, result.failed) == ("处理失败", 1, 1)
    assert result.problems == [RowProblem(2, ["第2行: 入学年龄不符合要求"], True)]
    assert result.warnings == []
    assert [row for row, _ in result.valid] == [3]


def test_reg4_unknown_class_blocks_the_row() -> None:
    rows = (_child(**{"班号": "2026109"}), _child(sequence=125, **{"班号": 2026102}))
    result = _read(_file(*rows, _child(sequence=127, **{"班号": "20261"})))
    assert (result.passed, result.failed) == (1, 2)
    assert _messages(result)[0] == "第2行: 班号 本校不存在该班号：2026109"
    assert _messages(result)[1].startswith("第4行: 班号 班号应为7位")
    assert result.valid[0][0] == 3
    assert result.valid[0][1].form.class_code == "2026102"


def test_reg4_empty_rows_skipped() -> None:
    spaces = {"姓名": "  ", "身份证件号": " "}
    result = _read(_file(_child(), None, spaces, _child(sequence=125)))
    assert (result.result, result.rows, result.passed, result.problems) == ("处理成功", 2, 2, [])
    assert [row for row, _ in result.valid] == [2, 5]


def test_id6_inner_spaces_in_names_stripped_on_import() -> None:
    guardian = {
        "监护人1姓名": " 张 父 ",
        "监护人1关系": "父亲",
        "监护人1身份证件类型": "1-居民身份证",
        "监护人1身份证件号": GUARDIAN_ID,
    }
    rows = (
        _child(**{"姓名": "张 三"}, **guardian),
        _child(sequence=125, **{"姓名": "欧阳\u3000娜娜"}),
    )
    result = _read(_file(*rows))
    assert result.result == "处理成功"
    forms = [valid.form for _, valid in result.valid]
    assert [form.name for form in forms] == ["张三", "欧阳娜娜"]
    assert forms[0].guardians == [
        {"name": "张父", "relation": "父亲", "id_type": "1", "id_number": GUARDIAN_ID}
    ]


def test_reg4_wrong_template_missing_column_named() -> None:
    def rename(workbook: Workbook) -> None:
        workbook["学籍注册"]["G1"] = "班级"

    result = _read(_file(_child(), edit=rename))
    assert (result.result, result.rows, result.passed, result.valid) == ("不符合模板", 0, 0, [])
    assert [(p.row, p.blocking) for p in result.problems] == [(0, True)]
    assert result.problems[0].messages[0].startswith("不符合模板：缺少列 班号。请重新下载模板")


def test_reg4_template_version_and_id_group_checked() -> None:
    def old_version(workbook: Workbook) -> None:
        workbook["代码表"]["B1"] = "xueji-reg-2020.1"

    stale = _read(_file(_child(), edit=old_version))
    assert stale.result == "不符合模板"
    assert "模板版本为 xueji-reg-2020.1" in stale.problems[0].messages[0]
    foreign = _read(_file(_foreigner("E1234567"), group=IdGroup.HMT_FOREIGN))
    assert foreign.result == "不符合模板"
    assert "这是港澳台侨外学生的模板，本次导入的是居民身份证学生" in foreign.problems[0].messages[0]


def test_reg4_merged_cells_refused() -> None:
    def merge(workbook: Workbook) -> None:
        workbook["学籍注册"].merge_cells("A3:A4")

    result = _read(_file(_child(), _child(sequence=125), _child(sequence=127), edit=merge))
    assert (result.result, result.valid) == ("不符合模板", [])
    assert "数据区有合并单元格：A3:A4（第3至4行）" in result.problems[0].messages[0]


def _zip_without_content_types() -> bytes:
    out = BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return out.getvalue()


@pytest.mark.parametrize(
    "data",
    [
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(4096),  # OLE2 header of an old .xls
        "姓名,身份证件号\n张三,440106202003091234\n".encode(),
        _zip_without_content_types(),
    ],
    ids=["xls", "csv", "zip"],
)
def test_reg4_xls_renamed_xlsx_refused(data: bytes) -> None:
    result = _read(data, filename="学籍.xlsx")
    assert (result.result, result.rows) == ("不符合模板", 0)
    assert result.problems[0].row == 0
    assert result.problems[0].messages[0].startswith("文件不是 Excel（.xlsx）文件")


def test_reg4_file_too_large_refused_before_parsing() -> None:
    garbage = _read(bytes(2**20 + 1), max_bytes=2**20)  # unparseable, yet the size is reported
    assert garbage.result == "不符合模板"
    assert garbage.problems[0].messages == ["文件大小超过上限 1 MB"]
    data = _file(_child())
    assert _read(data, max_bytes=len(data)).result == "处理成功"
    assert _read(data, max_bytes=len(data) - 1).result == "不符合模板"


def test_reg4_too_many_rows_refused() -> None:
    data = _file(_child(), _child(sequence=125), _child(sequence=127))
    result = _read(data, max_rows=2)
    assert result.result == "不符合模板"
    assert result.problems[0].messages == ["数据超过 2 行，请分成多个文件上传"]
    assert _read(data, max_rows=3).passed == 3


def test_reg4_duplicate_id_in_file() -> None:
    born = date(2020, 3, 9)
    sequence = next(s for s in range(201, 999) if resident_id(born=born, sequence=s)[-1] == "X")
    with_x = resident_id(born=born, sequence=sequence)
    rows = (_child(sequence=sequence), _child(sequence=125))
    result = _read(_file(*rows, _child(**{"身份证件号": with_x.lower()})))
    assert (result.passed, result.failed) == (2, 1)
    assert result.problems == [RowProblem(4, ["第4行: 身份证件号 与第2行重复"], True)]


def test_id2_fifteen_digit_and_contradicting_sex_rejected_per_row() -> None:
    rows = (
        _child(**{"身份证件号": "440106200309123"}),
        _child(**{"性别": "2-女"}),
        _child(sequence=125, **{"出生日期": "2020-03-10"}),
        _child(sequence=127, **{"性别": "男", "出生日期": "20200309"}),
    )
    result = _read(_file(*rows))
    assert (result.passed, result.failed) == (1, 3)
    assert _messages(result) == [
        "第2行: 身份证件号 身份证号码应为18位，当前为15位（15位旧身份证号码已停用，"
        "请使用18位号码）",
        "第3行: 性别 性别与身份证号码不一致",
        "第4行: 出生日期 出生日期与身份证号码不一致",
    ]


def test_reg4_excel_date_cells_and_text_dates_both_read() -> None:
    born = date(2014, 5, 1)
    rows = (
        _foreigner("E1", **{"出生日期": datetime(2014, 5, 1)}),  # an Excel date cell
        _foreigner("E2", **{"出生日期": "2014-05-01"}),
        _foreigner("E3", **{"出生日期": "20140501"}),
        _foreigner("E4", **{"出生日期": 20140501}),
        _foreigner("E5", **{"出生日期": "2014-02-30"}),
    )
    args = {"id_group": IdGroup.HMT_FOREIGN, "entry": "non_primary"}
    data = _file(*rows, group=IdGroup.HMT_FOREIGN, entry="non_primary")
    assert load_workbook(BytesIO(data))["学籍注册"]["E2"].is_date
    result = _read(data, **args)
    assert [valid.form.birth_date for _, valid in result.valid] == [born] * 4
    assert _messages(result) == ["第6行: 出生日期 日期不存在：2014-02-30"]


def test_reg4_hmt_rows_need_sex_and_birth_date_and_their_own_document_types() -> None:
    rows = (
        _foreigner("E1", **{"性别": None}),
        _foreigner("E2", **{"出生日期": None}),
        _foreigner("E3", **{"身份证件类型": "1-居民身份证"}),
        _foreigner("h123", **{"身份证件类型": "6"}),
    )
    args = {"id_group": IdGroup.HMT_FOREIGN, "entry": "non_primary"}
    result = _read(_file(*rows, group=IdGroup.HMT_FOREIGN, entry="non_primary"), **args)
    assert _messages(result) == [
        "第2行: 性别 请填写性别（1 男，2 女）",
        "第3行: 出生日期 出生日期缺失或不合理",
        "第4行: 身份证件类型 1-居民身份证 不属于本模板（只导入港澳台侨外学生）",
    ]
    assert [(row, valid.form.id_number) for row, valid in result.valid] == [(5, "H123")]
    assert result.valid[0][1].dedup_key == "doc:6:H123"


def test_reg8_imported_row_carries_the_under_age_flag_like_a_single_entry() -> None:
    young, grown = _child(born=date(2020, 9, 1)), _child(born=date(2020, 8, 31), sequence=125)
    result = _read(_file(young, grown))
    flags = {row: valid.warnings for row, valid in result.valid}
    assert flags == {2: ("入学年龄不符合要求",), 3: ()}


def test_reg8_import_before_september_counts_to_aug31_of_the_class_year() -> None:
    six_by_aug31 = _child(born=date(2020, 7, 1))  # class 2026101, read on 2026-08-25
    result = _read(_file(six_by_aug31), today=date(2026, 8, 25), under_age_blocks=True)
    assert (result.result, result.problems) == ("处理成功", [])
    assert [valid.warnings for _, valid in result.valid] == [()]
