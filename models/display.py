"""Values as a person reads them: choice labels, the names of the records referred to,
dates, lists joined with 、, an embedded record as its labelled fields, a stored file by its
name (never a code, an id or a checksum); and the changes between two snapshots of a record
in those words (the audit trail's lines)."""

import contextlib
import contextvars
import datetime as dt

from bson import ObjectId
from mongoengine import DictField, EmbeddedDocumentField, FileField, ListField, ReferenceField
from mongoengine.connection import get_db

from .audit import FieldChange
from .base import WHOLE_RESULT, referenced_ids
from .money import FenField, format_yuan

MAX_AUDIT_VALUE = 500


def field_label(doc, name: str) -> str:
    field = doc._fields.get(name) if hasattr(doc, "_fields") else None
    db_to_name = getattr(doc, "_reverse_db_field_map", {}) or {}
    if field is None and name in db_to_name:
        field = doc._fields.get(db_to_name[name])
    return (getattr(field, "verbose_name", None) or name) if field else name


#: Labels of referenced records already read, while many records are written at once.
_known_labels: contextvars.ContextVar[dict | None] = contextvars.ContextVar("known_labels", default=None)


@contextlib.contextmanager
def labels_read_once(docs: list):
    """While many records are written: the labels of every record they refer to, read with one
    query per referenced kind (not one per record)."""
    token = _known_labels.set({(target, record.pk): str(record) for target, ids in referenced_ids(docs).items()
                               for record in target.objects(pk__in=list(ids)).batch_size(WHOLE_RESULT)})
    try:
        yield
    finally:
        _known_labels.reset(token)


def _field_of(doc, name: str):
    fields = getattr(doc, "_fields", None) or {}
    field = fields.get(name)
    if field is None:
        reverse = getattr(doc, "_reverse_db_field_map", {}) or {}
        field = fields.get(reverse.get(name, ""))
    return field


def _labels_of(target, ids: list) -> dict:
    """{id: label} of records of ``target`` (from the labels already read while many records are written)."""
    known = _known_labels.get()
    if known is None:
        return {d.pk: str(d) for d in target.objects(pk__in=ids)}
    missing = [i for i in ids if (target, i) not in known]
    if missing:
        known.update({(target, d.pk): str(d) for d in target.objects(pk__in=missing)})
    return {i: known[(target, i)] for i in ids if (target, i) in known}


def display_value(doc, name: str, value) -> str:
    """A value as a person reads it in the audit trail: choice labels, the names of the
    records referred to, dates, lists joined with 、, an embedded record as its labelled
    fields, a stored file by its name (never a code, an id or a checksum)."""
    field = _field_of(doc, name)
    if isinstance(field, DictField) and isinstance(value, dict) and hasattr(doc, "dict_key_labels"):
        labels = doc.dict_key_labels(name)  # an archive's custom fields by their names, not their keys
        value = {labels.get(k, k): v for k, v in value.items()}
    text = _text(field, value) if field is not None else _plain(value)
    if len(text) > MAX_AUDIT_VALUE:
        text = text[: MAX_AUDIT_VALUE - 1] + "…"
    return text


def _text(field, value) -> str:
    """``value`` as stored for ``field``, as a person reads it."""
    if value is None or value == "" or value == [] or value == {}:
        return ""
    if isinstance(field, FenField):
        return format_yuan(value)
    if isinstance(field, ListField):
        inner = field.field
        if isinstance(inner, ReferenceField) and all(isinstance(v, ObjectId) for v in value):
            found = _labels_of(inner.document_type, list(value))
            return "、".join(found.get(v, "（已删除的记录）") for v in value)
        parts = [_text(inner, v) for v in value]
        joiner = "；" if isinstance(inner, EmbeddedDocumentField) else "、"
        return joiner.join(p for p in parts if p)
    if isinstance(field, EmbeddedDocumentField) and isinstance(value, dict):
        return _embedded_text(field.document_type, value)
    if isinstance(field, FileField):
        return _file_name(field, value)
    if isinstance(field, ReferenceField) and isinstance(value, ObjectId):
        return _labels_of(field.document_type, [value]).get(value, "（已删除的记录）")
    if isinstance(field, DictField) and isinstance(value, dict):
        return "，".join(f"{k}：{_plain(v)}" for k, v in value.items() if not _blank(v))
    pairs = {c[0]: c[1] for c in getattr(field, "choices", None) or () if isinstance(c, (tuple, list))}
    if not isinstance(value, (list, dict)) and value in pairs:
        return pairs[value]
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    return _plain(value)


def _embedded_text(document_type, value: dict) -> str:
    """An embedded record as "label：value" of each field a person fills in (fields without
    a label, files, checksums and other bookkeeping declared ``audited=False`` left out)."""
    parts = []
    for name, inner in document_type._fields.items():
        if name.startswith("_") or not getattr(inner, "verbose_name", None) or getattr(inner, "audited", True) is False \
                or isinstance(inner, FileField):
            continue
        text = _text(inner, value.get(inner.db_field))
        if text:
            parts.append(f"{inner.verbose_name}：{text}")
    return "，".join(parts)


def _file_name(field, value) -> str:
    """A stored file by its name."""
    file_id = getattr(value, "grid_id", value)
    if not isinstance(file_id, ObjectId):
        return "文件"
    found = get_db()[f"{field.collection_name}.files"].find_one({"_id": file_id}, {"filename": 1})
    return (found or {}).get("filename") or "文件"


def _plain(value) -> str:
    if isinstance(value, dict):
        return "，".join(f"{k}：{_plain(v)}" for k, v in value.items() if k != "_cls" and not _blank(v))
    if isinstance(value, list):
        return "、".join(_plain(v) for v in value if not _blank(v))
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _blank(value) -> bool:
    return value is None or value is False or value == "" or value == [] or value == {}


#: Fields every kind that has them derives from its other fields on each save.
DERIVED_FIELDS = frozenset({"photo_hashes"})


def diff(doc, before: dict, after: dict) -> list[FieldChange]:
    """Field-by-field changes between two snapshots, bookkeeping left out."""
    ignored = getattr(doc, "bookkeeping_fields", frozenset({"_id", "_cls"})) | getattr(
        doc, "unaudited_fields", frozenset()) | DERIVED_FIELDS
    changes = []
    keys = list(after.keys()) + [k for k in before if k not in after]
    for key in keys:
        if key in ignored:
            continue
        old, new = before.get(key), after.get(key)
        if old == new or (_blank(old) and _blank(new)):
            continue
        changes.append(
            FieldChange(
                field=key,
                label=field_label(doc, key),
                old=display_value(doc, key, old),
                new=display_value(doc, key, new),
            )
        )
    return changes
