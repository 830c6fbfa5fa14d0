"""Merging two archives of one person: the kept archive takes, field by field, the
value chosen from either; every record that names the merged-away archive (visits,
services, assessments...) is made to name the kept one; the merged-away archive is
voided with a reason naming the kept one. Nothing is deleted: both archives' audit
trails stay, each change is an audit entry of its own, and the merge itself is one more.

Every record to change is checked before the first is written, so a merge that a
rule refuses writes nothing."""

from dataclasses import dataclass

from mongoengine import EmbeddedDocumentField, FileField, ListField, ReferenceField
from mongoengine.base import _document_registry

from .archives import Archive
from .audit import audit_entry
from .base import TrackedDocument, by_id, ref_id
from .errors import DomainError
from .services import check_record, display_value, snapshot, update_record, void_record

#: Fields the merge never offers: kept by the system or derived from other fields.
NOT_CHOSEN = frozenset({"id", "status", "status_date", "status_reason", "custom", "archive_date"})


def choosable_fields(record: Archive) -> list[str]:
    """The fields of an archive a person chooses between when merging (in the form's order)."""
    skipped = record.bookkeeping_fields | record.unaudited_fields | TrackedDocument._fields.keys() | NOT_CHOSEN
    skipped |= set(getattr(record, "file_fields", ()))
    return [name for name, field in record._fields.items()
            if name not in skipped and not name.startswith("_") and not isinstance(field, FileField)]


@dataclass
class FieldChoice:
    name: str
    label: str
    kept: str  # as a person reads it
    other: str
    differs: bool


def compare(kept: Archive, other: Archive) -> list[FieldChoice]:
    """The two archives side by side, field by field (what the review screen shows)."""
    kept_son, other_son = snapshot(kept), snapshot(other)
    rows = []
    for name in choosable_fields(kept):
        field = kept._fields[name]
        db = field.db_field
        a, b = kept_son.get(db), other_son.get(db)
        rows.append(FieldChoice(name, field.verbose_name or name, display_value(kept, db, a),
                                display_value(other, db, b), (a or None) != (b or None)))
    return rows


def _archive_references() -> list[tuple[type, str, str | None]]:
    """(document class, field, embedded field or None) of every field that refers to an archive:
    top-level references and lists of them, and references inside a list of embedded records."""
    found, seen = [], set()
    for document in _document_registry.values():
        if document._meta.get("abstract") or not issubclass(document, TrackedDocument) or issubclass(document, Archive):
            continue
        for name, field in document._fields.items():
            inner = field.field if isinstance(field, ListField) else field
            subs = [None] if isinstance(inner, ReferenceField) and issubclass(inner.document_type, Archive) else []
            if isinstance(inner, EmbeddedDocumentField):
                subs = [sub for sub, sub_field in inner.document_type._fields.items()
                        if isinstance(sub_field, ReferenceField) and issubclass(sub_field.document_type, Archive)]
            for sub in subs:
                key = (document._get_collection_name(), name, sub)  # a subclass shares its root's collection
                if key not in seen:
                    seen.add(key)
                    found.append((document, name, sub))
    return found


def _repointed(record, field: str, sub: str | None, other_id, kept: Archive) -> bool:
    """Make ``record`` name ``kept`` where it named the merged-away archive; whether it did."""
    value = getattr(record, field)
    if sub is None:
        if isinstance(value, list):
            ids = [ref_id(v) for v in value]
            if other_id not in ids:
                return False
            items, seen = [], set()
            for item, pk in zip(value, ids, strict=True):
                target = kept if pk == other_id else item
                if ref_id(target) not in seen:  # a visit of both: the kept person once
                    seen.add(ref_id(target))
                    items.append(target)
            setattr(record, field, items)
            return True
        if ref_id(value) == other_id:
            setattr(record, field, kept)
            return True
        return False
    changed = False
    for item in value if isinstance(value, list) else [value]:
        if item is not None and ref_id(item._data.get(sub)) == other_id:
            setattr(item, sub, kept)
            changed = True
    return changed


def referring_records(other: Archive, kept: Archive) -> list[tuple[TrackedDocument, dict]]:
    """Each record naming ``other``, already made to name ``kept`` (in every field that named
    it), with its snapshot from before."""
    found: dict = {}
    for document, field, sub in _archive_references():
        path = f"{document._fields[field].db_field}.{sub}" if sub else document._fields[field].db_field
        for son in document._get_collection().find({path: other.pk}):
            key = (document._get_collection_name(), son["_id"])
            if key not in found:
                record = document._from_son(son)
                found[key] = [record, snapshot(record), False]
            entry = found[key]
            entry[2] = _repointed(entry[0], field, sub, other.pk, kept) or entry[2]
    return [(record, before) for record, before, changed in found.values() if changed]


def merge_archives(kept: Archive, other: Archive, take_other: set[str], reason: str, actor) -> dict:
    """Merge ``other`` into ``kept``: the fields in ``take_other`` take ``other``'s value.
    Returns {"kept": kept, "moved": number of records re-pointed}."""
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写合并原因。", field="reason")
    if kept.pk == other.pk:
        raise DomainError("请选择两份不同的档案。")
    if type(kept) is not type(other):
        raise DomainError(f"只能合并同一类档案：{kept.name}是{kept.kind_label}档案，{other.name}是{other.kind_label}档案。")
    if kept.voided or other.voided:
        raise DomainError("已作废的档案不能合并。")
    unknown = set(take_other) - set(choosable_fields(kept))
    if unknown:
        raise DomainError("所选字段不能合并。")
    kept_before, expected = snapshot(kept), kept.version
    moves_number = "id_number" in take_other and other.id_number
    for name in take_other:
        setattr(kept, name, getattr(other, name))
    if moves_number:  # checked as if the number were already free (it is freed first)
        freed_number, other.id_number = other.id_number, None
    try:
        check_record(kept)
    except DomainError as exc:
        raise DomainError(f"合并后的档案不符合规则：{exc.message}", field=exc.field) from exc
    finally:
        if moves_number:
            other.id_number = freed_number
    moved = referring_records(other, kept)
    for record, _before in moved:
        try:
            check_record(record)
        except DomainError as exc:
            raise DomainError(f"“{record.audit_label()}”无法改为指向保留的档案：{exc.message}") from exc
    note = f"与档案“{other.name}”（编号 {other.pk}）合并：{reason}"
    if moves_number:
        other_before = snapshot(other)
        other.id_number = None
        update_record(other, other_before, other.version, actor)
    update_record(kept, kept_before, expected, actor)
    for record, before in moved:
        update_record(record, before, record.version, actor)
    void_record(by_id(Archive, other.pk), f"已合并到档案“{kept.name}”（编号 {kept.pk}）：{reason}", actor)
    audit_entry("merge", actor, collection=kept._get_collection_name(), record_id=kept.pk,
                record_label=kept.audit_label(), township=kept.scope_id(),
                detail=f"{note}；{len(moved)} 条相关记录改为指向本档案。").save(force_insert=True)
    return {"kept": kept, "moved": len(moved)}
