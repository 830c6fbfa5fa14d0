"""Every workbook the app hands out reads back as a bureau clerk expects: a title
block (服务站, 合同, 统计截至, 制表人), 序号 first, columns as wide as their content
(a CJK character counts double), the header frozen and filtered, numbers, shares,
dates and money as real cells with formats, labels and not internal codes, an A4
print set-up and no cell a spreadsheet program would run. The cases come from the
view registry (each view that exports xlsx) and ``views.registry.workbook_routes``;
a test checks that no route writing a workbook is missing from them, and that no
module builds a workbook except the one writer."""

import datetime as dt
import inspect
import re
from decimal import Decimal
from pathlib import Path

import mongoengine
from flask import url_for

from models.spreadsheets import (
    MAX_WIDTH,
    PORTRAIT_WIDTH,
    SERIAL_LABEL,
    display_width,
    looks_like_formula,
)
from views.registry import workbook_routes

from .archive_helpers import make_child
from .test_exports import HOSTILE, Hostile
from .test_indicators import consultation
from .workbooks import header_row, headers, open_workbook

ROOT = Path(__file__).resolve().parent.parent
#: Text a cell holds as text though it reads as a number, share or amount ("458.9", "10.9%", "¥12.50").
NUMBER_AS_TEXT = re.compile(r"^[¥￥]\s?-?\d|^-?\d[\d,]*\.\d+%?$|^-?\d+(\.\d+)?%$")
CODE_LIKE = re.compile(r"^[a-z_]+\.[a-z_.]+$")
#: Routes that send a workbook the app did not write.
NOT_WRITTEN_HERE = {"archiveimport.download": "the file a clerk imported, handed back unchanged"}


def _choice_keys() -> set[str]:
    """Every stored choice key of every model (``paid``, ``consultation``…): a workbook shows their labels."""
    keys = set()
    for document in mongoengine.base.common._document_registry.values():
        for field in getattr(document, "_fields", {}).values():
            inner = getattr(field, "field", None) or field
            for choice in getattr(inner, "choices", None) or ():
                key = choice[0] if isinstance(choice, (tuple, list)) else choice
                if isinstance(key, str) and re.fullmatch(r"[a-z][a-z_]{2,}", key):
                    keys.add(key)
    return keys


def _value_width(cell) -> int:
    value = cell.value
    if isinstance(value, str):
        return max(display_width(line) for line in value.splitlines() or [""])
    return 0


def check_workbook(name: str, data: bytes, form: bool, codes: set[str]) -> list[str]:
    """What a clerk would notice in a workbook, as a list of problems."""
    problems = []
    workbook = open_workbook(data)
    for sheet in workbook.worksheets:
        where = f"{name}!{sheet.title}"
        if not sheet.freeze_panes:
            problems.append(f"{where}: header row not frozen")
            continue
        top = header_row(sheet)
        names = headers(sheet)
        if form:
            if top != 1:
                problems.append(f"{where}: a form's header is not in row 1")
        else:
            block = "\n".join(str(sheet.cell(row=r, column=1).value or "") for r in range(1, top))
            for label in ("服务站：", "合同：", "统计截至：", "制表人："):
                if label not in block:
                    problems.append(f"{where}: title block without {label}")
            if names[0] != SERIAL_LABEL:
                problems.append(f"{where}: first column is {names[0]!r}, not 序号")
        if any(str(n).strip().lower() in ("代码", "code", "id") for n in names):
            problems.append(f"{where}: a code column {names}")
        if not (sheet.auto_filter.ref or "").startswith(f"A{top}:"):
            problems.append(f"{where}: no filter on the header row ({sheet.auto_filter.ref})")
        widths = []
        for index, header in enumerate(names, start=1):
            letter = sheet.cell(row=top, column=index).column_letter
            width = sheet.column_dimensions[letter].width if letter in sheet.column_dimensions else None
            widths.append(width or 0)
            if not width:
                problems.append(f"{where}: column {header!r} has no width")
                continue
            column_cells = [row[index - 1] for row in sheet.iter_rows(min_row=top, max_row=top + 500)
                            if len(row) >= index]
            widest = max((_value_width(c) for c in column_cells), default=0)
            if width < min(widest, MAX_WIDTH - 2):
                problems.append(f"{where}: column {header!r} is {width} wide for text {widest} wide")
        setup = sheet.page_setup
        if str(setup.paperSize) != "9" or setup.fitToWidth != 1 or not sheet.sheet_properties.pageSetUpPr.fitToPage:
            problems.append(f"{where}: not set to print on A4 fitted to the width")
        wanted = "landscape" if sum(widths) > PORTRAIT_WIDTH else "portrait"
        if setup.orientation != wanted:
            problems.append(f"{where}: {setup.orientation} for a table {sum(widths)} wide")
        if sheet.print_title_rows != f"${top}:${top}":
            problems.append(f"{where}: header row not repeated on printed pages ({sheet.print_title_rows})")
        if "&P" not in (sheet.oddFooter.center.text or ""):
            problems.append(f"{where}: no page number in the footer")
        for row in sheet.iter_rows(min_row=top + 1):
            for cell, header in zip(row, names, strict=False):
                value = cell.value
                if cell.data_type == "f":
                    problems.append(f"{where}!{cell.coordinate}: formula {value!r}")
                elif looks_like_formula(value) and not cell.quotePrefix:
                    problems.append(f"{where}!{cell.coordinate}: {value!r} not kept as text")
                elif isinstance(value, (int, float, Decimal)) and cell.number_format == "General":
                    problems.append(f"{where}!{cell.coordinate} ({header}): number {value!r} without a format")
                elif isinstance(value, dt.datetime) and "yy" not in cell.number_format:
                    problems.append(f"{where}!{cell.coordinate} ({header}): date without a date format")
                elif isinstance(value, str) and NUMBER_AS_TEXT.search(value):
                    problems.append(f"{where}!{cell.coordinate} ({header}): number written as text {value!r}")
                elif isinstance(value, str) and (CODE_LIKE.match(value) or value in codes):
                    problems.append(f"{where}!{cell.coordinate} ({header}): internal code {value!r}")
    return problems


