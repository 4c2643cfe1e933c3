"""CSV files a spreadsheet opens as data: every string cell that a spreadsheet would read as a formula is neutralised.

Excel, LibreOffice Calc and Google Sheets evaluate a cell whose text starts with `=`, `+`, `-` or `@` as a formula
(`=HYPERLINK(...)`, `=WEBSERVICE(...)`, DDE in older Excel), and a leading tab or carriage return can hide such a
cell from a reviewer (OWASP, "CSV Injection": owasp.org/www-community/attacks/CSV_Injection; OWASP ASVS 5.0 V1.2.10).
A participant's display name, a roster's e-mail or a deployment name read from logs all come from someone else, so
every CSV labctl writes goes through `formula_safe_writer`: such a cell gets a leading `'`, which the spreadsheets
show as text and hide. Numbers are left alone: they are written by labctl, never read from a user.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from typing import Any, TextIO

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """A string cell a spreadsheet shows as text; anything else unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def _cell(value: Any) -> Any:
    value = neutralise(value)
    # csv quotes a cell holding "\n" but not a lone "\r" when rows end in "\n": that cell would split the row in
    # two for any reader. A line break is a line break: written as "\n", inside quotes.
    if isinstance(value, str) and "\r" in value:
        return value.replace("\r\n", "\n").replace("\r", "\n")
    return value


class _SafeWriter:
    """csv.writer with every string cell neutralised (the header too)."""

    def __init__(self, stream: TextIO, **kwargs: Any) -> None:
        self._writer = csv.writer(stream, **kwargs)

    def writerow(self, row: Iterable[Any]) -> Any:
        return self._writer.writerow([_cell(cell) for cell in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _SafeDictWriter(csv.DictWriter):
    def writerow(self, rowdict: Mapping[str, Any]) -> Any:
        return super().writerow({k: _cell(v) for k, v in rowdict.items()})


def formula_safe_writer(stream: TextIO, **kwargs: Any) -> _SafeWriter:
    """`csv.writer(stream, **kwargs)` whose rows can't carry a formula."""
    return _SafeWriter(stream, **kwargs)


def formula_safe_dict_writer(stream: TextIO, fieldnames: Iterable[str], **kwargs: Any) -> csv.DictWriter:
    """`csv.DictWriter(stream, fieldnames, **kwargs)` whose rows can't carry a formula."""
    return _SafeDictWriter(stream, fieldnames, **kwargs)
