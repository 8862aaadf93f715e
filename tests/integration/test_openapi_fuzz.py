"""Issue 18's done-when: schemathesis against every service's OpenAPI — every operation of a
province node and of the hub, as a school registrar, a province sysadmin, the ministry's
registrar and its sysadmin, a bounded number of generated requests each — answers with no
server error and no response that breaks its declared schema.

The mesh is served over real HTTP (`tests/support/served.py`); schemathesis sends its
requests from a worker thread so the services keep answering on the test's event loop. The
operations that end the fuzzing account's own session are left out (named below)."""

from __future__ import annotations

import asyncio

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.support.mesh import Mesh
from tests.support.served import served

pytestmark = pytest.mark.asyncio(loop_scope="module")
EXAMPLES = 5  # per operation and account: bounded, so `make test` stays within its budget
#: They end the fuzzing account's own session, so everything after would only see 401.
SESSION_ENDING = ("/api/v1/auth/logout", "/force-offline")
ACCOUNTS = [
    ("44", "3440106001_registrar"),
    ("44", "440000_sysadmin"),
    ("hub", "moe_registrar"),
    ("hub", "moe_sysadmin"),
]


@pytest.fixture(scope="module")
def mesh(module_mesh: Mesh) -> Mesh:
    return module_mesh


def _fuzz(spec: dict, base_url: str, token: str) -> list[str]:
    """Every operation of `spec`, EXAMPLES generated requests each; the failures found."""
    schema = schemathesis.openapi.from_dict(spec)
    failures = []
    for result in schema.get_all_operations():
        operation = result.ok()
        if operation.path.endswith(SESSION_ENDING):
            continue

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
                  suppress_health_check=list(HealthCheck))  # fmt: skip
        def check(case) -> None:
            headers = {
                k: v for k, v in (case.headers or {}).items() if k.lower() != "authorization"
            }
            case.headers = headers | {"Authorization": f"Bearer {token}"}  # not a generated one
            case.call_and_validate(
                base_url=base_url, checks=[not_a_server_error, response_schema_conformance]
            )

        try:
            check()
        except (Exception, BaseExceptionGroup) as failure:  # noqa: BLE001 - listed below
            failures.append(f"{operation.label}: {str(failure)[:800]}")
    return failures


@pytest.mark.parametrize(("service", "account"), ACCOUNTS)
async def test_sec_every_operation_answers_without_server_error_or_schema_break(
    mesh: Mesh, service: str, account: str
) -> None:
    async with served(mesh) as urls:
        token = await mesh.login(service, account)
        async with mesh.client(service) as client:
            spec = (await client.get("/openapi.json")).json()
        assert len(spec["paths"]) > 20  # the whole API, not an empty document
        failures = await asyncio.to_thread(_fuzz, spec, urls[service], token)
    assert not failures, "\n\n".join(failures)
