"""Exports of the panel's lists (issue 20): the list's columns under their labels,
references by name, Almaty time with its offset, empty cells for nothing; CSV
and XLSX (opened here with openpyxl)."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

import httpx
from openpyxl import load_workbook

from tests.admin.case_data import full_case
from tests.admin.test_admin import accounts, admin_client  # noqa: F401 (fixtures)

APPLICATION_COLUMNS = ["Number", "Applicant", "Route", "Status", "Target region", "Submitted", "Due", "Decided"]
OFFSET = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d \+05:00$")


async def test_an_xlsx_export_has_the_lists_columns_with_names(gql: Any, sessions: Any,
                                                               admin_client: httpx.AsyncClient) -> None:
    case = await full_case(gql, sessions)
    listing = await admin_client.get("/admin/application/list")
    headers = re.findall(r"<th[^>]*>\s*(?:<a[^>]*>)?([^<]+?)\s*(?:</a>)?\s*</th>", listing.text)
    assert [h for h in headers if h in APPLICATION_COLUMNS] == APPLICATION_COLUMNS
    assert "/admin/application/export/xlsx" in listing.text and "/admin/application/export/csv" in listing.text

    response = await admin_client.get("/admin/application/export/xlsx")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/vnd.openxmlformats")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert rows[0] == APPLICATION_COLUMNS
    [row] = [r for r in rows[1:] if r[0] == case["number"]]
    values = dict(zip(APPLICATION_COLUMNS, row))
    assert values["Applicant"] == case["name"]
    assert values["Target region"] == "Pavlodar Region (KZ-55)"
    assert values["Status"] == "APPROVED" and values["Route"] == "KANDAS"
    assert OFFSET.match(values["Submitted"]) and OFFSET.match(values["Decided"]), values

    contracts = load_workbook(io.BytesIO((await admin_client.get("/admin/social-contract/export/xlsx")).content)).active
    header, first = [list(r) for r in contracts.iter_rows(values_only=True, max_row=2)]
    contract = dict(zip(header, first))
    assert contract["Application"] == f"{case['number']} · {case['name']}"
    assert contract["Region"] == "Pavlodar Region (KZ-55)"
    assert contract["Support received (tenge)"] == 100000


async def test_a_csv_export_has_names_local_time_and_empty_cells(gql: Any, sessions: Any,
                                                                 admin_client: httpx.AsyncClient) -> None:
    case = await full_case(gql, sessions)
    response = await admin_client.get("/admin/application/export/csv")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.text.lstrip("\ufeff"))))
    assert rows[0] == APPLICATION_COLUMNS
    assert "None" not in response.text
    [row] = [r for r in rows[1:] if r[0] == case["number"]]
    assert row[1] == case["name"] and OFFSET.match(row[5])
    quotas = list(csv.reader(io.StringIO((await admin_client.get("/admin/quota/export/csv")).text.lstrip("\ufeff"))))
    occupation = quotas[0].index("Occupation (LABOUR)")
    kandas = [r for r in quotas[1:] if r[0] == "KANDAS"]
    assert kandas and all(r[occupation] == "" for r in kandas)  # nothing is an empty cell
