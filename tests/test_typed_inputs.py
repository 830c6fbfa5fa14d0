"""ID numbers, phone numbers and dates typed with full-width characters (a Chinese input
method) or with spaces, the ideographic space U+3000 included, are read as the plain
value everywhere input arrives: every form of the view registry, the service layer for
every model's typed fields, the importer and the search. Cases are generated from the
models' field declarations and the registry's forms."""

import datetime as dt

import pytest
from mongoengine import DateField, DateTimeField, EmbeddedDocumentField, ListField, StringField
from mongoengine.base import _document_registry

from models import idnumber
from models.archive_import import preview_import
from models.archives import ChildArchive
from models.inputs import DATE, ID_NUMBER, PHONE, input_kind, normalise_document
from models.services import create_record

from .archive_helpers import child_id, make_child
from .conftest import login
from .form_pages import CSRF_VALUE, form_fields, posted, stored
from .test_hostile_forms import form_targets, one_of_each_record
from .test_import import workbook_bytes

FULL_WIDTH = {code - 0xFEE0: code for code in range(0xFF01, 0xFF5F)}


def as_typed(text: str, kind: str = ID_NUMBER) -> str:
    """``text`` as a person with a Chinese input method might type it: full-width, with
    spaces around it and, in a number, in its middle (between a date's parts for a date)."""
    wide = text.translate(FULL_WIDTH)
    if kind == DATE:
        return " " + wide.replace("－", "\u3000－ ", 1).replace(" ", "\u3000 ") + " \u3000"
    middle = len(wide) // 2
    return " " + wide[:middle] + "\u3000" + wide[middle:] + " \u3000"


def project_documents():
    return sorted({cls for cls in _document_registry.values() if cls.__module__.startswith("models.")},
                  key=lambda cls: cls._class_name)


def typed_fields():
    """(document class, field name, field) for every field that holds an ID number, a phone or a date."""
    found = []
    for cls in project_documents():
        for name, field in cls._fields.items():
            if input_kind(field, name) in (ID_NUMBER, PHONE, DATE):
                found.append((cls, name, field))
    return found


def test_every_id_phone_and_date_field_declares_its_kind():
    """A field whose label says it holds an ID number or a phone, or that stores a date, has an
    input kind: a new one declared without it fails here."""
    undeclared = []
    for cls in project_documents():
        for name, field in cls._fields.items():
            inner = field.field if isinstance(field, ListField) else field
            label = getattr(inner, "verbose_name", None) or getattr(field, "verbose_name", None) or ""
            says = isinstance(inner, (DateTimeField, DateField)) or (
                isinstance(inner, StringField) and ("电话" in label or "身份证" in label))
            if says and input_kind(inner, name) is None:
                undeclared.append(f"{cls._class_name}.{name}（{label}）")
    assert undeclared == []
    kinds = {input_kind(f, n) for _, n, f in typed_fields()}
    assert {ID_NUMBER, PHONE, DATE} <= kinds


SAMPLES = {ID_NUMBER: child_id(dt.date(2015, 3, 5), 24), PHONE: "13800000000", DATE: "2026-03-05"}


@pytest.mark.parametrize(("cls", "name", "field"), typed_fields(),
                         ids=[f"{c._class_name}.{n}" for c, n, _ in typed_fields()])
def test_service_layer_reads_typed_values_as_plain(app, cls, name, field):
    """Every model's typed field, set to the full-width and spaced form of a value, holds the
    plain value once the service layer has prepared the record (whatever path it came by)."""
    kind = input_kind(field, name)
    document = cls.__new__(cls)
    document.__init__()
    setattr(document, name, as_typed(SAMPLES[kind], kind))
    normalise_document(document)
    expected = dt.datetime(2026, 3, 5) if kind == DATE else SAMPLES[kind]
    assert getattr(document, name) == expected


def test_embedded_typed_fields_too(app, townships):
    from models.archives import ParentInfo

    number = idnumber.make("450305", dt.date(1985, 6, 1), 31)
    child = make_child(townships["东江街道"], father=ParentInfo(name="张大山", phone=as_typed("13900000000"),
                                                               id_number=as_typed(number.lower())))
    saved = ChildArchive.objects(pk=child.pk).get()
    assert saved.father.phone == "13900000000" and saved.father.id_number == number


