"""Writing and reading .xlsx files with openpyxl, and keeping text as text in
every spreadsheet and CSV file the app writes.

A cell whose text begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
is run as a formula by spreadsheet programs (``=cmd|' /C calc'!A0`` in an address
field). Every writer passes its values through ``text_cell``/``keep_text`` (xlsx:
a string cell marked as typed text, never a formula) or ``csv_text`` (CSV: the
text prefixed with ``'``)."""

import datetime as dt
import itertools
import re
import tempfile
import unicodedata
from collections.abc import Iterable
from copy import copy
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

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


# ---------------------------------------------------------------- the one writer of workbooks
#
# Every .xlsx the app hands out is written by ``write_workbook``: a title block
# saying what the table covers (服务站, 合同, 统计期间, 统计截至, 制表人), 序号 first,
# column widths from the content (a CJK character counts double), the header row
# frozen and filtered, numbers, shares, dates and money as real numbers with their
# formats, and an A4 print set-up (orientation by width, fit to width, the header
# row repeated on every page, page numbers in the footer). Import templates are
# forms the importer reads back: they keep their header in the first row (no
# title block, no 序号) and have everything else.

TEXT, INT, NUMBER, PERCENT, DATE, DATETIME, YUAN = "text", "int", "number", "percent", "date", "datetime", "yuan"
NUMBER_FORMATS = {INT: "#,##0", NUMBER: "#,##0.0", PERCENT: "0.0%", DATE: "yyyy-mm-dd",
                  DATETIME: "yyyy-mm-dd hh:mm", YUAN: '"¥"#,##0.00'}
#: How wide a formatted value of each kind is (characters), when the value is a number or date.
KIND_WIDTHS = {DATE: 10, DATETIME: 16}
SERIAL_LABEL = "序号"
#: Rows read before the widths are fixed (the rest stream through in constant memory).
SAMPLE_ROWS = 500
MIN_WIDTH, MAX_WIDTH = 6, 60
#: Total column width (characters) that still prints on an A4 page upright.
PORTRAIT_WIDTH = 100
#: How much wider a title character is than a body character (16 pt against 11 pt).
TITLE_SCALE = 1.5


@dataclass(frozen=True)
class Column:
    label: str
    kind: str = TEXT
    min_width: int = 0  # room to write by hand on a printed sheet


@dataclass(frozen=True)
class Value:
    """A value written in a kind of its own (a share in a column of counts)."""

    value: object
    kind: str


@dataclass
class Row:
    """A row with a role: ``total`` (bold, no 序号) or ``example`` (grey italic, a form's sample)."""

    values: list
    role: str = "total"


@dataclass
class Sheet:
    title: str
    columns: list  # Column or a label (text)
    rows: Iterable
    numbered: bool = True
    note: str = ""  # a line under the title block (what the sheet counts)
    validations: list = field(default_factory=list)  # openpyxl DataValidation objects (templates)


@dataclass
class TitleBlock:
    """What a workbook covers, printed above each sheet's table."""

    title: str
    station: str = ""
    contract: str = ""
    period: str = ""
    as_of: dt.date | None = None
    made_by: str = ""

    @classmethod
    def for_contract(cls, title: str, contract, made_by: str = "", as_of: dt.date | None = None,
                     period: str | None = None) -> "TitleBlock":
        if period is None and contract is not None:
            period = f"{contract.start_date:%Y-%m-%d} 至 {contract.end_date:%Y-%m-%d}"
        return cls(title=title, station=getattr(contract, "station", "") or "", contract=getattr(contract, "name", "") or "",
                   period=period or "", as_of=as_of, made_by=made_by or "")

    def lines(self) -> list[str]:
        first = "　".join(part for part in (self.station and f"服务站：{self.station}",
                                             self.contract and f"合同：{self.contract}") if part)
        second = "　".join(part for part in (self.period and f"统计期间：{self.period}",
                                              self.as_of and f"统计截至：{self.as_of:%Y-%m-%d}",
                                              f"制表人：{self.made_by or '—'}") if part)
        return [line for line in (first, second) if line]


