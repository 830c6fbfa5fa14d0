"""The write path's promise about derived data, kept below every record kind.

A write is recorded as pending (one small document, written before the record), then the
record is written, then its audit entry, then the figures derived from it, then the pending
note is removed (models.services does the writing). Which figures a written record changes
is not known here: the derived-data registry (models.derived) registers, once, a function
naming the updates of a written record and a function recomputing after a rule-set save.
So the service layer imports no derived code, and the derived code may import every kind.

When a derived update fails, the record and its audit entry stay saved and the note stays:
the process repairs it on its next request, and every process repairs the notes left behind
at start-up (a crash). A write made before the registry is loaded leaves its note for the
repair too, so no figure is ever skipped."""

import datetime as dt
import logging
import threading
from collections.abc import Callable

from bson import ObjectId
from mongoengine import DateTimeField, DictField, Document, ListField, ObjectIdField, StringField
from mongoengine.base import _document_registry
from pymongo.errors import PyMongoError

from .audit import AuditEntry
from .base import DISTRICT_WIDE
from .clock import local_now

log = logging.getLogger(__name__)

#: What the derived-data registry registered: "updates" (doc, repairing) -> [functions (doc, before, entry)],
#: "recompute" (rule-set key) -> {what: records changed}.
_registered: dict[str, Callable] = {}


def register(updates: Callable, recompute: Callable) -> None:
    """Name the derived updates of a written record, and the recomputation after a rule-set save."""
    _registered.update(updates=updates, recompute=recompute)


def _updates(doc, repairing: bool) -> list:
    if "updates" not in _registered:
        raise RuntimeError("derived-data registry not loaded (import models.derived)")
    return _registered["updates"](doc, repairing)


def recompute(key: str) -> dict:
    """Recompute every figure stored from the rule set ``key``: {what: records changed}."""
    if "recompute" not in _registered:
        raise RuntimeError("derived-data registry not loaded (import models.derived)")
    return _registered["recompute"](key)


class PendingDerived(Document):
    """A write whose derived figures are not known to be updated yet (removed once they are)."""

    collection = StringField(required=True)
    record_ids = ListField(ObjectIdField())
    before = DictField()  # the record as it was before a single write (None for a creation)
    entry = DictField()  # the audit entry of a single write, to be written if it is missing
    at = DateTimeField()

    meta = {"collection": "derived_pending", "indexes": ["at"]}
    scope_field = DISTRICT_WIDE  # bookkeeping of the write path, never shown


#: Derived updates of one process run one at a time: two writes touching the same person
#: then never leave the marks of the earlier one.
_lock = threading.RLock()
#: Notes of this process whose derived update failed: repaired on its next request.
_failed: set = set()


def mark_pending(collection: str, record_ids: list, before: dict | None = None, entry=None) -> ObjectId:
    """Note a write about to happen (before it happens): one insert."""
    note = {"_id": ObjectId(), "collection": collection, "record_ids": list(record_ids), "before": before,
            "entry": entry.to_mongo().to_dict() if entry is not None else None, "at": local_now()}
    PendingDerived._get_collection().insert_one(note)
    return note["_id"]


def forget_pending(note_id) -> None:
    PendingDerived._get_collection().delete_one({"_id": note_id})


def keep(docs: list, before: dict | None, entries: list | None, note_id) -> bool:
    """Update every figure derived from the records just written (each with its audit entry),
    then remove the pending note. A failure is logged and left to the repair: the record and
    its audit entry are saved either way. True when everything was updated."""
    try:
        with _lock:
            for position, doc in enumerate(docs):
                entry = entries[position] if entries else None
                for function in _updates(doc, repairing=False):
                    function(doc, before, entry)
                doc.after_write(before)
        forget_pending(note_id)
        return True
    except Exception:
        log.exception("派生数据更新失败，将自动修复")
        _failed.add(note_id)
        return False


def repair_wanted() -> bool:
    return bool(_failed)


def _document_class(collection: str):
    candidates = [d for d in _document_registry.values() if not d._meta.get("abstract")
                  and d._get_collection_name() == collection]
    # the root of an inheritance tree loads every kind stored in its collection
    return min(candidates, key=lambda d: len(d._class_name.split(".")))


def repair_pending(older_than: float = 0, limit: int = 100) -> int:
    """Repair the derived figures of writes left pending (by a failure in this process, or
    by any process that stopped mid-write when older than ``older_than`` seconds): write a
    missing audit entry, update every figure again in the way that is safe to repeat, and
    remove the note. Returns the number of notes repaired."""
    collection = PendingDerived._get_collection()
    cutoff = local_now() - dt.timedelta(seconds=older_than)
    query = {"$or": [{"at": {"$lte": cutoff}}, {"_id": {"$in": list(_failed)}}]}
    repaired = 0
    with _lock:
        for note in list(collection.find(query).sort([("at", 1)]).limit(limit)):
            _failed.discard(note["_id"])  # a note that fails again waits for the next start or check
            try:
                _repair(note)
            except PyMongoError:
                _failed.add(note["_id"])
                raise
            except Exception:
                log.exception("派生数据自动修复失败：%s %s", note.get("collection"), note.get("record_ids"))
                continue
            collection.delete_one({"_id": note["_id"]})
            repaired += 1
    return repaired


def _repair(note: dict) -> None:
    document = _document_class(note["collection"])
    entry = note.get("entry")
    if entry and not AuditEntry._get_collection().find_one({"_id": entry["_id"]}, {"_id": 1}):
        AuditEntry._get_collection().insert_one(entry)
    for row in document._get_collection().find({"_id": {"$in": note.get("record_ids") or []}}):
        doc = document._from_son(row)
        for function in _updates(doc, repairing=True):
            function(doc, note.get("before"))
        doc.after_write(note.get("before"))


def repair_quietly(older_than: float = 0) -> int:
    """``repair_pending`` that leaves a database outage for the next try."""
    try:
        return repair_pending(older_than)
    except PyMongoError:
        log.exception("派生数据自动修复未完成，稍后再试")
        return 0
