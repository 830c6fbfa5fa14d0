"""Reading back the workbooks the app writes (models.spreadsheets.write_workbook):
the table of a sheet is what lies under its header row, the row above the frozen pane."""

import io

from openpyxl import load_workbook
from openpyxl.utils.cell import coordinate_from_string


def open_workbook(data: bytes):
    return load_workbook(io.BytesIO(data))


def header_row(sheet) -> int:
    """The row of a sheet's column headers: the last frozen row (1 for a sheet not frozen)."""
    if not sheet.freeze_panes:
        return 1
    return coordinate_from_string(sheet.freeze_panes)[1] - 1


def headers(sheet) -> list:
    return [cell.value for cell in sheet[header_row(sheet)]]


def table(sheet) -> list[dict]:
    """The rows under the header, each as {header: value}."""
    names = headers(sheet)
    return [dict(zip(names, row, strict=False))
            for row in sheet.iter_rows(min_row=header_row(sheet) + 1, values_only=True)]


def column(sheet, name: str) -> list:
    return [row.get(name) for row in table(sheet)]
