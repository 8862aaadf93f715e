"""BUS-6 stream repair (issue 17 item 5): the hub asks a province node to publish its log again
from a notification id, as a new epoch, after the province's stream went backwards (request/
reply; the province is in the subject, `contracts.subjects.prov_repair_republish`).

The node's outbox relay goes back to `from_notification_id` and publishes everything from
there with message ids of the new epoch (`<app>:e<epoch>:<notification id>`), so JetStream's
duplicate window drops none of them; the hub, in the same epoch, skips what the stream holds
from before (older epochs) and applies the republished messages in order."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from contracts.envelope import ContractModel, Envelope


class RepublishFrom(ContractModel):
    """Hub → node: publish again from this notification id, as epoch `epoch`."""

    kind: Literal["RepublishFrom"] = "RepublishFrom"
    version: Literal[1] = 1
    envelope: Envelope
    from_notification_id: int = Field(ge=1)
    epoch: int = Field(ge=1)


class RepublishStarted(ContractModel):
    """Node → hub: the relay publishes from `from_notification_id` in `epoch` (its log ends at
    `last_notification_id` now)."""

    kind: Literal["RepublishStarted"] = "RepublishStarted"
    version: Literal[1] = 1
    province: str = Field(pattern=r"^\d{2}$")
    epoch: int = Field(ge=1)
    from_notification_id: int = Field(ge=1)
    last_notification_id: int = Field(ge=0)


def message_id(app: str, notification_id: int, epoch: int) -> str:
    """`Nats-Msg-Id` of a notification: epoch 0 (never repaired) keeps the original form."""
    return f"{app}:{notification_id}" if epoch == 0 else f"{app}:e{epoch}:{notification_id}"


def epoch_of(msg_id: str | None) -> int:
    """The epoch a `Nats-Msg-Id` was published in (0 for the original form or none)."""
    parts = (msg_id or "").split(":")
    if len(parts) >= 3 and parts[1].startswith("e") and parts[1][1:].isdigit():
        return int(parts[1][1:])
    return 0
