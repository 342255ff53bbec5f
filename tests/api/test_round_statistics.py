"""Public round statistics (SPEC §17): no token needed, bands of 10 with every
band under 5 hidden as "<5", nothing that identifies a person; also as
/public/rounds.json and /public/rounds.csv with cache headers."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from graphql import GraphQLObjectType, get_named_type, is_leaf_type
from sqlalchemy import select

import models as m
from api.graphql.schema import build_schema
from core.db import transaction
from models.base import ALMATY
from services import quotas, round_statistics
from services.viewer import Viewer
from tests import factories as f
from tests.conftest import GQL

OFFICER = Viewer(subject="officer-1", role="OFFICER")
# What a public statistic may carry: the round, its bands and the region (public reference data).
PUBLIC_TYPES = {"SelectionRoundStatistics", "ScoreBand", "Region"}
PERSONAL = {"fullName", "iin", "birthDate", "sex", "citizenship", "documentNumber", "number", "applicant",
            "applications", "application", "approved", "approvedNumbers", "ranBy", "subject", "ethnicKazakh"}


def test_bands_hide_small_counts_and_what_subtraction_would_reveal() -> None:
    bands = round_statistics.score_bands([505] * 7 + [452, 455] + [471, 472, 478])
    assert [(b.low, b.high, b.count) for b in bands] == [
        (450, 459, "<5"), (460, 469, "<5"), (470, 479, "<5"), (480, 489, "<5"), (490, 499, "<5"), (500, 509, "7")]
    # one hidden band of 3 beside a shown 9: 12 − 9 would give it away, so the 9 is withheld too
    bands = round_statistics.score_bands([600] * 9 + [595] * 3)
    assert [(b.low, b.count) for b in bands] == [(590, "<5"), (600, "≥5")]
    assert round_statistics.score_bands([]) == ()


def possible_counts(bands: tuple[round_statistics.Band, ...], total: int) -> list[tuple[int, ...]]:
    """Every count per band that agrees with what is published: the shown numbers, "<5"
    (0 to 4), "≥5" (5 or more), the total (familiesApproved), somebody in the lowest and
    the highest band (the cut-off score, the bands' range). Found by trying them all."""
    choices = []
    for i, band in enumerate(bands):
        least = 1 if i in (0, len(bands) - 1) else 0
        if band.count.isdigit():
            choices.append([int(band.count)])
        elif band.count == round_statistics.HIDDEN:
            choices.append(range(least, 5))
        else:
            choices.append(range(5, total + 1))
    return [c for c in itertools.product(*choices) if sum(c) == total]


@pytest.mark.parametrize("scores", [
    [401] + [415] * 5 + [425] * 6,  # 12 - 6 and "≥5" in the middle would give the lowest band away
    [401] + [425] * 5,  # the lowest band holds somebody, the highest 5 or more: 6 - 5 = 1
    [401] + [500] * 5,
    [600] * 9 + [595] * 3,
    [505] * 7 + [452, 455] + [471, 472, 478],
], ids=["withheld-middle", "edge", "far-edge", "one-hidden", "spread"])
def test_no_hidden_band_s_number_follows_from_what_is_published(scores: list[int]) -> None:
    bands = round_statistics.score_bands(scores)
    assert sum(1 for s in scores for b in bands if b.low <= s <= b.high) == len(scores)
    for i, band in enumerate(bands):
        if band.count == round_statistics.HIDDEN and len(bands) > 1:
            assert len({c[i] for c in possible_counts(bands, len(scores))}) > 1, (bands, i)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(400, 449), min_size=1, max_size=16))
def test_no_hidden_band_s_number_follows_for_any_round(scores: list[int]) -> None:
    bands = round_statistics.score_bands(scores)
    possible = possible_counts(bands, len(scores))
    counts = [sum(1 for s in scores if b.low <= s <= b.high) for b in bands]
    assert tuple(counts) in possible  # what is published is true
    for i, band in enumerate(bands):
        assert band.count in (str(counts[i]), round_statistics.HIDDEN if counts[i] < 5 else round_statistics.WITHHELD)
        if band.count == round_statistics.HIDDEN and len(bands) > 1:
            assert len({c[i] for c in possible}) > 1, (scores, bands, i)


def leaf_selection(type_: GraphQLObjectType, path: tuple[str, ...] = ()) -> tuple[str, set[str]]:
    """Every leaf field below ``type_`` selected, and the object types met."""
    parts, seen = [], {type_.name}
    for name, field in type_.fields.items():
        named = get_named_type(field.type)
        assert name not in PERSONAL, ".".join((*path, name))
        if is_leaf_type(named):
            parts.append(name)
        else:
            inner, types = leaf_selection(named, (*path, name))
            parts.append(f"{name} {{ {inner} }}")
            seen |= types
    return " ".join(parts), seen


async def round_of_twelve(sessions: Any) -> tuple[int, list[m.Application]]:
    """A round that approves 12 people (12 families of one) on the 2026 quota of KZ-55."""
    async with transaction(sessions) as s:
        quota = await f.kandas_quota(s, "KZ-55", capacity=12)
        apps = [await f.make_passed_application(s, score=score, family_size=1)
                for score in [505, 503, 501, 507, 509, 500, 502, 452, 455, 471, 472, 478, 420]]
        result = await quotas.run_selection_round(s, OFFICER, quota_id=quota.id)
    assert len(result.picks) == 12
    return result.round_id or 0, apps


