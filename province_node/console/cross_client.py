"""The cross-province calls the console needs, one per API.md endpoint (XPT, PGE, QRY-4).

The pages depend only on `CrossProvinceClient`; `client_for` (the one place that wires it)
returns `NodeCases`, which calls the node's own API endpoint functions for
`/api/v1/transfers…`, `/api/v1/enrollments…` and `/api/v1/national/students` in-process
(province_node/console/node_cases.py). On a node without that API every call raises
`FeatureUnavailable` and the pages say the feature is not available yet.
"""

from __future__ import annotations

from typing import Literal, Protocol

from fastapi import Request

from xueji.access.sessions import Session
from xueji.console.kit import FeatureUnavailable

Kind = Literal["transfers", "enrollments"]
__all__ = ["CrossProvinceClient", "FeatureUnavailable", "Kind", "client_for"]


class CrossProvinceClient(Protocol):
    """`kind` is `transfers` (跨省转学, XPT) or `enrollments` (毕业后跨省就学, PGE)."""

    async def national_student(
        self, name: str, student_number: str | None = None, id_number: str | None = None
    ) -> dict:
        """GET /api/v1/national/students?name=&student_number= (or &id_number=)."""

    async def create(self, kind: Kind, body: dict) -> dict:
        """POST /api/v1/{kind} {student_name, student_number, target_grade,
        target_class_code, reason, proof?} → {id, status, step, …}."""

    async def pending(self, kind: Kind) -> list[dict]:
        """GET /api/v1/{kind}/pending → the cases awaiting the caller's unit."""

    async def decide(
        self, kind: Kind, case_id: str, approve: bool, opinion: str, ground: str | None = None
    ) -> dict:
        """POST /api/v1/{kind}/{id}/decisions {approve, opinion, ground?} (`ground`: PGE-3)."""

    async def revoke(self, kind: Kind, case_id: str) -> dict:
        """POST /api/v1/{kind}/{id}/revoke."""

    async def archive_pull(self, kind: Kind, case_id: str) -> dict:
        """POST /api/v1/{kind}/{id}/archive-pull."""

    async def get(self, kind: Kind, case_id: str) -> dict:
        """GET /api/v1/{kind}/{id} → {id, status, step, student_number, from_province,
        to_province, history: [{step, unit_code, account, decision, opinion, at}]}."""

    async def query(self, kind: Kind, filters: dict[str, str]) -> list[dict]:
        """GET /api/v1/{kind}?… → the cases of the caller's jurisdiction."""


class NotYetAvailable:
    """Every call says the feature is not there yet (the transfer API is not wired)."""

    def __getattr__(self, name: str):
        async def unavailable(*_args: object, **_kwargs: object) -> dict:
            raise FeatureUnavailable(name)

        return unavailable


def client_for(request: Request, user: Session) -> CrossProvinceClient:
    """THE place to wire the transfer API: return an object calling the node's transfer
    service as `user` (the same objects its JSON routers use, never HTTP to itself).

    Tests may put another client factory on `app.state.cross_province_client`.
    """
    ready = getattr(request.app.state, "cross_province_client", None)
    if ready is not None:
        return ready(request, user)
    try:
        from province_node.console.node_cases import NodeCases
    except ImportError:  # a node built without the transfer API
        return NotYetAvailable()
    return NodeCases(request, user)
