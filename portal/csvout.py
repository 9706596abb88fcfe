"""Every CSV the portal writes goes through here, so no cell becomes a spreadsheet formula.

A cell whose text starts with `=`, `+`, `-`, `@`, a tab or a carriage return is
read by Excel, LibreOffice and Google Sheets as a formula (or DDE command). Such
a cell is written with a leading apostrophe, which the spreadsheet shows as text.
Plain numbers ("-3", "+2.5", "1,5") are numbers, not formulas, and stay as they are.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable
from typing import Any

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
        self._writer = csv.writer(out, **options)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([safe_cell(value) for value in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


def writer(out: Any, **options: Any) -> SafeWriter:
    """A CSV writer (same options as csv.writer) that never writes a formula."""
    return SafeWriter(out, **options)
