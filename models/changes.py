"""The changes between two snapshots of a record, in the words a person reads: the
audit trail's lines (each value through models.display, long ones cut)."""

from mongoengine import DictField

from . import display
from .audit import FieldChange

MAX_AUDIT_VALUE = 500

#: Fields every kind that has them derives from its other fields on each save.
DERIVED_FIELDS = frozenset({"photo_hashes"})


def audit_text(doc, name: str, value) -> str:
    """A value as the audit trail shows it: as models.display reads it (an archive's custom
    fields by their names, not their keys), cut at MAX_AUDIT_VALUE characters."""
    field = display.field_of(doc, name)
    if isinstance(field, DictField) and isinstance(value, dict) and hasattr(doc, "dict_key_labels"):
        labels = doc.dict_key_labels(name)
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
    for key in list(after) + [k for k in before if k not in after]:
        if key in ignored:
            continue
        old, new = before.get(key), after.get(key)
        if old == new or (display.is_blank(old) and display.is_blank(new)):
            continue
        changes.append(FieldChange(field=key, label=display.field_label(doc, key),
                                   old=audit_text(doc, key, old), new=audit_text(doc, key, new)))
    return changes
