"""What a record's page shows of larger collections, kept on write beside the
record: an archive's latest visits and its latest changes.

Beside it, not in it: on the local database every query that is not by ``_id``
decodes each whole record of the collection, so the archives stay lean, and a
summary is read by ``_id`` alone (no scan)."""

from mongoengine import DictField, Document, IntField, ListField, ObjectIdField
from pymongo.errors import DuplicateKeyError

from .base import DISTRICT_WIDE

#: Entries of each list a summary keeps, newest first.
SUMMARY_LENGTH = 20


class RecordSummary(Document):
    id = ObjectIdField(primary_key=True)
    recent_visits = ListField(DictField())  # timeline events of the latest visits (models.visits)
    change_log = ListField(DictField())  # the latest audit entries, as a timeline shows them
    logged = IntField(default=0)  # entries ever put in change_log: the guard of concurrent writers

    meta = {"collection": "record_summaries"}
    scope_field = DISTRICT_WIDE  # read only by the id of the record it summarises, on that record's (scoped) page


def summary_of(record_id) -> dict:
    return RecordSummary._get_collection().find_one({"_id": record_id}) or {}


def set_recent_visits(visits_by_record: dict) -> None:
    """Replace the latest visits of each record named: one write per record."""
    collection = RecordSummary._get_collection()
    for record_id, events in visits_by_record.items():
        collection.update_one({"_id": record_id}, {"$set": {"recent_visits": events[:SUMMARY_LENGTH]}}, upsert=True)


def prepend_change(record_id, line: dict, attempts: int = 5) -> None:
    """Put one change at the head of a record's change log (the oldest beyond
    SUMMARY_LENGTH drops out); a writer that lost a race reads again."""
    collection = RecordSummary._get_collection()
    for _ in range(attempts):
        current = collection.find_one({"_id": record_id}, {"change_log": 1, "logged": 1})
        if current is None:
            try:
                collection.insert_one({"_id": record_id, "change_log": [line], "logged": 1, "recent_visits": []})
                return
            except DuplicateKeyError:
                continue
        logged = current.get("logged", 0)
        kept = [line, *(current.get("change_log") or [])][:SUMMARY_LENGTH]
        guard = {"_id": record_id, "logged": logged} if "logged" in current else {"_id": record_id,
                                                                                   "logged": {"$exists": False}}
        if collection.update_one(guard, {"$set": {"change_log": kept, "logged": logged + 1}}).matched_count:
            return
    raise RuntimeError("记录摘要更新冲突，请重试。")


def insert_change_logs(lines_by_record: dict) -> None:
    """The first change of many new records at once (a bulk creation)."""
    if lines_by_record:
        RecordSummary._get_collection().insert_many(
            [{"_id": record_id, "change_log": [line], "logged": 1, "recent_visits": []}
             for record_id, line in lines_by_record.items()])


def replace_change_logs(lines_by_record: dict) -> None:
    """Whole change logs, newest first (rebuilt from the audit trail)."""
    collection = RecordSummary._get_collection()
    for record_id, lines in lines_by_record.items():
        collection.update_one({"_id": record_id}, {"$set": {"change_log": lines[:SUMMARY_LENGTH],
                                                             "logged": len(lines)}}, upsert=True)
