"""The message envelope every bus message carries (SPEC SEC-6, BUS-1, BUS-2, BUS-5)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TypeVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from contracts.errors import ContractError


class ContractModel(BaseModel):
    """Base of every wire model: unknown fields fail loudly, values never mutate."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class Actor(ContractModel):
    """Who acts: the account, its unit and its role. No anonymous writes (SEC-6)."""

    account: str = Field(min_length=1, max_length=64)
    unit_code: str = Field(min_length=1, max_length=32)
    role: str = Field(min_length=1, max_length=32)


class Envelope(ContractModel):
    """Identity and lineage of one message.

    `command_id` makes handling idempotent (BUS-2); `correlation_id` ties every message of
    one business case together; `causation_id` names the message that caused this one;
    `traceparent` is the W3C trace context (also sent as a NATS header, BUS-5).
    """

    message_id: UUID = Field(default_factory=uuid4)
    command_id: UUID | None = None
    correlation_id: UUID = Field(default_factory=uuid4)
    causation_id: UUID | None = None
    actor: Actor
    sent_at: datetime = Field(default_factory=lambda: datetime.now(UTC))
    traceparent: str | None = None


M = TypeVar("M", bound=BaseModel)


def decode(model: type[M], data: bytes | str) -> M:
    """Parses a wire message; any problem becomes a ContractError naming the field."""
    try:
        return model.model_validate_json(data)
    except ValidationError as exc:
        raise _contract_error(exc) from None


def _contract_error(exc: ValidationError) -> ContractError:
    first = exc.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "message"
    if first["type"] == "extra_forbidden":
        return ContractError(field, "unknown_field", f"未知字段 {field}")
    if field == "version" or field.endswith(".version"):
        return ContractError(field, "unsupported_version", f"不支持的消息版本: {first['msg']}")
    if first["type"] == "json_invalid":
        return ContractError("message", "malformed", "消息不是合法的 JSON")
    return ContractError(field, "bad_message", f"字段 {field} 不合法: {first['msg']}")
