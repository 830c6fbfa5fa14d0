"""The base of every editable record: a version for optimistic locking, who
created and changed it, and voiding instead of deleting."""

import contextvars
from concurrent.futures import ThreadPoolExecutor

from bson import DBRef, ObjectId
from mongoengine import (
    BooleanField,
    DateTimeField,
    Document,
    EmbeddedDocument,
    IntField,
    StringField,
)
from mongoengine.base import _document_registry
from mongoengine.connection import get_connection

#: Cursor batch size for reads that need the whole result at once: one reply up
#: to this many rows instead of a getMore per default batch of 101, so a page's
#: command count stays fixed. Bounded because FerretDB does not split replies
#: at 16 MB as MongoDB does, and the driver refuses a reply over 48 MB; a larger
#: result takes one more getMore (not another query) per this many rows.
WHOLE_RESULT = 20_000


_scanning_servers: dict = {}


def server_scans_collections() -> bool:
    """Whether the database answers every query by reading the whole collection:
    mongomock (the in-memory test double). Pages then read once what they need and
    count it, rather than asking a count and a page. MongoDB answers both from its
    indexes, and so does the local database (its planner sends the count and the
    sorted, limited page to PostgreSQL, where the GIN twins of the indexes serve them)."""
    client = get_connection()
    key = id(client)
    if key not in _scanning_servers:
        _scanning_servers[key] = type(client).__module__.startswith("mongomock")
    return _scanning_servers[key]


#: How many of a page's independent questions go to the database at once.
QUESTIONS_AT_ONCE = 4


def ask_at_once(*questions):
    """The answers of independent read-only questions (callables of no argument), in
    order, asked of the database at the same time: a page's figures then take about
    as long as the slowest of them, not their sum (the database answers each on its
    own core). Each runs in a copy of the caller's context, so the request's command
    count sees them. mongomock runs one operation at a time: there they are asked in turn."""
    if len(questions) < 2 or server_scans_collections():
        return [question() for question in questions]
    with ThreadPoolExecutor(max_workers=min(len(questions), QUESTIONS_AT_ONCE)) as pool:
        futures = [pool.submit(contextvars.copy_context().run, question) for question in questions]
        return [future.result() for future in futures]


def update_by_ids(collection, record_ids, update: dict) -> int:
    """``update`` on each record of ``record_ids``, one update by ``_id`` each (how many matched).

    The local database sends a write's filter to PostgreSQL only when it is top-level equality;
    ``{"_id": {"$in": ids}}`` makes FerretDB read the whole collection while every other write
    waits (tests/conftest.py fails a test whose write does that)."""
    return sum(collection.update_one({"_id": record_id}, update).matched_count for record_id in record_ids)


def delete_by_ids(collection, record_ids) -> int:
    """Delete each record of ``record_ids``, one delete by ``_id`` each (``update_by_ids``)."""
    return sum(collection.delete_one({"_id": record_id}).deleted_count for record_id in record_ids)


def by_id(document_class, pk):
    """One record of ``document_class`` (or a subclass) by its id, or None.

    The filter is on ``_id`` alone: the class condition mongoengine adds for
    inherited documents would make a server without usable indexes (the local
    database) read the whole collection; the class is checked here instead."""
    if pk is None or pk == "":
        return None
    pk = document_class._fields[document_class._meta["id_field"]].to_mongo(pk)
    son = document_class._get_collection().find_one({"_id": pk})
    if son is None:
        return None
    stored_class = son.get("_cls")
    if stored_class and stored_class not in document_class._subclasses:
        return None
    return document_class._from_son(son)


def referenced_ids(records: list, skip: tuple = ()) -> dict:
    """{referenced document class: ids} of every reference the records hold (lists
    included), so that each kind can be read once; kinds in ``skip`` are left out."""
    wanted: dict = {}
    for record in records:
        for name, field in record._fields.items():
            target = getattr(field, "document_type", None) or getattr(getattr(field, "field", None), "document_type", None)
            value = record._data.get(name)
            if target is None or value is None or not isinstance(target, type) or issubclass(target, skip):
                continue
            for item in value if isinstance(value, list) else [value]:
                item_id = item.id if isinstance(item, DBRef) else ref_id(item)
                if isinstance(item_id, ObjectId):
                    wanted.setdefault(target, set()).add(item_id)
    return wanted


#: The scope decision of a kind of record, declared on every document class as
#: ``scope_field``: the name of the field (a reference, or a list of references, to
#: Township) that places a record in its township(s), so that a user limited to some
#: townships sees only their records; or ``DISTRICT_WIDE`` for a kind that is visible
#: to every user on purpose (reference data, the contract's finance, district
#: trainings...), with the reason beside it.
DISTRICT_WIDE = None


def placed_townships(record) -> list:
    """The township ids a record of a scoped kind (one with ``scope_field``) is placed
    in: one, or several for a record spanning them; [] for a kind that is not scoped."""
    field = getattr(type(record), "scope_field", None)
    if not field:
        return []
    value = record._data.get(field)
    return [ref_id(v) for v in value] if isinstance(value, list) else [ref_id(value)]


