"""Who did it, for which command, why: carried by every stored event (SEC-6, AUD-1)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from uuid import UUID, uuid4

from contracts.envelope import Actor, Envelope


@dataclass(frozen=True)
class CommandMeta:
    account: str
    unit_code: str
    role: str
    command_id: str
    correlation_id: str
    traceparent: str | None = None
    reason: str | None = None

    @classmethod
    def new(
        cls,
        account: str,
        unit_code: str,
        role: str,
        command_id: UUID | None = None,
        traceparent: str | None = None,
    ) -> CommandMeta:
        command = str(command_id or uuid4())
        return cls(account, unit_code, role, command, command, traceparent)

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)

    @classmethod
    def from_envelope(cls, envelope: Envelope) -> CommandMeta:
        """The meta of a command received on the bus."""
        return cls(
            account=envelope.actor.account,
            unit_code=envelope.actor.unit_code,
            role=envelope.actor.role,
            command_id=str(envelope.command_id or envelope.message_id),
            correlation_id=str(envelope.correlation_id),
            traceparent=envelope.traceparent,
        )

    def envelope(self, causation_id: UUID | None = None) -> Envelope:
        """An envelope for a message sent on behalf of this command."""
        return Envelope(
            command_id=UUID(self.command_id),
            correlation_id=UUID(self.correlation_id),
            causation_id=causation_id,
            actor=Actor(account=self.account, unit_code=self.unit_code, role=self.role),
            traceparent=self.traceparent,
        )

    @classmethod
    def from_dict(cls, data: dict) -> CommandMeta:
        return cls(**data)
