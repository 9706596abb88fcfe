"""Every CSV the portal writes goes through here: one Excel-friendly dialect, and no cell becomes
a spreadsheet formula.

The dialect is what Excel set to Italian (our staff's) opens with a double click, columns and
accents right: `;` between cells (Italian Excel reads `,` as the decimal comma), CRLF line ends,
UTF-8 with a byte-order mark. LibreOffice and Google Sheets read it as well. `response(rows,
filename)` gives the download; `writer(out)` the rows alone.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
read by Excel, LibreOffice and Google Sheets as a formula (or DDE command). Such
a cell is written with a leading apostrophe, which the spreadsheet shows as text.
Plain numbers ("-3", "+2.5", "1,5") are numbers, not formulas, and stay as they are.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from typing import Any

from flask import Response, make_response

BOM = "\ufeff"  # Excel takes the file for UTF-8 only with it


class Excel(csv.excel):
    """The portal's one CSV dialect (see the module's note)."""

    delimiter = ";"
    lineterminator = "\r\n"


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


def safe_cell(value: Any) -> Any:
    """The value as it may go into a CSV cell (text that would be a formula gets a leading ')."""
    if value is None or isinstance(value, int | float):
        return value
    text = str(value)
    if text.startswith(FORMULA_START) and not _NUMBER.fullmatch(text):
        return "'" + text
    return text


class SafeWriter:
    """csv.writer whose rows are passed through `safe_cell`."""

    def __init__(self, out: Any, **options: Any) -> None:
        self._writer = csv.writer(out, dialect=Excel, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: Any, **options: Any) -> SafeWriter:
    """A CSV writer in the Excel dialect (options as csv.writer's) that never writes a formula."""
    return SafeWriter(out, **options)


def document(rows: Iterable[Iterable[Any]]) -> str:
    """The whole file: BOM, then the rows in the Excel dialect."""
    out = io.StringIO()
    out.write(BOM)
    writer(out).writerows(rows)
    return out.getvalue()


def response(rows: Iterable[Iterable[Any]], filename: str) -> Response:
    """A CSV download of the rows (the first one the header), as `document` writes it."""
    answer = make_response(document(rows))
    answer.headers["Content-Type"] = "text/csv; charset=utf-8"
    answer.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return answer
