"""SYS-2 business calendar, SYS-3 switches, XPT-7/XPT-8/PGE-2 dates and the test clock."""

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contracts.calendar import (
    CalendarNotCovered,
    KeyDates,
    Switches,
    Window,
    YearCalendar,
    add_working_days,
    covers,
    is_working_day,
    missing_years,
    statutory_year,
    working_days_between,
)
from contracts.errors import ContractError
from xueji.clock import SHANGHAI, FixedClock


def test_sys2_national_day_week_and_make_up_saturday() -> None:
    # 2026 per the State Council arrangement: Oct 1–7 off, Sun Sep 20 and Sat Oct 10 worked.
    assert not any(is_working_day(date(2026, 10, day)) for day in range(1, 8))
    assert is_working_day(date(2026, 10, 10))  # Saturday, make-up working day
    assert is_working_day(date(2026, 9, 20))  # Sunday, make-up working day
    assert not is_working_day(date(2026, 10, 11))  # ordinary Sunday
    assert not is_working_day(date(2026, 9, 25))  # Mid-Autumn Festival, a Friday
    assert add_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)


def test_xpt7_ten_working_days_span_the_national_day_holiday() -> None:
    # Sep 28, 29, 30, Oct 8, 9, 10 (Sat), 12, 13, 14, 15.
    assert add_working_days(date(2026, 9, 25), 10) == date(2026, 10, 15)
    assert working_days_between(date(2026, 9, 25), date(2026, 10, 15)) == 10
    assert working_days_between(date(2026, 9, 30), date(2026, 10, 7)) == 0


def test_sys2_weekend_is_not_a_working_day() -> None:
    assert not is_working_day(date(2026, 3, 14))  # Saturday
    assert not is_working_day(date(2026, 3, 15))  # Sunday
    assert is_working_day(date(2026, 3, 16))  # Monday
    assert add_working_days(date(2026, 3, 13), 1) == date(2026, 3, 16)


def test_sys2_zero_working_days_and_reversed_range() -> None:
    assert add_working_days(date(2026, 10, 3), 0) == date(2026, 10, 3)
    assert working_days_between(date(2026, 3, 16), date(2026, 3, 16)) == 0
    assert working_days_between(date(2026, 3, 20), date(2026, 3, 16)) == 0


def test_sys2_uncovered_year_refuses_a_deadline_computation() -> None:
    """Beyond the library's data (2004–2026 in chinese-calendar 1.11) nothing is guessed:
    a Mon–Fri week would make the 2027 Spring Festival a run of working days."""
    with pytest.raises(CalendarNotCovered) as refused:
        add_working_days(date(2026, 12, 24), 10)  # reaches into 2027
    assert refused.value.year == 2027 and refused.value.code == "calendar_year_missing"
    assert "2027年" in refused.value.message and "教育部" in refused.value.message
    with pytest.raises(CalendarNotCovered):
        is_working_day(date(2003, 6, 2))  # before the library's range as well
    assert not covers(2027) and covers(2026)
    assert missing_years(date(2026, 6, 1)) == []
    assert missing_years(date(2026, 12, 1)) == [2027]  # a December deadline reaches January


#: New Year's Day, and Fri Feb 5 – Thu Feb 11 for the Spring Festival (an illustration).
HOLIDAYS_2027 = ["2027-01-01", *(f"2027-02-{d:02d}" for d in range(5, 12))]
MAKE_UP_2027 = ["2027-02-14", "2027-02-20"]  # a Sunday and a Saturday worked


def test_sys2_entered_year_is_used_by_every_working_day_function() -> None:
    entered = {2027: YearCalendar.entered(2027, HOLIDAYS_2027, MAKE_UP_2027)}
    assert not is_working_day(date(2027, 2, 8), entered)  # a Monday of the holiday
    assert is_working_day(date(2027, 2, 14), entered)  # make-up Sunday
    assert is_working_day(date(2027, 2, 15), entered)  # an ordinary Monday
    # Feb 4 (Thu) +1 → Feb 12 (Fri), then Sun 14, Mon 15 … : the holiday is skipped.
    assert add_working_days(date(2027, 2, 3), 2, entered) == date(2027, 2, 12)
    assert add_working_days(date(2027, 2, 3), 3, entered) == date(2027, 2, 14)
    assert working_days_between(date(2027, 2, 4), date(2027, 2, 15), entered) == 3
    assert add_working_days(date(2026, 12, 24), 10, entered) == date(2027, 1, 8)
    assert covers(2027, entered) and missing_years(date(2026, 12, 1), entered) == []


@pytest.mark.parametrize(
    ("holidays", "workdays", "field", "code"),
    [
        (["2028-01-01"], [], "holidays", "wrong_year"),
        (["2027-13-01"], [], "holidays", "bad_date"),
        ([], [], "holidays", "holidays_required"),
        (HOLIDAYS_2027, ["2027-02-15"], "workdays", "workday_not_weekend"),  # a Monday
        (HOLIDAYS_2027, ["2027-02-06"], "workdays", "holiday_and_workday"),
    ],
)
def test_sys2_an_entered_year_is_checked(holidays, workdays, field: str, code: str) -> None:
    with pytest.raises(ContractError) as refused:
        YearCalendar.entered(2027, holidays, workdays)
    assert (refused.value.field, refused.value.code) == (field, code)


