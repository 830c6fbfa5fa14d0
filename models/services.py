"""The service layer: every change to a record goes through one of these
functions, which check the rules, write with the version check, and append the
audit entry. Views, CLI commands, importers and tests all call these."""

import contextlib

from bson import ObjectId
from mongoengine import NotUniqueError, OperationError, ValidationError
from mongoengine.base import BaseDocument
from pymongo.errors import ConnectionFailure, DuplicateKeyError, PyMongoError

from . import write_hooks
from .audit import AuditEntry, FieldChange, audit_entry
from .audit_changes import diff, display_value, labels_read_once
from .base import TrackedDocument, delete_by_ids
from .change_log import change_line, change_logs_from_trail
from .clock import local_now
from .errors import DomainError, DuplicateRecordError, StaleRecordError
from .inputs import normalise_document
from .summaries import insert_change_logs, replace_change_logs
from .validation import refusal
from .write_hooks import forget_pending, keep, mark_pending

__all__ = ["check_record", "create_record", "create_records", "diff", "display_value", "recompute_for_rule_set",
           "rebuild_change_logs", "restore_record", "snapshot", "update_record", "void_record"]


def snapshot(doc: BaseDocument) -> dict:
    """The stored form of a document, to compare before and after a change."""
    return doc.to_mongo().to_dict()


def _validate(doc: TrackedDocument) -> None:
    normalise_document(doc)  # ID numbers, phones, dates as typed, wherever the record came from
    doc.prepare()
    if "photo_hashes" in doc._fields:
        # a top-level list: "this picture was used before" is then one indexed question
        doc.photo_hashes = [photo.sha256 for photo in doc.photos or () if photo.sha256]
    try:
        doc.validate()
    except ValidationError as exc:
        name = next(iter(exc.errors or {}), None)
        if name is None:
            raise DomainError("数据不合法，请检查填写的内容。") from exc
        raise DomainError(refusal(doc, name), field=name) from exc
    doc.check_rules()


def check_record(doc: TrackedDocument) -> None:
    """Run every check saving ``doc`` runs (derived fields, field validation, domain rules)
    without writing anything: a preview then refuses exactly what a save would."""
    _validate(doc)


def create_record(doc: TrackedDocument, actor, detail: str | None = None) -> TrackedDocument:
    """Check and insert a new record, and write its audit entry (with ``detail``, a note
    on how it was entered, such as offline on a phone)."""
    now = local_now()
    doc.version = 1
    doc.created_at = now
    doc.created_by = getattr(actor, "username", None) or "系统"
    doc.updated_at = now
    doc.updated_by = doc.created_by
    _validate(doc)
    if doc.pk is None:
        doc.pk = ObjectId()
    entry = record_entry(doc, "create", actor, diff(doc, {}, snapshot(doc)), detail=detail)
    note = mark_pending(doc._get_collection_name(), [doc.pk], None, entry)
    try:
        doc.save(force_insert=True, validate=False)
    except (NotUniqueError, DuplicateKeyError, OperationError) as exc:
        forget_pending(note)
        raise DuplicateRecordError(doc.duplicate_message(actor)) from exc
    save_entry(doc, entry)
    keep([doc], None, [entry], note)
    return doc


def rebuild_change_logs(document_class) -> int:
    """Fill the short history of every record of ``document_class`` from the audit
    trail (an upgrade from records written before they kept one): one read of the
    trail's entries for the collection, newest first, and one update per record."""
    lines = change_logs_from_trail(document_class)
    replace_change_logs(lines)
    return len(lines)


def record_entry(doc: TrackedDocument, action: str, actor, changes: list, detail: str | None = None):
    """The audit entry of one change to a record, built before the record is written
    (so that building it cannot fail after the write), with its id (the pending note of the
    write carries it, so that a write cut off before its entry gets it by the repair)."""
    entry = audit_entry(action, actor, collection=doc._get_collection_name(), record_id=doc.pk,
                        record_label=doc.audit_label(), changes=changes, detail=detail, township=doc.scope_id())
    entry.pk = ObjectId()
    return entry


def save_entry(doc: TrackedDocument, entry) -> None:
    """Write a record's audit entry (the record's short history follows it as derived data,
    models.derived)."""
    entry.save(force_insert=True)


BULK_BATCH = 1000


def create_records(docs: list[TrackedDocument], actor, checked: bool = False) -> int:
    """Check and insert many new records of one kind, with one audit entry each,
    in batches (an import of thousands of rows, not thousands of round trips).
    All are checked before any is written (``checked``: by ``check_record`` just before,
    so not again); if the database refuses a batch, the records of this call already
    written are taken out again."""
    now = local_now()
    who = getattr(actor, "username", None) or "系统"
    for doc in docs:
        doc.version, doc.created_at, doc.created_by, doc.updated_at, doc.updated_by = 1, now, who, now, who
        if doc.pk is None:
            doc.pk = ObjectId()
        if not checked:
            _validate(doc)
    if not docs:
        return 0
    stored = [snapshot(doc) for doc in docs]  # what is inserted is what the audit entry describes
    with labels_read_once(docs):  # one query per referenced kind, not per record
        entries = [record_entry(doc, "create", actor, diff(doc, {}, son)) for doc, son in zip(docs, stored, strict=True)]
    collection = type(docs[0])._get_collection()
    note = mark_pending(collection.name, [doc.pk for doc in docs])
    try:
        for start in range(0, len(docs), BULK_BATCH):
            collection.insert_many([dict(son) for son in stored[start:start + BULK_BATCH]])
    except ConnectionFailure:
        # the database went away: what got in is not known (nor whether taking it out would),
        # so the outage itself is answered (可能已保存), never as a duplicate
        with contextlib.suppress(PyMongoError):
            delete_by_ids(collection, [doc.pk for doc in docs])
            forget_pending(note)
        raise
    except (PyMongoError, NotUniqueError, OperationError) as exc:
        # nothing half-saved: the ids are new, so every record of this call that got in is taken out again
        delete_by_ids(collection, [doc.pk for doc in docs])
        forget_pending(note)
        raise DuplicateRecordError(docs[0].duplicate_message(actor)) from exc
    for start in range(0, len(entries), BULK_BATCH):
        AuditEntry._get_collection().insert_many([e.to_mongo().to_dict() for e in entries[start:start + BULK_BATCH]])
    if getattr(docs[0], "keeps_change_log", False):  # their first lines at once, not one write per record
        insert_change_logs({doc.pk: change_line(entry) for doc, entry in zip(docs, entries, strict=True)})
    keep(docs, None, None, note)
    return len(docs)


