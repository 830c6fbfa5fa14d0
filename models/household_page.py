"""What a household's page shows: which current members are due a visit under each policy,
and the household's timeline (every member's records of every kind and the household's own
changes), read with a bounded number of queries whatever the household's size."""

import datetime as dt

from .archives import Archive
from .audit import ACTION_LABELS
from .base import ref_id
from .households import Household, member_archives
from .summaries import RecordSummary
from .timeline import PER_KIND_LIMIT, SOURCES, load_references
from .visits import current_key, due_filter, policies


def due_members(household: Household, townships: list | None = None) -> dict:
    """{member id: [(policy, period key), ...]} of the current members due a visit in the
    current period of each visit policy (the schedule's own ``due_filter``): one count-free
    read per policy, limited to the members."""
    ids = list(household.member_ids or [])
    if not ids:
        return {}
    found: dict = {}
    collection = Archive._get_collection()
    for item in policies():
        key = current_key(item["period"])
        raw = {**due_filter(item, key, townships), "_id": {"$in": ids}}
        for row in collection.find(raw, {"_id": 1}):
            found.setdefault(row["_id"], []).append((item, key))
    return found


def household_events(household: Household, limit: int = 100) -> list[dict]:
    """The household's timeline: every member's records of every kind (one query per kind
    for all members, and one read of their summaries) and the household's own changes,
    newest first; each event names the member it is about."""
    ids = [ref_id(m._data.get("person")) for m in household.members or []]
    names = {pid: row.get("name", "") for pid, row in member_archives(ids).items()}
    summaries = {row["_id"]: row for row in RecordSummary._get_collection().find(
        {"_id": {"$in": [*ids, household.pk]}})}
    events = []
    for line in (summaries.get(household.pk) or {}).get("change_log") or []:
        events.append({"at": line["at"], "kind": "本户" + ACTION_LABELS.get(line["action"], line["action"]),
                       "text": line.get("text") or "",
                       "who": line.get("who"), "member": ""})
    for source in SOURCES:
        if source.kept_in_summary:
            for pid in ids:
                for event in (summaries.get(pid) or {}).get(source.kept_in_summary) or ():
                    events.append({**event, "document": source.document, "member": names.get(pid, "")})
            continue
        field = source.person_field
        query = source.document.objects(**{f"{field}__in": ids}, voided=False)
        records = list(query.order_by(source.order_by, "-id").limit(PER_KIND_LIMIT).batch_size(PER_KIND_LIMIT))
        load_references(records, source.person_kind())
        for record in records:
            for pid in ids:
                if not _names(record, field, pid):
                    continue
                for event in record.timeline_events(pid):
                    events.append({**event, "record_id": record.pk, "document": source.document,
                                   "member": names.get(pid, "")})
    merged: dict = {}
    for event in events:  # one visit of several members is one event, naming them all
        key = (event.get("document"), event.get("record_id"), event.get("at"), event.get("kind"))
        if event.get("record_id") is not None and key in merged:
            if event["member"] and event["member"] not in merged[key]["member"]:
                merged[key]["member"] += f"、{event['member']}"
            continue
        merged[key if event.get("record_id") is not None else (id(event),)] = event
    return sorted(merged.values(), key=lambda e: e["at"] or dt.datetime.min, reverse=True)[:limit]


def _names(record, field: str, pid) -> bool:
    """Whether ``record`` names the person ``pid`` in ``field`` (a path such as "encounters__person")."""
    parts = field.split("__")
    values = [record]
    for part in parts:
        nxt = []
        for value in values:
            inner = value._data.get(part) if hasattr(value, "_data") else None
            nxt.extend(inner if isinstance(inner, list) else [inner])
        values = nxt
    return any(ref_id(v) == pid for v in values if v is not None)