def test_sys2_library_years_read_as_entered_ones() -> None:
    year = statutory_year(2026)
    assert year is not None and date(2026, 10, 1) in year.holidays
    assert date(2026, 10, 10) in year.workdays
    assert statutory_year(2027) is None


@given(
    start=st.dates(min_value=date(2004, 1, 1), max_value=date(2026, 11, 1)),
    n=st.integers(min_value=0, max_value=40),
)
def test_sys2_working_days_between_inverts_add_working_days(start: date, n: int) -> None:
    end = add_working_days(start, n)
    assert working_days_between(start, end) == n
    assert n == 0 or is_working_day(end)


@given(start=st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 11, 1)))
def test_sys2_entered_year_keeps_the_inverse(start: date) -> None:
    entered = {2027: YearCalendar.entered(2027, HOLIDAYS_2027, MAKE_UP_2027)}
    end = add_working_days(start, 10, entered)
    assert working_days_between(start, end, entered) == 10 and is_working_day(end, entered)


def test_xpt8_transfer_freeze_jul15_to_aug14_inclusive() -> None:
    dates = KeyDates()
    assert not dates.transfers_frozen(date(2026, 7, 14))
    assert dates.transfers_frozen(date(2026, 7, 15))
    assert dates.transfers_frozen(date(2026, 8, 14))
    assert not dates.transfers_frozen(date(2026, 8, 15))


def test_pge2_windows() -> None:
    dates = KeyDates()
    for open_day in (date(2026, 8, 15), date(2026, 12, 14), date(2027, 3, 1), date(2027, 5, 31)):
        assert dates.pge_open(open_day), open_day
    for shut in (date(2026, 12, 15), date(2027, 2, 28), date(2027, 6, 1), date(2026, 8, 14)):
        assert not dates.pge_open(shut), shut


def test_sys2_window_wrapping_the_year_end() -> None:
    winter = Window((12, 20), (2, 10))
    assert winter.contains(date(2026, 12, 31))
    assert winter.contains(date(2027, 1, 1))
    assert winter.contains(date(2027, 2, 10))
    assert not winter.contains(date(2027, 2, 11))
    assert not winter.contains(date(2026, 12, 19))


def test_sys2_key_date_defaults() -> None:
    dates = KeyDates()
    assert dates.promotion == (8, 10)
    assert dates.graduation_deadline == (7, 30)
    assert dates.pge_admission_deadline == (11, 30)


def test_sys2_province_override_of_key_dates() -> None:
    base = KeyDates()
    local = base.with_overrides({"promotion": [8, 20], "transfer_freeze": Window((7, 1), (8, 31))})
    assert local.promotion == (8, 20)
    assert local.transfers_frozen(date(2026, 7, 1))
    assert local.transfers_frozen(date(2026, 8, 31))
    assert not base.transfers_frozen(date(2026, 7, 1))  # the national defaults are untouched
    assert KeyDates.model_validate(local.model_dump(mode="json")) == local
    with pytest.raises(ContractError) as unknown:
        base.with_overrides({"exam_day": [6, 7]})
    assert (unknown.value.field, unknown.value.code) == ("exam_day", "unknown_key_date")
    with pytest.raises(ContractError) as invalid:
        base.with_overrides({"graduation_deadline": [2, 30]})
    assert (invalid.value.field, invalid.value.code) == ("graduation_deadline", "invalid_key_date")


def test_sys3_switch_defaults_and_unknown_switch_refused() -> None:
    switches = Switches()
    assert switches.model_dump() == {
        "instant_dedup": True,
        "auth_failure_blocks": False,
        "under_age_blocks": False,
        "registration_open": True,
        "auto_archive_pull": False,
    }
    closed = switches.with_changes(registration_open=False)
    assert closed.registration_open is False
    assert switches.registration_open is True
    assert Switches.model_validate(closed.model_dump(mode="json")) == closed
    with pytest.raises(ContractError) as unknown:
        switches.with_changes(auto_graduate=True)
    assert (unknown.value.field, unknown.value.code) == ("auto_graduate", "unknown_switch")
    with pytest.raises(ContractError) as invalid:
        switches.with_changes(instant_dedup="false")  # type: ignore[arg-type]
    assert invalid.value.code == "invalid_switch"


def test_sys2_fixed_clock_moves_only_when_told() -> None:
    clock = FixedClock(datetime(2026, 9, 30, 23, 30, tzinfo=SHANGHAI))
    assert clock.today() == date(2026, 9, 30)
    clock.advance(timedelta(hours=1))
    assert clock.now() == datetime(2026, 10, 1, 0, 30, tzinfo=SHANGHAI)
    clock.advance(days=7)
    assert clock.today() == date(2026, 10, 8)
    clock.set(datetime(2026, 7, 14, 16, 30, tzinfo=UTC))  # already Jul 15 in Beijing
    assert clock.today() == date(2026, 7, 15)
    assert clock.now().tzinfo is SHANGHAI
    with pytest.raises(ValueError):
        FixedClock(datetime(2026, 1, 1))
