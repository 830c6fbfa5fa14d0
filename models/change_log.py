"""A record's short history (its latest changes, kept beside it as derived data) built
from the audit trail."""

from bson import ObjectId

from .audit import AuditEntry
from .base import WHOLE_RESULT
from .summaries import SUMMARY_LENGTH
from .users import display_names


def change_logs_from_trail(document_class, record_ids: list | None = None) -> dict:
    """{record id: its short history, newest first} of the records of ``document_class``
    (those of ``record_ids`` when given), from the audit trail: one read of the entries."""
    lines: dict = {record_id: [] for record_id in record_ids or ()}
    entries = AuditEntry.objects(collection=document_class._get_collection_name())
    if record_ids is not None:
        entries = entries.filter(record_id__in=[str(i) for i in record_ids])
    entries = list(entries.order_by("-at", "-id").batch_size(WHOLE_RESULT))
    names = display_names({entry.actor_name for entry in entries})
    for entry in entries:
        if entry.record_id and ObjectId.is_valid(entry.record_id):
            kept = lines.setdefault(ObjectId(entry.record_id), [])
            if len(kept) < SUMMARY_LENGTH:
                kept.append(change_line(entry, names))
    return lines


def change_line(entry, names: dict | None = None) -> dict:
    """One audit entry as a record's short history shows it (who by name: the one the entry
    carries when written, else from ``names``, login name -> name)."""
    changed = "、".join(c.label or c.field for c in entry.changes[:8])
    who = getattr(entry, "actor_display", None) or (names or {}).get(entry.actor_name) or entry.actor_name
    return {"at": entry.at, "action": entry.action, "who": who,
            "text": (changed and f"修改了：{changed}") or entry.detail or ""}
