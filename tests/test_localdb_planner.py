"""The local database answers some reads straight from PostgreSQL (tools/localdb,
planner.go): finds with filters, sorts, skips, limits and projections, counts, and
match-and-group aggregations. Each generated query must give exactly what
FerretDB gives for it when the planner is bypassed. Runs on the FerretDB lane."""

import datetime as dt
import random

import pytest
from bson import ObjectId
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .conftest import on_ferretdb

pytestmark = pytest.mark.skipif(not on_ferretdb(), reason="the planner is part of the local database")

NO_PLAN = "localdb:no-plan"
WORDS = ["王小明", "李奶奶", "Zhang San", "zhang", "东江街道", "穿山", "a.b", "50%", "x+y", ""]
IDS = [ObjectId() for _ in range(6)]
DAYS = [dt.datetime(2026, 1, 1) + dt.timedelta(days=d, hours=h) for d, h in ((0, 0), (3, 5), (40, 0), (200, 12))]
FIELDS = ["n", "s", "ref", "on", "flag", "tags", "refs", "mixed", "nested"]


def _value(rng: random.Random, field: str):
    choices = {
        "n": lambda: rng.choice([0, 1, 2, 2.5, -3, 10**10, 7]),
        "s": lambda: rng.choice(WORDS),
        "ref": lambda: rng.choice(IDS),
        "on": lambda: rng.choice(DAYS),
        "flag": lambda: rng.choice([True, False]),
        "tags": lambda: rng.sample(WORDS, rng.randint(0, 3)),
        "refs": lambda: rng.sample(IDS, rng.randint(0, 3)),
        "mixed": lambda: rng.choice([1, "1", IDS[0], IDS[0].__str__(), None, [1, "a"], DAYS[0], True]),
        "nested": lambda: {"a": rng.choice([1, 2]), "b": rng.choice(WORDS)},
    }
    return choices[field]()


@pytest.fixture
def collection(app):
    from mongoengine.connection import get_db

    rng = random.Random(20261201)
    documents = []
    for _ in range(160):
        document = {}
        for field in FIELDS:
            roll = rng.random()
            if roll < 0.12:
                continue  # missing
            document[field] = None if roll < 0.2 else _value(rng, field)
        documents.append(document)
    coll = get_db()["planner_probe"]
    coll.insert_many(documents)
    for field in ("n", "s", "ref", "on", "tags"):
        coll.create_index(field)
    return coll


scalars = st.sampled_from([0, 1, 2, 2.5, -3, 7, 10**10, *WORDS, *IDS, *DAYS, True, False, None, "1", str(IDS[0])])
fields = st.sampled_from(FIELDS + ["_id"])


def _escaped(text: str) -> dict:
    import re

    return {"$regex": re.escape(text), "$options": "i"}


@st.composite
def conditions(draw):
    field = draw(fields)
    kind = draw(st.sampled_from(["eq", "ne", "in", "nin", "range", "exists", "regex", "prefix"]))
    if kind == "eq":
        return {field: draw(scalars)}
    if kind == "ne":
        return {field: {"$ne": draw(scalars)}}
    if kind in ("in", "nin"):
        values = draw(st.lists(scalars, max_size=3))
        if draw(st.booleans()):
            # past the planner's short-list bound (longInList, 64 values of one type):
            # such a list is compared in one hash lookup, not asked of the GIN twin
            values += draw(st.sampled_from([[f"没有{i}" for i in range(70)], list(range(100, 170)),
                                            [ObjectId() for _ in range(70)]]))
        return {field: {f"${kind}": values}}
    if kind == "range":
        operator = draw(st.sampled_from(["$gt", "$gte", "$lt", "$lte"]))
        bound = draw(scalars.filter(lambda v: v is not None and not isinstance(v, bool)))
        return {field: {operator: bound}}
    if kind == "exists":
        return {field: {"$exists": draw(st.booleans())}}
    text = draw(st.sampled_from(["王", "zhang", "A.B", "50%", "街道", "x+"]))
    if kind == "prefix":
        import re

        return {field: {"$regex": "^" + re.escape(text), "$options": draw(st.sampled_from(["", "i"]))}}
    return {field: _escaped(text)}


