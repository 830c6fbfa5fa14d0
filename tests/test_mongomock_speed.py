"""The short cuts of admin_app.mongomock_speed give mongomock's own answers: a look-up by
``_id`` finds what the filter machinery finds, and a unique index refuses exactly the
records mongomock refuses, on generated collections of values of mixed types, missing
keys, nulls and lists, for plain, sparse, compound and partial unique indexes."""

import datetime as dt

import mongomock
from bson import ObjectId
from hypothesis import given, settings
from hypothesis import strategies as st

from admin_app import mongomock_speed
from admin_app.mongomock_speed import speed_up_mongomock

IDS = [ObjectId(f"{n:024x}") for n in range(1, 6)] + ["a", "b"]
# texts made afresh (equal, not the same object), as records read back from storage are
TEXTS = st.sampled_from(["xa", "ya", "1", ""]).map(lambda text: "".join(list(text)))
VALUES = st.one_of(TEXTS, st.integers(0, 2), st.sampled_from([1.0, 2.5]),
                   st.booleans(), st.none(), st.sampled_from([dt.datetime(2026, 1, 1), dt.datetime(2026, 1, 2)]),
                   st.lists(st.sampled_from(["x", "y"]), max_size=2), st.sampled_from([ObjectId(f"{9:024x}")]))
DOCUMENT = st.dictionaries(st.sampled_from(["code", "kind", "other"]), VALUES, max_size=3)
INDEX = st.fixed_dictionaries({"keys": st.sampled_from([["code"], ["code", "kind"], ["kind"]]),
                               "sparse": st.booleans(), "partial": st.booleans()})


def _collection(documents: list[dict], index: dict | None = None):
    collection = mongomock.MongoClient().db.items
    if index is not None:
        options = {"unique": True, "sparse": index["sparse"]}
        if index["partial"]:
            options["partialFilterExpression"] = {"other": {"$exists": True}}
        collection.create_index([(key, 1) for key in index["keys"]], **options)
    for number, document in enumerate(documents):
        stored = {"_id": IDS[number % len(IDS)] if number < len(IDS) else ObjectId(), **document}
        collection._store[stored["_id"]] = stored  # stored as it is: the checks below are what is compared
    return collection


def _refused(check, collection, document) -> str:
    """What the check says of a new record: accepted, refused, or the error it fails with
    (mongomock's own fails on a list in a sparse index: so must the short cut)."""
    collection._store[document["_id"]] = document  # a check runs with the new record already in
    try:
        check(collection, document)
    except mongomock.DuplicateKeyError:
        return "refused"
    except Exception as error:  # the same failure is the expected answer
        return type(error).__name__
    finally:
        del collection._store[document["_id"]]
    return "accepted"


speed_up_mongomock()
ORIGINAL = mongomock_speed._original


@settings(max_examples=300, deadline=None)
@given(documents=st.lists(DOCUMENT, max_size=12), wanted=st.one_of(st.sampled_from(IDS), st.just(ObjectId())))
def test_a_look_up_by_id_finds_what_the_filter_finds(documents, wanted):
    collection = _collection(documents)
    assert list(mongomock_speed._by_id(collection, {"_id": wanted})) == \
        list(ORIGINAL["_iter_documents"](collection, {"_id": wanted}))


@settings(max_examples=500, deadline=None)
@given(documents=st.lists(DOCUMENT, max_size=12), new=DOCUMENT, index=INDEX)
def test_a_unique_index_refuses_what_mongomock_refuses(documents, new, index):
    collection = _collection(documents, index)
    record = {"_id": ObjectId(), **new}
    assert _refused(mongomock_speed._unique_checks, collection, record) == \
        _refused(ORIGINAL["_ensure_uniques"], collection, record)


def test_a_duplicate_is_still_refused_through_the_driver():
    speed_up_mongomock()
    collection = mongomock.MongoClient().db.people
    collection.create_index([("id_number", 1)], unique=True, sparse=True)
    collection.insert_many([{"id_number": "1"}, {"id_number": "2"}, {}])
    try:
        collection.update_one({"id_number": "2"}, {"$set": {"id_number": "1"}})
    except mongomock.DuplicateKeyError:
        pass
    else:
        raise AssertionError("a second record with the same unique value was saved")
    assert collection.count_documents({"id_number": "1"}) == 1
