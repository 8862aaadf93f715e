"""Time travel (AUD-2): an aggregate as it was at a moment, replayed from its own events.

Generic over applications: the node uses it for students, the hub for its cases. It is
also the one place that reads a naive time: Beijing time, the users' time.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.domain import DomainEventProtocol

from xueji.clock import SHANGHAI


def stored_at(event: DomainEventProtocol) -> datetime:
    """When the library stored the event (wall-clock UTC)."""
    return event.timestamp


def state_as_of(
    app: Application[UUID],
    aggregate_id: UUID,
    at: datetime,
    moment: Callable[[Any], datetime] = stored_at,
) -> Any | None:
    """The aggregate after its last event at or before `at`; None if it did not exist yet.

    A naive `at` is Beijing time (the users' time). `moment` says when an event happened
    (default: its storage time; the hub's cases use their business clock). The version at
    `at` is found from the events in order, then the repository replays up to that
    version (snapshots included, the cache bypassed).
    """
    at = at if at.tzinfo else at.replace(tzinfo=SHANGHAI)
    version = None
    for event in app.events.get(aggregate_id):
        if moment(event) > at:
            break
        version = event.originator_version
    if version is None:
        return None
    try:
        return app.repository.get(aggregate_id, version=version)
    except AggregateNotFoundError:  # removed between the two reads: it is not there
        return None
