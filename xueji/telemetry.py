"""OpenTelemetry: one tracer, and the W3C `traceparent` carried in NATS headers (BUS-5)."""

from __future__ import annotations

from collections.abc import Mapping

from opentelemetry import context as otel_context
from opentelemetry import propagate, trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter

TRACER_NAME = "xueji"


def configure_tracing(console: bool = False) -> None:
    """Installs an SDK tracer provider unless one is already installed (tests install theirs)."""
    if isinstance(trace.get_tracer_provider(), TracerProvider):
        return
    provider = TracerProvider()
    if console:
        provider.add_span_processor(BatchSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)


def tracer() -> trace.Tracer:
    return trace.get_tracer(TRACER_NAME)


def current_traceparent() -> str | None:
    """The current context as a `traceparent` string, to store with events for the outbox."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier.get("traceparent")


def trace_headers(traceparent: str | None = None) -> dict[str, str]:
    """Headers carrying either the given stored traceparent or the current context."""
    if traceparent:
        return {"traceparent": traceparent}
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def context_from(headers: Mapping[str, str] | None) -> otel_context.Context:
    """The remote parent context found in message headers (or an empty one)."""
    return propagate.extract(dict(headers or {}))
