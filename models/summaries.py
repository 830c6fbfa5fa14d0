"""What a record's page shows of larger collections, kept on write beside the
record: an archive's latest visits and its latest changes.

Beside it, not in it: on the local database every query that is not by ``_id``
decodes each whole record of the collection, so the archives stay lean, and a
summary is read by ``_id`` alone (no scan)."""

from collections.abc import Callable

from mongoengine import DictField, Document, IntField, ListField, ObjectIdField
from pymongo.errors import DuplicateKeyError

from .base import DISTRICT_WIDE, update_by_ids

#: Entries of each list a summary keeps, newest first.
SUMMARY_LENGTH = 20


class RecordSummary(Document):
    id = ObjectIdField(primary_key=True)
    recent_visits = ListField(DictField())  # timeline events of the latest visits (models.visits)
    change_log = ListField(DictField())  # the latest audit entries, as a timeline shows them
    logged = IntField(default=0)  # entries ever put in change_log: the guard of concurrent writers
    # writes that changed what the record's visit marks derive from: the guard of concurrent recounts
    marks_seq = IntField(default=0)

    meta = {"collection": "record_summaries"}
    scope_field = DISTRICT_WIDE  # read only by the id of the record it summarises, on that record's (scoped) page


def summary_of(record_id) -> dict:
    return RecordSummary._get_collection().find_one({"_id": record_id}) or {}


def bump_marks(record_ids: list) -> None:
    """Note that what the visit marks of ``record_ids`` derive from has changed (after the change,
    before the recount): a recount that read the visits earlier then loses its race."""
    update_by_ids(RecordSummary._get_collection(), record_ids, {"$inc": {"marks_seq": 1}})


def marks_seqs(record_ids: list, bumped: bool) -> dict:
    """{record id: its marks sequence}, read before the visits a recount counts; a record
    without a summary gets one (with the sequence at 1 when ``bumped``: its first change)."""
    collection = RecordSummary._get_collection()
    seqs = {row["_id"]: row.get("marks_seq", 0)
            for row in collection.find({"_id": {"$in": list(record_ids)}}, {"marks_seq": 1})}
    missing = [record_id for record_id in record_ids if record_id not in seqs]
    for record_id in missing:  # one update each, once per record ever
        collection.update_one({"_id": record_id}, {"$inc": {"marks_seq": 1 if bumped else 0}}, upsert=True)
    if missing:
        seqs.update({row["_id"]: row.get("marks_seq", 0)
                     for row in collection.find({"_id": {"$in": missing}}, {"marks_seq": 1})})
    return seqs


def set_recent_visits_at(record_id, events: list, seq: int) -> bool:
    """Replace a record's latest visits, if its marks sequence is still ``seq`` (a compare-and-set:
    False when a later change came in since the recount read it, which must then count again)."""
    guard = {"_id": record_id, "marks_seq": seq} if seq else {
        "_id": record_id, "$or": [{"marks_seq": 0}, {"marks_seq": {"$exists": False}}]}  # never changed yet
    return bool(RecordSummary._get_collection().update_one(
        guard, {"$set": {"recent_visits": events[:SUMMARY_LENGTH]}}).matched_count)


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


def rebuild_change_log(record_id, read_lines: Callable[[], list], attempts: int = 5) -> None:
    """Replace one record's change log by ``read_lines()`` (newest first, from the audit trail),
    read after its guard: a change prepended meanwhile (its entry perhaps not read) makes it read
    again. The guard only grows, so a writer that read before this one loses its race too."""
    collection = RecordSummary._get_collection()
    for _ in range(attempts):
        current = collection.find_one({"_id": record_id}, {"logged": 1})
        lines = read_lines()[:SUMMARY_LENGTH]
        if current is None:
            try:
                collection.insert_one({"_id": record_id, "change_log": lines, "logged": len(lines), "recent_visits": []})
                return
            except DuplicateKeyError:
                continue
        logged = current.get("logged", 0)
        guard = {"_id": record_id, "logged": logged} if "logged" in current else {"_id": record_id,
                                                                                   "logged": {"$exists": False}}
        if collection.update_one(guard, {"$set": {"change_log": lines,
                                                  "logged": max(logged + 1, len(lines))}}).matched_count:
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
