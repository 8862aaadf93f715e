"""One data row of an import file → a checked registration or its problems (REG-4, REG-8)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from typing import TypeVar

from contracts.codes import ClassCode
from contracts.errors import ContractError
from contracts.ids import DocumentType, IdGroup, normalize_name, parse_resident_id
from province_node.domain.registration_rules import (
    UNDER_AGE,
    RegistrationForm,
    ValidRegistration,
    is_under_age,
    validate_registration,
)
from province_node.excel import cells
from province_node.excel.columns import (
    ALL_DOCUMENTS,
    COLUMNS,
    ETHNICITIES,
    GROUP_LABELS,
    SEXES,
    column_title,
    group_documents,
)

T = TypeVar("T")
_STAND_IN_NAME = "姓名待改"
_TITLES = [column.title for column in COLUMNS]
_GUARDIAN_KEYS = ("g_name", "g_relation", "g_id_type", "g_id_number")


@dataclass(frozen=True)
class RowContext:
    id_group: IdGroup
    entry: str
    school_code: str
    known_classes: frozenset[str]
    today: date
    under_age_blocks: bool = False


@dataclass(frozen=True)
class RowOutcome:
    valid: ValidRegistration | None
    errors: list[str]  # "列名 说明", each blocks the row
    warnings: list[str]
    document: tuple[str, str] | None  # (id type, number) for duplicates within the file


def check_row(values: dict[str, object], ctx: RowContext) -> RowOutcome:
    errors: dict[str, str] = {}  # field → first message about it
    form = _form(values, ctx, errors)
    _collect(errors, lambda: _known_class(form.class_code, ctx.known_classes))
    valid = _validate(form, ctx, errors)
    ordered = sorted(errors.items(), key=lambda item: _column_position(item[0]))
    messages = [f"{column_title(field)} {message}" for field, message in ordered]
    # REG-8 is reported beside the row's other problems, so it is judged on its own here.
    flagged = _under_age(valid.form if valid else form, ctx)
    warnings = [UNDER_AGE] if flagged and not ctx.under_age_blocks else []
    if flagged and ctx.under_age_blocks:
        messages.append(UNDER_AGE)
    document = (form.id_type, form.id_number.upper()) if form.id_type and form.id_number else None
    return RowOutcome(None if messages else valid, messages, warnings, document)


def _column_position(field: str) -> int:
    """Problems are listed in the order of the columns, as the user reads the row."""
    title = column_title(field)
    return _TITLES.index(title) if title in _TITLES else len(_TITLES)


def _collect(errors: dict[str, str], convert: Callable[[], T]) -> T | None:
    """Runs one check; a ContractError is noted against its field and the row goes on."""
    try:
        return convert()
    except ContractError as error:
        errors.setdefault(error.field, error.message)
        return None


def _form(values: dict[str, object], ctx: RowContext, errors: dict[str, str]) -> RegistrationForm:
    name = cells.text(values.get("name"))
    # validate_registration stops at its first bad field; checking name and guardians up front
    # with the same contract parsers lets one upload report every problem of a row.
    _collect(errors, lambda: normalize_name(name))
    id_type = _collect(errors, lambda: _document_type(values.get("id_type"), ctx.id_group))
    number = _collect(errors, lambda: cells.document_number(values.get("id_number"), "id_number"))
    return RegistrationForm(
        entry=ctx.entry,
        id_type=id_type or "",
        name=name,
        school_code=ctx.school_code,
        class_code=cells.text(values.get("class_code")),
        id_number=number or None,
        sex=_collect(errors, lambda: cells.code(values.get("sex"), SEXES, "sex")),
        birth_date=_collect(errors, lambda: cells.birth_date(values.get("birth_date"))),
        ethnicity=_collect(
            errors, lambda: cells.code(values.get("ethnicity"), ETHNICITIES, "ethnicity")
        ),
        guardians=_guardians(values, errors),
    )


def _document_type(value: object, id_group: IdGroup) -> str:
    doc = cells.code(value, ALL_DOCUMENTS, "id_type")
    if doc is None:
        raise ContractError("id_type", "required", "不能为空")
    if doc not in group_documents(id_group):
        message = f"{doc}-{ALL_DOCUMENTS[doc]} 不属于本模板（只导入{GROUP_LABELS[id_group]}学生）"
        raise ContractError("id_type", "wrong_group", message)
    return doc


def _guardians(values: dict[str, object], errors: dict[str, str]) -> list[dict]:
    """Guardian 1 is optional, but once any of its cells is filled it is checked in full."""
    if all(cells.is_empty(values.get(key)) for key in _GUARDIAN_KEYS):
        return []
    prefix = "guardians[0]"
    id_type = _collect(
        errors, lambda: cells.code(values.get("g_id_type"), ALL_DOCUMENTS, f"{prefix}.id_type")
    )
    if id_type is None:
        errors.setdefault(f"{prefix}.id_type", "不能为空")
    number = _collect(
        errors, lambda: cells.document_number(values.get("g_id_number"), f"{prefix}.id_number")
    )
    name = cells.text(values.get("g_name"))
    _collect(errors, lambda: normalize_name(name, field=f"{prefix}.name"))
    if id_type == DocumentType.RESIDENT_ID.value:
        _collect(errors, lambda: parse_resident_id(number or "", field=f"{prefix}.id_number"))
    relation = cells.text(values.get("g_relation"))
    return [{"name": name, "relation": relation, "id_type": id_type or "", "id_number": number}]


def _known_class(raw: str, known_classes: frozenset[str]) -> None:
    if not raw:
        raise ContractError("class_code", "required", "不能为空")
    code = str(ClassCode.parse(raw))
    if code not in known_classes:  # [004 Q51]
        raise ContractError("class_code", "unknown_class", f"本校不存在该班号：{code}")


def _validate(
    form: RegistrationForm, ctx: RowContext, errors: dict[str, str]
) -> ValidRegistration | None:
    # The rules stop at the first bad field; parts already reported get harmless stand-ins so
    # the identity behind them is still checked. Such a row fails anyway.
    probe = form
    if "name" in errors:
        probe = replace(probe, name=_STAND_IN_NAME)
    if any(field.startswith("guardians") for field in errors):
        probe = replace(probe, guardians=[])
    # The age flag (REG-8) travels with the row; blocking is reported by check_row.
    valid = _collect(
        errors, lambda: validate_registration(probe, today=ctx.today, single_entry=False)
    )
    return None if valid is None or errors else valid


def _under_age(form: RegistrationForm, ctx: RowContext) -> bool:
    return is_under_age(ctx.entry, form.birth_date or _birth_from_id(form), form.class_code)


def _birth_from_id(form: RegistrationForm) -> date | None:
    if form.id_type != DocumentType.RESIDENT_ID.value or not form.id_number:
        return None
    try:
        return parse_resident_id(form.id_number).birth_date
    except ContractError:
        return None