async def test_a_round_of_twelve_people_shows_no_count_under_5_to_anyone(gql: GQL, sessions: Any) -> None:
    round_id, apps = await round_of_twelve(sessions)
    schema = build_schema()._schema
    selection, types = leaf_selection(schema.get_type("SelectionRoundStatistics"))
    assert types == PUBLIC_TYPES
    query = f'{{ selectionRoundStatistics(year: 2026, regionCode: "kz-55") {{ {selection} }} }}'
    data = await gql.ok(query)  # anonymous: no token
    (stats,) = data["selectionRoundStatistics"]
    async with sessions() as s:
        ran_at = (await s.get(m.SelectionRound, round_id)).ran_at
    assert stats["ranOn"] == ran_at.astimezone(ALMATY).date().isoformat()
    assert (stats["year"], stats["regionCode"], stats["region"]["code"]) == (2026, "KZ-55", "KZ-55")
    assert (stats["seatsOffered"], stats["peopleApproved"], stats["familiesApproved"]) == (12, 12, 12)
    assert stats["cutoffScore"] == 452
    last = apps[7]  # 452: the lowest approved, ranked last
    assert dt.datetime.fromisoformat(stats["tieBreakAt"]) == last.submitted_at
    counts = [b["count"] for b in stats["scoreBands"]]
    assert counts == ["<5", "<5", "<5", "<5", "<5", "7"]
    assert all(c in ("<5", "≥5") or int(c) >= 5 for c in counts)
    # the same for every caller class that asks; another year or region: nothing
    for who in ({"role": "APPLICANT", "subject": "bob"}, {"role": "OFFICER"}):
        assert (await gql.ok(query, **who))["selectionRoundStatistics"] == [stats]
    assert (await gql.ok("{ selectionRoundStatistics(year: 2027) { year } }"))["selectionRoundStatistics"] == []
    bad = await gql('{ selectionRoundStatistics(year: 2026, regionCode: "XX-1") { year } }')
    assert bad["errors"][0]["extensions"]["code"] == "INVALID_INPUT"


async def test_public_downloads_with_cache_headers(client: httpx.AsyncClient, sessions: Any) -> None:
    await round_of_twelve(sessions)
    response = await client.get("/public/rounds.json", params={"year": 2026, "regionCode": "KZ-55"})
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    assert response.headers["cache-control"] == "public, max-age=300" and response.headers["etag"]
    body = response.json()
    assert body["year"] == 2026 and [r["familiesApproved"] for r in body["rounds"]] == [12]
    assert body["rounds"][0]["scoreBands"][-1] == {"low": 500, "high": 509, "count": "7"}
    again = await client.get("/public/rounds.json", params={"year": 2026, "regionCode": "KZ-55"},
                             headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304 and again.content == b""

    csv_response = await client.get("/public/rounds.csv", params={"year": 2026})
    assert csv_response.status_code == 200 and csv_response.headers["content-type"].startswith("text/csv")
    header, row = csv_response.text.strip().split("\r\n")
    assert header.split(",")[:3] == ["ranOn", "year", "regionCode"]
    assert ",KZ-55,12,12,12,452," in row and "500–509: 7" in row and "450–459: <5" in row

    refused = await client.get("/public/rounds.json", params={"year": "soon"})
    assert refused.status_code == 400 and refused.json()["errors"][0]["field"] == ["year"]


@pytest.mark.parametrize("year", ["99999999999999999999", "-5", "1999", "2101"])
async def test_a_year_out_of_range_is_refused_not_a_crash(client: httpx.AsyncClient, gql: GQL, year: str) -> None:
    for path in ("/public/rounds.json", "/public/rounds.csv"):
        refused = await client.get(path, params={"year": year})
        assert refused.status_code == 400, refused.text
        assert [(e["code"], e["field"]) for e in refused.json()["errors"]] == [("INVALID_INPUT", ["year"])]
    if -2**31 <= int(year) < 2**31:  # GraphQL's Int refuses the others itself
        body = await gql("query($y: Int!) { selectionRoundStatistics(year: $y) { year } }", {"y": int(year)})
        assert [(e["extensions"]["code"], e["extensions"]["field"]) for e in body["errors"]] == [
            ("INVALID_INPUT", ["year"])]


async def test_a_rounds_fairness_for_administrators(gql: GQL, sessions: Any) -> None:
    from api.graphql import ids

    round_id, _ = await round_of_twelve(sessions)
    async with sessions() as s:
        quota_id = (await s.get(m.SelectionRound, round_id)).quota_id
    query = ('query($id: ID!) { selectionRounds(quotaId: $id) { seatsTaken '
             'fairness { measure groups { dimension group total selected flagged } } } }')
    (round_,) = (await gql.ok(query, {"id": ids.encode("Quota", quota_id)}, role="ADMIN"))["selectionRounds"]
    assert round_["fairness"]["measure"] == "approval rate"
    routes = [g for g in round_["fairness"]["groups"] if g["dimension"] == "ROUTE"]
    assert routes == [{"dimension": "ROUTE", "group": "KANDAS", "total": 13, "selected": 12, "flagged": False}]
