"""Writing and reading .xlsx files with openpyxl."""

import tempfile
from collections.abc import Iterable
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font


def write_rows(sheet_title: str, headers: list[str], rows: Iterable[list]) -> Path:
    """Stream rows into an .xlsx file on disk (constant memory); returns its path."""
    return write_sheets([(sheet_title, headers, rows)])


def write_sheets(sheets: Iterable[tuple[str, list[str], Iterable[list]]]) -> Path:
    """Stream several sheets (title, headers, rows) into one .xlsx file on disk."""
    workbook = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, headers, rows in sheets:
        sheet = workbook.create_sheet(title=title[:31] or "Sheet1")
        header_cells = []
        for header in headers:
            cell = WriteOnlyCell(sheet, value=header)
            cell.font = bold
            header_cells.append(cell)
        sheet.append(header_cells)
        for row in rows:
            sheet.append(row)
    handle = tempfile.NamedTemporaryFile(prefix="export-", suffix=".xlsx", delete=False)  # noqa: SIM115
    handle.close()
    workbook.save(handle.name)
    return Path(handle.name)
