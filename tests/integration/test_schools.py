"""Schools of the caller's jurisdiction over HTTP (API.md "Organisation", ID-4)."""

from __future__ import annotations

import pytest

from contracts.meta import CommandMeta
from tests.support.mesh import Mesh

PROVINCE = "440000_registrar"


@pytest.fixture
def store_urls(tmp_path) -> dict[str, str]:  # the filter does not depend on the backend
    return {s: f"sqlite:///{tmp_path / f'{s}.sqlite'}" for s in ["hub", "34", "44"]}


def _school(code: str, region_code: str) -> dict:
    """A school standing in `region_code`, supervised by an existing Shenzhen bureau."""
    return {
        "school_code": code,
        "name": f"{region_code}实验小学",
        "region_code": region_code,
        "supervising_unit": "440303",
        "locality_unit": "440303",
        "school_type": "普通中小学",
        "stages": ["1"],
        "school_system": "6-3",
        "classes": [],
    }


async def test_id4_region_filter_compares_by_level(mesh: Mesh) -> None:
    """County 440310 (坪山区) does not contain its neighbour 440311 (光明区)."""
    meta = CommandMeta.new("system", "440000", "sysadmin")
    seeds = [_school("3440310001", "440310"), _school("3440311001", "440311")]
    assert await mesh.runtime("44").schools.load(seeds, meta) == 2
    await mesh.stop("44")  # the organisation tree is built at start
    await mesh.start("44")

    async def codes(region: str) -> set[str]:
        found = await mesh.get("44", "/api/v1/schools", as_=PROVINCE, params={"region": region})
        assert found.status_code == 200, found.text
        return {s["school_code"] for s in found.json()["items"]}

    assert await codes("440310") == {"3440310001"}
    assert await codes("440311") == {"3440311001"}
    assert {"3440310001", "3440311001"} <= await codes("440300")  # the city holds both
    assert "3440106002" not in await codes("440300")
    bad = await mesh.get("44", "/api/v1/schools", as_=PROVINCE, params={"region": "4403"})
    assert bad.status_code == 422 and bad.json()["field"] == "region"