def _data(townships, accounts):
    """Records for every workbook to hold rows: hostile text, money, a counted case, a due child."""
    from models.budget import BudgetLine, BudgetTransfer, Expense
    from models.indicators import Indicator

    hostile = Hostile(townships, accounts["coordinator"])
    for document in (BudgetLine, Expense, BudgetTransfer):
        hostile.record(document)
    make_child(townships["东江街道"], name="王小明", risk_level="1", current_address=HOSTILE[0], phone="13800000000")
    consultation(townships, accounts)
    return {i.code for i in Indicator.objects.only("code")}


def test_every_workbook_reads_back_as_a_clerk_expects(app, login_as, townships, accounts):
    codes = _data(townships, accounts) | _choice_keys()
    admin = app.extensions["admin"][0]
    cases = [(f"/{view.endpoint}/export/xlsx/", "coordinator", False) for view in admin._views
             if "xlsx" in (getattr(view, "export_types", None) or ())]
    with app.test_request_context():
        cases += [(url_for(endpoint, **arguments), role, endpoint.endswith(("template", "template_view")))
                  for endpoint, arguments, role in workbook_routes()]
    assert len(cases) >= 10, cases
    problems = []
    for url, role, form in cases:
        response = login_as(role).get(url)
        if response.status_code != 200 or not response.data.startswith(b"PK"):
            problems.append(f"{url}: HTTP {response.status_code}")
            continue
        problems += check_workbook(url, response.data, form, codes)
    assert problems == [], "\n".join(problems)


def test_the_checks_notice_a_plain_workbook(tmp_path):
    """The checks above fail on the workbook an unconfigured openpyxl writes (as the app once did)."""
    import io

    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.append(["代码", "指标", "完成"])
    sheet.append(["visits.home", "指定对象入户探访", "458.9"])
    sheet.append(["x", "=1+1", 0.109])
    buffer = io.BytesIO()
    book.save(buffer)
    buffer.seek(0)
    frozen = Workbook()
    frozen.active.append(["代码", "指标", "完成"])
    frozen.active.append(["visits.home", "指定对象入户探访", "458.9"])
    frozen.active.freeze_panes = "A2"
    frozen_buffer = io.BytesIO()
    frozen.save(frozen_buffer)
    assert check_workbook("plain", buffer.getvalue(), False, set()) == ["plain!Sheet: header row not frozen"]
    found = "\n".join(check_workbook("plain", frozen_buffer.getvalue(), False, set()))
    for problem in ("title block without 服务站", "not 序号", "a code column", "no filter", "has no width", "A4",
                    "not repeated", "page number", "number written as text", "internal code"):
        assert problem in found, (problem, found)


def test_every_route_writing_a_workbook_is_in_the_registry(app):
    """A view function that sends a workbook is a list export or one of ``workbook_routes``."""
    listed = {endpoint for endpoint, _, _ in workbook_routes()} | set(NOT_WRITTEN_HERE)
    missing = []
    for endpoint, function in app.view_functions.items():
        target = getattr(function, "__wrapped__", function)
        try:
            source = inspect.getsource(target)
        except (OSError, TypeError):
            continue
        if re.search(r"send_xlsx\(|XLSX_MIMETYPE|\.xlsx\"", source) and endpoint not in listed \
                and not endpoint.endswith(".export"):
            missing.append(endpoint)
    assert missing == []


def test_no_module_builds_a_workbook_but_the_one_writer():
    builders = []
    for folder in ("models", "views", "admin_app", "seeds"):
        for path in (ROOT / folder).rglob("*.py"):
            if path.name == "spreadsheets.py" and folder == "models":
                continue
            text = path.read_text(encoding="utf-8")
            if re.search(r"\bWorkbook\(|from openpyxl import Workbook|openpyxl\.Workbook", text):
                builders.append(str(path.relative_to(ROOT)))
    assert builders == []
