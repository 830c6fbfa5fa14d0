"""Writing and reading .xlsx files with openpyxl, and keeping text as text in
every spreadsheet and CSV file the app writes.

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is run as a formula by spreadsheet programs (``=cmd|' /C calc'!A0`` in an address
field). Every writer passes its values through ``text_cell``/``keep_text`` (xlsx:
a string cell marked as typed text, never a formula) or ``csv_text`` (CSV: the
text prefixed with ``'``)."""

import re
import tempfile
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

#: How text that a spreadsheet program would take as a formula begins.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def looks_like_formula(value) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_text(value) -> str:
    """A value as CSV text that no spreadsheet program runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if looks_like_formula(text) else text


def keep_text(cell):
    """Make a cell of a workbook hold its value as text if that looks like a formula:
    a string cell (openpyxl writes text beginning with ``=`` as a formula) with the
    "typed as text" mark (Excel's quote prefix), which editing the cell keeps."""
    if looks_like_formula(cell.value):
        cell.data_type = "s"
        cell.quotePrefix = True
    return cell


def text_cell(sheet, value):
    """A value to append to a write-only sheet: itself, or a text cell for formula-like text."""
    if not looks_like_formula(value):
        return value
    return keep_text(WriteOnlyCell(sheet, value=value))


def append_row(sheet, values: Iterable) -> None:
    """``sheet.append`` for an ordinary (not write-only) sheet, keeping text as text."""
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        keep_text(cell)


def set_cell(sheet, row: int, column: int, value):
    """``sheet.cell(row, column, value)`` for an ordinary sheet, keeping text as text."""
    return keep_text(sheet.cell(row=row, column=column, value=value))


def sheet_title(title: str) -> str:
    """A title Excel accepts for a sheet: no ``\\ / * ? : [ ]``, at most 31 characters."""
    return re.sub(r"[\\/*?:\[\]]", "_", title or "")[:31] or "Sheet1"


def write_rows(title: str, headers: list[str], rows: Iterable[list]) -> Path:
    """Stream rows into an .xlsx file on disk (constant memory); returns its path."""
    return write_sheets([(title, headers, rows)])


def write_sheets(sheets: Iterable[tuple[str, list[str], Iterable[list]]]) -> Path:
    """Stream several sheets (title, headers, rows) into one .xlsx file on disk."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=sheet_title(title))
        header_cells = []
        for header in headers:
            cell = keep_text(WriteOnlyCell(sheet, value=header))
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append([text_cell(sheet, value) for value in row])
    handle = tempfile.NamedTemporaryFile(prefix="export-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    workbook.save(handle.name)
    return Path(handle.name)
