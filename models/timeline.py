"""A person's timeline gathers every kind of record that names the person.
Each kind registers the field that points at the archive and a method that
turns one record into timeline events; the timeline then asks one query per
kind, however many records there are. A kind with very many records (visits)
keeps its latest events in the person's summary instead (models.summaries), read
by ``_id`` once for all such kinds."""

from dataclasses import dataclass

from bson import DBRef
from mongoengine import ListField
from mongoengine.base import _document_registry

from .base import referenced_ids

#: Most records of one kind shown on one timeline.
PER_KIND_LIMIT = 200


@dataclass(frozen=True)
class TimelineSource:
    document: type
    person_field: str  # query path, e.g. "people" or "encounters__person"
    order_by: str
    kept_in_summary: str | None = None  # the summary field holding this kind's latest events

    def person_kind(self) -> type:
        """The kind of record the person field points at (the root of its family: any archive)."""
        kind = self.document
        for part in self.person_field.split("__"):
            field = kind._fields[part]
            while isinstance(field, ListField):
                field = field.field
            kind = field.document_type
        return _document_registry[kind._class_name.split(".")[0]]


SOURCES: list[TimelineSource] = []


def on_timeline(person_field: str, order_by: str, kept_in_summary: str | None = None):
    """Class decorator: records of this kind appear on the person's timeline.
    The class implements ``timeline_events(person_id) -> list[dict]`` with the
    keys ``at``, ``kind``, ``text`` and ``who`` (and ``field``, the field whose value
    ``text`` shows, when it is a declared sensitive one: models.sensitivity); with ``kept_in_summary`` it also
    keeps those events (with ``record_id``) in that field of the person's summary."""

    def register(document):
        if not any(s.document is document for s in SOURCES):
            SOURCES.append(TimelineSource(document, person_field, order_by, kept_in_summary))
        return document

    return register


def person_events(person_id, summary: dict) -> list[dict]:
    """Events of every registered kind for one person, each with its ``document`` (class)
    and ``record_id`` so a view can link to the record; ``summary`` is the person's
    summary (models.summaries.summary_of)."""
    events = []
    for source in SOURCES:
        if source.kept_in_summary:
            for event in summary.get(source.kept_in_summary) or ():
                events.append({**event, "document": source.document})
            continue
        query = source.document.objects(**{source.person_field: person_id}, voided=False)
        records = list(query.order_by(source.order_by, "-id").limit(PER_KIND_LIMIT).batch_size(PER_KIND_LIMIT))
        load_references(records, source.person_kind())
        for record in records:
            for event in record.timeline_events(person_id):
                events.append({**event, "record_id": record.pk, "document": source.document})
    return events


def load_references(records: list, person_kind: type) -> None:
    """Load what the records refer to (the worker, the partner) with one query per
    referenced kind, so that their timeline text costs no query per record. References
    to the people (``person_kind``: archives) are left as they are: the timeline names the
    person already, and on the local database a read of archives by a list of ids is a
    pass over all of them."""
    loaded = {}
    for target, ids in referenced_ids(records, skip=(person_kind,)).items():
        for son in target._get_collection().find({"_id": {"$in": list(ids)}}):
            loaded[son["_id"]] = target._from_son(son)
    if not loaded:
        return
    for record in records:
        for name in record._fields:
            value = record._data.get(name)
            if isinstance(value, DBRef) and value.id in loaded:
                record._data[name] = loaded[value.id]
            elif isinstance(value, list) and any(isinstance(item, DBRef) for item in value):
                record._data[name] = [loaded.get(item.id, item) if isinstance(item, DBRef) else item for item in value]
