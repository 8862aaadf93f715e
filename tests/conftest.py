"""Shared fixtures: a real nats-server per test, stores on SQLite or PostgreSQL, the mesh."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_asyncio
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from tests.support.mesh import Mesh
from tests.support.nats import NatsServer
from tests.support.postgres import fresh_database, postgres_server

# One tracer provider for the whole run, installed before any service configures its own.
SPANS = InMemorySpanExporter()
_provider = TracerProvider()
_provider.add_span_processor(SimpleSpanProcessor(SPANS))
trace.set_tracer_provider(_provider)

PROVINCES = ["34", "44"]


@pytest.fixture
def nats_server(tmp_path: Path) -> Iterator[NatsServer]:
    server = NatsServer(tmp_path / "nats")
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def postgres_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with postgres_server(tmp_path_factory.mktemp("postgres")) as url:
        yield url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store_urls(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """One database per service, on the backend the test is parametrised with."""
    services = ["hub", *PROVINCES]
    if request.param == "sqlite":
        return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in services}
    server = request.getfixturevalue("postgres_url")
    prefix = request.node.name.split("[")[0][-30:].lower()
    return {s: fresh_database(server, f"{prefix}_{s}") for s in services}


@pytest.fixture
async def mesh(nats_server: NatsServer, store_urls: dict[str, str]) -> AsyncIterator[Mesh]:
    mesh = Mesh(nats_server.url, store_urls, PROVINCES)
    await mesh.start_all()
    try:
        yield mesh
    finally:
        await mesh.stop_all()


@pytest.fixture(scope="module")
def module_nats(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NatsServer]:
    """A nats-server for a whole module (with `module_mesh`)."""
    server = NatsServer(tmp_path_factory.mktemp("nats"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def module_mesh(module_nats: NatsServer, tmp_path_factory) -> AsyncIterator[Mesh]:
    """One mesh (SQLite stores) for the modules whose tests share the demo data and only add
    to it; such a module overrides `mesh` with it."""
    stores = tmp_path_factory.mktemp("stores")
    urls = {s: f"sqlite:///{stores / f'{s}.sqlite'}" for s in ["hub", *PROVINCES]}
    mesh = Mesh(module_nats.url, urls, PROVINCES)
    await mesh.start_all()
    try:
        yield mesh
    finally:
        await mesh.stop_all()


@pytest.fixture
def spans() -> InMemorySpanExporter:
    SPANS.clear()
    return SPANS
