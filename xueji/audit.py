"""Investigations (AUD-5): who did what, when and why, from the event log alone.

Subjects are found generically, so events of aggregates added later (the hub's cases)
are covered: an event is about the students (schools) named by its fields `…student_number`
(`…school_code`, e.g. `from_school_code`) at any depth — a case names them inside `student`,
`in_side` and `out_side` — and the path that named one is kept (`out_side.school_code`: the
school a transfer leaves), so a query may ask for one relation (`via`). An event naming none
is about what its aggregate's latest event named (a decision does not repeat the school),
and for students also what any of its events named. Hence the whole log is read in order
and the window only filters what is printed. An event's time is the business time it
carries (`at`, the clock the case itself shows) or else the store's timestamp.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

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
    via: str | None = None  # substring of the field path that relates the event to `key`


@dataclass(frozen=True)
class AuditLine:
    at: str
    type: str
    account: str | None
    unit: str | None
    role: str | None
    subject: str
    via: str | None  # the field paths that name the queried key, e.g. `out_side.school_code`
    outcome: str | None
    reason: str | None
    command_id: str | None
    notification_id: int
    aggregate_id: str


#: value named → the field paths that named it (`{"3440106002": {"out_side.school_code"}}`)
Named = dict[str, frozenset[str]]


@dataclass
class _Seen:
    """What an aggregate's latest events said it is about (an event naming none keeps them)."""

    students: Named = field(default_factory=dict)
    schools: Named = field(default_factory=dict)
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
        about.students = about.students or named.get(event.aggregate_id, {})
        if _about(query, event, about) and _within(query, event):
            yield _line(event, about, query)


def _ever_named(events: Iterable[LoggedEvent]) -> dict[str, Named]:
    named: dict[str, Named] = {}
    for event in events:
        if numbers := _named(event.data, "student_number"):
            named[event.aggregate_id] = _merge(named.get(event.aggregate_id, {}), numbers)
    return named


def _learn(about: _Seen, event: LoggedEvent) -> None:
    students = _named(event.data, "student_number")
    schools = _named(event.data, "school_code")
    about.students = students or about.students
    about.schools = schools or about.schools
    registration = event.data.get("registration_id")
    if isinstance(registration, str):
        about.registration = registration


def _named(data: Any, suffix: str, path: str = "") -> Named:
    """Values of fields named `…<suffix>` (`from_school_code`, `school_code`) at any depth of
    the event's data, each with the paths that named it."""
    found: Named = {}
    items = data.items() if isinstance(data, dict) else enumerate(data)
    for key, value in items:
        where = f"{path}.{key}" if path and isinstance(key, str) else (path or str(key))
        if isinstance(value, dict | list):
            found = _merge(found, _named(value, suffix, where))
        elif isinstance(key, str) and key.endswith(suffix) and isinstance(value, str) and value:
            found = _merge(found, {value: frozenset({where})})
    return found


def _merge(a: Named, b: Named) -> Named:
    return {k: a.get(k, frozenset()) | b.get(k, frozenset()) for k in a.keys() | b.keys()}


def _label(event: LoggedEvent, about: _Seen) -> str:
    if about.students:
        return "学籍号 " + "/".join(sorted(about.students))
    if about.registration:
        return f"注册 {about.registration}"
    if about.schools:
        return "学校 " + "/".join(sorted(about.schools))
    return f"{event.type.split('.')[0]} {event.aggregate_id}"


def _about(query: Query, event: LoggedEvent, about: _Seen) -> bool:
    if query.kind == "unit":
        return event.meta.get("unit_code") == query.key
    paths = (about.students if query.kind == "student" else about.schools).get(query.key)
    return paths is not None and (query.via is None or any(query.via in p for p in paths))


def _time(event: LoggedEvent) -> datetime | None:
    """The business time the event carries (`at`), else when the store recorded it."""
    at = event.data.get("at")
    if isinstance(at, str):
        try:
            return parse_time(at)
        except ValueError:
            pass
    return event.at


def _within(query: Query, event: LoggedEvent) -> bool:
    if query.type and query.type.lower() not in event.type.lower():
        return False
    at = _time(event)
    if at is None:  # an event without a time cannot be placed in a window
        return query.start is None and query.end is None
    if query.start and at < query.start:
        return False
    return not (query.end and at >= query.end)


def _line(event: LoggedEvent, about: _Seen, query: Query) -> AuditLine:
    data, meta, at = event.data, event.meta, _time(event)
    approve = data.get("approve")
    named = {"student": about.students, "school": about.schools}.get(query.kind, {})
    paths = named.get(query.key)
    return AuditLine(
        at=at.astimezone(SHANGHAI).isoformat(timespec="seconds") if at else "",
        type=event.type,
        account=meta.get("account"),
        unit=meta.get("unit_code"),
        role=meta.get("role"),
        subject=_label(event, about),
        via=", ".join(sorted(paths)) if paths else None,
        outcome=None if approve is None else ("approved" if approve else "rejected"),
        # a decision's opinion, a change's reason, or what a read was (`xueji.access.reads`)
        reason=data.get("opinion")
        or data.get("reason")
        or data.get("what")
        or data.get("purpose")  # an export's (SEC-4)
        or meta.get("reason"),
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
        "query": {
            "kind": query.kind,
            "key": query.key,
            "type": query.type,
            "via": query.via,
            **window,
        },
        "count": len(lines),
        "events": [asdict(line) for line in lines],
    }
