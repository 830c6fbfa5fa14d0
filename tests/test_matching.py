"""A filter is one truth: models.matching answers it on a record in hand exactly as the
database answers it as a query. The cases are generated: archives and visits of every shape
the filters look at (hypothesis: each field present, missing or null, arrays empty or not),
stored as they are, then every visit policy's cohort and due filter (in every township and
for every worker choice) and the rule of a counted visit asked both ways. Both lanes run it:
the in-memory database and the local database."""

import datetime as dt

import pytest
from bson import ObjectId
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from models.archives import RISK_LEVELS, Archive
from models.matching import matches
from models.periods import previous_period
from models.reference import PersonCategory
from models.visits import (
    COUNTED,
    KIND_CLASS,
    UNASSIGNED,
    Visit,
    category_ids,
    cohort_filter,
    current_key,
    due_filter,
    in_cohort,
    is_counted,
    policies,
    tag_for,
)

WORKERS = (ObjectId(), ObjectId())
STRANGER = ObjectId()  # a township no policy names


def _optional(required: dict | None = None, **fields) -> st.SearchStrategy:
    """A stored record: each field present (possibly null) or missing altogether; the ``required``
    ones always present (null among their values), mostly with a value a filter looks for."""
    return st.fixed_dictionaries(required or {},
                                 optional={name: st.one_of(value, st.none()) for name, value in fields.items()})


def _tags() -> list[str]:
    """Marks a due filter looks at: this period's (visited once, or enough), and the last period's."""
    tags = []
    for item in policies():
        key = current_key(item["period"])
        tags += [key, tag_for(item, key), previous_period(item["period"], key)]
    return sorted(set(tags))


def _archives(townships: list, categories: list) -> st.SearchStrategy:
    days = st.datetimes(dt.datetime(2020, 1, 1), dt.datetime(2028, 12, 31)).map(lambda d: d.replace(microsecond=0))
    return st.lists(_optional(
        required={"_cls": st.sampled_from([*KIND_CLASS.values(), *KIND_CLASS.values(), "Archive", None]),
                  "status": st.sampled_from(("active", "active", "active", "active", "closed", None)),
                  "voided": st.sampled_from((False, False, False, False, True, None)),
                  "risk_level": st.sampled_from([*(code for code, _ in RISK_LEVELS), None]),
                  "categories": st.one_of(st.none(), st.lists(st.sampled_from(categories), max_size=3, unique=True)),
                  "township": st.sampled_from([*townships, STRANGER, None])},
        archive_date=days,
        visited_periods=st.lists(st.sampled_from(_tags()), max_size=4, unique=True),
        worker=st.sampled_from(WORKERS),
    ), min_size=1, max_size=10)


def _same_answer(collection, rows: list, raw: dict, in_hand=matches) -> None:
    by_database = {row["_id"] for row in collection.find(raw, {"_id": 1})}
    by_matching = {row["_id"] for row in rows if in_hand(row, raw)}
    assert by_matching == by_database, raw
    return len(by_database)


@pytest.fixture
def stored(app, townships):
    with app.app_context():
        named = [i for item in policies() for i in category_ids(item.get("categories") or [])]
        yield [t.pk for t in list(townships.values())[:2]], [*named, *named, *(c.pk for c in PersonCategory.objects)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_who_a_policy_covers_and_who_is_due_is_the_databases_answer(stored, data):
    townships, categories = stored
    archives = data.draw(_archives(townships, categories))
    # each again with its arrays the other way round: an answer may not hang on an element's place
    archives += [{k: v[::-1] if isinstance(v, list) else v for k, v in archive.items()} for archive in archives]
    collection = Archive._get_collection()
    collection.delete_many({})
    if archives:
        collection.insert_many([{"_id": ObjectId(), **archive} for archive in archives])
    rows = list(collection.find({}))  # as read from the collection, as a page holds them
    found = 0
    for item in policies():
        key = current_key(item["period"])
        for scope in (None, townships[:1]):
            found += _same_answer(collection, rows, cohort_filter(item, scope), in_hand=in_cohort)
            found += _same_answer(collection, rows, due_filter(item, key, scope))
        for worker in (WORKERS[0], UNASSIGNED):
            found += _same_answer(collection, rows, due_filter(item, key, None, worker))
    event("some archive is covered or due" if found else "no archive is covered")


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(visits=st.lists(_optional(counts_as_home_visit=st.sampled_from(("yes", "no")), voided=st.booleans()),
                       max_size=8))
def test_which_visit_counts_is_the_databases_answer(app, visits):
    with app.app_context():
        collection = Visit._get_collection()
        collection.delete_many({})
        if visits:
            collection.insert_many([{"_id": ObjectId(), **visit} for visit in visits])
        rows = list(collection.find({}))
        _same_answer(collection, rows, COUNTED, in_hand=lambda row, raw: is_counted(row))


def test_an_operator_it_does_not_know_is_refused():
    with pytest.raises(ValueError):
        matches({"a": 1}, {"a": {"$regex": "1"}})
    with pytest.raises(ValueError):
        matches({"a": [{"b": 1}]}, {"a.b": 1})
