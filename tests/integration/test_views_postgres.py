"""The read models on PostgreSQL (AUD-3, QRY-1, QRY-6): the views share the node's database.

The same scenario as `test_views.py`; only the backend differs.
"""

from __future__ import annotations

import pytest

from tests.integration.test_views import LIWAN, PROVINCE, STATS, _tables, scenario
from tests.support.mesh import Mesh

pytestmark = pytest.mark.postgres


@pytest.mark.parametrize("store_urls", ["postgres"], indirect=True)
async def test_aud3_rebuilt_equals_live_on_postgres(mesh: Mesh) -> None:
    ids = await scenario(mesh)
    views = mesh.runtime("44").views
    assert views.engine.dialect.name == "postgresql"
    assert await views.caught_up()
    live = _tables(views)
    for name in views.projectors:
        await views.writer(views.rebuild, name)
    assert _tables(views) == live and len(live["prov44_v_students"]) == 7

    found = await mesh.get(
        "44", "/api/v1/students", as_=PROVINCE, params={"cond": f"school_code:eq:{LIWAN}"}
    )
    assert {i["student_number"] for i in found.json()["items"]} == set(ids["liwan"])
    flags = (await mesh.get("44", STATS, as_=PROVINCE, params={"by": "flags"})).json()
    assert {g["key"]: g["count"] for g in flags["groups"]}["number_G"] == 5