filters = st.recursive(
    st.builds(lambda parts: {k: v for part in parts for k, v in part.items()}, st.lists(conditions(), max_size=2)),
    lambda inner: st.builds(lambda op, parts: {op: parts}, st.sampled_from(["$and", "$or", "$nor"]),
                            st.lists(inner, min_size=1, max_size=3)),
    max_leaves=5,
)
sorts = st.lists(st.tuples(st.sampled_from(["n", "s", "ref", "on", "flag", "mixed", "tags"]), st.sampled_from([1, -1])),
                 max_size=2, unique_by=lambda pair: pair[0])
projections = st.one_of(st.none(), st.sampled_from([{"s": 1}, {"n": 1, "on": 1, "_id": 0}, {"tags": 0, "nested": 0},
                                                     {"_id": 1}, {"_id": 0}, {"_id": 1, "s": 0}, {"s": 0, "_id": 1}]))

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])


def _stats(coll):
    """The planner's counts of this test's database (other test processes use the server too)."""
    return coll.database.client.admin.command("localdbStats", database=coll.database.name)


@SETTINGS
@given(query=filters, sort=sorts, skip=st.sampled_from([0, 0, 3]), limit=st.sampled_from([0, 1, 20]),
       batch=st.sampled_from([0, 7]),
       projection=projections)
def test_planned_finds_answer_as_ferretdb(collection, query, sort, skip, limit, batch, projection):
    order = [*sort, ("_id", 1)]  # ties in the sort fields broken the same way on both sides
    # (a batch of 7 makes the planner keep a cursor for the driver's getMore)
    planned = list(collection.find(query, projection, sort=order, skip=skip, limit=limit, batch_size=batch))
    plain = list(collection.find(query, projection, sort=order, skip=skip, limit=limit, comment=NO_PLAN))
    assert planned == plain


@SETTINGS
@given(query=filters)
def test_planned_counts_answer_as_ferretdb(collection, query):
    assert collection.count_documents(query) == collection.count_documents(query, comment=NO_PLAN)


def _grouped_in_python(documents, key, summed):
    """MongoDB's $group with $sum over documents FerretDB found (its $group is no oracle: it
    answers 0 for a second accumulator)."""
    groups: dict = {}
    for document in documents:
        group_key = document.get(key[1:]) if isinstance(key, str) else key
        total, saw_double, rows = groups.get(repr(group_key), (0, False, 0))
        value = 1 if summed == 1 else document.get("n")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            total += value
            saw_double = saw_double or isinstance(value, float)
        groups[repr(group_key)] = (total, saw_double, rows + 1)
    return sorted((k, float(t) if d else t, float if d else int, r) for k, (t, d, r) in groups.items())


@SETTINGS
@given(query=filters, key=st.sampled_from(["$s", "$ref", "$on", "$flag", "$n", None, 1]),
       summed=st.sampled_from([1, "$n"]))
def test_planned_groups_answer_as_mongodb(collection, query, key, summed):
    pipeline = [{"$match": query}, {"$group": {"_id": key, "total": {"$sum": summed}, "rows": {"$sum": 1}}}]
    planned = sorted((repr(row["_id"]), row["total"], float if isinstance(row["total"], float) else int, row["rows"])
                     for row in collection.aggregate(pipeline))
    assert planned == _grouped_in_python(collection.find(query, comment=NO_PLAN), key, summed)


def test_the_planner_answers_the_app_s_list_queries(collection):
    """The shapes the pages send are answered by the planner, not passed on."""
    before = _stats(collection)["planned"]
    collection.find_one({"s": {"$regex": "zhang", "$options": "i"}, "flag": False}, sort=[("on", -1), ("_id", -1)])
    collection.count_documents({"ref": {"$in": IDS[:2]}, "on": {"$gte": DAYS[1]}})
    list(collection.aggregate([{"$match": {"flag": True}}, {"$group": {"_id": "$ref", "n": {"$sum": 1}}}]))
    assert _stats(collection)["planned"] - before == 3
