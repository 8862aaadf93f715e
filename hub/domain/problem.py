"""A cross-province problem group 跨省问题学籍 (PRB-1…PRB-4) held on the hub.

The group itself is the shared value `contracts.problems.ProblemGroup` — the one rule of who
acts next, the same the nodes judge in-province groups by. The aggregate stores it as its
dict in every event (each transition is one event carrying the group as it now is), so the
notices to the provinces (`hub.notices`) are read off the events alone.
"""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid4, uuid5

from eventsourcing.domain import Aggregate, event

from contracts.problems import ProblemGroup

_NS = uuid5(NAMESPACE_URL, "xueji:hub:problem")


class CrossProvinceProblem(Aggregate):
    """One group; its id is a uuid the hub makes (`ProblemPair` finds it again)."""

    @staticmethod
    def new_id() -> UUID:
        return uuid4()

    @event("Opened")
    def __init__(self, group: dict, meta: dict) -> None:
        self.group = group
        self.commands: list[str] = []

    @event("Changed")
    def change(self, group: dict, transition: str, meta: dict) -> None:
        """`transition`: started, withdrawn, acted, arbitrated — the group after it."""
        self.group = group
        command_id = meta.get("command_id")
        if command_id and transition == "arbitrated":
            self.commands.append(command_id)

    @property
    def problem(self) -> ProblemGroup:
        return ProblemGroup.model_validate(self.group)

    def seen_command(self, command_id: str) -> bool:
        """BUS-2: an arbitration repeated with the same Idempotency-Key."""
        return command_id in self.commands

    def view(self) -> dict:
        group = self.problem
        return {
            "id": str(self.id),
            "scope": "cross",
            "kind": group.kind.value,
            "kind_label": group.kind.label,
            "state": group.state.value,
            "state_label": group.state.label,
            "winner": group.winner,
            "provinces": group.provinces,
            "locked": any(s.state.value == "acting" for s in group.sides),
            "sides": [
                side.model_dump(mode="json") | {"state_label": side.state.label}
                for side in group.sides
            ],
            "history": list(self.group["history"]),
            "opened_at": self.created_on.isoformat(),
            "last_change": self.modified_on.isoformat(),
            "version": self.version,
        }


class ProblemPair(Aggregate):
    """The groups ever opened for one set of records (sorted student numbers): a redelivered
    or republished event finds the open group instead of opening a second (PRB-1)."""

    @staticmethod
    def create_id(student_numbers: list[str]) -> UUID:
        return uuid5(_NS, "pair:" + ",".join(sorted(student_numbers)))

    @event("Indexed")
    def __init__(self, student_numbers: list[str]) -> None:
        self.student_numbers = sorted(student_numbers)
        self.groups: list[str] = []

    @event("GroupAdded")
    def add(self, group_id: str) -> None:
        self.groups.append(group_id)


class ProblemMembership(Aggregate):
    """The groups a record is a side of: a deletion looks up its groups by number."""

    @staticmethod
    def create_id(student_number: str) -> UUID:
        return uuid5(_NS, f"member:{student_number}")

    @event("Indexed")
    def __init__(self, student_number: str) -> None:
        self.student_number = student_number
        self.groups: list[str] = []

    @event("GroupAdded")
    def add(self, group_id: str) -> None:
        self.groups.append(group_id)
