"""The one way a value becomes the text a person reads: in a list, on a record's
page, in an export and in the audit trail. ``display_value(document, name, value)``
takes a document class (or record), a field name (or the stored name) and a value,
stored or loaded: choices become their labels, dates and datetimes take one format,
booleans 是/否, lists are joined with 、, money is in 元, references are the
records' names (``str``), a stored file is its file name, an embedded record is its
labelled fields. Nothing here knows the web layer."""

import contextvars
import datetime as dt

from bson import ObjectId
from mongoengine import DictField, EmbeddedDocumentField, FileField, ListField, ReferenceField
from mongoengine.connection import get_db

from .money import FenField, format_yuan

DATE_FORMAT = "%Y-%m-%d"
DATETIME_FORMAT = "%Y-%m-%d %H:%M"
#: A referenced record that is no longer there.
GONE = "（已删除的记录）"

#: Labels of referenced records already read, while many records are written at once.
known_labels: contextvars.ContextVar[dict | None] = contextvars.ContextVar("known_labels", default=None)


def date_text(value) -> str:
    """A date as 2026-03-01; a datetime with a time of day as 2026-03-01 09:30."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime) and (value.hour or value.minute or value.second):
        return value.strftime(DATETIME_FORMAT)
    return value.strftime(DATE_FORMAT)


def bool_text(value) -> str:
    return "是" if value else "否"


def list_text(values) -> str:
    """Loaded values joined with 、 (each its own text: a record its name)."""
    return "、".join(str(v) for v in values if v is not None)


def field_of(document, name: str):
    """The field ``name`` of a document class or record, by its name or its stored name."""
    fields = getattr(document, "_fields", None) or {}
    field = fields.get(name)
    if field is None:
        reverse = getattr(document, "_reverse_db_field_map", {}) or {}
        field = fields.get(reverse.get(name, ""))
    return field


def labels_of(target, ids: list) -> dict:
    """{id: label} of records of ``target`` (from the labels already read while many records are written)."""
    known = known_labels.get()
    if known is None:
        return {d.pk: str(d) for d in target.objects(pk__in=ids)}
    missing = [i for i in ids if (target, i) not in known]
    if missing:
        known.update({(target, d.pk): str(d) for d in target.objects(pk__in=missing)})
    return {i: known[(target, i)] for i in ids if (target, i) in known}


def display_value(document, name: str, value, symbol: bool = True) -> str:
    """``value`` of the field ``name`` of ``document`` as a person reads it (money
    without the ¥ where ``symbol`` is false: a spreadsheet's column says 元)."""
    field = field_of(document, name)
    return value_text(field, value, symbol) if field is not None else plain_text(value)


def value_text(field, value, symbol: bool = True) -> str:
    """``value`` as stored or loaded for ``field``, as a person reads it."""
    if is_blank(value) and value is not False:
        return ""
    if isinstance(field, FenField):
        return format_yuan(value, symbol=symbol)
    if isinstance(field, ListField):
        inner = field.field
        if isinstance(inner, ReferenceField) and all(isinstance(v, ObjectId) for v in value):
            found = labels_of(inner.document_type, list(value))
            return "、".join(found.get(v, GONE) for v in value)
        parts = [value_text(inner, v, symbol) for v in value]
        joiner = "；" if isinstance(inner, EmbeddedDocumentField) else "、"
        return joiner.join(p for p in parts if p)
    if isinstance(field, EmbeddedDocumentField) and isinstance(value, dict):
        return embedded_text(field.document_type, value)
    if isinstance(field, FileField):
        return file_name(field, value)
    if isinstance(field, ReferenceField) and isinstance(value, ObjectId):
        return labels_of(field.document_type, [value]).get(value, GONE)
    if isinstance(field, DictField) and isinstance(value, dict):
        return "，".join(f"{k}：{plain_text(v)}" for k, v in value.items() if not is_blank(v))
    pairs = choice_labels(field)
    if not isinstance(value, (list, dict)) and value in pairs:
        return pairs[value]
    return plain_text(value)


def choice_labels(field) -> dict:
    """{code: label} of a field's choices (none for a field without labelled choices)."""
    return {c[0]: c[1] for c in getattr(field, "choices", None) or () if isinstance(c, (tuple, list))}


def embedded_text(document_type, value: dict) -> str:
    """An embedded record as "label：value" of each field a person fills in (fields without
    a label, files, checksums and other bookkeeping declared ``audited=False`` left out)."""
    parts = []
    for name, inner in document_type._fields.items():
        if name.startswith("_") or not getattr(inner, "verbose_name", None) or getattr(inner, "audited", True) is False \
                or isinstance(inner, FileField):
            continue
        text = value_text(inner, value.get(inner.db_field))
        if text:
            parts.append(f"{inner.verbose_name}：{text}")
    return "，".join(parts)


def file_name(field, value) -> str:
    """A stored file by its name."""
    file_id = getattr(value, "grid_id", value)
    if not isinstance(file_id, ObjectId):
        return "文件"
    found = get_db()[f"{field.collection_name}.files"].find_one({"_id": file_id}, {"filename": 1})
    return (found or {}).get("filename") or "文件"


def plain_text(value) -> str:
    """A value of no known field: a mapping as "key：value", a list joined, a date, 是/否."""
    if isinstance(value, dict):
        return "，".join(f"{k}：{plain_text(v)}" for k, v in value.items() if k != "_cls" and not is_blank(v))
    if isinstance(value, list):
        return "、".join(plain_text(v) for v in value if not is_blank(v))
    if isinstance(value, (dt.datetime, dt.date)):
        return date_text(value)
    if isinstance(value, bool):
        return bool_text(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def is_blank(value) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}
