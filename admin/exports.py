"""Exports of the panel's lists, as ministry staff read them in a spreadsheet:
the list's own columns under their labels, references by name (the same names
the list shows), timestamps in Almaty time with the offset, yes/no, empty
cells for nothing — as CSV and as XLSX (openpyxl)."""

from __future__ import annotations

import csv
import datetime as dt
import enum
import io
import json
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from starlette.responses import Response

from services.labels import local_time

EXPORT_TYPES = ["csv", "xlsx"]
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell(value: Any) -> Any:
    """A value for a spreadsheet cell: numbers and dates stay numbers and dates."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, dt.datetime):
        return local_time(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, default=str)
    return value


def csv_text(value: Any) -> str:
    value = cell(value)
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)


def table(rows: Sequence[Any], columns: Sequence[str], labels: dict[str, str],
          reference: Callable[[Any, str], str | None]) -> tuple[list[str], list[list[Any]]]:
    """The header and the rows; ``reference(row, column)`` names a referenced record (None if the
    column is not a reference)."""
    header = [str(labels.get(c, c.replace("_", " ").capitalize())) for c in columns]
    body = []
    for row in rows:
        line = []
        for column in columns:
            named = reference(row, column)
            line.append(named if named is not None else cell(getattr(row, column, None)))
        body.append(line)
    return header, body


def csv_response(filename: str, header: list[str], body: list[list[Any]]) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    for line in body:
        writer.writerow([csv_text(v) for v in line])
    # with a byte-order mark, so that a spreadsheet opens Cyrillic and Kazakh names right
    return Response("\ufeff" + out.getvalue(), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'})


def xlsx_response(filename: str, title: str, header: list[str], body: list[list[Any]]) -> Response:
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    sheet.append(header)
    for c in sheet[1]:
        c.font = Font(bold=True)
    for line in body:
        sheet.append([float(v) if isinstance(v, Decimal) else v for v in line])
    for index, name in enumerate(header, start=1):
        width = max([len(name)] + [len(csv_text(line[index - 1])) for line in body[:200]])
        sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(60, width + 2)
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return Response(out.getvalue(), media_type=XLSX_TYPE,
                    headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'})
