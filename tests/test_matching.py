"""The indicator engine asks its questions of records it has read once; the
answers must be the database's own, for every operator the engine writes."""

import datetime as dt
import random

import pytest
from bson import ObjectId
from mongoengine.connection import get_db

from models.matching import matches

TAGS = [ObjectId() for _ in range(4)]


def _records(count=120, seed=11):
    rng = random.Random(seed)
    records = []
    for index in range(count):
        record = {"_id": ObjectId(), "kind": rng.choice(["consultation", "professional", "other"])}
        if rng.random() < 0.9:
            record["n"] = rng.choice([0, 1, 2, 5, 9, 10, 11, 40, 41, 50, 51, 2.5, 60.0, 61.5])
        if rng.random() < 0.85:
            record["tags"] = rng.sample(TAGS, k=rng.randint(0, 3))
        if rng.random() < 0.7:
            record["flag"] = rng.random() < 0.5
        if rng.random() < 0.2:
            record["voided"] = True
        record["when"] = dt.datetime(2026, 1, 1) + dt.timedelta(days=index * 3)
        if rng.random() < 0.9:
            record["level"] = rng.choice(["district", "city", "province", "national"])
        records.append(record)
    return records


QUERIES = [
    {},
    {"kind": "consultation"},
    {"voided": {"$ne": True}},
    {"flag": True},
    {"tags": TAGS[0]},
    {"tags": {"$in": TAGS[:2]}},
    {"tags": {"$nin": TAGS[:1]}},
    {"level": {"$in": ["city", "province", "national"]}},
    {"level": {"$nin": ["city", "province", "national"]}},
    {"n": {"$gt": 50}},
    {"n": {"$gte": 10, "$lte": 50}},
    {"n": {"$gte": 5, "$lt": 10}},
    {"n": {"$gt": 40, "$lte": 50}},
    {"n": {"$lt": 2.0}},
    {"kind": "professional", "voided": {"$ne": True}, "n": {"$gt": 5}},
    {"when": {"$gte": dt.datetime(2026, 3, 1), "$lte": dt.datetime(2026, 6, 30, 23, 59, 59, 999000)}},
    {"flag": True, "n": {"$gte": 2.0}, "when": {"$gte": dt.datetime(2026, 2, 1)}, "voided": {"$ne": True}},
    {"tags": None},
]


@pytest.mark.parametrize("query", QUERIES, ids=[str(q)[:60] for q in QUERIES])
def test_matches_gives_the_databases_answer(app, query):
    records = _records()
    collection = get_db()["matching_probe"]
    collection.delete_many({})
    collection.insert_many([dict(r) for r in records])
    expected = {row["_id"] for row in collection.find(query, {"_id": 1})}
    assert {r["_id"] for r in records if matches(r, query)} == expected


def test_an_operator_outside_the_subset_is_refused():
    with pytest.raises(ValueError):
        matches({"n": 1}, {"n": {"$regex": "1"}})
    with pytest.raises(ValueError):
        matches({"n": 1}, {"$where": "true"})
    with pytest.raises(ValueError):  # the database would look inside each session; refused, not answered None
        matches({"sessions": [{"hours": 2}]}, {"sessions.hours": {"$gte": 1}})
