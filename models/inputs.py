"""What people type into ID-number, phone and date fields, made plain wherever it
arrives (forms, the importer, search, the service layer): full-width digits and
letters (４５０３０５…, typed with a Chinese input method) become ASCII, spaces
(including the ideographic space U+3000) are dropped, an ID number's x is upper case.

A field's kind comes from its declaration: ``input_kind=`` on the field when given,
else a date field by its type, an ID number by ``sensitive=ID_NUMBER``, a phone by a
name ending in ``phone``. A new field declared that way is normalised without more code."""


from mongoengine import DateField, DateTimeField, EmbeddedDocumentField

from .dates import parse_datetime
from .text import SPACES, one_line, plain

#: The kinds. ID_NUMBER is also the ``sensitive=`` marker of an ID-number field (models.sensitivity).
ID_NUMBER = "id_number"
PHONE = "phone"
DATE = "date"
TEXT = "text"  # declared free text, e.g. "紧急联系人及电话": only full-width characters made plain
KINDS = (ID_NUMBER, PHONE, DATE, TEXT)

__all__ = ["DATE", "ID_NUMBER", "KINDS", "PHONE", "TEXT", "input_kind", "normalise", "normalise_document", "plain"]


def normalise(kind: str | None, value):
    """``value`` as a field of ``kind`` keeps it (anything not a string is left alone)."""
    if not isinstance(value, str) or kind is None:
        return value
    text = plain(value)
    if kind == ID_NUMBER:
        return SPACES.sub("", text).upper()
    if kind == PHONE:
        return SPACES.sub("", text)
    if kind == DATE:  # one space may part a date from its time
        return one_line(text)
    return text.strip()


def input_kind(field, name: str | None = None) -> str | None:
    """The kind of a (mongoengine) field, from its declaration; None for other fields."""
    declared = getattr(field, "input_kind", None)
    if declared:
        return declared
    if isinstance(field, (DateTimeField, DateField)):
        return DATE
    if getattr(field, "sensitive", None) == ID_NUMBER:
        return ID_NUMBER
    if (name or getattr(field, "name", None) or "").endswith("phone"):
        return PHONE
    return None


def normalise_document(doc) -> None:
    """Normalise every typed field of ``doc`` and of the documents embedded in it, in place."""
    for name, field in doc._fields.items():
        value = doc._data.get(name)
        if value is None:
            continue
        if isinstance(field, EmbeddedDocumentField):
            normalise_document(value)
            continue
        kind = input_kind(field, name)
        if kind is None or not isinstance(value, str):
            continue
        if kind == DATE:
            parsed = parse_datetime(value)
            if parsed is not None:
                setattr(doc, name, parsed)
            continue
        cleaned = normalise(kind, value)
        if cleaned != value:
            setattr(doc, name, cleaned)
