"""The changes between two snapshots of a record as the audit trail reads them: field by
field, each value as a person reads it (models.display), an archive's custom fields by their
names, kept to a readable length."""

import contextlib

from mongoengine import DictField

from . import display
from .audit import FieldChange
from .base import WHOLE_RESULT, referenced_ids
from .display import field_of, is_blank, known_labels

MAX_AUDIT_VALUE = 500

#: Fields every kind that has them derives from its other fields on each save.
DERIVED_FIELDS = frozenset({"photo_hashes"})


def field_label(doc, name: str) -> str:
    field = field_of(doc, name)
    return (getattr(field, "verbose_name", None) or name) if field is not None else name


@contextlib.contextmanager
def labels_read_once(docs: list):
    """While many records are written: the labels of every record they refer to, read with one
    query per referenced kind (not one per record)."""
    token = known_labels.set({(target, record.pk): str(record) for target, ids in referenced_ids(docs).items()
                              for record in target.objects(pk__in=list(ids)).batch_size(WHOLE_RESULT)})
    try:
        yield
    finally:
        known_labels.reset(token)


def display_value(doc, name: str, value) -> str:
    """A value as a person reads it in the audit trail: choice labels, the names of the
    records referred to, dates, lists joined with 、, an embedded record as its labelled
    fields, a stored file by its name (never a code, an id or a checksum)."""
    field = field_of(doc, name)
    if isinstance(field, DictField) and isinstance(value, dict) and hasattr(doc, "dict_key_labels"):
        labels = doc.dict_key_labels(name)  # an archive's custom fields by their names, not their keys
        value = {labels.get(k, k): v for k, v in value.items()}
    text = display.display_value(doc, name, value)
    if len(text) > MAX_AUDIT_VALUE:
        text = text[: MAX_AUDIT_VALUE - 1] + "…"
    return text


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
        if old == new or (is_blank(old) and is_blank(new)):
            continue
        changes.append(FieldChange(field=key, label=field_label(doc, key), old=display_value(doc, key, old),
                                   new=display_value(doc, key, new)))
    return changes
