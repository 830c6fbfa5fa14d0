"""No export or report the app writes hands a spreadsheet program a formula: text
beginning with = + - @, a tab or a carriage return is a string cell marked as text
in .xlsx files and is prefixed with ' in CSV files. The cases come from the view
registry: every view that exports, in each of its formats, with a record whose text
fields hold hostile values."""

import csv
import datetime as dt
import io

import mongoengine
from flask_admin.contrib.mongoengine import ModelView
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from models.money import FenField
from models.spreadsheets import FORMULA_STARTS, csv_text, looks_like_formula
from models.users import allowed

HOSTILE = ("=cmd|' /C calc'!A0", "+HYPERLINK(\"http://example.invalid\")", "-2+3+cmd|' /C calc'!A0",
           "@SUM(1+1)*cmd|' /C calc'!A0", "\t=1+1", "\r=1+1")
DAY = dt.datetime(2026, 3, 5, 10, 0)
#: Text fields the app parses (kept valid so that the other pages still work).
READ_AS_DATA = {"RuleSet": ("content",)}


@given(st.text(max_size=30))
def test_csv_text_never_begins_like_a_formula_and_keeps_the_text(text):
    written = csv_text(text)
    assert not written.startswith(FORMULA_STARTS)
    assert written in (text, "'" + text)


# ---------------------------------------------------------------- hostile records


class Hostile:
    """Builds documents whose every free-text field holds a hostile value (in turn),
    stored as they are (as an import or a direct write could leave them)."""

    def __init__(self, townships, user):
        self.townships, self.user, self.turn = townships, user, 0
        self.made: dict = {}

    def text(self) -> str:
        self.turn += 1
        return f"{HOSTILE[self.turn % len(HOSTILE)]} {self.turn}"  # unique: some fields are

    def value(self, field, depth):
        if isinstance(field, mongoengine.ListField):
            inner = self.value(field.field, depth) if field.field is not None else None
            return None if inner is None else [inner]
        if getattr(field, "choices", None):
            first = field.choices[0]
            return first[0] if isinstance(first, (tuple, list)) else first
        if isinstance(field, (mongoengine.StringField, mongoengine.EmailField, mongoengine.URLField)):
            return self.text()
        if isinstance(field, mongoengine.ReferenceField):
            return self.reference(field.document_type, depth)
        if isinstance(field, mongoengine.EmbeddedDocumentField):
            return self.fill(field.document_type(), depth)
        if isinstance(field, mongoengine.DateTimeField):
            return DAY
        if isinstance(field, FenField):
            return 12_345
        if isinstance(field, mongoengine.IntField):
            return 3
        if isinstance(field, mongoengine.FloatField):
            return 2.5
        if isinstance(field, mongoengine.BooleanField):
            return False
        return None  # files, dicts, ids: left out

    def reference(self, document, depth):
        from models.reference import Township
        from models.users import User

        if issubclass(document, Township):
            return self.townships["东江街道"]
        if issubclass(document, User):
            return self.user
        if document not in self.made:
            existing = document.objects.first()
            self.made[document] = existing or (self.record(document, depth + 1) if depth < 3 else None)
        return self.made[document]

    def fill(self, doc, depth=0):
        for name, field in doc._fields.items():
            if name in ("id", "_cls", "version", "voided", "created_by", "updated_by", "voided_by"):
                continue
            value = self.value(field, depth)
            if value is not None:
                setattr(doc, name, value)
        return doc

    def record(self, document, depth=0):
        doc = self.fill(document(), depth)
        doc.version = 1 if "version" in document._fields else None
        if hasattr(doc, "prepare"):
            doc.prepare()  # derived fields (periods, a township taken from a person), as a save makes them
        try:
            doc.save(validate=False)
        except mongoengine.NotUniqueError:
            return self.spoil(document)
        return doc

    def spoil(self, document):
        """A kind with one record per choice (the rule sets): its existing record
        gets hostile free text, except where the app reads the text as data."""
        doc = document.objects.first()
        for name, field in document._fields.items():
            if (type(field) is mongoengine.StringField and not field.choices and not field.unique
                    and name not in READ_AS_DATA.get(document.__name__, ())):
                setattr(doc, name, self.text())
        doc.save(validate=False)
        return doc


# ---------------------------------------------------------------- reading the files


def _cells_csv(data: bytes):
    text = data.decode("utf-8-sig")
    for row in csv.reader(io.StringIO(text, newline="")):
        yield from row


def _check_csv(data: bytes) -> tuple[list, int]:
    problems, hostile = [], 0
    for value in _cells_csv(data):
        if value.startswith(FORMULA_STARTS):
            problems.append(value)
        elif value.startswith("'") and value[1:].startswith(FORMULA_STARTS):
            hostile += 1
    return problems, hostile


