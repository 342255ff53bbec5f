from __future__ import annotations

from tests.conftest import GQL


async def test_healthz_reports_database(client) -> None:
    response = await client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["database"] == "reachable"


async def test_regions_are_public(gql: GQL) -> None:
    data = await gql.ok("{ regions { code nameKk nameRu nameEn labourDeficit } }")
    regions = data["regions"]
    assert len(regions) == 20
    assert sum(r["labourDeficit"] for r in regions) == 8
    pavlodar = next(r for r in regions if r["code"] == "KZ-55")
    assert pavlodar["nameEn"] == "Pavlodar Region"
    assert pavlodar["nameKk"] == "Павлодар облысы"
