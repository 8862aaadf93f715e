"""BUS-4 on the node: the hub's notices this node set aside instead of applying — refused by
the contract or the node's rules, or given up after `MAX_DELIVERIES` failed tries — so one
poison notice never blocks the ones behind it, and none is lost: each is kept whole, with the
reason, in the node's own log (`/healthz` shows the count and the latest few)."""

from __future__ import annotations

from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import Aggregate, event

_NS = uuid5(NAMESPACE_URL, "xueji:province:dead-notices")


class DeadNotices(Aggregate):
    KEEP = 20

    @staticmethod
    def create_id() -> UUID:
        return uuid5(_NS, "dead-notices")

    @event("Opened")
    def __init__(self) -> None:
        self.total = 0
        self.latest: list[dict] = []

    def holds(self, sequence: int) -> bool:
        """Message `sequence` of the stream is set aside already (it came back before the
        node's `term` reached the server): not a second time."""
        return any(entry.get("sequence") == sequence for entry in self.latest)

    @event("SetAside")
    def set_aside(self, subject: str, sequence: int, code: str, message: str, deliveries: int,
                  payload: str, meta: dict) -> None:  # fmt: skip
        """`payload` (the notice as received) stays in the event, for a replay, and is told
        to the hub (`NoticeSetAside`, with the notice's own `meta`); the state keeps only
        what `/healthz` shows."""
        self.total += 1
        entry = {"subject": subject, "sequence": sequence, "code": code,
                 "message": message[:300], "deliveries": deliveries}  # fmt: skip
        self.latest = [entry, *self.latest][: self.KEEP]

    def view(self) -> dict:
        return {"total": self.total, "latest": list(self.latest)}

    @staticmethod
    def empty() -> dict:
        return {"total": 0, "latest": []}