def update_record(doc: TrackedDocument, before: dict, expected_version: int, actor,
                  detail: str | None = None) -> list[FieldChange]:
    """Write the changes made to ``doc`` since ``before`` was taken, only if
    nobody saved the record since version ``expected_version`` was read.

    Returns the list of changes (empty when nothing changed: nothing written)."""
    _validate(doc)
    after = snapshot(doc)
    changes = diff(doc, before, after)
    ignored = doc.bookkeeping_fields
    if not changes and all(before.get(k) == v for k, v in after.items() if k not in ignored):
        return []
    set_fields = {k: v for k, v in after.items() if k not in ignored and before.get(k) != v}
    unset_fields = {k: "" for k in before if k not in after and k not in ignored}
    now = local_now()
    set_fields["updated_at"] = now
    set_fields["updated_by"] = getattr(actor, "username", None) or "系统"
    entry = record_entry(doc, "update", actor, changes, detail=detail) if changes else None
    update = {"$set": set_fields, "$inc": {"version": 1}}
    if unset_fields:
        update["$unset"] = unset_fields
    note = mark_pending(doc._get_collection_name(), [doc.pk], before, entry)
    try:
        result = doc._get_collection().update_one({"_id": doc.pk, "version": expected_version}, update)
    except (DuplicateKeyError, NotUniqueError, OperationError) as exc:
        forget_pending(note)
        raise DuplicateRecordError(doc.duplicate_message(actor)) from exc
    if result.matched_count == 0:
        forget_pending(note)
        raise StaleRecordError()
    doc.version = expected_version + 1
    doc.updated_at = now
    doc.updated_by = set_fields["updated_by"]
    doc._clear_changed_fields()
    if entry is not None:
        save_entry(doc, entry)
    keep([doc], before, [entry], note)
    return changes


def recompute_for_rule_set(rule_set, changed: dict | None = None) -> dict:
    """Recompute every figure stored from ``rule_set`` (models.derived declares them) after it was
    saved, and record it in the audit trail as the system's recomputation: {what: records changed}.
    ``changed`` is given by a background job that ran the recomputers itself (models.recompute_jobs)."""
    if changed is None:
        changed = write_hooks.recompute(rule_set.key)
    summary = "、".join(f"{label} {count} 条" for label, count in changed.items()) or "没有依赖它的数据"
    audit_entry("recompute", None, collection=rule_set._get_collection_name(), record_id=rule_set.pk,
                record_label=rule_set.audit_label(), detail=f"规则修改后重新计算已保存的数据：{summary}。"
                ).save(force_insert=True)
    return changed


def _set_voided(doc: TrackedDocument, actor, voided: bool, reason: str, action: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise DomainError("请填写原因。", field="reason")
    before = snapshot(doc)
    expected = doc.version or 1
    doc.voided = voided
    doc.void_reason = reason if voided else None
    doc.voided_at = local_now() if voided else None
    doc.voided_by = getattr(actor, "username", None) if voided else None
    try:
        doc.check_void()
    except DomainError:
        doc.voided, doc.void_reason, doc.voided_at, doc.voided_by = (before.get(k) for k in (
            "voided", "void_reason", "voided_at", "voided_by"))
        raise
    after = snapshot(doc)
    changes = diff(doc, before, after)
    entry = record_entry(doc, action, actor, changes, detail=reason)
    update = {"$set": {k: after.get(k) for k in ("voided", "void_reason", "voided_at", "voided_by")},
              "$inc": {"version": 1}}
    note = mark_pending(doc._get_collection_name(), [doc.pk], before, entry)
    result = doc._get_collection().update_one({"_id": doc.pk, "version": expected}, update)
    if result.matched_count == 0:
        forget_pending(note)
        raise StaleRecordError()
    doc.version = expected + 1
    save_entry(doc, entry)
    keep([doc], before, [entry], note)


def void_record(doc: TrackedDocument, reason: str, actor) -> None:
    """Mark a record void (it stays in the database and in the audit trail)."""
    if doc.voided:
        raise DomainError("该记录已作废。")
    _set_voided(doc, actor, True, reason, "void")


def restore_record(doc: TrackedDocument, reason: str, actor) -> None:
    """Undo a void."""
    if not doc.voided:
        raise DomainError("该记录未作废，无需恢复。")
    _set_voided(doc, actor, False, reason, "restore")