def ref_id(value):
    """The id behind a reference value (document, DBRef or id) without loading it."""
    if value is None:
        return None
    return getattr(value, "pk", None) or getattr(value, "id", None) or value


class TrackedDocument(Document):
    """An editable record. Save it through ``models.services``, never with
    ``save()`` directly, so that the version check and the audit entry happen."""

    version = IntField(default=1, verbose_name="版本")
    created_at = DateTimeField(verbose_name="创建时间")
    created_by = StringField(verbose_name="创建人")
    updated_at = DateTimeField(verbose_name="修改时间")
    updated_by = StringField(verbose_name="修改人")
    voided = BooleanField(default=False, verbose_name="已作废")
    void_reason = StringField(verbose_name="作废原因")
    voided_at = DateTimeField(verbose_name="作废时间")
    voided_by = StringField(verbose_name="作废人")

    meta = {"abstract": True}

    #: Fields the service layer manages itself: never in a diff or a ``$set`` of changes.
    bookkeeping_fields = frozenset(
        {"_id", "_cls", "version", "created_at", "created_by", "updated_at", "updated_by"}
    )
    #: Fields saved like any other but left out of the audit diff (derived or secret).
    unaudited_fields: frozenset = frozenset()

    # ``scope_field`` is declared by every concrete kind (see DISTRICT_WIDE above), never
    # inherited from here: a kind without a declared scope decision fails a test.

    def prepare(self) -> None:
        """Fill derived fields before validation. Subclasses extend it."""

    def check_rules(self) -> None:
        """Raise ``DomainError`` when a domain rule refuses this record."""

    def check_void(self) -> None:
        """Raise ``DomainError`` when this record may not be voided (``voided`` is already set)."""

    def after_write(self, before: dict | None) -> None:
        """Keep derived data elsewhere in step after this record was written."""

    def duplicate_message(self, actor=None) -> str:
        """What ``actor`` is told when the database refuses this record as a duplicate."""
        return "保存失败：与已有记录重复，请检查唯一的字段（如编号、证件号）。"

    def audit_label(self) -> str:
        return str(self)

    def scope_id(self):
        """The id of the township this record belongs to, or None (a record spanning
        several townships is filed under its first)."""
        placed = placed_townships(self)
        return placed[0] if placed else None


class FollowUp(EmbeddedDocument):
    """One follow-up of a record that is followed up (a reception contact, a returnee)."""

    on = DateTimeField(required=True, verbose_name="日期")
    by = StringField(max_length=40, verbose_name="跟进人")
    notes = StringField(required=True, max_length=500, verbose_name="情况")

    def __str__(self):
        when = f"{self.on:%Y-%m-%d}" if self.on else ""
        return f"{when} {self.by or ''}：{self.notes or ''}".strip()


def _root_classes() -> dict:
    """{collection name: the root document class stored in it}."""
    roots = {}
    for document_class in _document_registry.values():
        if document_class._meta.get("abstract") or not issubclass(document_class, Document):
            continue
        root = document_class._class_name.split(".")[0]
        roots.setdefault(document_class._get_collection_name(), _document_registry[root])
    return roots


def fill_missing_voided() -> dict[str, int]:
    """Give ``voided: false`` to stored records that have no such key (written by
    an earlier version or loaded around the app): every query asks ``voided: false``,
    which such a record would not match. Returns {collection: records filled}."""
    filled = {}
    for collection_name, document_class in sorted(_root_classes().items()):
        if not issubclass(document_class, TrackedDocument):
            continue
        result = document_class._get_collection().update_many({"voided": {"$exists": False}},
                                                               {"$set": {"voided": False}})
        if result.modified_count:
            filled[collection_name] = result.modified_count
    return filled


def fill_missing_photo_hashes() -> dict[str, int]:
    """Give records of an earlier version the top-level list of their photos' digests
    (the reuse check asks it; it is derived on every save since). Returns {collection: filled}."""
    filled = {}
    for collection_name, document_class in sorted(_root_classes().items()):
        if "photo_hashes" not in document_class._fields:
            continue
        collection = document_class._get_collection()
        count = 0
        for son in collection.find({"photo_hashes": {"$exists": False}}, {"photos.sha256": 1},
                                   batch_size=WHOLE_RESULT):
            hashes = [p["sha256"] for p in son.get("photos") or () if p.get("sha256")]
            collection.update_one({"_id": son["_id"]}, {"$set": {"photo_hashes": hashes}})
            count += 1
        if count:
            filled[collection_name] = count
    return filled


def sync_indexes() -> dict[str, list[str]]:
    """Create every index the models declare and drop the ones they no longer
    declare (a changed sort index leaves its old one behind, which every write
    still maintains). Returns {collection: names of the indexes dropped}."""
    dropped = {}
    for collection_name, document_class in sorted(_root_classes().items()):
        document_class.ensure_indexes()
        declared = [list(index) for index in document_class.list_indexes()]
        collection = document_class._get_collection()
        for name, info in collection.index_information().items():
            if name != "_id_" and list(info["key"]) not in declared:
                collection.drop_index(name)
                dropped.setdefault(collection_name, []).append(name)
    return dropped
