"""Structured JSON logs (structlog) carrying trace id, command id, province, unit, account."""

from __future__ import annotations

import logging
import sys

import structlog
from opentelemetry import trace

_configured = False

#: Keys that must never reach a log line (SPEC SEC-2).
_SECRET_KEYS = frozenset({"password", "old_password", "new_password", "access_token", "token"})


def _add_trace_ids(_logger: object, _name: str, event: dict) -> dict:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event.setdefault("trace_id", format(context.trace_id, "032x"))
        event.setdefault("span_id", format(context.span_id, "016x"))
    return event


def _drop_secrets(_logger: object, _name: str, event: dict) -> dict:
    for key in _SECRET_KEYS & event.keys():
        event[key] = "***"
    return event


class _CurrentStderr:
    """`sys.stderr` as it is when a line is written, not when logging was configured (a
    test's capture, or a process that swaps its streams, may have replaced it since)."""

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stderr; context bound with `structlog.contextvars.bind_contextvars`."""
    global _configured
    if _configured:
        return
    logging.basicConfig(format="%(message)s", stream=sys.stderr, level=level)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _add_trace_ids,
            _drop_secrets,
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(ensure_ascii=False),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level)),
        logger_factory=structlog.PrintLoggerFactory(_CurrentStderr()),
        cache_logger_on_first_use=False,
    )
    _configured = True


def get_logger(name: str) -> structlog.stdlib.BoundLogger:
    return structlog.get_logger(name)


def bind_command(command_id: str, account: str, unit_code: str) -> None:
    """Every later log line of this request or message names its command and actor (BUS-5)."""
    structlog.contextvars.bind_contextvars(command_id=command_id, account=account, unit=unit_code)
