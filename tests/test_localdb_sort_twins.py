"""The local database keeps, beside every index a model declares, a "sort twin": a
PostgreSQL index on the planner's sort keys of the index's fields in their order
(tools/localdb/twins.go). A sorted page (the latest entries of the audit trail, a list
in its default order) is then read from that index, a page long, instead of sorting
every matching document. Generated from the models' declared indexes; runs on the
FerretDB lane (the plan is PostgreSQL's, asked with the find's comment)."""

import datetime as dt

import pytest
from mongoengine.base import _document_registry

from .conftest import on_ferretdb

pytestmark = pytest.mark.skipif(not on_ferretdb(), reason="the sort twins are part of the local database")

EXPLAIN = "localdb:explain"
EXPLAIN_INDEXED = "localdb:explain-indexed"


def _plain_specs():
    """(collection name, [(field, direction)…]) of every declared index of top-level fields."""
    seen = set()
    for name in sorted(_document_registry):
        document = _document_registry[name]
        if document._meta.get("abstract") or not hasattr(document, "_get_collection_name"):
            continue
        collection = document._get_collection_name()
        if not collection:
            continue
        for spec in document._meta.get("index_specs") or []:
            fields = [(field, direction) for field, direction in spec["fields"]]
            if any("." in field or field.startswith("$") or direction not in (1, -1) for field, direction in fields):
                continue
            key = (collection, tuple(fields))
            if key not in seen:
                seen.add(key)
                yield document, fields


SPECS = list(_plain_specs())


def _plan(collection, sort, filter_=None, limit=10, comment=EXPLAIN) -> str:
    rows = list(collection.find(filter_ or {}, sort=sort, limit=limit, comment=comment))
    assert len(rows) == 1 and "plan" in rows[0], f"the planner did not answer {sort} on {collection.name}"
    return rows[0]["plan"]


def _sorted_from_index(plan: str) -> bool:
    lines = [line.strip().removeprefix("->").strip() for line in plan.splitlines()]
    return any(line.startswith("Index Scan") and "_sort" in line for line in lines) and not any(
        line.startswith(("Sort ", "Incremental Sort")) for line in lines)


@pytest.mark.parametrize("document,fields", SPECS, ids=[f"{d.__name__}:{'/'.join(f for f, _ in fs)}"
                                                        for d, fs in SPECS])
def test_every_declared_index_serves_its_sort_from_an_index(app, document, fields):
    collection = document._get_collection()  # declares the model's indexes, and so makes the twins
    sort = list(fields)
    if "_id" not in {field for field, _ in sort}:
        sort.append(("_id", 1))
    # whether an index gives the order, whatever the table's size (PostgreSQL reads and sorts a small one)
    plan = _plan(collection, sort, comment=EXPLAIN_INDEXED)
    if fields[0][0] == "_cls":
        # a collection of several classes: mongoengine leads its indexes with the class, which
        # queries ask with $in and never sort by, so no twin is kept (it would only cost writes)
        assert not _sorted_from_index(plan), plan
        return
    assert _sorted_from_index(plan), plan
    # the same order read backwards is the same index
    backwards = [(field, -direction) for field, direction in sort]
    assert _sorted_from_index(_plan(collection, backwards, comment=EXPLAIN_INDEXED)), plan


def test_the_start_pages_latest_changes_read_a_page_of_the_index(app, accounts):
    """The start page's "recent activity" (the latest entries but downloads) reads about
    a page of the trail's index, however long the trail is."""
    from models.audit import AuditEntry
    from models.users import NOT_RECENT

    collection = AuditEntry._get_collection()
    start = dt.datetime(2027, 1, 1)  # after the accounts' own entries
    collection.insert_many([{"at": start + dt.timedelta(minutes=n), "action": "edit" if n % 5 else "download",
                             "actor_name": "staff1", "collection": "archives"} for n in range(3000)])
    plan = _plan(collection, [("at", -1), ("_id", -1)], {"action": {"$nin": list(NOT_RECENT)}})
    assert _sorted_from_index(plan), plan
    wanted = {"action": {"$nin": list(NOT_RECENT)}}
    latest = list(collection.find(wanted, sort=[("at", -1), ("_id", -1)], limit=12))
    everything = sorted(collection.find(wanted, comment="localdb:no-plan"), key=lambda r: (r["at"], r["_id"]),
                        reverse=True)
    assert [row["_id"] for row in latest] == [row["_id"] for row in everything[:12]]
    assert [row["at"] for row in latest[:3]] == [start + dt.timedelta(minutes=n) for n in (2999, 2998, 2997)]


def test_a_sort_the_database_cannot_give_as_mongodb_goes_to_ferretdb(app):
    """An array in a sorted field sorts by its elements in MongoDB: the planner's check (a
    partial index of such documents) finds it and leaves the read to FerretDB."""
    from mongoengine.connection import get_db

    collection = get_db()["sort_twin_probe"]
    collection.drop()
    collection.create_index([("rank", 1)])
    collection.insert_many([{"rank": n} for n in range(50)] + [{"rank": [100, -1]}])
    rows = list(collection.find({}, sort=[("rank", 1), ("_id", 1)], limit=3, comment=EXPLAIN))
    assert "plan" not in rows[0]  # FerretDB answered, with documents
    assert rows[0]["rank"] == [100, -1]  # MongoDB's order: the array sorts by its least element, -1
    collection.delete_one({"_id": rows[0]["_id"]})
    assert "plan" in next(iter(collection.find({}, sort=[("rank", 1)], limit=3, comment=EXPLAIN)))
    collection.drop()
