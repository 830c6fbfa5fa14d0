"""A value a field's declaration refuses gets a Chinese message naming the field, decided by
the declaration: generated over every document class of the models (embedded ones too) and
every field of each, with a value breaking each thing the field declares (required, its
choices, its pattern, its length, its bounds, its kind)."""

import re

import pytest
from mongoengine import (
    BooleanField,
    DateTimeField,
    DictField,
    EmbeddedDocumentField,
    FileField,
    FloatField,
    IntField,
    ListField,
    ObjectIdField,
    ReferenceField,
    StringField,
    ValidationError,
)
from mongoengine.base import _document_registry

import views.registry  # noqa: F401  (every model module loaded, so every document class is registered)
from models.validation import NOT_A_CHOICE, REQUIRED, refusal

ASCII_LETTER = re.compile(r"[A-Za-z]")
BOOKKEEPING = {"id", "_id", "_cls"}
CLASSES = sorted({cls for cls in _document_registry.values() if not cls._meta.get("abstract")},
                 key=lambda cls: cls._class_name)


def _bad_values(field) -> list:
    """(what is broken, value) for each thing ``field`` declares."""
    values = []
    if field.required:
        values.append(("required", [] if isinstance(field, ListField) else None))
    choices = [c[0] if isinstance(c, (list, tuple)) else c for c in field.choices or ()]
    if choices:
        values.append(("choice", -987 if all(isinstance(c, int) for c in choices) else "不存在的选项"))
    if isinstance(field, StringField):
        if field.max_length:
            values.append(("max_length", "字" * (field.max_length + 1)))
        if field.min_length and field.min_length > 1:
            values.append(("min_length", "字" * (field.min_length - 1)))
        values += [("format", text) for text in ("!", "abc", "字") if not choices][:2]
    if isinstance(field, (IntField, FloatField)):
        if field.min_value is not None:
            values.append(("min_value", field.min_value - 1))
        if field.max_value is not None:
            values.append(("max_value", field.max_value + 1))
        values.append(("kind", "abc"))
    if isinstance(field, (BooleanField, DateTimeField, ReferenceField, ObjectIdField, DictField, ListField)):
        values.append(("kind", "abc" if not isinstance(field, ListField) else 5))
    if isinstance(field, ListField) and field.field is not None and not isinstance(field.field, FileField):
        values += [(f"item {what}", [value]) for what, value in _bad_values(field.field) if what != "required"]
    if isinstance(field, EmbeddedDocumentField):
        values.append(("embedded", field.document_type()))
        values.append(("kind", "abc"))
    return values


def _cases(cls):
    for name, field in cls._fields.items():
        if name in BOOKKEEPING or isinstance(field, FileField):
            continue
        for what, value in _bad_values(field):
            doc = cls()
            try:
                setattr(doc, name, value)
                doc.validate()
            except ValidationError as exc:
                if name in (exc.errors or {}):
                    yield name, field, what, doc
            except (TypeError, ValueError, AttributeError):
                continue  # a value the document does not even take: not a validation case


KINDS_SEEN: set = set()


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls._class_name)
def test_every_refused_value_is_told_in_chinese_with_the_field_label(cls):
    for name, field, what, doc in _cases(cls):
        message = refusal(doc, name)
        label, _, text = message.partition("：")
        assert text and not ASCII_LETTER.search(text), (cls._class_name, name, what, message)
        if getattr(field, "verbose_name", None):
            assert label == field.verbose_name, message
        if what == "required":
            assert text == REQUIRED, message
        if what == "choice":
            assert text == NOT_A_CHOICE, message
        if what in ("min_value", "max_value"):
            assert re.search(r"\d", text), message
        KINDS_SEEN.add((type(field).__name__, what))


def test_the_cases_cover_every_kind_of_refusal():
    """The generator is not empty: each kind of refusal occurred in some model (run last)."""
    if not KINDS_SEEN:
        for cls in CLASSES:
            KINDS_SEEN.update((type(f).__name__, what) for _, f, what, _ in _cases(cls))
    seen = {what.split()[-1] for _, what in KINDS_SEEN}
    assert {"required", "choice", "max_length", "format", "kind", "embedded", "min_value"} <= seen, sorted(seen)
