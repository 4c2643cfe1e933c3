"""A class list's file, as rows of cells: CSV in any encoding and separator a spreadsheet writes, or an .xlsx.

- Encoding: UTF-8 with or without a BOM, UTF-16 with a BOM (Excel's "Unicode Text", PowerShell 5.1's `>`), else
  Windows-1252 (Excel's plain "CSV"); `--encoding` forces one.
- Separator: the one of ',', ';' and tab that makes the header a header (the most name/e-mail columns recognised,
  then the most rows as wide as the header). A Spanish university's `DNI;Apellidos, Nombre;Correo` has a comma
  inside a column name: counting characters (or csv.Sniffer on one line) picks ',' and splits it. `--delimiter`
  forces one.
- An .xlsx (or .xlsm) workbook is read directly (openpyxl, first sheet, values not formulas). Any other binary file
  (an old .xls, an .ods, a PDF) is refused with "save it as CSV", never shown: its bytes mean nothing to a person.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from labctl.errors import UsageError

DELIMITERS = (",", ";", "\t")
# What --delimiter accepts, as a person types it.
DELIMITER_NAMES = {",": ",", ";": ";", "tab": "\t", "\\t": "\t", "\t": "\t", "|": "|"}
# Rows read to judge a separator: enough to see the file's shape, cheap on a 1,000-row list.
SAMPLE_ROWS = 50

SAVE_AS_CSV = (
    "Fix: open it in your spreadsheet and save it as CSV (File > Save As > CSV UTF-8) or as an Excel workbook "
    "(.xlsx), then import that file"
)


@dataclass(frozen=True)
class Table:
    rows: list[tuple[int, list[str]]]  # (line or row number, cells)
    encoding: str
    delimiter: str
    unit: str = "line"  # how a position is named in messages: "line" of a CSV, "row" of a sheet
    notes: list[str] = field(default_factory=list)


def read_table(
    path: Path,
    *,
    score: Callable[[Sequence[str]], tuple[int, ...]],
    delimiter: str | None = None,
    encoding: str | None = None,
) -> Table:
    """The file's rows. `score(header)` ranks a candidate header (higher is better) to choose the separator."""
    try:
        data = path.read_bytes()
    except FileNotFoundError:  # a wrong argument, like a missing --outputs or --snapshot file: exit 2
        raise UsageError(f"{path} not found. Fix: export the class list as CSV and pass its path") from None
    except OSError as exc:  # a folder, no permission
        raise UsageError(
            f"{path} cannot be read: {exc.strerror or exc}. Fix: pass the class list's CSV file"
        ) from None
    if is_xlsx(data):
        return read_xlsx(path, data)
    kind = binary_kind(data)
    if kind is not None:
        raise UsageError(f"{path.name} is not a CSV file (it looks like {kind}). {SAVE_AS_CSV}")
    text, used = decode_as(data, encoding, path)
    forced = parse_delimiter(delimiter) if delimiter is not None else None
    chosen = forced or choose_delimiter(text, score)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=chosen)
    rows = [(reader.line_num, row) for row in reader]
    return Table(rows, used, chosen)


def parse_delimiter(value: str) -> str:
    chosen = DELIMITER_NAMES.get(value.strip().lower() if value.strip() else value)
    if chosen is None:
        raise UsageError(f"--delimiter {value!r} is not a separator. Fix: use ',', ';', 'tab' or '|'")
    return chosen


def decode_as(data: bytes, encoding: str | None, path: Path) -> tuple[str, str]:
    if encoding is None:
        return decode(data)
    try:
        return data.decode(encoding), encoding
    except LookupError:
        raise UsageError(
            f"--encoding {encoding!r} is not an encoding. Fix: use utf-8, utf-8-sig, cp1252 or latin-1"
        ) from None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UsageError(
            f"{path.name} is not {encoding} (line {line} has a byte that is not). Fix: leave out --encoding "
            "(UTF-8, UTF-16 and Windows-1252 are recognised), or name the one the file was saved in"
        ) from None


def decode(data: bytes) -> tuple[str, str]:
    """(text, encoding name): UTF-8 with or without a BOM, UTF-16 with a BOM, else Windows-1252."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass  # not UTF-16 after all: read it as Windows-1252 below, the header check will say what is wrong
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "cp1252"


def choose_delimiter(text: str, score: Callable[[Sequence[str]], tuple[int, ...]]) -> str:
    """The separator whose split makes the best header, then the most rows as wide as the header."""
    best, best_rank = ",", None
    for delimiter in DELIMITERS:
        rows = [
            r
            for r in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            if any(c.strip() for c in r)
        ][:SAMPLE_ROWS]
        if not rows:
            continue
        header = rows[0]
        consistent = sum(1 for r in rows[1:] if len(r) == len(header))
        rank = (*score(header), consistent, len(header) > 1)
        if best_rank is None or rank > best_rank:
            best, best_rank = delimiter, rank
    return best


def is_xlsx(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "xl/workbook.xml" in archive.namelist()
    except zipfile.BadZipFile:
        return False


def binary_kind(data: bytes) -> str | None:
    """What a file that is not text looks like, or None for text (UTF-16 text has NULs but a BOM first)."""
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return "an Excel 97-2003 workbook (.xls)"
    if data.startswith(b"PK\x03\x04"):
        return "a zipped document (.ods, .numbers, .docx or a zip)"
    if data.startswith(b"%PDF"):
        return "a PDF"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return None
    if b"\x00" in data[:4096]:
        return "a binary file"
    return None


def read_xlsx(path: Path, data: bytes) -> Table:
    """The first sheet's values (what a formula last computed, not the formula), as text cells."""
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a damaged workbook; its text names no secret
        raise UsageError(
            f"{path.name} cannot be read as an Excel workbook ({type(exc).__name__}). {SAVE_AS_CSV}"
        ) from None
    try:
        sheet = workbook.worksheets[0]
        notes = []
        if len(workbook.worksheets) > 1:
            notes.append(f"read the first sheet, '{sheet.title}', of {len(workbook.worksheets)}")
        rows = [
            (number, [cell_text(v) for v in values])
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1)
        ]
    finally:
        workbook.close()
    return Table(rows, "xlsx", "", unit="row", notes=notes)


def cell_text(value: Any) -> str:
    """A cell as the person sees it: whole numbers without `.0`, dates as YYYY-MM-DD."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value)
