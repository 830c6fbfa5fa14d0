"""One value reads the same wherever it is shown: a list's cell, a record's page, an
export and the audit trail all take their text from models.display. The cases are
generated from the models the app registers and from hypothesis."""

import datetime as dt

import mongoengine
from hypothesis import given
from hypothesis import strategies as st
from mongoengine.base import _document_registry

import views.registry  # noqa: F401  (every model the app registers)
from models.display import date_text, display_value
from models.money import FenField, format_yuan
from models.services import display_value as audit_text
from views.base import SecureModelView


def _fields():
    for cls in sorted(set(_document_registry.values()), key=lambda c: c.__name__):
        for name, field in cls._fields.items():
            yield cls, name, field


def _labelled(choices) -> list:
    return [c for c in choices or () if isinstance(c, (tuple, list))]


def test_every_choice_reads_as_its_label_alone_and_in_a_list():
    checked = 0
    for cls, name, field in _fields():
        inner = getattr(field, "field", None)
        if isinstance(field, mongoengine.ListField) and _labelled(getattr(inner, "choices", None)):
            pairs = _labelled(inner.choices)
            assert display_value(cls, name, [code for code, _ in pairs]) == "、".join(label for _, label in pairs)
            checked += 1
        for code, label in _labelled(getattr(field, "choices", None)):
            assert display_value(cls, name, code) == label == audit_text(cls, name, code)
            checked += 1
    assert checked > 50


@given(st.integers(min_value=-10**12, max_value=10**12))
def test_money_reads_in_yuan_in_the_audit_trail_and_without_the_sign_in_an_export(fen):
    fields = [(cls, name) for cls, name, field in _fields() if isinstance(field, FenField)]
    assert fields
    for cls, name in fields:
        assert display_value(cls, name, fen) == format_yuan(fen) == audit_text(cls, name, fen)
        assert display_value(cls, name, fen, symbol=False) == format_yuan(fen, symbol=False)


@given(st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1)))
def test_a_date_reads_one_way_everywhere(moment):
    moment = moment.replace(microsecond=0)  # the forms and the database keep no finer time
    text = date_text(moment)
    if moment.time() == dt.time():
        assert text == moment.strftime("%Y-%m-%d")
    else:
        assert text == moment.strftime("%Y-%m-%d %H:%M")
    fields = [(cls, name) for cls, name, field in _fields() if isinstance(field, mongoengine.DateTimeField)]
    for cls, name in fields[:20]:
        assert display_value(cls, name, moment) == text == audit_text(cls, name, moment)


def test_a_list_cell_says_what_the_audit_trail_says(app):
    """For every view of the registry, each money column and each list-of-choices column
    shows in the list, on the record's page and in the export what the audit trail writes."""
    checked = 0
    for view in app.extensions["admin"][0]._views:
        if not isinstance(view, SecureModelView):
            continue
        for name, field in view.model._fields.items():
            inner = getattr(field, "field", None)
            if isinstance(field, FenField):
                value = 123456
            elif isinstance(field, mongoengine.ListField) and _labelled(getattr(inner, "choices", None)):
                value = [code for code, _ in _labelled(inner.choices)][:2]
            else:
                continue
            record = view.model(**{name: value})
            for formatters in (view.column_formatters, view.column_formatters_detail):
                if name in formatters:
                    assert formatters[name](view, None, record, name) == audit_text(record, name, value)
                    checked += 1
            exported = view.column_formatters_export[name](view, None, record, name)
            assert exported == display_value(type(record), name, value, symbol=False)
    assert checked > 10