def test_the_reported_id_number_no_false_check_digit_error(app, townships):
    number = child_id(dt.date(2015, 3, 5), 24)
    child = create_record(ChildArchive(name="全角", township=townships["东江街道"], id_number=as_typed(number)), None)
    assert ChildArchive.objects(pk=child.pk).get().id_number == number
    assert child.birth_date == dt.datetime(2015, 3, 5)


def test_every_registry_form_reads_typed_values_as_plain(app, accounts, townships):
    """Each edit form of the registry, posted back with its ID-number, phone and date fields
    retyped full-width and spaced, saves the same values as before."""
    from seeds.demo import generate_demo_data

    with app.app_context():
        generate_demo_data(12, seed=5)
        one_of_each_record(townships, accounts)
        targets = [t for t in form_targets(app, accounts) if t[1] == "edit"]
    client = app.test_client()
    assert login(client, accounts["admin"].username).status_code == 302
    coordinator = app.test_client()
    assert login(coordinator, accounts["coordinator"].username).status_code == 302
    tried, failures = 0, []
    for view, _, records in targets:
        role = "admin" if "admin" in records else ("coordinator" if "coordinator" in records else None)
        if role is None:
            continue
        browser = client if role == "admin" else coordinator
        pk = records[role]
        page = browser.get(f"/{view.endpoint}/edit/?id={pk}", follow_redirects=True)
        text = page.get_data(as_text=True)
        fields = form_fields(text)
        kinds = {}
        for name, found in fields.items():
            owner, _, inner = name.partition("-")
            model_field = view.model._fields.get(owner)
            if inner and isinstance(model_field, EmbeddedDocumentField):
                model_field = model_field.document_type._fields.get(inner)
            elif inner:
                continue
            kind = input_kind(model_field, inner or owner) if model_field is not None else None
            if kind in (ID_NUMBER, PHONE, DATE) and found["values"] and found["values"][0]:
                kinds[name] = kind
        if not kinds:
            continue
        token = CSRF_VALUE.search(text).group(1)
        baseline = browser.post(page.request.full_path, data={"csrf_token": token, **posted(fields, {})})
        if baseline.status_code != 302:
            continue  # the record does not save as it stands (a field it lacks): not this test's concern
        page = browser.get(f"/{view.endpoint}/edit/?id={pk}", follow_redirects=True)
        text = page.get_data(as_text=True)
        fields = form_fields(text)
        with app.app_context():
            before = stored(view.model, pk)
        changes = {name: as_typed(fields[name]["values"][0], kind) for name, kind in kinds.items()}
        token = CSRF_VALUE.search(text).group(1)
        response = browser.post(page.request.full_path, data={"csrf_token": token, **posted(fields, changes)})
        tried += 1
        with app.app_context():
            after = stored(view.model, pk)
        different = {k for k in {name.partition("-")[0] for name in kinds} if before.get(k) != after.get(k)}
        if response.status_code != 302 or different:
            failures.append(f"{view.endpoint}: {response.status_code} {sorted(kinds)} changed "
                            f"{[(k, before.get(k), after.get(k)) for k in sorted(different)]} {changes}")
    assert failures == [], "\n".join(failures)
    assert tried >= 10


def test_import_reads_typed_id_numbers_and_dates(app):
    number = child_id(dt.date(2015, 3, 5), 24)
    data = workbook_bytes([["全角导入", as_typed(number.replace("X", "x")), None, as_typed("2015年3月5日", DATE),
                            "东江街道", None, "农村留守儿童", "三级（低）", "监护正常"]])
    preview = preview_import(data, "child", None)
    assert [r.problems for r in preview.rows] == [[]]
    assert preview.rows[0].values["id_number"] == number
    assert preview.rows[0].values["birth_date"] == dt.datetime(2015, 3, 5)


def test_search_reads_typed_id_numbers_and_phones(app, login_as, townships):
    number = child_id(dt.date(2015, 3, 5), 24)
    make_child(townships["东江街道"], name="搜索对象", birth=dt.date(2015, 3, 5), sequence=24, phone="13812345678")
    client = login_as("coordinator")
    for term in (as_typed(number), as_typed("138 1234 5678")):
        page = client.get("/childarchive/", query_string={"search": term}).get_data(as_text=True)
        assert "搜索对象" in page, term