def display_width(text: str) -> int:
    """Columns a text takes on screen: East Asian wide characters count double."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _value_width(value, kind: str) -> int:
    if value is None or value == "":
        return 0
    if isinstance(value, (dt.date, dt.datetime)):
        return KIND_WIDTHS.get(kind, 10 if not isinstance(value, dt.datetime) else 16)
    if isinstance(value, (int, float, Decimal)) and kind in NUMBER_FORMATS:
        if kind == PERCENT:
            return len(f"{float(value) * 100:.1f}%")
        if kind == YUAN:
            return len(f"¥{float(value):,.2f}")
        if kind == NUMBER:
            return len(f"{float(value):,.1f}")
        return len(f"{value:,}") if isinstance(value, int) else len(f"{float(value):,.0f}")
    return max(display_width(line) for line in str(value).splitlines() or [""])


def _cell_value(value, kind: str):
    """A value as it goes in a cell of its column's kind: numbers and dates as such,
    anything else as text."""
    if value is None:
        return None
    if kind in (INT, NUMBER, PERCENT, YUAN) and isinstance(value, (int, float, Decimal)) and not isinstance(value, bool):
        return value
    if kind in (DATE, DATETIME) and isinstance(value, (dt.date, dt.datetime)):
        return value
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour, value.minute) != (0, 0) else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    return value if isinstance(value, str) else str(value)


class _Styles:
    def __init__(self):
        thin = Side(style="thin", color="808080")
        self.border = Border(left=thin, right=thin, top=thin, bottom=thin)
        self.title = Font(bold=True, size=16)
        self.header_font = Font(bold=True)
        self.header_fill = PatternFill("solid", fgColor="D9E1F2")
        self.center = Alignment(horizontal="center", vertical="center", wrap_text=True)
        self.left = Alignment(horizontal="left", vertical="center")
        self.wrap = Alignment(vertical="top", wrap_text=True)
        self.bold = Font(bold=True)
        self.example = Font(color="888888", italic=True)
        self.cells: dict = {}  # body cell styles, by (number format, wrap, role)


def write_workbook(sheets: Iterable[Sheet], block: TitleBlock | None, path: Path | None = None,
                   heading: str = "") -> Path:
    """Write sheets into one .xlsx file on disk (streamed: constant memory past the
    first rows of each sheet); ``block`` None writes a form (header in row 1, no 序号)
    whose printed pages are headed ``heading``."""
    workbook = Workbook(write_only=True)
    styles = _Styles()
    for spec in sheets:
        _write_sheet(workbook, spec, block, styles, heading)
    if path is None:
        handle = tempfile.NamedTemporaryFile(prefix="export-", suffix=".xlsx", delete=False)  # noqa: SIM115
        handle.close()
        path = Path(handle.name)
    workbook.save(path)
    return path


def workbook_bytes(sheets: Iterable[Sheet], block: TitleBlock | None, heading: str = "") -> bytes:
    path = write_workbook(sheets, block, heading=heading)
    try:
        return path.read_bytes()
    finally:
        path.unlink(missing_ok=True)


def _write_sheet(workbook, spec: Sheet, block: TitleBlock | None, styles: _Styles, heading: str) -> None:
    sheet = workbook.create_sheet(title=sheet_title(spec.title))
    columns = [c if isinstance(c, Column) else Column(c) for c in spec.columns]
    numbered = spec.numbered and block is not None
    if numbered:
        columns = [Column(SERIAL_LABEL, INT), *columns]
    source = iter(spec.rows)
    sample = list(itertools.islice(source, SAMPLE_ROWS))
    widths = [max(display_width(c.label), c.min_width) for c in columns]
    for row in sample:
        values = row.values if isinstance(row, Row) else row
        offset = 1 if numbered else 0
        for index, value in enumerate(values[:len(columns) - offset]):
            kind = value.kind if isinstance(value, Value) else columns[index + offset].kind
            value = value.value if isinstance(value, Value) else value
            widths[index + offset] = max(widths[index + offset], _value_width(value, kind))
    if numbered:
        widths[0] = max(widths[0], len(str(len(sample))) + 1)
    widths = [min(max(w + 2, MIN_WIDTH), MAX_WIDTH) for w in widths]
    lines = [*block.lines(), *([spec.note] if spec.note else [])] if block is not None else []
    title = (block.title if spec.title in block.title else f"{block.title}：{spec.title}") if block is not None else ""
    # the title block must fit above the table: the widest text column takes what is missing
    needed = max([display_width(line) for line in lines] + [display_width(title) * TITLE_SCALE], default=0) + 2
    if needed > sum(widths):
        texts = [i for i, c in enumerate(columns) if c.kind == TEXT] or [len(columns) - 1]
        widest = max(texts, key=lambda i: widths[i])
        widths[widest] += needed - sum(widths)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    last = get_column_letter(len(columns))

    title_rows = 1 + len(lines) if block is not None else 0
    header_row = title_rows + 1
    # what goes before the rows in the file (write-only): views, sheet properties
    sheet.freeze_panes = f"A{header_row + 1}"
    _print_setup(sheet, sum(widths), header_row, block.title if block else (heading or spec.title))
    if block is not None:
        heading = keep_text(WriteOnlyCell(sheet, value=title))
        heading.font, heading.alignment = styles.title, styles.center
        sheet.row_dimensions[1].height = 28
        sheet.append([heading])
        for line in lines:
            cell = keep_text(WriteOnlyCell(sheet, value=line))
            cell.alignment = styles.left
            sheet.append([cell])
        for row in range(1, title_rows + 1):
            sheet.merged_cells.add(f"A{row}:{last}{row}")
    header_cells = []
    for column in columns:
        cell = keep_text(WriteOnlyCell(sheet, value=column.label))
        cell.font, cell.fill, cell.alignment, cell.border = styles.header_font, styles.header_fill, styles.center, \
            styles.border
        header_cells.append(cell)
    sheet.append(header_cells)

    wrap = [w >= MAX_WIDTH for w in widths]
    serial = 0
    written = header_row
    for row in itertools.chain(sample, source):
        role = row.role if isinstance(row, Row) else ""
        values = list(row.values if isinstance(row, Row) else row)
        if numbered:
            if role:
                values = [None, *values]
            else:
                serial += 1
                values = [serial, *values]
        cells = []
        for index, value in enumerate(values):
            kind = columns[index].kind if index < len(columns) else TEXT
            if isinstance(value, Value):
                value, kind = value.value, value.kind
            value = _cell_value(value, kind)
            numeric = kind in NUMBER_FORMATS and not isinstance(value, str)
            wrapped = index < len(wrap) and wrap[index]
            if not (numeric or wrapped or role or looks_like_formula(value)):
                cells.append(value)  # plain text: the grid lines come from the print set-up
                continue
            cell = WriteOnlyCell(sheet, value=value)
            cell._style = copy(_style(sheet, styles, numeric and kind, wrapped, role))
            keep_text(cell)
            cells.append(cell)
        sheet.append(cells)
        written += 1

    sheet.auto_filter.ref = f"A{header_row}:{last}{max(written, header_row + 1)}"
    for validation in spec.validations:
        sheet.data_validations.append(validation)


def _style(sheet, styles: _Styles, number_format, wrap: bool, role: str):
    """The style of a body cell, made once per combination: assigning fonts and borders
    cell by cell costs a lookup each (seconds for an export of thousands of rows)."""
    key = (number_format, wrap, role)
    made = styles.cells.get(key)
    if made is None:
        cell = WriteOnlyCell(sheet)
        if number_format:
            cell.number_format = NUMBER_FORMATS[number_format]
        if wrap:
            cell.alignment = styles.wrap
        if role == "total":
            cell.font = styles.bold
        elif role == "example":
            cell.font = styles.example
        made = styles.cells[key] = cell._style
    return made


def _print_setup(sheet, total_width: float, header_row: int, title: str) -> None:
    setup = sheet.page_setup
    setup.paperSize = Worksheet.PAPERSIZE_A4
    setup.orientation = Worksheet.ORIENTATION_LANDSCAPE if total_width > PORTRAIT_WIDTH else Worksheet.ORIENTATION_PORTRAIT
    setup.fitToWidth = 1
    setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.print_options.horizontalCentered = True
    sheet.print_options.gridLines = True
    sheet.page_margins = PageMargins(left=0.5, right=0.5, top=0.7, bottom=0.7, header=0.3, footer=0.3)
    sheet.oddHeader.right.text = title.replace("&", "&&")
    sheet.oddHeader.right.size = 9
    sheet.oddFooter.center.text = "第 &P 页，共 &N 页"
    sheet.oddFooter.center.size = 9