def _check_xlsx(data: bytes) -> tuple[list, int]:
    problems, hostile = [], 0
    workbook = load_workbook(io.BytesIO(data))
    for sheet in workbook.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    problems.append(f"{sheet.title}!{cell.coordinate} formula {cell.value!r}")
                elif looks_like_formula(cell.value):
                    if cell.data_type != "s" or not cell.quotePrefix:
                        problems.append(f"{sheet.title}!{cell.coordinate} {cell.value!r} not kept as text")
                    else:
                        hostile += 1
    return problems, hostile


def check_file(data: bytes, kind: str) -> tuple[list, int]:
    """The cells that a spreadsheet program would run, and how many formula-like
    values were found written safely."""
    return _check_csv(data) if kind == "csv" else _check_xlsx(data)


# ---------------------------------------------------------------- every export of the registry


def _exporter(view) -> str | None:
    return next((role for role in ("coordinator", "admin", "manager") if allowed(role, view.area, "export")), None)


def test_every_export_of_every_view_writes_hostile_text_as_text(app, login_as, townships, accounts):
    admin = app.extensions["admin"][0]
    hostile = Hostile(townships, accounts["coordinator"])
    problems, tried = [], []
    for view in admin._views:
        if not isinstance(view, ModelView) or not _exporter(view):
            continue
        hostile.record(view.model)
        client = login_as(_exporter(view))
        for kind in view.export_types:
            response = client.get(f"/{view.endpoint}/export/{kind}/")
            name = f"{view.endpoint}.{kind}"
            tried.append(name)
            if response.status_code != 200:
                problems.append(f"{name}: HTTP {response.status_code}")
                continue
            unsafe, written = check_file(response.data, kind)
            problems += [f"{name}: {cell}" for cell in unsafe]
            if not written:
                problems.append(f"{name}: no hostile value in the file (the record is not exported?)")
    assert problems == [], "\n".join(problems)
    assert {"childarchive.xlsx", "childarchive.csv", "visit.csv", "expense.csv", "user.csv"} <= set(tried), tried


# ---------------------------------------------------------------- reports and templates


def test_every_report_and_template_writes_hostile_text_as_text(app, login_as, townships, accounts):
    """The workbooks built outside the list exports: the visit sheet to take along,
    the budget, the indicator report (indicator names are sheet titles too) and the
    import templates (township names in their drop-down lists)."""
    from models.budget import BudgetLine, BudgetTransfer, Expense
    from models.indicators import Indicator
    from models.reference import Township
    from models.subsidy import KINDS

    from .archive_helpers import make_child

    hostile = Hostile(townships, accounts["coordinator"])
    make_child(townships["东江街道"], name=HOSTILE[3], risk_level="1", current_address=HOSTILE[0], phone=HOSTILE[2])
    for document in (Township, BudgetLine, Expense, BudgetTransfer):
        hostile.record(document)
    for indicator, text in zip(Indicator.objects.limit(3), HOSTILE, strict=False):
        indicator.update(set__name=text, set__rule=text)
    reports = {"/schedule/export?policy=child_risk_1": ("staff", 3), "/budget/export/": ("coordinator", 6),
               "/indicators/report/": ("coordinator", 6), "/archive-import/template/child": ("coordinator", 1),  # a district user: every township
               **{f"/subsidy/template/{kind}": ("coordinator", 0) for kind, _ in KINDS}}
    problems = []
    for url, (role, least) in reports.items():
        response = login_as(role).get(url)
        if response.status_code != 200:
            problems.append(f"{url}: HTTP {response.status_code}")
            continue
        unsafe, written = check_file(response.data, "xlsx")
        problems += [f"{url}: {cell}" for cell in unsafe]
        if written < least:
            problems.append(f"{url}: {written} hostile values written, expected {least} or more")
    assert problems == [], "\n".join(problems)


# ---------------------------------------------------------------- the export's projection


def _cells(data: bytes, kind: str) -> list:
    if kind == "csv":
        return list(_cells_csv(data))
    workbook = load_workbook(io.BytesIO(data))
    return [[cell.value for cell in row] for sheet in workbook.worksheets for row in sheet.iter_rows()]


def test_every_projected_export_writes_what_a_full_read_writes(app, login_as, townships, accounts, monkeypatch):
    """An export reads only the fields of its columns: for every view of the registry
    that projects, the file equals the one written from whole records."""
    from views.base import SecureModelView

    admin = app.extensions["admin"][0]
    hostile = Hostile(townships, accounts["coordinator"])
    projected, differing = [], []
    for view in admin._views:
        if not isinstance(view, SecureModelView) or not _exporter(view) or not view.export_only_fields():
            continue
        hostile.record(view.model)
        client = login_as(_exporter(view))
        for kind in view.export_types:
            url = f"/{view.endpoint}/export/{kind}/"
            narrow = _cells(client.get(url).data, kind)
            with monkeypatch.context() as patch:
                patch.setattr(type(view), "export_only_fields", lambda self: ())
                whole = _cells(client.get(url).data, kind)
            projected.append(f"{view.endpoint}.{kind}")
            if narrow != whole:
                differing.append(f"{view.endpoint}.{kind}")
    assert differing == []
    assert {"childarchive.xlsx", "elderlyarchive.csv", "visit.csv"} <= set(projected), projected
