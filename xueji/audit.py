"""Investigations (AUD-5): who did what, when and why, from the event log alone.

Subjects are found generically, so events of aggregates added later (the hub's cases)
are covered: an event is about the students (schools) named by its fields `…student_number`
(`…school_code`, e.g. `from_school_code`); an event naming none is about what its
aggregate's latest event named (a deletion request does not repeat the number), and for
students also what any of its events named. Hence the whole log is read in order and the
window only filters what is printed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Literal

from xueji.clock import SHANGHAI
from xueji.eventlog import LoggedEvent

Kind = Literal["student", "school", "unit"]


@dataclass(frozen=True)
class Query:
    kind: Kind
    key: str
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive
    type: str | None = None  # substring of the event type, any case


@dataclass(frozen=True)
class AuditLine:
    at: str
    type: str
    account: str | None
    unit: str | None
    role: str | None
    subject: str
    outcome: str | None
    reason: str | None
    command_id: str | None
    notification_id: int
    aggregate_id: str


@dataclass
class _Seen:
    """What an aggregate's latest events said it is about (an event naming none keeps them)."""

    students: frozenset[str] = frozenset()
    schools: frozenset[str] = frozenset()
    registration: str | None = None


def parse_time(value: str) -> datetime:
    """ISO 8601 date or time; without a zone it is Beijing time, the users' time."""
    at = datetime.fromisoformat(value)
    return at if at.tzinfo else at.replace(tzinfo=SHANGHAI)


def investigate(read: Callable[[], Iterable[LoggedEvent]], query: Query) -> Iterator[AuditLine]:
    """The matching events in log order; `read()` yields the whole log (twice for students:
    a registration's events before it was numbered are about the student it became)."""
    named = _ever_named(read()) if query.kind == "student" else {}
    seen: dict[str, _Seen] = {}
    for event in read():
        about = seen.setdefault(event.aggregate_id, _Seen())
        _learn(about, event)
        about.students = about.students or named.get(event.aggregate_id, frozenset())
        if _about(query, event, about) and _within(query, event):
            yield _line(event, about)


def _ever_named(events: Iterable[LoggedEvent]) -> dict[str, frozenset[str]]:
    named: dict[str, frozenset[str]] = {}
    for event in events:
        if numbers := _named(event, "student_number"):
            named[event.aggregate_id] = named.get(event.aggregate_id, frozenset()) | numbers
    return named


def _learn(about: _Seen, event: LoggedEvent) -> None:
    students = _named(event, "student_number")
    schools = _named(event, "school_code")
    about.students = students or about.students
    about.schools = schools or about.schools
    registration = event.data.get("registration_id")
    if isinstance(registration, str):
        about.registration = registration


def _named(event: LoggedEvent, suffix: str) -> frozenset[str]:
    """Values of the event's fields named `…<suffix>` (`from_school_code`, `school_code`)."""
    items = event.data.items()
    return frozenset(v for k, v in items if k.endswith(suffix) and isinstance(v, str) and v)


def _label(event: LoggedEvent, about: _Seen) -> str:
    if about.students:
        return "学籍号 " + "/".join(sorted(about.students))
    if about.registration:
        return f"注册 {about.registration}"
    if about.schools:
        return "学校 " + "/".join(sorted(about.schools))
    return f"{event.type.split('.')[0]} {event.aggregate_id}"


def _about(query: Query, event: LoggedEvent, about: _Seen) -> bool:
    if query.kind == "student":
        return query.key in about.students
    if query.kind == "school":
        return query.key in about.schools
    return event.meta.get("unit_code") == query.key


def _within(query: Query, event: LoggedEvent) -> bool:
    if query.type and query.type.lower() not in event.type.lower():
        return False
    if event.at is None:  # an event without a time cannot be placed in a window
        return query.start is None and query.end is None
    if query.start and event.at < query.start:
        return False
    return not (query.end and event.at >= query.end)


def _line(event: LoggedEvent, about: _Seen) -> AuditLine:
    data, meta = event.data, event.meta
    approve = data.get("approve")
    return AuditLine(
        at=event.at.astimezone(SHANGHAI).isoformat(timespec="seconds") if event.at else "",
        type=event.type,
        account=meta.get("account"),
        unit=meta.get("unit_code"),
        role=meta.get("role"),
        subject=_label(event, about),
        outcome=None if approve is None else ("approved" if approve else "rejected"),
        reason=data.get("opinion") or data.get("reason") or meta.get("reason"),
        command_id=meta.get("command_id"),
        notification_id=event.notification_id,
        aggregate_id=event.aggregate_id,
    )


def as_text(line: AuditLine) -> str:
    who = f"{line.account or '-'}@{line.unit or '-'}"
    why = " ".join(x for x in (line.outcome, line.reason and f"「{line.reason}」") if x)
    return f"{line.at}  {line.type:<32} {who:<28} {line.subject}  {why}".rstrip()


def as_json(lines: list[AuditLine], query: Query) -> dict:
    window = {
        "from": query.start.isoformat() if query.start else None,
        "to": query.end.isoformat() if query.end else None,
    }
    return {
        "query": {"kind": query.kind, "key": query.key, "type": query.type, **window},
        "count": len(lines),
        "events": [asdict(line) for line in lines],
    }
